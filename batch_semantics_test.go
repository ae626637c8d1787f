package mipush_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// sendOutcome is what a send's outcome says, apart from what batching
// is documented to change (the message id, Attempts, Batched).
type sendOutcome struct {
	OK        bool
	Code      mipush.Code // of the *APIError in the failure
	Invalid   bool        // IsInvalidTarget
	BadRegIDs []string    // Result.BadRegIDs of a success
	Hook      []string    // what OnInvalidTargets received
	HookCode  mipush.Code // the code of InvalidTargets.Err
	Batched   bool
}

// outcomesBySend records sendOutcomes by Send.Value.
type outcomesBySend struct {
	mu sync.Mutex
	m  map[any]*sendOutcome
	n  map[any]int // outcomes (OnSuccess, OnError) per send
}

func (o *outcomesBySend) get(v any) *sendOutcome {
	if o.m[v] == nil {
		o.m[v] = &sendOutcome{}
	}
	return o.m[v]
}

func (o *outcomesBySend) options(opts mipush.Options) mipush.Options {
	o.m, o.n = map[any]*sendOutcome{}, map[any]int{}
	opts.OnSuccess = func(r *mipush.SendResult) {
		o.mu.Lock()
		defer o.mu.Unlock()
		s := o.get(r.Value)
		o.n[r.Value]++
		s.OK, s.BadRegIDs, s.Batched = true, r.Result.BadRegIDs, r.Batched
	}
	opts.OnError = func(e *mipush.SendError) {
		o.mu.Lock()
		defer o.mu.Unlock()
		s := o.get(e.Value)
		o.n[e.Value]++
		var ae *mipush.APIError
		if errors.As(e, &ae) {
			s.Code = ae.Code
		}
		s.Invalid, s.Batched = mipush.IsInvalidTarget(e), e.Batched
	}
	opts.OnInvalidTargets = func(inv *mipush.InvalidTargets) {
		o.mu.Lock()
		defer o.mu.Unlock()
		s := o.get(inv.Value)
		s.Hook = append(s.Hook, inv.IDs...)
		var ae *mipush.APIError
		if errors.As(inv.Err, &ae) {
			s.HookCode = ae.Code
		}
	}
	return opts
}

// Turning batching on changes how sends travel, not their outcomes: a
// message whose only target the server calls invalid fails with 20301 and
// reaches OnInvalidTargets as it does alone, whether its batch was
// refused (every target invalid) or accepted with its target among
// bad_regids; a valid message of such a batch sees no bad regids.
func TestBatchingKeepsOutcomes(t *testing.T) {
	scenarios := []struct {
		name  string
		sends [][]string // the targets of each send
	}{
		{"valid", [][]string{{"r-0"}}},
		{"invalid-only", [][]string{{"bad-0"}}},
		{"invalid-only-two", [][]string{{"bad-1"}, {"bad-2"}}},
		{"mixed", [][]string{{"r-1"}, {"bad-3"}, {"r-2"}, {"bad-4"}, {"r-3", "bad-5"}}},
	}
	protocols(t, func(t *testing.T, h2 bool) {
		run := func(t *testing.T, batched bool) map[any]*sendOutcome {
			var out outcomesBySend
			opts := mipush.Options{}
			if batched {
				opts.Batch = batchOn(10, time.Hour)
			}
			srv, c := newPair(t, h2, out.options(opts))
			srv.SetBadRegIDFunc(func(id string) bool { return strings.HasPrefix(id, "bad") })
			ctx := context.Background()
			for _, sc := range scenarios {
				for i, ids := range sc.sends {
					s := mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: ids}, Message: note(i), Value: sc.name + "/" + strconv.Itoa(i)}
					require.NoError(t, c.SendAsync(ctx, s))
				}
				require.NoError(t, c.Flush(ctx)) // each scenario in batches of its own
			}
			if batched {
				multi := 0
				for _, r := range srv.Requests() {
					if len(r.Messages) == 4 {
						multi++
						assert.Equal(t, 200, r.Status)
						assert.Zero(t, r.Code, "the mixed batch is accepted")
					}
				}
				require.Equal(t, 1, multi, "the mixed scenario went as one batch of four")
			}
			for v, n := range out.n {
				assert.Equal(t, 1, n, "%v: one outcome", v)
			}
			for _, o := range out.m {
				o.Batched = false // the one difference that is meant
			}
			return out.m
		}
		alone, batched := run(t, false), run(t, true)
		require.Len(t, alone, 9)

		ok := &sendOutcome{OK: true}
		invalid := func(id string) *sendOutcome {
			return &sendOutcome{Code: mipush.CodeNoValidTargets, Invalid: true, Hook: []string{id}, HookCode: mipush.CodeNoValidTargets}
		}
		assert.Equal(t, map[any]*sendOutcome{
			"valid/0":            ok,
			"invalid-only/0":     invalid("bad-0"),
			"invalid-only-two/0": invalid("bad-1"),
			"invalid-only-two/1": invalid("bad-2"),
			"mixed/0":            ok,
			"mixed/1":            invalid("bad-3"),
			"mixed/2":            ok,
			"mixed/3":            invalid("bad-4"),
			"mixed/4":            {OK: true, BadRegIDs: []string{"bad-5"}, Hook: []string{"bad-5"}},
		}, alone, "unbatched")
		assert.Equal(t, alone, batched, "batched as unbatched")
	})
}

// A batched message whose target the batch's answer lists in bad_regids
// fails even when nobody reads successes (no OnSuccess, no Observer): the
// answer is read for its bad regids whatever the callbacks.
func TestBatchBadRegIDFailsWithoutOnSuccess(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var mu sync.Mutex
		failed := map[any]error{}
		srv, c := newPair(t, h2, mipush.Options{
			Batch:   batchOn(10, time.Hour),
			OnError: func(e *mipush.SendError) { mu.Lock(); failed[e.Value] = e; mu.Unlock() },
		})
		srv.SetBadRegIDs("bad")
		ctx := context.Background()
		for i, id := range []string{"r0", "bad", "r2"} {
			s := mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{id}}, Message: note(i), Value: i}
			require.NoError(t, c.SendAsync(ctx, s))
		}
		require.NoError(t, c.Flush(ctx))
		require.Len(t, srv.Requests(), 1, "one multi-message request")
		require.Len(t, failed, 1)
		assert.True(t, mipush.IsInvalidTarget(failed[1]), "%v", failed[1])
		m := c.Metrics()
		assert.EqualValues(t, 2, m.Succeeded)
		assert.EqualValues(t, 1, m.Failed)
	})
}
