package mipush_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// countingLimiter records every Wait and every Backoff.
type countingLimiter struct {
	waits atomic.Int64
	mu    sync.Mutex
	apps  map[string]int
	slow  []time.Duration
	// block, if set, is called by Wait after it has counted.
	block func(ctx context.Context, n int64) error
}

func (l *countingLimiter) Wait(ctx context.Context, app string, n int) error {
	k := l.waits.Add(int64(n))
	l.mu.Lock()
	if l.apps == nil {
		l.apps = map[string]int{}
	}
	l.apps[app] += n
	l.mu.Unlock()
	if l.block != nil {
		return l.block(ctx, k)
	}
	return nil
}

func (l *countingLimiter) Backoff(app string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.slow = append(l.slow, d)
	if l.apps == nil {
		l.apps = map[string]int{}
	}
	l.apps["backoff:"+app]++
}

func TestAppDigest(t *testing.T) {
	d := mipush.AppDigest("test-secret")
	assert.Len(t, d, 32)
	assert.NotContains(t, d, "test-secret")
	assert.Equal(t, d, mipush.AppDigest("test-secret"))
	assert.NotEqual(t, d, mipush.AppDigest("other-secret"))
}

// Every request the server counts waits for the Limiter: first attempts
// and retries after an answer alike, each under its app's digest.
func TestLimiterPacesEveryAttempt(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		lim := &countingLimiter{}
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, Limiter: lim, MaxAttempts: 3})
		srv.SetSecrets("test-secret", "view-secret")
		var answers atomic.Int64
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			if answers.Add(1) <= 2 {
				return mipushtest.ErrorAnswer(10002, "busy")
			}
			return nil
		})
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r1"}, note(1)) // busy, busy, ok
		require.NoError(t, err)
		_, err = c.WithSecret("view-secret").PushToRegID(ctx, []string{"r2"}, note(2))
		require.NoError(t, err)

		assert.EqualValues(t, srv.Count(), lim.waits.Load(), "one Wait per request the server counted")
		assert.EqualValues(t, 4, lim.waits.Load())
		lim.mu.Lock()
		defer lim.mu.Unlock()
		assert.Equal(t, map[string]int{
			mipush.AppDigest("test-secret"): 3,
			mipush.AppDigest("view-secret"): 1,
		}, lim.apps)
		assert.Empty(t, lim.slow, "a busy answer is not a request to slow down")
	})
}

// A send whose context ends while it waits for the Limiter is not sent.
func TestLimiterWaitEndsWithContext(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		lim := &countingLimiter{block: func(ctx context.Context, _ int64) error {
			<-ctx.Done()
			return ctx.Err()
		}}
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, Limiter: lim})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.PushToRegID(ctx, []string{"r1"}, note(1))
		require.ErrorIs(t, err, context.Canceled)
		err = c.PushToRegIDAsync(ctx, []string{"r1"}, note(1))
		require.ErrorIs(t, err, context.Canceled)
		require.NoError(t, c.Flush(context.Background()))
		assert.Zero(t, srv.Count())
		assert.Zero(t, c.Metrics().Accepted)
	})
}

// "Too frequent" answers reach a Backoffer with the app's digest and the
// client's own pause.
func TestLimiterHearsTooFrequent(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		lim := &countingLimiter{}
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, Limiter: lim, MaxAttempts: 1})
		for _, code := range []int{10027, 10028, 10002} {
			srv.FailPath("/v3/message/regid", mipushtest.ErrorAnswer(code, "slow down"))
			_, err := c.PushToRegID(context.Background(), []string{"r1"}, note(code))
			var ae *mipush.APIError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, code, int(ae.Code))
		}
		lim.mu.Lock()
		defer lim.mu.Unlock()
		require.Len(t, lim.slow, 2, "10027 and 10028, not 10002")
		for _, d := range lim.slow {
			assert.Greater(t, d, time.Duration(0))
		}
		assert.Equal(t, 2, lim.apps["backoff:"+mipush.AppDigest("test-secret")])
	})
}

// RateLimit and a Limiter both apply: the local bucket first.
func TestRateLimitAndLimiterTogether(t *testing.T) {
	lim := &countingLimiter{}
	_, c := newPair(t, false, mipush.Options{Conns: 1, Limiter: lim, RateLimit: 1e6, RateBurst: 10})
	for i := range 5 {
		_, err := c.PushToRegID(context.Background(), []string{"r1"}, note(i))
		require.NoError(t, err)
	}
	assert.EqualValues(t, 5, lim.waits.Load())
}

// A retry waiting for the Limiter when Shutdown's context ends fails
// with ErrClosed instead of holding Shutdown up.
func TestLimiterRetryWaitEndsAtShutdown(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		waiting := make(chan struct{})
		lim := &countingLimiter{block: func(ctx context.Context, n int64) error {
			if n == 1 {
				return nil // the first attempt goes at once
			}
			close(waiting)
			<-ctx.Done()
			return ctx.Err()
		}}
		errs := make(chan *mipush.SendError, 1)
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		srv.FailPath("/v3/message/regid", mipushtest.ErrorAnswer(10002, "busy"))
		c := mipush.NewClient(mipush.Options{
			AppSecret: "test-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
			Conns: 1, Limiter: lim, OnError: func(e *mipush.SendError) { errs <- e },
		})
		require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r1"}, note(1)))
		<-waiting
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, c.Shutdown(ctx), context.Canceled)
		se := <-errs
		assert.True(t, errors.Is(se, mipush.ErrClosed), "got %v", se)
		assert.EqualValues(t, 1, srv.Count())
	})
}
