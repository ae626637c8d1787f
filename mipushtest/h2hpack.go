package mipushtest

import (
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/hpackblock"
)

// HPACK settings of the request side.
const (
	// h2HeaderTableSize is the size of the dynamic table the client's
	// encoder may use (the default: the server does not announce one).
	h2HeaderTableSize = 4096

	// h2MaxHeaderListSize bounds the size of a request's header list, as
	// RFC 9113 counts it (name, value and 32 bytes a field), and the length
	// of any one string in it. It is golang.org/x/net/http2's default:
	// past it the rest of the block is decoded, to keep the table in step,
	// but its fields are dropped.
	h2MaxHeaderListSize = 16 << 20
)

// The pseudo-header fields a header block may carry, as bits of
// h2block.pseudos.
const (
	pseudoMethod uint8 = 1 << iota
	pseudoPath
	pseudoScheme
	pseudoAuthority
	pseudoProtocol
	pseudoStatus
)

// h2block is the reader goroutine's state while it decodes a request's
// header block: the fields kept so far and what the checks saw. The checks
// and limits are those golang.org/x/net/http2's Framer applies, so that
// clients see the same errors as from a server built on it.
type h2block struct {
	id        uint32
	endStream bool
	fields    []hpack.HeaderField // reused from block to block

	// Budgets of the header list. A "trailer" field has its own, like in
	// x/net; both drop to 0 once the list is too large.
	headersLeft  uint32
	trailersLeft uint32

	sawRegular bool  // a regular field was seen: no pseudo-header may follow
	invalid    bool  // a malformed field: decoding stops keeping fields
	pseudos    uint8 // the pseudo-header fields kept
	badPseudo  bool  // an unknown or repeated pseudo-header field
}

// reset prepares b for the block that f begins.
func (b *h2block) reset(f *http2.HeadersFrame) {
	// Clearing drops the previous block's strings for the GC.
	clear(b.fields)
	*b = h2block{
		id:           f.StreamID,
		endStream:    f.StreamEnded(),
		fields:       b.fields[:0],
		headersLeft:  h2MaxHeaderListSize,
		trailersLeft: h2MaxHeaderListSize,
	}
}

// pseudoOK reports whether the pseudo-header fields are known, not
// repeated, and not those of a request mixed with ":status".
func (b *h2block) pseudoOK() bool {
	if b.badPseudo {
		return false
	}
	return b.pseudos&pseudoStatus == 0 || b.pseudos&^pseudoStatus == 0
}

// notePseudo records a pseudo-header field that is kept.
func (b *h2block) notePseudo(name string) {
	var bit uint8
	switch name {
	case ":method":
		bit = pseudoMethod
	case ":path":
		bit = pseudoPath
	case ":scheme":
		bit = pseudoScheme
	case ":authority":
		bit = pseudoAuthority
	case ":protocol":
		bit = pseudoProtocol
	case ":status":
		bit = pseudoStatus
	default:
		b.badPseudo = true
		return
	}
	if b.pseudos&bit != 0 {
		b.badPseudo = true
	}
	b.pseudos |= bit
}

// budget returns the budget a field counts against and what it costs.
func (b *h2block) budget(f hpack.HeaderField) (*uint32, uint32) {
	if f.Name != "trailer" {
		return &b.headersLeft, f.Size()
	}
	// Each name the value lists counts as a field, its separators not.
	n := strings.Count(f.Value, ",") + 1
	return &b.trailersLeft, uint32(len(f.Value)-n+1) + uint32(n)*hpack.HeaderField{}.Size()
}

// newRequestDecoder returns the connection's HPACK decoder, which lives as
// long as the connection and hands every field to h.emitField.
func (h *h2conn) newRequestDecoder() *hpack.Decoder {
	d := hpack.NewDecoder(h2HeaderTableSize, h.emitField)
	d.SetMaxStringLength(h2MaxHeaderListSize)
	return d
}

