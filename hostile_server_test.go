package mipush_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush"
)

// hostileTLS returns a server certificate for "example.com" and a client
// config that trusts it, taken from an httptest server made (and closed)
// outside any synctest bubble.
func hostileTLS(t *testing.T) (server, client *tls.Config) {
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.StartTLS()
	defer ts.Close()
	client = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	client.ServerName = "example.com"
	return &tls.Config{Certificates: ts.TLS.Certificates, NextProtos: []string{"h2"}}, client
}

// hostileH2 is an in-memory HTTP/2 "server" for a synctest bubble: each
// connection the client dials is a net.Pipe whose far end, after the TLS
// handshake and the client preface, reads frames on one goroutine
// (acknowledging SETTINGS and PING, passing other frames to onFrame, and
// stopping for good when onFrame returns false) and runs serve on another.
type hostileH2 struct {
	tls     *tls.Config
	first   func(fr *http2.Framer) // the server's first frames, before anything else; nil: none
	serve   func(w *frameWriter)
	onFrame func(http2.Frame) bool // nil: read everything
	silent  bool                   // read, never answer (no SETTINGS ack either)
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	dials   atomic.Int32
	closing chan struct{} // closed by close
}

// frameWriter serialises the writes of a hostile connection's goroutines.
// Its lock is a channel, on which synctest sees a goroutine durably
// blocked (so fake time moves on), unlike a sync.Mutex.
type frameWriter struct {
	lock chan struct{} // capacity 1
	fr   *http2.Framer
	done chan struct{} // closed when the connection ends
}

func (w *frameWriter) write(f func(fr *http2.Framer) error) error {
	w.lock <- struct{}{}
	defer func() { <-w.lock }()
	return f(w.fr)
}

func (h *hostileH2) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	h.dials.Add(1)
	cli, srv := net.Pipe()
	h.mu.Lock()
	h.conns = append(h.conns, srv)
	h.mu.Unlock()
	h.wg.Go(func() {
		defer srv.Close()
		tc := tls.Server(srv, h.tls)
		if tc.Handshake() != nil {
			return
		}
		br := bufio.NewReader(tc)
		if _, err := io.ReadFull(br, make([]byte, len(http2.ClientPreface))); err != nil {
			return
		}
		w := &frameWriter{lock: make(chan struct{}, 1), fr: http2.NewFramer(tc, br), done: make(chan struct{})}
		if h.first != nil {
			h.first(w.fr)
		}
		h.wg.Go(func() {
			defer close(w.done)
			for {
				fm, err := w.fr.ReadFrame()
				if err != nil {
					return
				}
				if h.silent {
					continue
				}
				switch fm := fm.(type) {
				case *http2.SettingsFrame:
					if !fm.IsAck() {
						w.write(func(fr *http2.Framer) error { return fr.WriteSettingsAck() })
					}
				case *http2.PingFrame:
					if !fm.IsAck() {
						w.write(func(fr *http2.Framer) error { return fr.WritePing(true, fm.Data) })
					}
				}
				if h.onFrame != nil && !h.onFrame(fm) {
					<-h.closing // read nothing more until the test ends
					return
				}
			}
		})
		if h.serve != nil {
			h.serve(w)
		}
		<-w.done
	})
	return cli, nil
}

