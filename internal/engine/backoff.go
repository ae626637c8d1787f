package engine

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// Backoff of retried sends: jittered exponential, as in the official SDK
// (base/2 + rand(base)), starting at retryBase and capped at retryMax.
const (
	retryBase = 200 * time.Millisecond
	retryMax  = 10 * time.Second
)

// Backoff returns the wait before retry n (n ≥ 1).
func Backoff(n int) time.Duration {
	d := retryBase << min(n-1, 16)
	if d > retryMax || d <= 0 {
		d = retryMax
	}
	return d/2 + rand.N(d)
}

// Retry budget, as in aws-sdk-go-v2's retry package: a client-wide token
// bucket that retries draw from and successes refill, so a failing server
// is not stormed with retries. The costs, in tokens:
const (
	RetryCost          = 5  // a retry after a retryable answer
	RetryCostTransport = 10 // a retry after a broken connection or timeout
	RetryRefund        = 1  // a success
)

// Budget is a token bucket of retries; a nil Budget is unlimited.
type Budget struct {
	tokens atomic.Int64
	max    int64
}

// NewBudget returns a full bucket of max tokens, or nil (unlimited) if
// max is negative.
func NewBudget(max int) *Budget {
	if max < 0 {
		return nil
	}
	b := &Budget{max: int64(max)}
	b.tokens.Store(b.max)
	return b
}

// Take draws cost tokens; it reports false, drawing nothing, if too few
// are left.
func (b *Budget) Take(cost int64) bool {
	if b == nil {
		return true
	}
	for {
		t := b.tokens.Load()
		if t < cost {
			return false
		}
		if b.tokens.CompareAndSwap(t, t-cost) {
			return true
		}
	}
}

// Tokens returns the tokens left.
func (b *Budget) Tokens() int64 { return b.tokens.Load() }

// Refund returns n tokens, up to the bucket's size.
func (b *Budget) Refund(n int64) {
	if b == nil {
		return
	}
	for {
		t := b.tokens.Load()
		if t >= b.max {
			return
		}
		if b.tokens.CompareAndSwap(t, min(b.max, t+n)) {
			return
		}
	}
}

// Throttle slows acceptance of one app's sends after the server answered
// it "too frequent" (10027), even when no rate limit is configured: each
// such answer in a row doubles the pause, a success resets it. Each app
// (app secret) has its own: the server throttles apps, not clients, so
// the other apps of a client (Client.WithSecret) go on.
type Throttle struct {
	until atomic.Int64 // unix nanoseconds; acceptance waits until then
	level atomic.Int32 // answers in a row
}

// TooFrequent starts or extends the pause and returns its length.
func (t *Throttle) TooFrequent() time.Duration {
	n := t.level.Add(1)
	d := Backoff(int(n))
	until := time.Now().Add(d).UnixNano()
	for {
		cur := t.until.Load()
		if cur >= until || t.until.CompareAndSwap(cur, until) {
			return d
		}
	}
}

// OK ends a run of "too frequent" answers.
func (t *Throttle) OK() {
	if t.level.Load() != 0 {
		t.level.Store(0)
	}
}

// Wait returns how long acceptance must still pause.
func (t *Throttle) Wait() time.Duration {
	u := t.until.Load()
	if u == 0 {
		return 0
	}
	return time.Until(time.Unix(0, u))
}