// emitField checks a decoded field of the current request header block and
// keeps it, unless the block is malformed or too large.
func (h *h2conn) emitField(f hpack.HeaderField) {
	b := &h.blk
	pseudo := f.IsPseudo()
	if !httpguts.ValidHeaderFieldValue(f.Value) {
		b.invalid = true
	}
	if pseudo {
		if b.sawRegular {
			b.invalid = true
		}
	} else {
		b.sawRegular = true
		if !validWireName(f.Name) {
			b.invalid = true
		}
	}
	if b.invalid {
		h.hdec.SetEmitEnabled(false)
		return
	}
	left, size := b.budget(f)
	if size > *left {
		h.hdec.SetEmitEnabled(false)
		b.headersLeft, b.trailersLeft = 0, 0
		return
	}
	*left -= size
	if pseudo {
		b.notePseudo(f.Name)
	}
	b.fields = append(b.fields, f)
}

// validWireName reports whether name is a field name HTTP/2 allows: a
// token, in lower case.
func validWireName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !httpguts.IsTokenRune(rune(c)) || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// readHeaderBlock decodes the header block that f begins into h.blk,
// reading its CONTINUATION frames. It returns a ConnectionError or
// StreamError for a block x/net's Framer would reject with one.
func (h *h2conn) readHeaderBlock(f *http2.HeadersFrame) error {
	b := &h.blk
	b.reset(f)
	h.hdec.SetEmitEnabled(true)
	frag, ended := f.HeaderBlockFragment(), f.HeadersEnded()
	for {
		// A fragment far beyond what the list may still hold, or any
		// CONTINUATION after a malformed field, ends the connection
		// rather than being decoded for nothing.
		if int64(len(frag)) > 2*(int64(b.headersLeft)+int64(b.trailersLeft)) || b.invalid {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if _, err := h.hdec.Write(frag); err != nil {
			return http2.ConnectionError(http2.ErrCodeCompression)
		}
		if ended {
			break
		}
		// The Framer lets only a CONTINUATION of this stream follow.
		next, err := h.rfr.ReadFrame()
		if err != nil {
			return err
		}
		cf, ok := next.(*http2.ContinuationFrame)
		if !ok {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		frag, ended = cf.HeaderBlockFragment(), cf.HeadersEnded()
	}
	if err := h.hdec.Close(); err != nil {
		return http2.ConnectionError(http2.ErrCodeCompression)
	}
	if b.invalid || !b.pseudoOK() {
		return http2.StreamError{StreamID: b.id, Code: http2.ErrCodeProtocol, Cause: errBadHeaderBlock}
	}
	return nil
}

// h2head is a response header block that hpack encoded as references to
// its tables only, kept to be written again for the same fields: encoding
// them again would produce the same bytes as long as the dynamic table
// does not change, and the encoder's table searches cost more than the
// comparison.
type h2head struct {
	status int
	ctype  string
	length int
	hdr    []headerField
	block  []byte // empty: the entry is free
}

// matches reports whether the entry holds the header block of x's answer.
func (e *h2head) matches(x *exchange) bool {
	return len(e.block) > 0 && e.status == x.status && e.length == len(x.out) &&
		e.ctype == x.ctype && slices.Equal(e.hdr, x.hdr)
}

// answerHead returns the header block of x's answer: a kept one, or one
// the encoder writes to h.hbuf. The block is valid until the next call.
func (h *h2conn) answerHead(x *exchange) []byte {
	for i := range h.heads {
		if e := &h.heads[i]; e.matches(x) {
			return e.block
		}
	}
	h.hbuf.Reset()
	h.henc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(x.status)})
	h.henc.WriteField(hpack.HeaderField{Name: "content-type", Value: x.ctype})
	h.henc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(len(x.out))})
	for _, f := range x.hdr {
		name := lowerName(f.name)
		if h2Skip(name) {
			continue
		}
		h.henc.WriteField(hpack.HeaderField{Name: name, Value: f.value})
	}
	block := h.hbuf.Bytes()
	if !hpackblock.IndexedOnly(block) {
		// The dynamic table changed: the kept blocks may refer to
		// entries that moved or left.
		h.forgetHeads()
		return block
	}
	e := &h.heads[h.nextHead]
	h.nextHead = (h.nextHead + 1) % len(h.heads)
	e.status, e.ctype, e.length = x.status, x.ctype, len(x.out)
	e.hdr = append(e.hdr[:0], x.hdr...)
	e.block = append(e.block[:0], block...)
	return block
}

// forgetHeads empties the kept header blocks, when the encoder's dynamic
// table changes or is about to.
func (h *h2conn) forgetHeads() {
	for i := range h.heads {
		e := &h.heads[i]
		clear(e.hdr)
		e.hdr, e.block = e.hdr[:0], e.block[:0]
	}
}
