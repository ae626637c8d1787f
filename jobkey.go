package mipush

import (
	"crypto/rand"
	"strconv"
	"sync/atomic"
)

// jobKeys makes the unique extra.jobkey values of Options.AutoJobKey: a
// random per-client prefix and a counter, within the documented 20
// characters of [0-9A-Za-z_-], never starting with '_'.
type jobKeys struct {
	prefix string
	n      atomic.Uint64
}

func (k *jobKeys) init() {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [8]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	k.prefix = "m" + string(b[:]) + "-"
}

// next returns a key no other send of this client has had.
func (k *jobKeys) next() string {
	return k.prefix + strconv.FormatUint(k.n.Add(1), 36)
}

// appendJobKey adds extra.jobkey to an encoded send body.
func appendJobKey(body []byte, key string) []byte {
	if len(body) > 0 {
		body = append(body, '&')
	}
	body = append(body, "extra.jobkey="...)
	return append(body, key...) // the alphabet needs no escaping
}
