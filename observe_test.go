package mipush_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// recorder is an Observer that counts what it is told.
type recorder struct {
	mu      sync.Mutex
	done    []mipush.RequestInfo
	opened  int
	closed  int
	protocs map[string]int
}

func (r *recorder) RequestDone(i mipush.RequestInfo) {
	r.mu.Lock()
	r.done = append(r.done, i)
	r.mu.Unlock()
}

func (r *recorder) ConnOpened(c mipush.ConnInfo) {
	r.mu.Lock()
	r.opened++
	if r.protocs == nil {
		r.protocs = map[string]int{}
	}
	r.protocs[c.Protocol]++
	r.mu.Unlock()
}

func (r *recorder) ConnClosed(mipush.ConnInfo, error) {
	r.mu.Lock()
	r.closed++
	r.mu.Unlock()
}

func TestMetricsAndObserver(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		obs := &recorder{}
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "No valid targets!"))
		c := mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), Conns: 2,
			Observer: obs,
			OnError:  func(*mipush.SendError) {},
		})
		ctx := context.Background()
		for i := range 99 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"bad"}, note(99)))
		require.NoError(t, c.Flush(ctx))

		m := c.Metrics()
		assert.Equal(t, int64(100), m.Accepted)
		assert.Equal(t, int64(len(srv.Requests())), m.Requests, "every request the server had")
		assert.Equal(t, int64(100), m.Requests)
		assert.Equal(t, int64(99), m.Succeeded)
		assert.Equal(t, int64(1), m.Failed)
		assert.Equal(t, int64(1), m.FailedAPI)
		assert.Zero(t, m.MaybeProcessed)
		assert.Zero(t, m.Pending)
		assert.Zero(t, m.InFlight)
		// Both slots dial at once; one may still be dialling when the
		// sends are done, so ask for consistency rather than a count.
		assert.Equal(t, int64(m.ConnsOpen), m.ConnsDialled)
		assert.GreaterOrEqual(t, m.ConnsOpen, 1)
		assert.LessOrEqual(t, m.ConnsOpen, 2)
		assert.Equal(t, mipush.DefaultWindow, m.Window)
		assert.Equal(t, int64(mipush.DefaultRetryBudget), m.RetryBudget)

		require.NoError(t, c.Close())
		obs.mu.Lock()
		defer obs.mu.Unlock()
		require.Len(t, obs.done, 100)
		failed := 0
		for _, d := range obs.done {
			assert.Equal(t, "/v3/message/regid", d.Path)
			assert.Equal(t, 1, d.Attempts)
			assert.Positive(t, d.Latency)
			if d.Err != nil {
				failed++
			}
		}
		assert.Equal(t, 1, failed)
		assert.GreaterOrEqual(t, obs.opened, 1)
		assert.Equal(t, obs.opened, obs.closed, "every opened connection is reported closed")
		want := "http/1.1"
		if h2 {
			want = "h2"
		}
		assert.Equal(t, obs.opened, obs.protocs[want])
	})
}

// Requests counts requests, not messages: a batch is one, a retry another.
func TestMetricsRequestsCountsRequests(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Batch: batchOn(10, time.Hour), RetryBudget: -1})
		ctx := context.Background()
		for i := range 10 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		var refused atomic.Bool
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
			if refused.CompareAndSwap(false, true) {
				return mipushtest.ErrorAnswer(10002, "busy") // retryable: one retry
			}
			return nil
		})
		_, err := c.PushToRegID(ctx, []string{"r"}, note(10))
		require.NoError(t, err)
		m := c.Metrics()
		assert.Equal(t, int64(11), m.Accepted)
		assert.Equal(t, int64(3), m.Requests, "one batch of ten, one refused attempt, its retry")
		assert.Equal(t, int64(len(srv.Requests())), m.Requests)
		assert.Equal(t, int64(1), m.Retried)
	})
}

func TestLoggerNeverLogsSecret(t *testing.T) {
	const secret = "very-secret-value"
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := newPair(t, false, mipush.Options{AppSecret: secret, Logger: logger, MaxAttempts: 1},
		mipushtest.Options{Secrets: []string{"other"}})
	_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.True(t, mipush.IsAuth(err))
	require.NoError(t, c.Close())
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	out := buf.String()
	assert.Contains(t, out, "connection opened")
	assert.Contains(t, out, "client-side stop started")
	assert.NotContains(t, out, secret)
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
