package mipush

import (
	"time"

	"github.com/mipush-go/mipush/internal/engine"
)

// maxUnprocessedRetries bounds how often one send is re-queued because the
// server surely did not process it (a GOAWAY, a Connection: close, a failed
// dial). Such retries do not count against Options.MaxAttempts.
const maxUnprocessedRetries = 6

// mayRetry reports whether c may be sent again: attempts are left and the
// client-wide retry budget pays for it.
func (e *pipeline) mayRetry(c *call, cost int64) bool {
	if c.tries() < e.s.MaxAttempts && e.budget.Take(cost) {
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
	return engine.Backoff(c.unprocessed)
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
		e.route(c, c.pool.Authority()) // prefer another host for the retry
	}
	if d == 0 && before == nil {
		c.ex.Reset()
		c.pool.Enqueue(&c.ex)
		return true
	}
	return e.retrying.After(&c.ex, d, func() {
		if before != nil {
			before()
		}
		c.pool.Enqueue(&c.ex)
	})
}

// cancelRetries finishes every send waiting for a retry timer with err.
func (e *pipeline) cancelRetries(err error) {
	for _, ex := range e.retrying.Cancel() {
		e.finishUnlessWithdrawn(ex.Value.(*call), err)
	}
}

// retryAnswered schedules another attempt of c, whose last attempt the
// server answered or may have processed: after the backoff, it waits for
// the limiter (until the pool shuts down) and is queued. If the wait ends
// without a turn the attempt is queued anyway and the pool, which is then
// closed, fails it.
func (e *pipeline) retryAnswered(c *call) bool {
	d := engine.Backoff(c.tries())
	if e.limiter == nil {
		return e.retry(c, d)
	}
	return e.retryThen(c, d, func() { _ = e.waitTurn(c.pool.Context(), c) })
}
