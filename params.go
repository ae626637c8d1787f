package mipush

import "strconv"

// The management calls build their parameters (a GET's query string or a
// POST's form body) by appending to one byte slice: "k=v&k2=v2", every
// value escaped exactly once with appendFormEscaped. Keys are literal ASCII
// and written as they are.

// appendParam appends key=value, preceded by '&' unless b is empty.
func appendParam(b []byte, key, value string) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, key...)
	b = append(b, '=')
	return appendFormEscaped(b, value)
}

// appendIntParam appends key=v in decimal.
func appendIntParam(b []byte, key string, v int64) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, key...)
	b = append(b, '=')
	return strconv.AppendInt(b, v, 10)
}

// appendJoinedParam appends one key=v1,v2,... parameter: the values joined
// with a comma (escaped, as %2C, like every other byte of the values).
func appendJoinedParam(b []byte, key string, values []string) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, key...)
	b = append(b, '=')
	for i, v := range values {
		if i > 0 {
			b = append(b, "%2C"...)
		}
		b = appendFormEscaped(b, v)
	}
	return b
}

// appendRepeatedParam appends key=v1&key=v2&...: one parameter per value.
func appendRepeatedParam(b []byte, key string, values []string) []byte {
	for _, v := range values {
		b = appendParam(b, key, v)
	}
	return b
}

// listSize is about the bytes that values take in a parameter, joined or
// repeated under a short key, for pre-sizing a buffer.
func listSize(values []string) int {
	n := 0
	for _, v := range values {
		n += formEscapedLen(v) + 16
	}
	return n
}
