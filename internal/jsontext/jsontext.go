// Package jsontext escapes text for JSON string literals without
// reflection or allocation, for the client's encoder and the fake
// server's answers alike.
package jsontext

import "unicode/utf8"

// Append appends s escaped as the inside of a JSON string: '"',
// '\\' and the control characters are escaped, and so are U+2028 and U+2029
// (which end a line in JavaScript). Invalid UTF-8 becomes U+FFFD, as with
// encoding/json.
func Append(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

// AppendQuoted appends s as a JSON string literal, quotes included.
func AppendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	b = Append(b, s)
	return append(b, '"')
}
