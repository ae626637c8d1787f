package mipush

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The MiPush answers are not consistent about numbers: the same counter
// comes as 12, as "12" or, when the server has nothing to say, as "N/A" or
// "". Every decoder of this package reads numbers by the one policy of
// parseInt, so that an odd value is read the same way everywhere and an
// odd optional value never costs the fields around it.

// errNoValue is parseInt's answer for a value that is absent, null or "".
var errNoValue = errors.New("no value")

// parseInt returns the integer the JSON value v holds: a JSON number, or a
// string holding one (white space around it ignored). An integral number in
// exponent form (1.5e12) is accepted; a fraction is not, nor hexadecimal,
// "Inf" or "1_000". An absent, null or empty value is errNoValue; anything
// else an error that says what was found. Callers decide what an error
// means: optional fields read it as "not reported" (see looseInt), a
// receipt's fields refuse the entry.
func parseInt(v []byte) (int64, error) {
	v = bytes.TrimSpace(v)
	var s string
	switch k := jsonKind(v); k {
	case 0, 'n':
		return 0, errNoValue
	case '"':
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, err
		}
		if s = strings.TrimSpace(s); s == "" {
			return 0, errNoValue
		}
		// Only a JSON number, which strconv alone would not ensure.
		if c := s[0]; !(c == '-' || '0' <= c && c <= '9') || !json.Valid([]byte(s)) {
			return 0, fmt.Errorf("want an integer, got the string %s", quoteReceipt(s))
		}
	case '{', '[', 't', 'f':
		return 0, fmt.Errorf("want an integer, got %s", kindName(k))
	default:
		s = string(v)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	// 2^63 is exact as a float64; every float below it converts safely.
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, fmt.Errorf("want a 64-bit integer, got %s", quoteReceipt(s))
	}
	return int64(f), nil
}

// optionalInt is parseInt for a value that may be missing: -1 when v holds
// no integer, whatever it holds instead.
func optionalInt(v []byte) int64 {
	n, err := parseInt(v)
	if err != nil {
		return -1
	}
	return n
}

// looseInt is a counter decoded by parseInt. Decoding never fails: a
// value that holds no integer (null, "", "N/A", true, 1.5) decodes as 0.
type looseInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *looseInt) UnmarshalJSON(b []byte) error {
	v, err := parseInt(b)
	if err != nil {
		v = 0
	}
	*n = looseInt(v)
	return nil
}
