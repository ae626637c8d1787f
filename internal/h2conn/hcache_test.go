package h2conn

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/wire"
)

// TestHeaderCacheMatchesHPACK encodes a random mix of request shapes,
// extra headers and table size changes, and decodes every block with one
// decoder, as a server would: the cache must never put the tables out of
// step, and it must be used.
func TestHeaderCacheMatchesHPACK(t *testing.T) {
	c := &Conn{cfg: wire.Config{Authority: "api.example.com", UserAgent: "test-agent"}}
	c.hw.b = &c.hbuf
	c.henc = hpack.NewEncoder(&c.hw)
	var got []hpack.HeaderField
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { got = append(got, f) })

	rng := rand.New(rand.NewPCG(1, 2))
	paths := []string{"/v3/message/regid", "/v3/message/alias", "/v2/message/topic"}
	auths := []string{"key=one", "key=two"}
	hits := 0
	for i := range 5000 {
		req := wire.Request{
			Method: "POST",
			Path:   paths[rng.IntN(len(paths))],
			Auth:   auths[rng.IntN(len(auths))],
			Body:   make([]byte, rng.IntN(5000)),
		}
		if rng.IntN(4) != 0 { // mostly one shape, as in a bulk send
			req.Path, req.Auth = paths[0], auths[0]
		}
		if rng.IntN(50) == 0 {
			req.Header = []wire.Header{{Name: "x-extra", Value: "v" + strconv.Itoa(rng.IntN(3))}}
		}
		// hpack's encoder never grows its table back, so sizes only
		// shrink: roomy first, then too small to hold every field.
		resized := i%1000 == 999
		if resized {
			c.wTableSize, c.wTableChanged = []uint32{4000, 3000, 2000, 150, 0}[i/1000], true
			c.applyTableSize()
		}
		if c.hcache.hit(&req) {
			hits++
		}
		c.encodeHeaders(&req)
		if resized {
			// RFC 7541 §4.2: the first block after a new size says so.
			require.Equal(t, byte(0x20), c.hbuf[0]&0xe0, "request %d: a table size update first", i)
		}
		got = got[:0]
		_, err := dec.Write(c.hbuf)
		require.NoError(t, err, "request %d", i)
		require.NoError(t, dec.Close())

		want := []hpack.HeaderField{
			{Name: ":method", Value: "POST"},
			{Name: ":scheme", Value: "https"},
			{Name: ":authority", Value: "api.example.com"},
			{Name: ":path", Value: req.Path},
			{Name: "authorization", Value: req.Auth},
			{Name: "content-type", Value: wire.ContentTypeForm},
			{Name: "content-length", Value: strconv.Itoa(len(req.Body))},
			{Name: "user-agent", Value: "test-agent"},
		}
		for _, h := range req.Header {
			want = append(want, hpack.HeaderField{Name: h.Name, Value: h.Value})
		}
		for j := range got {
			got[j].Sensitive = false
		}
		require.Equal(t, want, got, "request %d", i)
	}
	assert.Greater(t, hits, 2500, "the cache is used")
}
