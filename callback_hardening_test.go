package mipush_test

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// A callback that waits for a Pending — with Get, or on Ready — whose
// answer names invalid targets (so its outcome is resolved on the
// callback goroutine, after OnInvalidTargets) gets the outcome instead of
// deadlocking, and the outcomes queued behind it are delivered.
func TestPendingWaitInCallback(t *testing.T) {
	for _, mode := range []string{"Get", "Ready"} {
		t.Run(mode, func(t *testing.T) {
			protocols(t, func(t *testing.T, h2 bool) {
				var c *mipush.Client
				var mu sync.Mutex
				var invalid []string
				var results []string
				var successes atomic.Int32
				const behind = 20
				wait := func(p *mipush.Pending) (*mipush.Result, error) {
					if mode == "Get" {
						return p.Get(context.Background())
					}
					<-p.Ready()
					return p.Get(context.Background())
				}
				srv, cl := newPair(t, h2, mipush.Options{
					OnInvalidTargets: func(it *mipush.InvalidTargets) {
						mu.Lock()
						invalid = append(invalid, it.IDs...)
						mu.Unlock()
					},
					OnSuccess: func(sr *mipush.SendResult) {
						successes.Add(1)
						if sr.Value != "first" {
							return
						}
						for _, target := range []string{"ok,gone", "bad"} {
							p, err := c.Start(context.Background(), mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: strings.Split(target, ",")}, Message: note(1)})
							if !assert.NoError(t, err) {
								return
							}
							res, err := wait(p)
							mu.Lock()
							if err != nil {
								results = append(results, target+": "+err.Error())
							} else {
								results = append(results, target+": bad "+strings.Join(res.BadRegIDs, ","))
							}
							mu.Unlock()
						}
					},
				})
				c = cl
				srv.SetBadRegIDs("gone")                                                 // accepted, listed in bad_regids
				srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets")) // every target invalid
				ctx := context.Background()
				within(t, 20*time.Second, func() {
					require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"ok"}}, Message: note(0), Value: "first"}))
					for i := range behind {
						require.NoError(t, c.PushToRegIDAsync(ctx, []string{"ok"}, note(i)))
					}
					require.NoError(t, c.Flush(ctx))
					require.NoError(t, c.Close())
				})
				assert.EqualValues(t, 1+behind, successes.Load(), "the outcomes behind the waiting callback")
				mu.Lock()
				defer mu.Unlock()
				require.Len(t, results, 2)
				assert.Equal(t, "ok,gone: bad gone", results[0])
				assert.Contains(t, results[1], "20301")
				assert.ElementsMatch(t, []string{"gone", "bad"}, invalid)
			})
		})
	}
}

// Get with a context that has ended returns the outcome once it is known:
// the outcome wins, every time.
func TestPendingGetReadyOutcomeWins(t *testing.T) {
	_, c := newPair(t, true, mipush.Options{})
	p, err := c.Start(context.Background(), mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"r"}}, Message: note(1)})
	require.NoError(t, err)
	<-p.Ready()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 1000 {
		res, err := p.Get(ctx)
		require.NoError(t, err)
		require.NotNil(t, res)
	}
}

// OnInvalidTargets never runs on two goroutines at once, whatever mix of
// PushBulk, concurrent blocking sends and async sends reports to it: a
// handler with unsynchronised state is safe (the race detector watches
// it), and an atomic count of the handlers running never exceeds one. To
// give an overlap the chance to show, the first calls linger until
// another call runs beside them or 150 ms pass (a window, not a
// synchronisation: the assertion holds whatever the timing).
func TestInvalidTargetsOneAtATime(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var running, most, lingers atomic.Int32
		lingers.Store(4)
		seen := map[string]int{} // unsynchronised on purpose
		calls := 0
		hook := func(it *mipush.InvalidTargets) {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			if lingers.Add(-1) >= 0 {
				timeout := time.After(150 * time.Millisecond)
			linger:
				for running.Load() < 2 {
					select {
					case <-timeout:
						break linger
					default:
						runtime.Gosched()
					}
				}
			}
			for _, id := range it.IDs {
				seen[id]++
			}
			calls++
			running.Add(-1)
		}
		srv, c := newPair(t, h2, mipush.Options{OnInvalidTargets: hook, OnError: func(*mipush.SendError) {}})
		srv.SetBadRegIDFunc(func(id string) bool { return strings.HasPrefix(id, "bad") })
		srv.FailTarget("none", mipushtest.ErrorAnswer(20301, "no valid targets"))
		ctx := context.Background()
		const senders, each = 4, 10
		bulk := make([]string, 0, 3*mipush.MaxTargets)
		for i := range cap(bulk) {
			id := "ok"
			if i%mipush.MaxTargets == 0 {
				id = "bad-bulk"
			}
			bulk = append(bulk, id+"-"+strings.Repeat("x", i%7))
		}
		var wg sync.WaitGroup
		for range senders {
			wg.Go(func() {
				for range each {
					_, err := c.PushToRegID(ctx, []string{"ok", "bad-sync"}, note(1))
					assert.NoError(t, err)
					assert.NoError(t, c.PushToRegIDAsync(ctx, []string{"ok", "bad-async"}, note(2)))
					_, err = c.PushToRegID(ctx, []string{"none"}, note(3))
					assert.Error(t, err)
				}
				res, err := c.PushBulk(ctx, mipush.TargetRegID, bulk, note(4))
				assert.NoError(t, err)
				assert.Len(t, res.Invalid, 3)
			})
		}
		wg.Wait()
		require.NoError(t, c.Flush(ctx))
		require.NoError(t, c.Close())
		assert.EqualValues(t, 1, most.Load(), "OnInvalidTargets overlapped itself")
		assert.Equal(t, senders*each, seen["bad-sync"])
		assert.Equal(t, senders*each, seen["bad-async"])
		assert.Equal(t, senders*each, seen["none"])
		assert.Equal(t, 3*senders*each+3*senders, calls, "one call per send with invalid targets, one per bulk request")
	})
}

