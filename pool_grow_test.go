package mipush_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// holdUntilConns makes srv hold every connection's requests until requests
// have arrived on n distinct connections, or for at most 10 s, so that a
// pool that does not grow fails the test rather than hanging it.
func holdUntilConns(srv *mipushtest.Server, n int) {
	deadline := time.Now().Add(10 * time.Second)
	var mu sync.Mutex
	seen := map[int]bool{}
	release := make(chan struct{})
	srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
		mu.Lock()
		if !seen[r.Conn] {
			seen[r.Conn] = true
			if len(seen) == n {
				close(release)
			}
		}
		mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case <-release:
		case <-t.C:
		}
		return nil
	})
}

// sendAndFlush sends n messages asynchronously, waits for their outcomes,
// and checks that all succeeded.
func sendAndFlush(t *testing.T, c *mipush.Client, o *outcomes, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
	}
	require.NoError(t, c.Flush(ctx))
	assert.EqualValues(t, n, o.okCount.Load())
}

// A server allowing fewer streams than Window gets extra connections, as
// many as Conns × Window in flight need, up to four times Conns.
func TestExtraConnsForStreamLimit(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		conns, window, streams int
		want                   int
	}{
		{"as many as the window needs", 2, 4, 2, 4},
		{"at most four times Conns", 1, 8, 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOutcomes()
			srv, c := newPair(t, true, o.options(mipush.Options{Conns: tc.conns, Window: tc.window}),
				mipushtest.Options{MaxConcurrentStreams: uint32(tc.streams)})
			holdUntilConns(srv, tc.want)
			sendAndFlush(t, c, o, tc.conns*tc.window)
			st := srv.Stats()
			assert.Equal(t, tc.want, st.Conns, "connections")
			assert.LessOrEqual(t, st.MaxInFlight, int64(tc.streams))
		})
	}
}

// HTTP/1.1 has no stream limit: the pool keeps Conns connections.
func TestNoExtraConnsOnHTTP1(t *testing.T) {
	o := newOutcomes()
	srv, c := newPair(t, false, o.options(mipush.Options{Conns: 1, Window: 8}))
	holdUntilConns(srv, 1)
	sendAndFlush(t, c, o, 16)
	assert.Equal(t, 1, srv.Stats().Conns)
}

// Extra connections close at ConnMaxAge and are not replaced; the Conns
// connections are.
func TestExtraConnsEndAtMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: true, InMemory: true, MaxConcurrentStreams: 1})
		o := newOutcomes()
		c := mipush.NewClient(o.options(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), DialContext: srv.DialContext,
			Conns: 1, Window: 4, ConnMaxAge: time.Minute,
		}))
		defer srv.Close()
		defer c.Close()
		holdUntilConns(srv, 4)
		sendAndFlush(t, c, o, 4)
		assert.Equal(t, 4, srv.Stats().OpenConns)

		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		st := srv.Stats()
		assert.Equal(t, 1, st.OpenConns, "the replacement of the Conns connection only")
		assert.Equal(t, 5, st.Conns)
		assert.Equal(t, 1, c.Metrics().ConnsOpen)
	})
}
