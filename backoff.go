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

// throttle slows acceptance of one app's sends after the server answered
// it "too frequent" (10027), even when no rate limit is configured: each
// such answer in a row doubles the pause, a success resets it. Each app
// (app secret) has its own: the server throttles apps, not clients, so
// the other apps of a client (Client.WithSecret) go on.
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

// tooFrequent starts or extends the pause of the app of auth after a
// "too frequent" answer and returns its length.
func (e *pipeline) tooFrequent(auth string) time.Duration {
	e.throttle.Store(true)
	return e.apps.get(auth).throttle.tooFrequent()
}

// answeredOK ends the run of "too frequent" answers of the app of auth.
func (e *pipeline) answeredOK(auth string) {
	if e.throttle.Load() {
		e.apps.get(auth).throttle.ok()
	}
}

// pauseOf returns how long acceptance of the app of auth must still pause.
// Until some app is answered "too frequent" it costs one atomic load.
func (e *pipeline) pauseOf(auth string) time.Duration {
	if !e.throttle.Load() {
		return 0
	}
	return e.apps.get(auth).throttle.wait()
}

// maxUnprocessedRetries bounds how often one send is re-queued because the
// server surely did not process it (a GOAWAY, a Connection: close, a failed
// dial). Such retries do not count against Options.MaxAttempts.
const maxUnprocessedRetries = 6

// mayRetry reports whether c may be sent again: attempts are left and the
// client-wide retry budget pays for it.
func (e *pipeline) mayRetry(c *call, cost int64) bool {
	if c.tries() < e.s.MaxAttempts && e.budget.take(cost) {
		e.count.retried.Add(1)
		c.queued = time.Now() // the retry waits for a connection afresh
		return true
	}
	return false
}

// unprocessedDelay is no delay for the first re-queue (another connection
// takes it at once) and a growing one after, so a failing dial does not spin.
func (e *pipeline) unprocessedDelay(c *call) time.Duration {
	if c.unprocessed == 0 {
		return 0
	}
	return backoff(c.unprocessed)
}

// retry re-queues c after d. It reports whether it took charge of c (c is
// then re-queued, or finished with ErrClosed if its pool has shut down);
// false means the retry timers were cancelled by Close and the caller must
// finish c itself.
func (e *pipeline) retry(c *call, d time.Duration) bool {
	return e.retryThen(c, d, nil)
}

// retryThen is retry that, if before is not nil, runs it on the timer's
// goroutine before c is queued.
func (e *pipeline) retryThen(c *call, d time.Duration, before func()) bool {
	if c.failover {
		e.route(c, c.pool.authority) // prefer another host for the retry
	}
	if d == 0 && before == nil {
		c.ex.Reset()
		c.pool.enqueue(c)
		return true
	}
	e.retryMu.Lock()
	defer e.retryMu.Unlock()
	if e.retrying == nil {
		return false
	}
	// Reset now, so that a sync caller whose ctx ends during the backoff
	// can withdraw the call: it has no request on the wire.
	c.ex.Reset()
	e.retrying[c] = time.AfterFunc(d, func() {
		e.retryMu.Lock()
		_, mine := e.retrying[c]
		delete(e.retrying, c)
		e.retryMu.Unlock()
		if mine {
			if before != nil {
				before()
			}
			c.pool.enqueue(c)
		}
	})
	return true
}

// cancelRetries finishes every send waiting for a retry timer with err.
// Whoever removes a call from the map owns it: the timer or this.
func (e *pipeline) cancelRetries(err error) {
	e.retryMu.Lock()
	waiting := e.retrying
	e.retrying = nil
	e.retryMu.Unlock()
	for c, t := range waiting {
		t.Stop()
		e.finishUnlessWithdrawn(c, err)
	}
}