// A callback that panics does not take the process down nor cost the
// outcomes behind it: every outcome is still delivered, each panic is
// logged at error level with its stack, and a Pending whose
// OnInvalidTargets call panicked still gets its outcome.
func TestCallbackPanicRecoveredAndLogged(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var logs syncBuffer
		var delivered atomic.Int32
		const n = 50
		srv, c := newPair(t, h2, mipush.Options{
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			OnSuccess: func(sr *mipush.SendResult) {
				delivered.Add(1)
				if sr.Value.(int)%10 == 0 {
					panic("boom in OnSuccess")
				}
			},
			OnError: func(*mipush.SendError) {
				delivered.Add(1)
				panic("boom in OnError")
			},
			OnInvalidTargets: func(*mipush.InvalidTargets) { panic("boom in OnInvalidTargets") },
		})
		srv.FailTarget("bad", mipushtest.ErrorAnswer(10017, "invalid"))
		srv.SetBadRegIDs("gone")
		ctx := context.Background()
		for i := range n {
			require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"ok"}}, Message: note(i), Value: i}))
		}
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"bad"}, note(n)))
		p, err := c.Start(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"ok", "gone"}}, Message: note(n + 1)})
		require.NoError(t, err)
		res, err := c.PushToRegID(ctx, []string{"ok", "gone"}, note(n+2))
		require.NoError(t, err, "a blocking send whose hook panics still returns its outcome")
		assert.Equal(t, []string{"gone"}, res.BadRegIDs)
		within(t, 20*time.Second, func() {
			res, err := p.Get(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"gone"}, res.BadRegIDs)
			require.NoError(t, c.Flush(ctx))
		})
		assert.EqualValues(t, n+1, delivered.Load())
		out := logs.String()
		lines := 0
		for line := range strings.Lines(out) {
			if !strings.Contains(line, "callback panicked") {
				continue
			}
			lines++
			assert.Contains(t, line, "level=ERROR")
			assert.Contains(t, line, "goroutine ", "the stack")
		}
		// 5 OnSuccess, 1 OnError, 2 OnInvalidTargets (the Pending's and
		// the blocking send's).
		assert.Equal(t, 8, lines, out)
		assert.Equal(t, 5, strings.Count(out, "boom in OnSuccess"))
		assert.Equal(t, 1, strings.Count(out, "boom in OnError"))
		assert.Equal(t, 2, strings.Count(out, "boom in OnInvalidTargets"))
	})
}

// Blocking sends whose answers name invalid targets, made from callbacks —
// OnSuccess, and OnInvalidTargets itself, PushBulk among them — do not
// deadlock though their OnInvalidTargets calls take their turn on the
// callback goroutine: each hands delivery on while it waits.
func TestInvalidTargetsOfBlockingSendsFromCallbacks(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var c *mipush.Client
		var mu sync.Mutex
		seen := map[string]int{}
		ctx := context.Background()
		srv, cl := newPair(t, h2, mipush.Options{
			MaxPending: 4,
			OnInvalidTargets: func(it *mipush.InvalidTargets) {
				mu.Lock()
				for _, id := range it.IDs {
					seen[id]++
				}
				mu.Unlock()
				if it.IDs[0] == "bad-1" {
					_, err := c.PushToRegID(ctx, []string{"ok", "bad-2"}, note(2))
					assert.NoError(t, err)
				}
			},
			OnSuccess: func(sr *mipush.SendResult) {
				if sr.Value != "first" {
					return
				}
				_, err := c.PushToRegID(ctx, []string{"ok", "bad-1"}, note(1))
				assert.NoError(t, err)
				res, err := c.PushBulk(ctx, mipush.TargetRegID, []string{"ok", "bad-3"}, note(3))
				assert.NoError(t, err)
				assert.Equal(t, []string{"bad-3"}, res.Invalid)
			},
		})
		c = cl
		srv.SetBadRegIDFunc(func(id string) bool { return strings.HasPrefix(id, "bad") })
		within(t, 20*time.Second, func() {
			require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"ok"}}, Message: note(0), Value: "first"}))
			for i := range 10 {
				require.NoError(t, c.PushToRegIDAsync(ctx, []string{"ok"}, note(i)))
			}
			require.NoError(t, c.Flush(ctx))
			require.NoError(t, c.Close())
		})
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, map[string]int{"bad-1": 1, "bad-2": 1, "bad-3": 1}, seen)
	})
}
