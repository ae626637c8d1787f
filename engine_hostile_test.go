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

// A sync send whose first attempt may have been processed, and whose
// context ends during the backoff before the retry, reports a *SendError
// that is ErrMaybeProcessed, never a bare context error.
func TestContextEndsInBackoffAfterMaybeProcessed(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, RetryMaybeProcessed: true, RetryBudget: -1})
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
			return mipushtest.StatusAnswer(502) // may have been processed
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
			done <- err
		}()
		// The first attempt has failed and its retry waits for its
		// backoff (at least 100 ms): end the context now.
		require.Eventually(t, func() bool { return c.Metrics().Retried == 1 }, 10*time.Second, time.Millisecond)
		cancel()
		err := <-done
		var se *mipush.SendError
		require.ErrorAs(t, err, &se)
		require.ErrorIs(t, err, mipush.ErrMaybeProcessed)
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, errors.Is(err, context.DeadlineExceeded))
	})
}

// Close returns within CloseTimeout (and a second's grace for callbacks)
// even when a callback blocks; the callback runs on after it.
func TestCloseBoundedWhenCallbackBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var errs atomic.Int32
		c := mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: "127.0.0.1:1", Proxy: mipush.NoProxy, CloseTimeout: 2 * time.Second,
			DialContext: func(context.Context, string, string) (net.Conn, error) {
				return nil, errors.New("unreachable")
			},
			OnError: func(*mipush.SendError) {
				errs.Add(1)
				<-release
			},
		})
		for i := range 3 {
			require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, note(i)))
		}
		start := time.Now()
		require.ErrorIs(t, c.Close(), context.DeadlineExceeded)
		took := time.Since(start)
		assert.LessOrEqual(t, took, 3*time.Second, "CloseTimeout 2 s plus 1 s grace")
		assert.Equal(t, int32(1), errs.Load(), "the first callback blocks the others")
		close(release)
		synctest.Wait()
		assert.Equal(t, int32(3), errs.Load(), "the callbacks behind it ran after Close")
	})
}

// connObserver calls back into the client from its hooks.
type connObserver struct {
	c      *mipush.Client
	opened atomic.Int32
	closed atomic.Int32
}

func (o *connObserver) RequestDone(mipush.RequestInfo) { o.c.Metrics() }
func (o *connObserver) ConnOpened(mipush.ConnInfo)     { o.c.Metrics(); o.opened.Add(1) }
func (o *connObserver) ConnClosed(mipush.ConnInfo, error) {
	o.c.Metrics()
	o.closed.Add(1)
}

// Observer hooks run with no lock held: one that calls Metrics does not
// deadlock the pool, nor Close.
func TestObserverMayCallMetrics(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		o := &connObserver{}
		o.c = mipush.NewClient(mipush.Options{AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), Conns: 2, Observer: o})
		within(t, 30*time.Second, func() {
			_, err := o.c.PushToRegID(context.Background(), []string{"r"}, note(1))
			require.NoError(t, err)
			require.NoError(t, o.c.Close())
		})
		assert.GreaterOrEqual(t, o.opened.Load(), int32(1))
		assert.Equal(t, o.opened.Load(), o.closed.Load(), "every connection opened was reported closed")
	})
}

// A server that never sends its SETTINGS does not stall Metrics (nor
// other work under the pool's locks) while the handshake waits.
func TestHandshakeHoldsNoLock(t *testing.T) {
	srvTLS, cliTLS := hostileTLS(t)
	synctest.Test(t, func(t *testing.T) {
		h := &hostileH2{tls: srvTLS, closing: make(chan struct{}), silent: true}
		c := mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: "example.com", TLSConfig: cliTLS, Proxy: mipush.NoProxy,
			DialContext: h.dial, Conns: 1, DialTimeout: time.Hour,
		})
		require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, note(1)))
		synctest.Wait() // the dial now waits for the server's SETTINGS
		done := make(chan mipush.Metrics, 1)
		go func() { done <- c.Metrics() }()
		var m mipush.Metrics
		select {
		case m = <-done:
		case <-time.After(time.Minute): // fake time: Metrics is stuck behind the handshake
			t.Fatal("Metrics waited for the HTTP/2 handshake")
		}
		assert.Equal(t, int64(1), m.Pending)
		require.Error(t, c.Shutdown(canceledContext()))
		h.close()
	})
}

func canceledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
