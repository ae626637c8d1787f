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

// appTurns is a Limiter keyed by app that counts the turns it gives each
// app. The Waits of app hold, once armed, return together when held of
// them wait, so that several senders of that app hold a turn at once.
type appTurns struct {
	mu      sync.Mutex
	turns   map[string]int
	hold    string
	held    int
	arrived int
	release chan struct{}
}

// holdTurns arms the barrier: the next n Waits of app return together.
func (l *appTurns) holdTurns(app string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hold, l.held, l.arrived, l.release = app, n, 0, make(chan struct{})
}

func (l *appTurns) Wait(ctx context.Context, app string, n int) error {
	l.mu.Lock()
	if l.turns == nil {
		l.turns = map[string]int{}
	}
	l.turns[app] += n
	var release chan struct{}
	if app == l.hold && l.arrived < l.held {
		l.arrived++
		release = l.release
		if l.arrived == l.held {
			close(release)
		}
	}
	l.mu.Unlock()
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (l *appTurns) of(secret string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.turns[mipush.AppDigest(secret)]
}

// requestsOf counts the requests the server had with secret.
func requestsOf(srv *mipushtest.Server, secret string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Secret == secret {
			n++
		}
	}
	return n
}

// sendTogether makes n async sends of c at once, each to one regid, and
// waits until every call has returned.
func sendTogether(t *testing.T, c *mipush.Client, n, first int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			assert.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, note(first+i)))
		})
	}
	wg.Wait()
}

// sendAsTwoApps has five senders of app A hold a turn at once (one opens
// the batch, the others keep theirs), then sends three messages of app B,
// each flushed as a request of its own.
func sendAsTwoApps(t *testing.T, srv *mipushtest.Server, c *mipush.Client, lim *appTurns) {
	t.Helper()
	a, b := c.WithSecret("app-a"), c.WithSecret("app-b")
	ctx := context.Background()
	lim.holdTurns(mipush.AppDigest("app-a"), 5)
	sendTogether(t, a, 5, 0)
	for i := range 3 {
		require.NoError(t, b.PushToRegIDAsync(ctx, []string{"r"}, note(10+i)))
		require.NoError(t, c.Flush(ctx))
	}
	assert.Equal(t, 1, requestsOf(srv, "app-a"))
	assert.Equal(t, 3, requestsOf(srv, "app-b"))
}

// With batching, the rate-limit turns a sender of one app took and did
// not need (another sender of the app had opened the batch) are that
// app's: a batch of another app waits for a turn of its own.
func TestBatchTurnsBelongToTheirApp(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		lim := &appTurns{}
		srv, c := newPair(t, h2, mipush.Options{Limiter: lim, Batch: batchOn(10, time.Hour)})
		sendAsTwoApps(t, srv, c, lim)
		for _, app := range []string{"app-a", "app-b"} {
			assert.GreaterOrEqual(t, lim.of(app), requestsOf(srv, app), "%s: each request waited for a turn of its own app", app)
		}
	})
}

// The same on synctest's clock, where no real time passes between A's
// kept turns and B's sends, so a spare turn of A, were it B's to use,
// would still be good: B's three requests each took a turn of B's own.
func TestBatchTurnsBelongToTheirAppOnFakeClock(t *testing.T) {
	// HTTP/1.1 only: see the note above TestConnectionRecycledOnFakeClock.
	synctest.Test(t, func(t *testing.T) {
		lim := &appTurns{}
		srv, c := inMemoryPair(t, false, mipush.Options{Limiter: lim, Batch: batchOn(10, time.Hour)})
		sendAsTwoApps(t, srv, c, lim)
		assert.Equal(t, 5, lim.of("app-a"), "each of A's senders took a turn")
		assert.Equal(t, 3, lim.of("app-b"), "B's requests took turns of B's own, none of A's spares")
	})
}