// close ends every connection and waits for its goroutines.
func (h *hostileH2) close() {
	close(h.closing)
	h.mu.Lock()
	for _, c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// hostileClient is a client of h with short timeouts, the bound of its
// queue being DialTimeout + RequestTimeout = 2 s.
func hostileClient(t *testing.T, h *hostileH2, client *tls.Config, onError func(*mipush.SendError)) *mipush.Client {
	return mipush.NewClient(mipush.Options{
		AppSecret: "s", Host: "example.com", TLSConfig: client, Proxy: mipush.NoProxy,
		DialContext: h.dial, Conns: 1, Window: 4, MaxPending: 1024,
		RequestTimeout: time.Second, DialTimeout: time.Second,
		OnError: onError,
	})
}

// checkQueueBound sends async and sync against h and checks that each send
// fails within 1.25 × QueueTimeout with ErrQueueTimeout, not a context error.
func checkQueueBound(t *testing.T, h *hostileH2, client *tls.Config) {
	var mu sync.Mutex
	var errs []error
	c := hostileClient(t, h, client, func(se *mipush.SendError) {
		mu.Lock()
		errs = append(errs, se)
		mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	for i := range 5 {
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
	}
	_, err := c.PushToRegID(ctx, []string{"r"}, note(9))
	mu.Lock()
	errs = append(errs, err)
	mu.Unlock()
	require.NoError(t, c.Flush(ctx), "every async send has its outcome before the caller's context ends")
	took := time.Since(start)
	require.NoError(t, c.Close())
	h.close()
	t.Logf("6 sends failed in %v (fake time)", took)
	assert.LessOrEqual(t, took, 2500*time.Millisecond, "1.25 × QueueTimeout")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, errs, 6)
	for _, err := range errs {
		require.ErrorIs(t, err, mipush.ErrQueueTimeout)
		assert.False(t, errors.Is(err, context.DeadlineExceeded), "no context of the caller's ended: %v", err)
		assert.False(t, errors.Is(err, mipush.ErrMaybeProcessed))
	}
}

// A server that allows no stream (SETTINGS_MAX_CONCURRENT_STREAMS = 0):
// queued sends, async and sync, fail within the queue bound.
func TestQueueBoundNoStreamsAllowed(t *testing.T) {
	srvTLS, cliTLS := hostileTLS(t)
	synctest.Test(t, func(t *testing.T) {
		h := &hostileH2{tls: srvTLS, closing: make(chan struct{}), first: func(fr *http2.Framer) {
			fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 0})
		}}
		checkQueueBound(t, h, cliTLS)
	})
}

// A server that never completes the HTTP/2 handshake (no SETTINGS).
func TestQueueBoundNoSettings(t *testing.T) {
	srvTLS, cliTLS := hostileTLS(t)
	synctest.Test(t, func(t *testing.T) {
		h := &hostileH2{tls: srvTLS, closing: make(chan struct{}), silent: true}
		checkQueueBound(t, h, cliTLS)
	})
}

// A server that answers every new connection with GOAWAY(last stream 0).
func TestQueueBoundGoAwayAtOnce(t *testing.T) {
	srvTLS, cliTLS := hostileTLS(t)
	synctest.Test(t, func(t *testing.T) {
		h := &hostileH2{tls: srvTLS, closing: make(chan struct{}), first: func(fr *http2.Framer) {
			fr.WriteSettings()
			fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		}}
		checkQueueBound(t, h, cliTLS)
	})
}

// On HTTP/2, RequestTimeout holds while the writer is blocked: a server
// that grants large windows, stops reading and keeps the connection alive
// with PINGs does not hold sends without an outcome.
func TestRequestTimeoutWhileWriterBlocked(t *testing.T) {
	srvTLS, cliTLS := hostileTLS(t)
	synctest.Test(t, func(t *testing.T) {
		h := &hostileH2{tls: srvTLS, closing: make(chan struct{}),
			// Read until the client acknowledges our SETTINGS, then stop
			// reading for good.
			onFrame: func(fm http2.Frame) bool {
				sf, ok := fm.(*http2.SettingsFrame)
				return !ok || !sf.IsAck()
			},
			// Grant large windows, then keep the connection alive with a
			// PING now and then (fewer than the client's cap of unanswered
			// ones).
			first: func(fr *http2.Framer) {
				fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
				fr.WriteWindowUpdate(0, 1<<30)
			},
			serve: func(w *frameWriter) {
				for range 50 {
					select {
					case <-time.After(900 * time.Millisecond):
					case <-w.done:
						return
					}
					if w.write(func(fr *http2.Framer) error { return fr.WritePing(false, [8]byte{1}) }) != nil {
						return
					}
				}
			},
		}
		var outcomes atomic.Int32
		var maybe atomic.Int32
		c := hostileClient(t, h, cliTLS, func(se *mipush.SendError) {
			outcomes.Add(1)
			if errors.Is(se, mipush.ErrMaybeProcessed) {
				maybe.Add(1)
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		const n = 600
		start := time.Now()
		for i := range n {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx), "every send has its outcome before the caller's context ends; %d outcomes, %+v", outcomes.Load(), c.Metrics())
		took := time.Since(start)
		require.NoError(t, c.Close())
		h.close()
		t.Logf("%d outcomes in %v (fake time)", outcomes.Load(), took)
		assert.Equal(t, int32(n), outcomes.Load())
		assert.LessOrEqual(t, took, 2500*time.Millisecond, "written ones fail after RequestTimeout, the rest within 1.25 × QueueTimeout")
		t.Logf("%d maybe processed, %d connections", maybe.Load(), h.dials.Load())
	})
}
