package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Sender carries accepted calls to the server and back. It is every
// exchange's Gate, Done and Dropped: after each attempt it applies the
// transport rules (queue again what the server surely did not process,
// retry within MaxAttempts and the retry budget, retry what may have been
// processed only with RetryMaybeProcessed) to the Judge's verdict, and
// hands every call that is not tried again to Judge.Finish, once.
//
// It is also the PoolHost of the client's pools: it routes again what
// meets a retired pool and fails what meets a closed one, and passes the
// rest on to the client's Host.
type Sender struct {
	Host // the client's side of its pools

	cfg    SenderConfig
	pools  *Pools
	adm    *Admission
	judge  Judge
	timers Timers  // calls waiting to be sent again
	budget *Budget // retry tokens; nil: unlimited

	// Counts for Metrics: calls accepted, requests that reached the
	// server, retries, re-queues.
	Accepted, Requests, Retried, Requeued atomic.Int64

	// The exchange hooks, as method values made once.
	done    func(*wire.Exchange, *wire.Response, error)
	gate    func(*wire.Exchange) error
	dropped func(*wire.Exchange)
}

// SenderConfig is what a Sender's rules depend on.
type SenderConfig struct {
	MaxAttempts         int  // attempts that reach the server, per call
	RetryBudget         int  // tokens of the retry budget; < 0: unlimited
	RetryMaybeProcessed bool // retry attempts that may have been processed
	// Pacer, if it has a Limiter, gives a retry its turn before it is
	// queued.
	Pacer *Pacer
}

// Host is the client's side of its pools that a Sender passes on.
type Host interface {
	// Closed reports whether the client is closing.
	Closed() bool
	// Answers counts the answers the client has had from any server.
	Answers() int64
	// DialFailed counts a dial that failed.
	DialFailed()
	// ConnOpened and ConnClosed tell of a connection's start and end.
	ConnOpened(addr, protocol string)
	ConnClosed(addr, protocol string, err error)
}

// Verdict is what an attempt's end means for its call: the Judge's
// reading of the answer (or of the failure), on which the Sender acts.
type Verdict int

const (
	// Fail: report the error; nothing is tried again.
	Fail Verdict = iota
	// Succeed: report the result.
	Succeed
	// Retry: the server did not accept the request; send it again after
	// a backoff, within MaxAttempts and the retry budget.
	Retry
	// Maybe: the server may have acted; report the error, or with
	// RetryMaybeProcessed send it again as Retry does.
	Maybe
	// Requeue: the server surely did not process the request (it was not
	// written); queue it again, outside MaxAttempts.
	Requeue
)

// Judge is the client's side of a call's attempts: what an answer means,
// and the call's outcome.
type Judge interface {
	// Gate runs just before c's request is written (expired: it waited
	// longer than QueueTimeout); an error fails the attempt unwritten.
	Gate(c *Call, expired bool) error
	// Judge reads the end of an attempt of c: the answer resp, or the
	// failure err (resp nil). It returns the verdict and what to report
	// if the call is not tried again.
	Judge(c *Call, resp *wire.Response, err error) (v Verdict, res any, rerr error)
	// Finish records the single outcome of c.
	Finish(c *Call, res any, err error)
}

// maxUnprocessedRetries bounds how often one call is queued again because
// the server surely did not process it (a GOAWAY, a Connection: close, a
// failed dial). Such retries do not count against MaxAttempts.
const maxUnprocessedRetries = 6

// Init prepares s: the calls it accepts go to pools, take their MaxPending
// tokens from adm, and are judged by judge.
func (s *Sender) Init(cfg SenderConfig, host Host, pools *Pools, adm *Admission, judge Judge) {
	s.cfg, s.Host, s.pools, s.adm, s.judge = cfg, host, pools, adm, judge
	s.budget = NewBudget(cfg.RetryBudget)
	s.timers.Init()
	s.done, s.gate, s.dropped = s.exchangeDone, s.exchangeGate, s.exchangeDropped
}

// Budget returns the retry budget; nil: unlimited.
func (s *Sender) Budget() *Budget { return s.budget }

