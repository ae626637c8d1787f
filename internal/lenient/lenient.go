// Package lenient holds the one policy by which the client and its
// receipt package read numbers out of MiPush's JSON: the service is not
// consistent about them, and the same counter comes as 12, as "12" or,
// when the server has nothing to say, as "N/A" or "".
package lenient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush/internal/errtext"
)

// ErrNoValue is Int's answer for a value that is absent, null or "".
var ErrNoValue = errors.New("no value")

// Int returns the integer the JSON value v holds: a JSON number, or a
// string holding one (white space around it ignored). An integral number in
// exponent form (1.5e12) is accepted; a fraction is not, nor hexadecimal,
// "Inf" or "1_000". An absent, null or empty value is ErrNoValue; anything
// else an error that says what was found. Callers decide what an error
// means: optional fields read it as "not reported", a receipt's fields
// refuse the entry.
func Int(v []byte) (int64, error) {
	v = bytes.TrimSpace(v)
	var s string
	switch k := Kind(v); k {
	case 0, 'n':
		return 0, ErrNoValue
	case '"':
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, err
		}
		if s = strings.TrimSpace(s); s == "" {
			return 0, ErrNoValue
		}
		// Only a JSON number, which strconv alone would not ensure.
		if c := s[0]; !(c == '-' || '0' <= c && c <= '9') || !json.Valid([]byte(s)) {
			return 0, fmt.Errorf("want an integer, got the string %s", errtext.Short(s))
		}
	case '{', '[', 't', 'f':
		return 0, fmt.Errorf("want an integer, got %s", KindName(k))
	default:
		s = string(v)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// 2^63 is exact as a float64; every float below it converts safely.
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, fmt.Errorf("want a 64-bit integer, got %s", errtext.Short(s))
	}
	return int64(f), nil
}

// Kind returns the first byte of the JSON value v ('{', '[', '"',
// 't', 'f', 'n', or a digit or '-' for a number), or 0 when v is empty.
func Kind(v []byte) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// KindName names the kind of JSON value that starts with k, as Kind
// returns it: "an object", "a string", "nothing"...
func KindName(k byte) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}
