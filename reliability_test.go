package mipush_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestAuthFailureFailsFast(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var mu sync.Mutex
		var errs []error
		srv, c := newPair(t, h2, mipush.Options{
			AppSecret: "wrong", Conns: 1, Window: 1, MaxPending: 32,
			OnError: func(e *mipush.SendError) { mu.Lock(); errs = append(errs, e); mu.Unlock() },
		}, mipushtest.Options{Secrets: []string{"right"}})
		release := make(chan struct{})
		var seen atomic.Int32
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
			if seen.Add(1) == 1 {
				<-release // hold the first answer until the others are queued
			}
			return nil
		})
		ctx := context.Background()
		const n = 20
		for i := range n {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		close(release)
		require.NoError(t, c.Flush(ctx))

		require.Len(t, errs, n, "one outcome per send")
		for _, err := range errs {
			assert.True(t, mipush.IsAuth(err), "%v", err)
			assert.False(t, mipush.IsRetryable(err))
		}
		// The connection may have taken one more request (its window)
		// before the failure was seen; the queue behind it is not written.
		written := srv.Count()
		assert.LessOrEqual(t, written, int64(2), "queued sends were written after the auth failure")

		_, err := c.PushToRegID(ctx, []string{"r"}, note(99))
		assert.True(t, mipush.IsAuth(err), "a new send fails at once: %v", err)
		assert.Equal(t, written, srv.Count())

		c.Unblock()
		_, err = c.PushToRegID(ctx, []string{"r"}, note(100))
		assert.True(t, mipush.IsAuth(err))
		assert.Equal(t, written+1, srv.Count(), "after Unblock the server is asked again")
	})
}

func TestRetryBudgetStopsRetryStorms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var failed atomic.Int32
		srv, c := inMemoryPair(t, false, mipush.Options{
			Conns: 1, MaxAttempts: 100, RetryBudget: 50,
			OnError: func(*mipush.SendError) { failed.Add(1) },
		})
		srv.FailTarget("r", mipushtest.ErrorAnswer(10002, "busy"))
		ctx := context.Background()
		for i := range 5 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, int32(5), failed.Load())
		// 50 tokens at 5 a retry: 5 first attempts and 10 retries in all.
		assert.Equal(t, int64(15), srv.Count())
	})
}

func TestTooFrequentPausesSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c := inMemoryPair(t, false, mipush.Options{Conns: 1, MaxAttempts: 1})
		srv.FailTarget("r", mipushtest.ErrorAnswer(10027, "too frequent"))
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		require.Error(t, err)
		assert.True(t, mipush.IsRetryable(err))
		srv.ClearFaults()
		start := time.Now()
		_, err = c.PushToRegID(ctx, []string{"r"}, note(2))
		require.NoError(t, err)
		assert.Greater(t, time.Since(start), 50*time.Millisecond, "the next send was not paused")
	})
}

func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c := inMemoryPair(t, false, mipush.Options{Conns: 1, RateLimit: 10, RateBurst: 1})
		ctx := context.Background()
		start := time.Now()
		for i := range 21 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, 2*time.Second, time.Since(start).Round(100*time.Millisecond), "21 sends at 10/s")
		assert.Equal(t, int64(21), srv.Count())
	})
}

func TestAutoJobKey(t *testing.T) {
	var mu sync.Mutex
	keys := map[string]bool{}
	srv, c := newPair(t, false, mipush.Options{
		AutoJobKey: true,
		OnSuccess: func(r *mipush.SendResult) {
			mu.Lock()
			keys[r.JobKey] = true
			mu.Unlock()
		},
	})
	ctx := context.Background()
	msg := note(1)
	for range 50 {
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, msg))
	}
	own := note(2)
	own.JobKey = "mine"
	_, err := c.PushToRegID(ctx, []string{"r"}, own)
	require.NoError(t, err)
	require.NoError(t, c.Flush(ctx))
	assert.Len(t, keys, 50, "every send got its own key")
	assert.Empty(t, msg.JobKey, "the caller's message is not modified")

	seen := map[string]int{}
	for _, r := range srv.Requests() {
		k := r.Form.Get("extra.jobkey")
		require.NotEmpty(t, k)
		require.LessOrEqual(t, len(k), 20)
		require.Len(t, r.Form["extra.jobkey"], 1)
		seen[k]++
	}
	assert.Equal(t, 1, seen["mine"], "a message's own job key is kept")
	for k := range keys {
		assert.Equal(t, 1, seen[k])
	}
}

