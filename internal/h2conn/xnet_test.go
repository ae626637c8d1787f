//lint:file-ignore SA1019 x/net's http2.Server is deprecated in favour of net/http, but it is a second, independent HTTP/2 implementation served over any net.Conn, which is what these tests need.

package h2conn

// Tests against golang.org/x/net/http2's server: an independent
// implementation of the other side.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// echo answers with the request body and a few headers, of which the
// connection keeps only x-push-* and retry-after.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Push-Path", r.URL.Path)
	w.Header().Set("Retry-After", "7")
	w.Header().Set("X-Other", "dropped")
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func TestRequestShape(t *testing.T) {
	got := make(chan *http.Request, 1)
	f := startX(t, &http2.Server{}, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		got <- r
		echo(w, r)
	}, nil)
	ex := newEx("/v3/message/regid", "a=1&b=2", f.out)
	ex.Req.Header = []wire.Header{{Name: "x-extra", Value: "yes"}}
	f.q <- ex

	o := <-f.out
	require.NoError(t, o.err)
	r := <-got
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/v3/message/regid", r.URL.Path)
	assert.Equal(t, "push.example", r.Host)
	assert.Equal(t, "key=secret", r.Header.Get("Authorization"))
	assert.Equal(t, wire.ContentTypeForm, r.Header.Get("Content-Type"))
	assert.Equal(t, int64(7), r.ContentLength)
	assert.Equal(t, "h2conn-test", r.Header.Get("User-Agent"))
	assert.Equal(t, "yes", r.Header.Get("X-Extra"))

	assert.Equal(t, 200, o.status)
	assert.Equal(t, "a=1&b=2", o.body)
	assert.ElementsMatch(t, []wire.Header{
		{Name: "x-push-path", Value: "/v3/message/regid"},
		{Name: "retry-after", Value: "7"},
	}, o.header)
	assert.Equal(t, "h2", f.c.Protocol())
}

// TestManyConcurrentStreams holds every handler until n requests are in
// the server at once, so it passes only if n streams really are concurrent.
func TestManyConcurrentStreams(t *testing.T) {
	const n = 64
	var arrived atomic.Int32
	all := make(chan struct{})
	f := startX(t, &http2.Server{}, func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
		case <-r.Context().Done():
			return
		}
		echo(w, r)
	}, func(c *wire.Config) { c.Window = n })

	exs := make(map[*wire.Exchange]string)
	for i := range n {
		body := fmt.Sprintf("msg=%d", i)
		ex := newEx("/v3/message/regid", body, f.out)
		exs[ex] = body
		f.q <- ex
	}
	for range n {
		o := <-f.out
		require.NoError(t, o.err)
		assert.Equal(t, exs[o.ex], o.body, "response matched to the wrong request")
		delete(exs, o.ex)
	}
	assert.Empty(t, exs)
	assert.Equal(t, 0, f.c.InFlight())
}

// TestPeerMaxConcurrentStreams: the server allows 3 streams; x/net refuses
// any stream beyond that, which would fail exchanges.
func TestPeerMaxConcurrentStreams(t *testing.T) {
	const limit, n = 3, 30
	var cur, peak atomic.Int32
	reached := make(chan struct{})
	var once sync.Once
	f := startX(t, &http2.Server{MaxConcurrentStreams: limit}, func(w http.ResponseWriter, r *http.Request) {
		c := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		if c == limit {
			once.Do(func() { close(reached) })
		}
		// The first handlers wait until the limit is reached, so the
		// client is seen to use all of it.
		select {
		case <-reached:
		case <-r.Context().Done():
			return
		}
		echo(w, r)
	}, func(c *wire.Config) { c.Window = 100 })

	for i := range n {
		f.q <- newEx("/p", fmt.Sprint(i), f.out)
	}
	for range n {
		o := <-f.out
		require.NoError(t, o.err)
		assert.Equal(t, 200, o.status)
	}
	assert.Equal(t, int32(limit), peak.Load())
}

