package hpackblock

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2/hpack"
)

func TestIndexedOnly(t *testing.T) {
	for _, tc := range []struct {
		block []byte
		want  bool
	}{
		{nil, true},
		{[]byte{0x88}, true},                              // :status 200
		{[]byte{0x82, 0x87, 0xbe}, true},                  // static and dynamic indexes
		{[]byte{0xff, 0x80, 0x01, 0x82}, true},            // index 127 + 128, then another
		{[]byte{0x88, 0xff, 0x00}, true},                  // index 127
		{[]byte{0xff}, false},                             // cut short
		{[]byte{0xff, 0x80}, false},                       // cut short
		{[]byte{0x20, 0x88}, false},                       // a table size update
		{[]byte{0x88, 0x40, 0x01, 'a', 0x01, 'b'}, false}, // literal with incremental indexing
		{[]byte{0x0f, 0x0d, 0x01, '1'}, false},            // literal without indexing
		{[]byte{0x88, 0x1f, 0x10, 0x01, 'a'}, false},      // literal, never indexed
	} {
		assert.Equal(t, tc.want, IndexedOnly(tc.block), "% x", tc.block)
	}
}

// TestIndexedOnlyWithHPACK checks what hpack's encoder writes: fields it
// adds to its table, then fields it finds there.
func TestIndexedOnlyWithHPACK(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	for i := range 100 {
		require.NoError(t, enc.WriteField(hpack.HeaderField{Name: "x-f", Value: strconv.Itoa(i)}))
	}
	assert.False(t, IndexedOnly(buf.Bytes()))
	for _, v := range []string{"0", "99", "50"} { // indexes 161, 62, 111
		buf.Reset()
		require.NoError(t, enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"}))
		require.NoError(t, enc.WriteField(hpack.HeaderField{Name: "x-f", Value: v}))
		assert.True(t, IndexedOnly(buf.Bytes()), "x-f: %s: % x", v, buf.Bytes())
	}
}