func TestClassifiers(t *testing.T) {
	api := func(code mipush.Code, status int) error {
		return &mipush.SendError{Err: &mipush.APIError{Code: code, HTTPStatus: status}}
	}
	for _, tc := range []struct {
		err                         error
		retryable, quota, bad, auth bool
	}{
		{api(10002, 200), true, false, false, false},
		{api(10027, 200), true, false, false, false},
		{api(1, 200), true, false, false, false},
		{api(0, 503), true, false, false, false},
		{api(0, 502), false, false, false, false},
		{api(21301, 200), false, false, false, true},
		{api(22008, 200), false, false, false, true},
		{api(200001, 200), false, true, false, false},
		{api(10034, 200), false, true, false, false},
		{api(20301, 200), false, false, true, false},
		{api(10017, 200), false, false, false, false},
		{mipush.ErrClosed, false, false, false, false},
		{errors.Join(errors.New("eof"), mipush.ErrMaybeProcessed), false, false, false, false},
		{&mipush.ValidationError{Field: "title"}, false, false, false, false},
		{context.Canceled, false, false, false, false},
		{errors.New("dial tcp: connection refused"), true, false, false, false},
	} {
		assert.Equal(t, tc.retryable, mipush.IsRetryable(tc.err), "IsRetryable(%v)", tc.err)
		assert.Equal(t, tc.quota, mipush.IsQuotaExceeded(tc.err), "IsQuotaExceeded(%v)", tc.err)
		assert.Equal(t, tc.bad, mipush.IsInvalidTarget(tc.err), "IsInvalidTarget(%v)", tc.err)
		assert.Equal(t, tc.auth, mipush.IsAuth(tc.err), "IsAuth(%v)", tc.err)
	}
	assert.Equal(t, "system busy (10002)", mipush.CodeSystemBusy.String())
	assert.Equal(t, "error (12345)", mipush.Code(12345).String())
	// APIError.Code compares with the named codes without a conversion,
	// and 20301 has one name.
	apiErr := &mipush.APIError{Code: 20301}
	assert.True(t, apiErr.Code == mipush.CodeNoValidTargets)
	assert.Equal(t, "send failed: no valid targets (20301)", apiErr.Code.String())
}

func TestMaybeProcessedRetriedOnlyWhenOptedIn(t *testing.T) {
	for _, atLeastOnce := range []bool{false, true} {
		name := "at-most-once"
		if atLeastOnce {
			name = "at-least-once"
		}
		t.Run(name, func(t *testing.T) {
			srv, c := newPair(t, false, mipush.Options{Conns: 1, RetryMaybeProcessed: atLeastOnce, MaxAttempts: 3})
			var n atomic.Int32
			srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
				if n.Add(1) == 1 {
					return &mipushtest.Answer{Action: mipushtest.Drop}
				}
				return nil
			})
			res, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
			if atLeastOnce {
				require.NoError(t, err)
				assert.NotEmpty(t, res.ID)
				assert.Equal(t, int64(2), srv.Count(), "sent twice")
				return
			}
			require.ErrorIs(t, err, mipush.ErrMaybeProcessed)
			var se *mipush.SendError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, 1, se.Attempts)
			assert.True(t, se.MaybeProcessed())
			assert.Equal(t, int64(1), srv.Count())
		})
	}
}

func TestMinimumTLSVersion(t *testing.T) {
	// A server that speaks at most TLS 1.1 must be refused, even though
	// the caller's config (which skips verification, for this test only)
	// sets no minimum.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("a request reached the TLS 1.1 server")
	}))
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	c := mipush.NewClient(mipush.Options{
		AppSecret: "s",
		Host:      srv.Listener.Addr().String(),
		TLSConfig: &tls.Config{InsecureSkipVerify: true},
	})
	defer c.Close()
	_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "protocol version")
}