// TestLargeRequestBody sends bodies far larger than the server's windows,
// so the writer must wait for WINDOW_UPDATE, on several streams at once.
func TestLargeRequestBody(t *testing.T) {
	f := startX(t, &http2.Server{
		MaxUploadBufferPerStream:     1 << 16,
		MaxUploadBufferPerConnection: 1 << 16,
	}, func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d:%s", n, hex.EncodeToString(h.Sum(nil)))
	}, nil)

	want := map[*wire.Exchange]string{}
	for i := range 3 {
		body := strings.Repeat(fmt.Sprintf("%d-abcdefghijklmnopqrstuvwxyz", i), 40000) // ~1.1 MB
		sum := sha256.Sum256([]byte(body))
		ex := newEx("/big", body, f.out)
		want[ex] = fmt.Sprintf("%d:%s", len(body), hex.EncodeToString(sum[:]))
		f.q <- ex
	}
	// A small one behind them completes too.
	small := newEx("/small", "x=1", f.out)
	want[small] = fmt.Sprintf("3:%x", sha256.Sum256([]byte("x=1")))
	f.q <- small
	for range want {
		o := <-f.out
		require.NoError(t, o.err)
		assert.Equal(t, want[o.ex], o.body)
	}
}

// TestLargeResponseCapped fails only the exchange whose response is too
// large; the connection carries on.
func TestLargeResponseCapped(t *testing.T) {
	f := startX(t, &http2.Server{}, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write([]byte(strings.Repeat("x", 100<<10)))
			return
		}
		echo(w, r)
	}, func(c *wire.Config) { c.MaxBody = 10 << 10 })

	f.q <- newEx("/big", "", f.out)
	o := <-f.out
	we := wireErr(t, o.err)
	assert.ErrorIs(t, we, wire.ErrBodyTooLarge)
	assert.False(t, we.NotProcessed)

	f.q <- newEx("/small", "still=alive", f.out)
	o = <-f.out
	require.NoError(t, o.err)
	assert.Equal(t, "still=alive", o.body)
}

// TestGoAwayFromServer: x/net's server answers "Connection: close" with a
// graceful GOAWAY. Every exchange either gets its response or comes back
// NotProcessed, and the connection ends cleanly.
func TestGoAwayFromServer(t *testing.T) {
	const n = 20
	var arrived atomic.Int32
	release := make(chan struct{})
	f := startX(t, &http2.Server{}, func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
			echo(w, r)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		echo(w, r)
	}, nil)

	for i := range n {
		f.q <- newEx("/hold", fmt.Sprint(i), f.out)
	}
	closer := newEx("/close", "bye", f.out)
	f.q <- closer

	var ok, refused int
	got := map[*wire.Exchange]bool{}
	// The closer's response comes first: the others are held.
	o := <-f.out
	require.Same(t, closer, o.ex)
	require.NoError(t, o.err)
	close(release)
	for range n {
		o := <-f.out
		got[o.ex] = true
		if o.err == nil {
			ok++
			continue
		}
		we := wireErr(t, o.err)
		require.True(t, we.NotProcessed, "%v", o.err)
		var ga *GoAwayError
		require.ErrorAs(t, o.err, &ga)
		refused++
	}
	assert.Equal(t, n, len(got))
	assert.Equal(t, int(arrived.Load())-1, ok, "exactly the requests the server saw succeed")
	<-f.c.Done()
	assert.NoError(t, <-f.closed)

	// The connection took nothing after the GOAWAY.
	f.q <- newEx("/late", "", f.out)
	assert.Len(t, f.q, 1)
	<-f.q
}

// TestContinuation sends a header block larger than the peer's maximum
// frame size, so it is split into HEADERS and CONTINUATION.
func TestContinuation(t *testing.T) {
	big := strings.Repeat("v", 40<<10)
	f := startX(t, &http2.Server{}, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, len(r.Header.Get("X-Big")) == len(big))
	}, nil)
	ex := newEx("/h", "", f.out)
	ex.Req.Header = []wire.Header{{Name: "x-big", Value: big}}
	f.q <- ex
	o := <-f.out
	require.NoError(t, o.err)
	assert.Equal(t, "true", o.body)
}