// Prepare makes c, whose Owner is owner, ready to be queued: its exchange
// reports to s.
func (s *Sender) Prepare(c *Call, owner any) {
	c.Owner = owner
	c.Ex.Value = c
	c.Ex.Done, c.Ex.Gate, c.Ex.Dropped = s.done, s.gate, s.dropped
}

// Accept waits for a MaxPending token (until ctx ends) and queues c,
// which Prepare made ready. It fails with ErrClosed if the client closes
// first.
func (s *Sender) Accept(ctx context.Context, c *Call, async bool) error {
	if err := s.adm.Acquire(ctx); err != nil {
		return err
	}
	if s.Closed() {
		s.adm.Release(false)
		return ErrClosed
	}
	s.Admitted(async)
	c.Start = time.Now()
	c.Queued = c.Start
	c.Pool.Enqueue(&c.Ex)
	return nil
}

// Admitted counts a call accepted with a MaxPending token: it is active
// (and, if async, pending) until it ends. Accept calls it; so does a
// message joining a batch, which is accepted without a Call of its own.
func (s *Sender) Admitted(async bool) {
	s.adm.Active.Add(1)
	if async {
		s.adm.AsyncPending.Add(1)
	}
	s.Accepted.Add(1)
}

// Expired reports whether c has waited for a connection longer than
// QueueTimeout.
func (s *Sender) Expired(c *Call) bool {
	return time.Since(c.Queued) > s.pools.cfg.QueueTimeout
}

// exchangeGate stops a queued call the Judge refuses before it is written.
func (s *Sender) exchangeGate(ex *wire.Exchange) error {
	c := ex.Value.(*Call)
	return s.judge.Gate(c, s.Expired(c))
}

// exchangeDropped releases a withdrawn sync call that a connection met.
func (s *Sender) exchangeDropped(*wire.Exchange) {
	s.adm.Release(true)
}

// exchangeDone is called by a connection with the end of one attempt. It
// runs on the connection's reader and must not block.
func (s *Sender) exchangeDone(ex *wire.Exchange, resp *wire.Response, err error) {
	c := ex.Value.(*Call)
	if hosts := s.pools.Hosts; hosts != nil && c.Failover {
		if resp != nil {
			if gone := hosts.Update(resp); len(gone) > 0 {
				s.pools.Retire(gone)
			}
			hosts.Record(c.Pool.Authority(), resp.Status < 500, time.Since(c.Start))
		} else {
			hosts.Record(c.Pool.Authority(), false, 0)
		}
	}
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.NotProcessed {
			c.LastErr = we.Err
		}
	} else {
		c.attempts.Add(1)
		s.Requests.Add(1)
	}
	v, res, err := s.judge.Judge(c, resp, err)
	switch v {
	case Succeed:
		if c.Tries() == 1 {
			s.budget.Refund(RetryRefund)
		}
	case Requeue:
		if c.unprocessed < maxUnprocessedRetries {
			// Count before queueing again: another goroutine may take c
			// as soon as it is queued.
			d := unprocessedDelay(c.unprocessed)
			c.unprocessed++
			if s.Retry(c, d, nil) {
				s.Requeued.Add(1)
				return
			}
		}
	case Retry:
		if s.mayRetry(c, RetryCost) && s.RetryPaced(c, Backoff(c.Tries())) {
			return
		}
	case Maybe:
		if resp == nil {
			c.attempts.Add(1)
			s.Requests.Add(1)
		}
		c.maybe.Store(true)
		if s.cfg.RetryMaybeProcessed && s.mayRetry(c, RetryCostTransport) && s.RetryPaced(c, Backoff(c.Tries())) {
			return
		}
	}
	s.judge.Finish(c, res, err)
}

// unprocessedDelay is no delay for the first re-queue (another connection
// takes it at once) and a growing one after, so a failing dial does not spin.
func unprocessedDelay(requeues int) time.Duration {
	if requeues == 0 {
		return 0
	}
	return Backoff(requeues)
}

