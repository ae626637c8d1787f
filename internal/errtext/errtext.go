// Package errtext words values for error messages, for the client, its
// receipt package and the command alike.
package errtext

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// ShortLimit is the length Short cuts to: enough to recognise a value,
// short enough for a log line.
const ShortLimit = 64

// Quote quotes s with strconv.Quote, cut to at most limit bytes of s (at a
// rune boundary) and marked "..." when cut: input from users or the
// network may be long.
func Quote(s string, limit int) string {
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := max(limit, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// Short is Quote with ShortLimit.
func Short(s string) string { return Quote(s, ShortLimit) }

// BodyLimit is the length Body cuts to.
const BodyLimit = 200

// Body quotes the start of a response body for an error message: b with
// white space around it trimmed, as Quote with BodyLimit.
func Body(b []byte) string {
	b = bytes.TrimSpace(b)
	// Only what Quote may show is copied: a body may be large.
	return Quote(string(b[:min(len(b), BodyLimit+1)]), BodyLimit)
}
