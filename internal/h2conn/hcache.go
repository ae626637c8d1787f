package h2conn

import (
	"github.com/mipush-go/mipush/internal/hpackblock"
	"github.com/mipush-go/mipush/internal/wire"
)

// headerCache remembers the header block of the last request shape
// (method, path, authorization) when hpack encoded it as references to
// table entries only. Replaying those bytes then changes neither table,
// so it stays right until the encoder's dynamic table changes: a request
// of another shape that adds an entry, or a new table size. A bulk send
// thus skips hpack's table searches for all but a few requests.
type headerCache struct {
	valid              bool
	method, path, auth string
	pre, post          []byte // the fields before and after content-length
}

// hit reports whether req has the cached shape.
func (h *headerCache) hit(req *wire.Request) bool {
	return h.valid && len(req.Header) == 0 && req.Method == h.method && req.Path == h.path && req.Auth == h.auth
}

// update records a block just encoded by hpack for req, pre and post being
// its parts before and after content-length. A block that changed the
// dynamic table invalidates what the cache holds.
func (h *headerCache) update(req *wire.Request, pre, post []byte) {
	if !hpackblock.IndexedOnly(pre) || !hpackblock.IndexedOnly(post) {
		h.valid = false
		return
	}
	if len(req.Header) > 0 {
		return // the table did not change: what the cache holds stays right
	}
	h.valid = true
	h.method, h.path, h.auth = req.Method, req.Path, req.Auth
	h.pre = append(h.pre[:0], pre...)
	h.post = append(h.post[:0], post...)
}