// mayRetry reports whether c may be sent again: attempts are left and the
// retry budget pays for it.
func (s *Sender) mayRetry(c *Call, cost int64) bool {
	if c.Tries() < s.cfg.MaxAttempts && s.budget.Take(cost) {
		s.Retried.Add(1)
		c.Queued = time.Now() // the retry waits for a connection afresh
		return true
	}
	return false
}

// RetryPaced sends c again as a request the server will count (an
// answered retry, or a part of a split batch): after d, it waits for its
// turn of the rate limit (until the pool shuts down) and is queued, as
// Retry says. If the wait ends without a turn the attempt is queued
// anyway and the pool, which is then closed, fails it.
func (s *Sender) RetryPaced(c *Call, d time.Duration) bool {
	if s.cfg.Pacer == nil || !s.cfg.Pacer.Limited() {
		return s.Retry(c, d, nil)
	}
	return s.Retry(c, d, func() { _ = s.cfg.Pacer.Turn(c.Pool.Context(), c.Ex.Req.Auth) })
}

// Retry queues c again after d, routed afresh if the host list chose its
// host; before, if not nil, runs on the timer's goroutine first. It
// reports whether it took charge of c (c is then queued, or finished
// with ErrClosed if its pool has shut down); false means CancelRetries
// has run and the caller must finish c itself.
func (s *Sender) Retry(c *Call, d time.Duration, before func()) bool {
	if c.Failover {
		s.pools.Route(c, c.Pool.Authority()) // prefer another host for the retry
	}
	if d == 0 && before == nil {
		c.Ex.Reset()
		c.Pool.Enqueue(&c.Ex)
		return true
	}
	return s.timers.After(&c.Ex, d, func() {
		if before != nil {
			before()
		}
		c.Pool.Enqueue(&c.Ex)
	})
}

// CancelRetries finishes every call waiting for a retry with ErrClosed,
// unless its sync caller withdrew it; Retry refuses from then on.
func (s *Sender) CancelRetries() {
	for _, ex := range s.timers.Cancel() {
		s.FailClosed(ex)
	}
}

// The Sender's side of PoolHost.

// Reroute routes the call of ex, which met the retired pool from, again
// and queues it.
func (s *Sender) Reroute(ex *wire.Exchange, from *Pool) bool {
	c := ex.Value.(*Call)
	s.pools.reroute(c, from)
	return c.Pool.Enqueue(&c.Ex)
}

// FailClosed fails the call of ex with ErrClosed unless its sync caller
// withdrew it.
func (s *Sender) FailClosed(ex *wire.Exchange) {
	if ex.Take() {
		s.judge.Finish(ex.Value.(*Call), nil, ErrClosed)
	}
}

// QueueExpired reports whether the call of ex has waited longer than
// QueueTimeout.
func (s *Sender) QueueExpired(ex *wire.Exchange) bool { return s.Expired(ex.Value.(*Call)) }

// callbackGrace bounds how long Drain, once its context has ended, waits
// for the callbacks of the calls it failed.
const callbackGrace = time.Second

// Drain ends the client's sends once admission is closed: it waits for
// every accepted call's outcome until ctx ends (the shutdown is then
// graceful: connections finish what they hold), fails what still waits
// for a retry, shuts the pools down, and waits for the dispatcher's
// callbacks to run, within what is left of ctx or, if it has ended, a short grace.
// It returns ctx's error if the wait for outcomes was cut short.
func (s *Sender) Drain(ctx context.Context) error {
	err := s.adm.WaitZero(ctx, &s.adm.Active)
	graceful := err == nil
	pools := s.pools.Stopping(graceful)
	s.CancelRetries()
	for _, p := range pools {
		p.Shutdown(graceful)
	}
	s.pools.WaitRetired() // pools of hosts that left the host list
	// Every call has its outcome now; wait for the callbacks to run.
	wctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(context.Background(), callbackGrace)
		defer cancel()
	}
	if werr := s.adm.WaitZero(wctx, &s.adm.Active); werr != nil && err == nil {
		err = werr
	}
	s.adm.disp.Shutdown(wctx)
	return err
}
