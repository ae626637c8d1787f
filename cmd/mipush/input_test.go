package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadRegIDs(t *testing.T) {
	in := "# header\n\n r1 \nr2\r\nr1\n  # indented comment\nr3\nr2\n\t\n"
	l, err := readRegIDs(strings.NewReader(in), "in")
	require.NoError(t, err)
	assert.Equal(t, []string{"r1", "r2", "r3"}, l.ids)
	assert.Equal(t, 9, l.lines)
	assert.Equal(t, 4, l.skipped)
	assert.Equal(t, 2, l.duplicates)
}

// A space inside a regid is allowed, as by the library (ValidateTargetID).
func TestReadRegIDsSpaceInside(t *testing.T) {
	l, err := readRegIDs(strings.NewReader("r1\n r 2 \n"), "in")
	require.NoError(t, err)
	assert.Equal(t, []string{"r1", "r 2"}, l.ids)
}

func TestReadRegIDsMalformed(t *testing.T) {
	cases := map[string]string{
		"r1,r2\n":                       `in:1: malformed regid "r1,r2": contains ","; put one regid on each line`,
		"r\x01\n":                       `in:1: malformed regid "r\x01": must not contain control characters, got 0x1 at byte 1`,
		"\xff\xfe\n":                    `in:1: malformed regid "\xff\xfe": is not valid UTF-8`,
		strings.Repeat("x", 600) + "\n": `in:1: malformed regid "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"…: longer than 512 bytes`,
	}
	for in, want := range cases {
		_, err := readRegIDs(strings.NewReader(in), "in")
		require.Error(t, err, "%q", in)
		assert.Equal(t, want, err.Error())
	}
}

func TestReadReportIDs(t *testing.T) {
	in := `{"kind":"failed","chunk":0,"ids":["a","b"],"error":"x"}
{"kind":"bad_regids","chunk":1,"ids":["c"]}

{"kind":"unsent","chunk":2,"ids":["d","a"]}
`
	l, err := readReportIDs(strings.NewReader(in), "rep")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "d"}, l.ids)
	assert.Equal(t, 1, l.duplicates)

	_, err = readReportIDs(strings.NewReader("r1\n"), "rep")
	assert.ErrorContains(t, err, "rep:1: not a report line")
}
