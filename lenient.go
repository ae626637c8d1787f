package mipush

import "github.com/mipush-go/mipush/internal/lenient"

// The MiPush answers are not consistent about numbers: the same counter
// comes as 12, as "12" or, when the server has nothing to say, as "N/A" or
// "". Every decoder of this package reads numbers by the one policy of
// [lenient.Int], so that an odd value is read the same way everywhere and an
// odd optional value never costs the fields around it.

// optionalInt is lenient.Int for a value that may be missing: -1 when v holds
// no integer, whatever it holds instead.
func optionalInt(v []byte) int64 {
	n, err := lenient.Int(v)
	if err != nil {
		return -1
	}
	return n
}

// looseInt is a counter decoded by lenient.Int. Decoding never fails: a
// value that holds no integer (null, "", "N/A", true, 1.5) decodes as 0.
type looseInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *looseInt) UnmarshalJSON(b []byte) error {
	v, err := lenient.Int(b)
	if err != nil {
		v = 0
	}
	*n = looseInt(v)
	return nil
}
