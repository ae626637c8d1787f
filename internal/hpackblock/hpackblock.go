// Package hpackblock answers a question about HPACK header blocks (RFC
// 7541) that golang.org/x/net/http2/hpack does not, for the client's
// connections and the fake server alike: whether a block may be sent again
// byte for byte.
package hpackblock

// IndexedOnly reports whether block holds only indexed header field
// representations (RFC 7541 §6.1). Decoding such a block neither adds to
// nor resizes the dynamic table, so the same bytes may be sent again, with
// the same meaning, for as long as the encoder's table does not change. An
// empty block qualifies.
func IndexedOnly(block []byte) bool {
	for i := 0; i < len(block); {
		b := block[i]
		i++
		if b&0x80 == 0 {
			return false // a literal, or a table size update
		}
		if b&0x7f == 0x7f { // the index goes on in 7-bit groups
			for i < len(block) && block[i]&0x80 != 0 {
				i++
			}
			if i == len(block) {
				return false // cut short
			}
			i++
		}
	}
	return true
}
