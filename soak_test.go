package mipush_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
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

// soakOutcome is what the client reported for one send.
type soakOutcome struct {
	n        int // outcomes reported (must end as 1)
	ok       bool
	maybe    bool
	attempts int
	err      error
}

// TestSoakUnderFaults sends many async messages while the fake server
// closes connections gracefully every 500 answers, drops connections at
// random mid-pipeline after processing a request, answers "system busy"
// (10002) now and then, and delays some answers. It then checks, by
// counting, that every send had exactly one outcome and that the server
// saw each message at most once, except messages reported as maybe
// processed in at-least-once mode.
//
// The batch modes turn Options.Batch on, with denser faults (there are
// fewer requests), and a bad message every 1000 that the server refuses
// (with the whole batch holding it): it alone must fail, the others of its
// batch must get their own outcomes.
//
// MIPUSH_SOAK=N raises the number of sends (run it without -race).
func TestSoakUnderFaults(t *testing.T) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("MIPUSH_SOAK")); err == nil && v > 0 {
		n = v
	}
	for _, mode := range []struct {
		name        string
		h2          bool
		atLeastOnce bool
		batch       bool
		n           int
	}{
		{"h1", false, false, false, n},
		{"h2", true, false, false, n},
		{"h1-at-least-once", false, true, false, n / 4},
		{"h2-at-least-once", true, true, false, n / 4},
		{"h1-batch", false, false, true, n},
		{"h2-batch", true, false, true, n},
		{"h1-batch-at-least-once", false, true, true, n / 4},
		{"h2-batch-at-least-once", true, true, true, n / 4},
	} {
		t.Run(mode.name, func(t *testing.T) { soak(t, mode.h2, mode.atLeastOnce, mode.batch, mode.n) })
	}
}

// soakBad marks the payload of a message the server refuses.
const soakBad = "-bad"

func soak(t *testing.T, h2, atLeastOnce, batch bool, n int) {
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
	defer srv.Close()
	closeAfter, dropRate := 500, 0.001
	if batch {
		closeAfter, dropRate = 20, 0.01
	}
	srv.SetCloseAfter(closeAfter)
	srv.SetDropRate(dropRate, mipushtest.DropProcessed)
	srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
		if r.Seq%37 == 0 {
			return mipushtest.ErrorAnswer(10002, "system busy")
		}
		for i, m := range r.Messages {
			if strings.HasSuffix(m.Form.Get("payload"), soakBad) {
				return mipushtest.ErrorAnswer(10017, "messages["+strconv.Itoa(i)+"]: bad")
			}
		}
		return nil
	})
	srv.SetDelayFunc(func(r *mipushtest.Request) time.Duration {
		if r.Seq%101 == 0 {
			return 2 * time.Millisecond
		}
		return 0
	})

	var mu sync.Mutex
	outcomes := make(map[string]*soakOutcome, n)
	record := func(m *mipush.Message, ok bool, attempts int, err error) {
		mu.Lock()
		defer mu.Unlock()
		o := outcomes[m.Payload]
		if o == nil {
			o = &soakOutcome{}
			outcomes[m.Payload] = o
		}
		o.n++
		o.ok, o.attempts, o.err = ok, attempts, err
		o.maybe = errors.Is(err, mipush.ErrMaybeProcessed)
	}
	var batching mipush.BatchOptions
	if batch {
		batching = mipush.BatchOptions{Enabled: true, MaxMessages: 50, Linger: time.Millisecond}
	}
	var batched atomic.Int64
	c := mipush.NewClient(mipush.Options{
		AppSecret:           "s",
		Host:                srv.Host(),
		TLSConfig:           srv.ClientTLSConfig(),
		Conns:               4,
		MaxAttempts:         4,
		RetryMaybeProcessed: atLeastOnce,
		RetryBudget:         -1, // measure the engine, not the budget
		Batch:               batching,
		OnSuccess: func(r *mipush.SendResult) {
			if r.Batched {
				batched.Add(1)
			}
			record(r.Message, true, r.Attempts, nil)
		},
		OnError: func(e *mipush.SendError) {
			if e.Batched {
				batched.Add(1)
			}
			record(e.Message, false, e.Attempts, e.Err)
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := range n {
		msg := &mipush.Message{RestrictedPackageName: "com.example", PassThrough: true, Payload: "soak-" + strconv.Itoa(i)}
		if batch && i%1000 == 999 {
			msg.Payload += soakBad
		}
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(i%1000)}, msg))
	}
	require.NoError(t, c.Flush(ctx), "Flush returns")
	require.NoError(t, c.Close())

	// What the server processed, by payload: answered with success, or
	// dropped after processing. Its "busy" answers and its refusals of
	// batches with a bad message refused the request.
	accepted := map[string]int{}
	alone := 0 // one-message batches: the parts of split batches, lone messages
	for _, r := range srv.Requests() {
		if len(r.Messages) == 1 {
			alone++
		}
		if r.Code == 10002 || r.Code == 10017 {
			continue
		}
		if r.Messages != nil {
			// A request holding a bad message is refused as a whole,
			// answered or not (a dropped request records no code).
			if slices.ContainsFunc(r.Messages, func(m mipushtest.BatchMessage) bool {
				return strings.HasSuffix(m.Form.Get("payload"), soakBad)
			}) {
				continue
			}
			for _, m := range r.Messages {
				accepted[m.Form.Get("payload")]++
			}
			continue
		}
		accepted[r.Form.Get("payload")]++
	}

	var ok, failed, maybe, retried, dups, bad int
	require.Len(t, outcomes, n, "a send without an outcome")
	for p, o := range outcomes {
		require.Equal(t, 1, o.n, "%s: %d outcomes", p, o.n)
		if o.attempts > 1 {
			retried++
		}
		if accepted[p] > 1 {
			dups++
			assert.True(t, atLeastOnce, "%s processed %d times in at-most-once mode", p, accepted[p])
		}
		switch {
		case strings.HasSuffix(p, soakBad):
			bad++
			failed++
			assert.False(t, o.ok, "%s: the server refuses it, yet it succeeded", p)
			assert.Zero(t, accepted[p], "%s processed", p)
		case o.ok:
			ok++
			assert.GreaterOrEqual(t, accepted[p], 1, "%s succeeded but the server never processed it", p)
		case o.maybe:
			maybe++
			failed++
		default:
			failed++
			assert.True(t, mipush.IsRetryable(o.err), "%s failed permanently: %v", p, o.err)
		}
	}
	assert.Equal(t, n, ok+failed)
	if !atLeastOnce {
		assert.Zero(t, dups)
	}
	st := srv.Stats()
	t.Logf("sent %d  ok %d  failed %d (bad %d)  maybe-processed %d  retried %d  duplicates at server %d  batched %d  one-message requests (split parts, lone messages) %d  (server: %d requests on %d connections)",
		n, ok, failed, bad, maybe, retried, dups, batched.Load(), alone, st.Requests, st.Conns)
	assert.Greater(t, st.Conns, int(st.Requests)/closeAfter/4, "the server did not close connections as asked")
	if batch {
		assert.Equal(t, int64(n), batched.Load(), "every message went out batched")
		assert.Less(t, st.Requests, int64(n/10), "messages were coalesced")
		assert.GreaterOrEqual(t, alone, bad*2, "batches with a bad message were split")
	}
}

