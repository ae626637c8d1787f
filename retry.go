package mipush

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

// backoff returns the wait before retry n (n ≥ 1).
func backoff(n int) time.Duration {
	d := retryBase << min(n-1, 16)
	if d > retryMax || d <= 0 {
		d = retryMax
	}
	return d/2 + rand.N(d)
}

// errClass is how the engine treats a failed answer.
type errClass int

const (
	classFail  errClass = iota // permanent: report it
	classRetry                 // not accepted by the server: send again
	classMaybe                 // the server may have acted: report as maybe processed
)

// classify maps an API error to its handling. HTTP 503 means the server
// (or its gateway) refused the request; other 5xx may come from a gateway
// after the server acted.
func classify(e *APIError) errClass {
	switch {
	case e.HTTPStatus == 503:
		return classRetry
	case e.HTTPStatus >= 500:
		return classMaybe
	case e.Code.Retryable():
		return classRetry
	}
	return classFail
}

// Retry budget, as in aws-sdk-go-v2's retry package: a client-wide token
// bucket that retries draw from and successes refill, so a failing server
// is not stormed with retries.
const (
	DefaultRetryBudget = 500 // tokens in a full bucket
	retryCost          = 5   // a retry after a retryable answer
	retryCostTransport = 10  // a retry after a broken connection or timeout
	retryRefund        = 1   // a success
)

// budget is a token bucket of retries; a nil budget is unlimited.
type budget struct {
	tokens atomic.Int64
	max    int64
}

func newBudget(max int) *budget {
	if max < 0 {
		return nil
	}
	b := &budget{max: int64(max)}
	b.tokens.Store(b.max)
	return b
}

// take draws cost tokens; it reports false, drawing nothing, if too few
// are left.
func (b *budget) take(cost int64) bool {
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

// refund returns n tokens, up to the bucket's size.
func (b *budget) refund(n int64) {
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

// throttle slows acceptance after the server answered "too frequent"
// (10027), even when no rate limit is configured: each such answer in a
// row doubles the pause, a success resets it.
type throttle struct {
	until atomic.Int64 // unix nanoseconds; acceptance waits until then
	level atomic.Int32 // answers in a row
}

// tooFrequent starts or extends the pause and returns its length.
func (t *throttle) tooFrequent() time.Duration {
	n := t.level.Add(1)
	d := backoff(int(n))
	until := time.Now().Add(d).UnixNano()
	for {
		cur := t.until.Load()
		if cur >= until || t.until.CompareAndSwap(cur, until) {
			return d
		}
	}
}

func (t *throttle) ok() {
	if t.level.Load() != 0 {
		t.level.Store(0)
	}
}

// wait returns how long acceptance must still pause.
func (t *throttle) wait() time.Duration {
	u := t.until.Load()
	if u == 0 {
		return 0
	}
	return time.Until(time.Unix(0, u))
}
