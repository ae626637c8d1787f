// Package ascii compares protocol tokens (header names, media types,
// form keys) ignoring ASCII case, without allocating, for the client and
// the fake server alike. Unlike strings.EqualFold it folds only A-Z: a
// protocol token is ASCII, and Unicode folding would let "K" (U+212A
// KELVIN SIGN) match "k".
package ascii

// EqualFold reports whether s equals lower, ignoring ASCII case. lower
// must be lower-case ASCII.
func EqualFold[T []byte | string](s T, lower string) bool {
	return len(s) == len(lower) && HasPrefixFold(s, lower)
}

// HasPrefixFold reports whether s begins with lower, ignoring ASCII case.
// lower must be lower-case ASCII.
func HasPrefixFold[T []byte | string](s T, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := range len(lower) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
