package jsontext

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendQuotedRoundTrips(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " backslash \ slash /`, "line\nbreak\r\ttab\x00\x1f",
		"中文 emoji 🎉", "\u2028\u2029", "<html>&amp;</html>",
	} {
		var got string
		require.NoError(t, json.Unmarshal(AppendQuoted(nil, s), &got), "%q", s)
		assert.Equal(t, s, got)
	}
}

func TestInvalidUTF8BecomesReplacement(t *testing.T) {
	var got string
	require.NoError(t, json.Unmarshal(AppendQuoted(nil, "a\xffb"), &got))
	assert.Equal(t, "a\uFFFDb", got)
	assert.True(t, utf8.ValidString(got))
}

func FuzzAppendQuoted(f *testing.F) {
	f.Add("x\"y\\z\n\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(AppendQuoted(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("%q came back as %q", s, got)
		}
	})
}