// A turn kept for a later batch lapses, as a reservation does: a batch
// opened long after it waits for a fresh turn.
func TestBatchSpareTurnsLapse(t *testing.T) {
	// HTTP/1.1 only: see the note above TestConnectionRecycledOnFakeClock.
	synctest.Test(t, func(t *testing.T) {
		lim := &appTurns{}
		_, c := inMemoryPair(t, false, mipush.Options{Limiter: lim, Batch: batchOn(10, time.Hour)})
		ctx := context.Background()
		lim.holdTurns(mipush.AppDigest("s"), 3)
		sendTogether(t, c, 3, 0)
		require.NoError(t, c.Flush(ctx))
		require.Equal(t, 3, lim.of("s"), "three turns, one batch: two kept")

		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(3)))
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, 3, lim.of("s"), "a batch opened at once uses a kept turn")

		time.Sleep(time.Second) // fake time
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(4)))
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, 4, lim.of("s"), "the batch opened a second later waited for a turn")
	})
}

// A "too frequent" answer to one app pauses that app, not the others of
// the client.
func TestTooFrequentPausesOnlyItsApp(t *testing.T) {
	// HTTP/1.1 only: see the note above TestConnectionRecycledOnFakeClock.
	synctest.Test(t, func(t *testing.T) {
		srv, c := inMemoryPair(t, false, mipush.Options{MaxAttempts: 1})
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			if r.Secret == "app-a" {
				return mipushtest.ErrorAnswer(10027, "too frequent")
			}
			return nil
		})
		a, b := c.WithSecret("app-a"), c.WithSecret("app-b")
		ctx := context.Background()
		_, err := a.PushToRegID(ctx, []string{"r"}, note(0))
		requireCode(t, err, mipush.CodeTooFrequent)

		start := time.Now()
		for i := range 3 {
			_, err := b.PushToRegID(ctx, []string{"r"}, note(1+i))
			require.NoError(t, err)
			require.NoError(t, b.PushToRegIDAsync(ctx, []string{"r"}, note(4+i)))
		}
		require.NoError(t, c.Flush(ctx))
		assert.Zero(t, time.Since(start), "app B does not wait for app A's pause")

		start = time.Now()
		_, err = a.PushToRegID(ctx, []string{"r"}, note(7))
		requireCode(t, err, mipush.CodeTooFrequent)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "app A waits for its pause (at least half the first backoff)")
	})
}

// With RateLimit, a send whose turn comes after its context's deadline
// fails at once with an error that is context.DeadlineExceeded, as a
// Limiter's Wait that runs into the deadline returns, for blocking,
// async and batched sends alike.
func TestRateLimitTurnAfterDeadline(t *testing.T) {
	for _, batched := range []bool{false, true} {
		name := "unbatched"
		if batched {
			name = "batched"
		}
		t.Run(name, func(t *testing.T) {
			// HTTP/1.1 only: see the note above TestConnectionRecycledOnFakeClock.
			synctest.Test(t, func(t *testing.T) {
				opts := mipush.Options{RateLimit: 1, RateBurst: 1}
				if batched {
					opts.Batch = batchOn(10, time.Millisecond)
				}
				srv, c := inMemoryPair(t, false, opts)
				bg := context.Background()
				require.NoError(t, c.PushToRegIDAsync(bg, []string{"r"}, note(0))) // the burst
				require.NoError(t, c.Flush(bg))

				ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
				defer cancel()
				start := time.Now()
				_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
				require.ErrorIs(t, err, context.DeadlineExceeded, "blocking: %v", err)
				err = c.PushToRegIDAsync(ctx, []string{"r"}, note(2))
				require.ErrorIs(t, err, context.DeadlineExceeded, "async: %v", err)
				assert.Zero(t, time.Since(start), "no wait for a turn that cannot come in time")
				assert.NoError(t, ctx.Err())
				require.NoError(t, c.Flush(bg))
				assert.Equal(t, int64(1), srv.Count(), "neither was sent")
			})
		})
	}
}
