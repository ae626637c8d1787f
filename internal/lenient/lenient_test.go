package lenient

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string // "" for success; "none" for ErrNoValue
	}{
		{`12`, 12, ""},
		{`-7`, -7, ""},
		{`"12"`, 12, ""},
		{`" 12 "`, 12, ""},
		{`1.5e12`, 1500000000000, ""},
		{`"1e3"`, 1000, ""},
		{``, 0, "none"},
		{`null`, 0, "none"},
		{`""`, 0, "none"},
		{`"  "`, 0, "none"},
		{`"N/A"`, 0, `want an integer, got the string "N/A"`},
		{`"0x10"`, 0, "want an integer"},
		{`"1_000"`, 0, "want an integer"},
		{`"Inf"`, 0, "want an integer"},
		{`1.5`, 0, `want a 64-bit integer, got "1.5"`},
		{`1e30`, 0, "want a 64-bit integer"},
		{`true`, 0, "want an integer, got a boolean"},
		{`{}`, 0, "want an integer, got an object"},
		{`[1]`, 0, "want an integer, got an array"},
	} {
		n, err := Int([]byte(tc.in))
		switch tc.err {
		case "":
			require.NoError(t, err, tc.in)
			assert.Equal(t, tc.want, n, tc.in)
		case "none":
			assert.ErrorIs(t, err, ErrNoValue, tc.in)
		default:
			require.Error(t, err, tc.in)
			assert.False(t, errors.Is(err, ErrNoValue), tc.in)
			assert.Contains(t, err.Error(), tc.err, tc.in)
		}
	}
}

func TestKind(t *testing.T) {
	for in, want := range map[string]string{
		` {}`: "an object", "[1]": "an array", `"s"`: "a string", "true": "a boolean",
		"false": "a boolean", "null": "null", " ": "nothing", "-1": "a number", "12": "a number",
	} {
		assert.Equal(t, want, KindName(Kind([]byte(in))), "%q", in)
	}
}
