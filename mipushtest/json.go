package mipushtest

import (
	"strconv"

	"github.com/mipush-go/mipush/internal/jsontext"
)

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte { return jsontext.AppendQuoted(b, s) }

// appendJSONStrings appends ss as a JSON array of strings.
func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendKey appends `"key":` after a comma unless it opens an object.
func appendKey(b []byte, key string) []byte {
	if n := len(b); n > 0 && b[n-1] != '{' && b[n-1] != '[' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendStringField appends "key":"value".
func appendStringField(b []byte, key, value string) []byte {
	return appendJSONString(appendKey(b, key), value)
}

// appendIntField appends "key":value.
func appendIntField(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(appendKey(b, key), v, 10)
}

// appendBoolField appends "key":true or "key":false.
func appendBoolField(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(appendKey(b, key), v)
}
