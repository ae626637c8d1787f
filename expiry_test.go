package mipush_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// inMemoryPair starts an in-memory fake server and a client dialling it
// through net.Pipe, for use inside a synctest bubble.
func inMemoryPair(t *testing.T, h2 bool, opts mipush.Options) (*mipushtest.Server, *mipush.Client) {
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2, InMemory: true})
	opts.AppSecret = "s"
	opts.Host = srv.Host()
	opts.TLSConfig = srv.ClientTLSConfig()
	if opts.DialContext == nil {
		opts.DialContext = srv.DialContext
	}
	c := mipush.NewClient(opts)
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		srv.Close()
	})
	return srv, c
}

// The x/net HTTP/2 server keeps channels in package-level pools, which a
// synctest bubble must not share with other tests: time-based tests run
// in a bubble against the HTTP/1.1 fake server only, and again against
// both protocols in real time with waits that end on events.

func TestConnectionRecycledOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := newOutcomes()
		srv, c := inMemoryPair(t, false, out.options(mipush.Options{Conns: 1, ConnMaxAge: time.Minute}))
		ctx := context.Background()
		const n = 400
		for i := range n {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
			if i%100 == 99 {
				time.Sleep(35 * time.Second) // fake time: the connection ages
			}
		}
		require.NoError(t, c.Flush(ctx))
		assert.Empty(t, out.failed)
		assert.Len(t, out.ok, n)
		assert.Equal(t, int64(n), srv.Count(), "every send reached the server once")
		// 140 s of sending with a 60 s lifetime: the first connection and
		// two replacements.
		assert.Equal(t, 3, srv.Stats().Conns)
	})
}

func TestConnectionRecycledUnderLoad(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		out := newOutcomes()
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2, NoRecording: true})
		defer srv.Close()
		var dials atomic.Int32
		var d net.Dialer
		c := mipush.NewClient(out.options(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
			Conns: 2, ConnMaxAge: 20 * time.Millisecond,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return d.DialContext(ctx, network, addr)
			},
		}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sent := 0
		// Send until every slot has recycled its connection at least twice.
		for dials.Load() < 6 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(sent)))
			sent++
		}
		require.NoError(t, c.Close())
		assert.Empty(t, out.failed)
		assert.Len(t, out.ok, sent)
		assert.Equal(t, int64(sent), srv.Count(), "every send reached the server once")
	})
}

func TestRequestTimeoutOnFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c := inMemoryPair(t, false, mipush.Options{Conns: 1, RequestTimeout: 5 * time.Second})
		srv.FailTarget("slow", &mipushtest.Answer{Action: mipushtest.Stall})
		start := time.Now()
		_, err := c.PushToRegID(context.Background(), []string{"slow"}, note(1))
		require.Error(t, err)
		assert.ErrorIs(t, err, mipush.ErrMaybeProcessed)
		assert.Equal(t, 5*time.Second, time.Since(start), "fake clock: exactly the timeout")

		// The client recovers: the next send succeeds.
		res, err := c.PushToRegID(context.Background(), []string{"fast"}, note(2))
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
	})
}

func TestRequestTimeout(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, RequestTimeout: 50 * time.Millisecond})
		srv.FailTarget("slow", &mipushtest.Answer{Action: mipushtest.Stall})
		_, err := c.PushToRegID(context.Background(), []string{"slow"}, note(1))
		require.Error(t, err)
		assert.ErrorIs(t, err, mipush.ErrMaybeProcessed)
		res, err := c.PushToRegID(context.Background(), []string{"fast"}, note(2))
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
	})
}

func TestDialFailureFailsSends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		refused := errors.New("connection refused (test)")
		var dials atomic.Int32
		var got *mipush.SendError
		_, c := inMemoryPair(t, false, mipush.Options{
			Conns: 2,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return nil, refused
			},
			OnError: func(e *mipush.SendError) { got = e },
		})
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.ErrorIs(t, err, refused)
		assert.False(t, errors.Is(err, mipush.ErrMaybeProcessed), "a request never written is not maybe processed")

		require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, note(2)))
		require.NoError(t, c.Flush(context.Background()))
		require.NotNil(t, got)
		assert.ErrorIs(t, got, refused)
		assert.Equal(t, 0, got.Attempts)
		assert.Greater(t, dials.Load(), int32(2))
	})
}