// TestSoakResendFromCallbacks runs the soak's faults with callbacks that
// call the client: every failed send is sent again once from OnError (a
// sync send for every fourth, async otherwise) while the client is at
// MaxPending, and every 50th outcome calls Flush from its callback. Every
// send, first or re-sent, must have exactly one outcome, and Flush and
// Close must return.
func TestSoakResendFromCallbacks(t *testing.T) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("MIPUSH_SOAK")); err == nil && v > 0 {
		n = v
	}
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		srv.SetCloseAfter(500)
		srv.SetDropRate(0.002, mipushtest.DropProcessed)
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets"))

		var mu sync.Mutex
		outcomes := map[string]int{}
		var resent, flushes int
		var c *mipush.Client
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		count := func(m *mipush.Message) int {
			mu.Lock()
			defer mu.Unlock()
			outcomes[m.Payload]++
			return len(outcomes)
		}
		flushSometimes := func(k int) {
			if k%50 == 0 {
				assert.NoError(t, c.Flush(ctx))
				mu.Lock()
				flushes++
				mu.Unlock()
			}
		}
		c = mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
			Conns: 2, Window: 4, MaxPending: 16, RetryBudget: -1,
			OnSuccess: func(r *mipush.SendResult) { flushSometimes(count(r.Message)) },
			OnError: func(e *mipush.SendError) {
				k := count(e.Message)
				if !strings.HasPrefix(e.Message.Payload, "again-") {
					m := &mipush.Message{RestrictedPackageName: "com.example", PassThrough: true, Payload: "again-" + e.Message.Payload}
					mu.Lock()
					resent++
					mu.Unlock()
					if k%4 == 0 {
						_, err := c.PushToRegID(ctx, []string{"r"}, m)
						count(m) // a sync send's outcome is its return
						_ = err
					} else {
						assert.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, m))
					}
				}
				flushSometimes(k)
			},
		})
		start := time.Now()
		within(t, 3*time.Minute, func() {
			for i := range n {
				target := "r" + strconv.Itoa(i%1000)
				if i%3 == 0 {
					target = "bad"
				}
				msg := &mipush.Message{RestrictedPackageName: "com.example", PassThrough: true, Payload: "soak-" + strconv.Itoa(i)}
				require.NoError(t, c.PushToRegIDAsync(ctx, []string{target}, msg))
			}
			require.NoError(t, c.Flush(ctx))
			require.NoError(t, c.Close())
		})
		mu.Lock()
		defer mu.Unlock()
		t.Logf("%d sends, %d re-sent from OnError, %d Flush calls from callbacks: %d outcomes in %v",
			n, resent, flushes, len(outcomes), time.Since(start))
		require.Len(t, outcomes, n+resent, "a send without an outcome")
		for p, k := range outcomes {
			require.Equal(t, 1, k, "%s: %d outcomes", p, k)
		}
		assert.GreaterOrEqual(t, resent, n/3)
	})
}
