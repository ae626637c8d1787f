package mipush_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// within fails the test if f has not returned after d: a watchdog for
// code that used to hang, so a regression fails instead of stalling the
// suite. It is not synchronisation: f's result is all that is checked.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		t.Fatalf("still running after %v (deadlock?)\n%s", d, buf[:runtime.Stack(buf, true)])
	}
}

// A callback that sends, async or sync, while the client is at MaxPending
// does not deadlock, and Close then returns.
func TestResendFromOnErrorAtMaxPending(t *testing.T) {
	for _, maxPending := range []int{1, 4} {
		protocols(t, func(t *testing.T, h2 bool) {
			srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
			defer srv.Close()
			srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets"))
			const n = 200
			var c *mipush.Client
			var failed, succeeded, syncOK atomic.Int64
			c = mipush.NewClient(mipush.Options{
				AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
				Conns: 1, Window: 2, MaxPending: maxPending,
				OnError: func(se *mipush.SendError) {
					failed.Add(1)
					ctx := context.Background()
					assert.NoError(t, c.PushToRegIDAsync(ctx, []string{"good"}, se.Message))
					_, err := c.PushToRegID(ctx, []string{"good"}, se.Message)
					if assert.NoError(t, err) {
						syncOK.Add(1)
					}
				},
				OnSuccess: func(*mipush.SendResult) { succeeded.Add(1) },
			})
			start := time.Now()
			within(t, 60*time.Second, func() {
				for i := range n {
					require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"bad"}, note(i)))
				}
				require.NoError(t, c.Flush(context.Background()))
				require.NoError(t, c.Close())
			})
			t.Logf("MaxPending %d: %d outcomes in %v", maxPending, failed.Load()+succeeded.Load()+syncOK.Load(), time.Since(start))
			assert.Equal(t, int64(n), failed.Load())
			assert.Equal(t, int64(n), succeeded.Load())
			assert.Equal(t, int64(n), syncOK.Load())
			assert.Equal(t, int64(3*n), srv.Count())
		})
	}
}

// A Flush in every OnError costs linear time: delivery does not nest one
// stack level per queued outcome, so the stack a callback runs on stays as
// deep as the first one's however many outcomes wait behind.
func TestFlushInEveryCallbackIsIterative(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets"))
		n := 2000
		if v, err := strconv.Atoi(os.Getenv("MIPUSH_REENTRY_N")); err == nil && v > 0 {
			n = v // for measuring: MIPUSH_REENTRY_N=20000
		}
		var c *mipush.Client
		var mu sync.Mutex
		var outcomes, minDepth, maxDepth int
		c = mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
			OnError: func(*mipush.SendError) {
				depth := runtime.Callers(0, make([]uintptr, 4096))
				mu.Lock()
				outcomes++
				if minDepth == 0 || depth < minDepth {
					minDepth = depth
				}
				maxDepth = max(maxDepth, depth)
				mu.Unlock()
				assert.NoError(t, c.Flush(context.Background()))
			},
		})
		start := time.Now()
		within(t, 120*time.Second, func() {
			for i := range n {
				require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"bad"}, note(i)))
			}
			require.NoError(t, c.Flush(context.Background()))
			require.NoError(t, c.Close())
		})
		t.Logf("%d outcomes, Flush in each callback: %v; stack depth %d..%d", outcomes, time.Since(start), minDepth, maxDepth)
		assert.Equal(t, n, outcomes)
		assert.LessOrEqual(t, maxDepth, minDepth+2, "callbacks nest on one stack")
	})
}

// Callbacks that make no waiting call never overlap.
func TestCallbacksOneAtATime(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var running, most, count atomic.Int32
		cb := func() {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			runtime.Gosched()
			count.Add(1)
			running.Add(-1)
		}
		srv, c := newPair(t, h2, mipush.Options{
			OnSuccess: func(*mipush.SendResult) { cb() },
			OnError:   func(*mipush.SendError) { cb() },
		})
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets"))
		for i := range 500 {
			target := "good"
			if i%2 == 0 {
				target = "bad"
			}
			require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{target}, note(i)))
		}
		require.NoError(t, c.Flush(context.Background()))
		assert.Equal(t, int32(500), count.Load())
		assert.Equal(t, int32(1), most.Load())
	})
}
