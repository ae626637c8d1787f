package mipush_test

import (
	"context"
	"errors"
	"testing"
	"time"

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
