package mipush

import (
	"errors"
	"time"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// The engine's side of one attempt on a connection: exchangeGate runs
// just before the request is written, exchangeDone when its answer has
// been read (or the attempt failed), exchangeDropped when a connection
// meets a call its sync caller withdrew. exchangeDone decides, by the
// table in retry.go (decide), whether the call is retried, re-queued or
// finished; finish (outcome.go) records its single outcome.

// exchangeDropped releases a withdrawn sync call that a connection met.
func (e *pipeline) exchangeDropped(ex *wire.Exchange) {
	e.adm.Release(true)
}

// exchangeDone is called by a connection with the outcome of one attempt.
// It runs on the connection's reader and must not block.
func (e *pipeline) exchangeDone(ex *wire.Exchange, resp *wire.Response, err error) {
	c := ex.Value.(*call)
	if e.pools.Hosts != nil && c.failover {
		if resp != nil {
			if gone := e.pools.Hosts.Update(resp); len(gone) > 0 {
				e.pools.Retire(gone)
			}
			e.pools.Hosts.Record(c.pool.Authority(), resp.Status < 500, time.Since(c.start))
		} else {
			e.pools.Hosts.Record(c.pool.Authority(), false, 0)
		}
	}
	if err != nil {
		e.blocked.learn(c, false, nil)
		var we *wire.Error
		if errors.As(err, &we) && we.NotProcessed {
			if e.queueExpired(c) && !errors.Is(err, ErrQueueTimeout) {
				err = queueTimeoutError(e.s.QueueTimeout, err)
			}
			c.lastErr = we.Err
		}
		switch decide(err, false) {
		case classRequeue:
			if c.unprocessed < maxUnprocessedRetries {
				// Count before re-queueing: another goroutine may take c
				// as soon as it is queued.
				d := e.unprocessedDelay(c)
				c.unprocessed++
				if e.retry(c, d) {
					e.count.requeued.Add(1)
					return
				}
			}
		case classMaybe:
			c.attempts.Add(1)
			c.maybe.Store(true)
			if e.s.RetryMaybeProcessed && e.mayRetry(c, engine.RetryCostTransport) && e.retryAnswered(c) {
				return
			}
			e.finish(c, nil, transportError(err, true))
			return
		}
		e.finish(c, nil, err) // never processed: not maybe
		return
	}
	c.attempts.Add(1)
	var res *Result
	if e.needsResult(c, resp.Status, resp.Body) {
		// Someone reads the Result, or the answer needs a closer look.
		res, err = decodeSendResult(resp.Status, resp.Body)
	}
	if err != nil {
		var ae *APIError
		errors.As(err, &ae)
		e.blocked.learn(c, true, ae)
		if ae != nil && slowsApp(ae.Code) {
			e.slowDown(ex.Req.Auth, e.tooFrequent(ex.Req.Auth))
		}
		switch decide(err, true) {
		case classRetry:
			if e.mayRetry(c, engine.RetryCost) && e.retryAnswered(c) {
				return
			}
		case classMaybe:
			err = errors.Join(err, ErrMaybeProcessed)
			c.maybe.Store(true)
			if e.s.RetryMaybeProcessed && e.mayRetry(c, engine.RetryCostTransport) && e.retryAnswered(c) {
				return
			}
		}
		e.finish(c, nil, err)
		return
	}
	e.blocked.learn(c, true, nil)
	e.answeredOK(ex.Req.Auth)
	if c.tries() == 1 {
		e.budget.Refund(engine.RetryRefund)
	}
	e.finish(c, res, nil)
}

// exchangeGate stops a queued call that a client-side stop has covered
// since it was accepted, or that waited longer than QueueTimeout, before
// it is written, or lets it out as the stop's probe (see blocks).
func (e *pipeline) exchangeGate(ex *wire.Exchange) error {
	c := ex.Value.(*call)
	if e.queueExpired(c) {
		return queueTimeoutError(e.s.QueueTimeout, c.lastErr)
	}
	return e.blocked.stopFor(c, true)
}

// transportError wraps a connection failure for the caller.
func transportError(err error, maybe bool) error {
	if maybe {
		return errors.Join(err, ErrMaybeProcessed)
	}
	return err
}

// queueExpired reports whether c has waited for a connection longer than
// QueueTimeout.
func (e *pipeline) queueExpired(c *call) bool {
	return time.Since(c.queued) > e.s.QueueTimeout
}
