package mipush

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// maxUnprocessedRetries bounds how often one send is re-queued because the
// server surely did not process it (a GOAWAY, a Connection: close, a failed
// dial). Such retries do not count against Options.MaxAttempts.
const maxUnprocessedRetries = 6

// call is one accepted send, from acceptance to its single outcome.
type call struct {
	ex     wire.Exchange
	e      *engine
	pool   *pool
	msg    *Message
	target Target // as sent: its IDs are the call's own (see keepIDs)
	value  any    // Send.Value, returned with the outcome
	async  bool
	prune  bool      // the answer may name invalid targets (see InvalidTargets)
	lazy   bool      // target.IDs is nil until targetIDs reads them from the body
	handle bool      // async, reported to a Pending (done) instead of the callbacks
	oneID  [1]string // target.IDs of a one-target send, kept without an allocation

	// attempts counts the attempts that reached the server. It is atomic
	// because a sync caller whose context ended reads it while the call
	// goes on.
	attempts atomic.Int32
	// maybe records that an attempt may have been processed, so that a
	// sync caller whose context ends before the retry is told so.
	maybe       atomic.Bool
	unprocessed int       // re-queues of requests the server never processed
	jobKey      string    // the extra.jobkey the client gave the message, if any
	start       time.Time // acceptance, for the Observer's latency
	// queued is when the send last began to wait for a connection: its
	// acceptance, or its retry after an attempt that reached the server.
	// Re-queues of requests never processed keep it. See queueExpired.
	queued time.Time
	// lastErr is why the last re-queued attempt was not processed, for the
	// ErrQueueTimeout error.
	lastErr  error
	failover bool    // the host was chosen by the host list
	quotaKey stopKey // the daily-quota stop of a single send; zero for other calls
	batched  bool    // a message sent in a batch (Options.Batch)
	batch    *batch  // the request of a batch: its outcome is its messages'

	// Set once, before done is closed (sync) or the call is delivered (async).
	res  *Result
	err  error
	done chan struct{} // sync only
}

// tries is how many attempts of c reached the server.
func (c *call) tries() int { return int(c.attempts.Load()) }

// engine is what Client shares with its views: the pools, the bound on
// accepted sends, the outcome dispatcher and the retry timers.
//
// Locks, and the order they are taken in (a lock is only taken while
// holding those before it in this list):
//
//	engine.poolsMu  guards pools (Metrics holds it while it visits them)
//	pool.connsMu    guards a pool's conns (with dial's gone/registered)
//
// and leaves, held with no other lock and only for a few field updates:
//
//	pool.mu (RW)       enqueue (read) against shutdown (write) of a pool
//	engine.retryMu     guards retrying
//	engine.idleMu      guards idle
//	dispatcher.mu      guards the dispatcher's queue and hand-off state
//	hostList, blocks   their own state
//
// No lock is held across network I/O (dialling, the TLS and HTTP/2
// handshakes, reads and writes), nor while user code runs: callbacks,
// Observer methods, Logger records, Options.DialContext and Proxy.
type engine struct {
	s settings

	sem     chan struct{} // one token per accepted, unfinished send
	closing chan struct{} // closed when Close starts
	closed  atomic.Bool

	poolsMu  sync.Mutex
	pools    map[string]*pool
	retired  map[*pool]struct{} // pools of hosts that left the host list, closing
	retiring sync.WaitGroup     // their shutdowns

	pending atomic.Int64 // async sends whose outcome is not yet reported
	active  atomic.Int64 // all accepted sends not yet finished
	idleMu  sync.Mutex
	idle    chan struct{} // closed when pending or active drops to zero
	// idleWaited is set while idle exists: someone waits on it.
	idleWaited atomic.Bool

	disp    dispatcher
	scratch sync.Pool // *[]byte buffers for encodeBody

	fails failureLog // failed async sends nobody else hears of

	retryMu  sync.Mutex
	retrying map[*call]*time.Timer

	blocked  blocks   // fail-fast state per app secret
	budget   *budget  // retry tokens; nil: unlimited
	throttle throttle // pauses acceptance after "too frequent" answers
	limiter  Limiter  // nil: requests are not paced
	apps     appDigests
	jobKeys  jobKeys
	count    counters
	hosts    *hostList // failover; nil when Options.Host pins the host
	batcher  *batcher  // nil unless Options.Batch is enabled

	onDone  func(*wire.Exchange, *wire.Response, error)
	dropped func(*wire.Exchange)
	gate    func(*wire.Exchange) error

	shutdownOnce sync.Once
	shutdownDone chan struct{}
	shutdownErr  error
}

func newEngine(s settings) *engine {
	e := &engine{
		s:            s,
		sem:          make(chan struct{}, s.MaxPending),
		closing:      make(chan struct{}),
		pools:        make(map[string]*pool),
		retired:      make(map[*pool]struct{}),
		retrying:     make(map[*call]*time.Timer),
		shutdownDone: make(chan struct{}),
	}
	e.onDone = e.exchangeDone
	e.dropped = e.exchangeDropped
	e.gate = e.exchangeGate
	e.budget = newBudget(s.RetryBudget)
	e.limiter = newLimiter(s)
	e.jobKeys.init()
	e.blocked.init(s)
	e.batcher = newBatcher(e, s.Batch)
	if s.Host == "" && s.Region == RegionChina {
		e.hosts = newHostList()
	}
	e.disp.start(e)
	return e
}

// send validates and encodes, accepts the send (waiting for room while
// ctx allows), queues it, and for a sync send waits for its outcome.
// A send given a Pending p is async and reports its outcome to p.
func (e *engine) send(ctx context.Context, auth string, t Target, msg *Message, value any, p *Pending, async bool) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if msg == nil {
		return nil, fieldError("message", "is nil")
	}
	if async && p == nil && e.batchable(t, msg) {
		return nil, e.batcher.add(ctx, auth, t, msg, value)
	}
	autoKey := e.s.AutoJobKey && msg.jobKey() == ""
	room := 0
	if autoKey {
		room = len("&extra.jobkey=") + maxJobKeyLen
	}
	body, err := e.encodeBody(t, msg, room)
	if err != nil {
		return nil, err
	}
	c := &call{e: e, msg: msg, target: t, value: value, async: async || p != nil, handle: p != nil, prune: prunable(t.Kind)}
	if p != nil {
		p.c = c
	}
	e.keepTarget(c, t.IDs)
	if autoKey {
		c.jobKey = e.jobKeys.next()
		body = appendJobKey(body, c.jobKey)
	}
	c.ex.Req = wire.Request{Method: "POST", Path: t.path(msg), Auth: auth, Body: body}
	c.quotaKey = quotaStopKey(auth, msg)
	e.route(c, "")
	return e.start(ctx, c)
}

// start accepts c and, for a sync call, waits for its outcome.
func (e *engine) start(ctx context.Context, c *call) (*Result, error) {
	c.ex.Done = e.onDone
	c.ex.Dropped = e.dropped
	c.ex.Gate = e.gate
	c.ex.Value = c
	if !c.async || c.handle {
		c.done = make(chan struct{})
	}
	if e.closed.Load() {
		return nil, ErrClosed
	}
	if err := e.blocked.check(c, false); err != nil {
		e.count.stopped.Add(1)
		return nil, err
	}
	if err := e.pace(ctx, c); err != nil {
		return nil, err
	}
	if err := e.acquire(ctx); err != nil {
		return nil, err
	}
	if e.closed.Load() {
		e.release(false)
		return nil, ErrClosed
	}
	e.active.Add(1)
	if c.async {
		e.pending.Add(1)
	}
	e.count.accepted.Add(1)
	c.start = time.Now()
	c.queued = c.start
	c.pool.enqueue(c)
	if c.async {
		return nil, nil
	}
	select {
	case <-c.done:
		e.reportInvalidSync(c)
		return c.res, c.err
	case <-ctx.Done():
		if c.ex.Withdraw() {
			// Not on the wire now: exchangeDropped releases it when a
			// connection (or the pool's shutdown) meets it in the queue.
			if !c.maybe.Load() {
				return nil, ctx.Err() // never sent, or refused by the server
			}
			// Waiting for a retry after an attempt that may have been
			// processed: that attempt is what the caller must hear of.
		}
		return nil, &SendError{Message: c.msg, Target: c.target, Err: errors.Join(ctx.Err(), ErrMaybeProcessed), Attempts: max(1, c.tries()), JobKey: c.jobKey, Value: c.value}
	}
}

// acquire takes a token for one accepted send. Tokens are held only by
// sends whose outcome is not yet decided, never by a callback, so a send
// from a callback finds room as soon as any send in flight ends. While
// MaxPending outcomes wait for callbacks, acquire waits for that backlog
// to shrink first (see dispatcher.unblock).
func (e *engine) acquire(ctx context.Context) error {
	if e.disp.queued.Load() >= int64(e.s.MaxPending) {
		if err := e.waitBacklog(ctx); err != nil {
			return err
		}
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-e.closing:
		return ErrClosed
	}
}

// waitBacklog waits while MaxPending outcomes wait for their callbacks.
func (e *engine) waitBacklog(ctx context.Context) error {
	d := &e.disp
	d.roomWaiters.Add(1)
	defer d.roomWaiters.Add(-1)
	for {
		ch := e.idleChan()
		if d.queued.Load() < int64(e.s.MaxPending) {
			return nil
		}
		if d.onCallback() {
			d.unblock()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-e.closing:
			return ErrClosed
		}
	}
}

// release returns a token; finished reports that an accepted send ended.
func (e *engine) release(finished bool) {
	<-e.sem
	if finished {
		e.active.Add(-1)
		e.settle()
	}
}

// settle wakes the waits of Flush and Close when what they wait for may
// have come: no sends (or no async sends) left but callbacks that handed
// delivery on, which may be the waiters themselves.
func (e *engine) settle() {
	if !e.idleWaited.Load() {
		return // nobody waits: the common case costs one load
	}
	o := e.disp.overlapping.Load()
	if e.active.Load() <= o || e.pending.Load() <= o {
		e.signalIdle()
	}
}

func (e *engine) signalIdle() {
	e.idleMu.Lock()
	if e.idle != nil {
		close(e.idle)
		e.idle = nil
		e.idleWaited.Store(false)
	}
	e.idleMu.Unlock()
}

func (e *engine) idleChan() <-chan struct{} {
	e.idleMu.Lock()
	defer e.idleMu.Unlock()
	if e.idle == nil {
		e.idle = make(chan struct{})
		e.idleWaited.Store(true)
	}
	return e.idle
}

// waitZero waits until n drops to zero, or ctx ends. Called from a
// callback it waits only until n drops to the callbacks that handed
// delivery on (this one among them) and hands delivery on itself, so that
// it never waits for itself.
func (e *engine) waitZero(ctx context.Context, n *atomic.Int64) error {
	d := &e.disp
	inCallback := d.onCallback()
	for {
		ch := e.idleChan()
		floor := int64(0)
		if inCallback {
			d.unblock()
			floor = d.overlapping.Load()
		}
		if n.Load() <= floor {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// exchangeDropped releases a withdrawn sync call that a connection met.
func (e *engine) exchangeDropped(ex *wire.Exchange) {
	e.release(true)
}

// exchangeDone is called by a connection with the outcome of one attempt.
// It runs on the connection's reader and must not block.
func (e *engine) exchangeDone(ex *wire.Exchange, resp *wire.Response, err error) {
	c := ex.Value.(*call)
	if e.hosts != nil && c.failover {
		if resp != nil {
			if gone := e.hosts.update(resp); len(gone) > 0 {
				e.retireHosts(gone)
			}
			e.hosts.report(c.pool.authority, resp.Status < 500, time.Since(c.start))
		} else {
			e.hosts.report(c.pool.authority, false, 0)
		}
	}
	if err != nil {
		e.blocked.settle(c, false, nil)
		var we *wire.Error
		if errors.As(err, &we) && we.NotProcessed {
			if e.queueExpired(c) && !errors.Is(err, ErrQueueTimeout) {
				err = queueTimeoutError(e.s.QueueTimeout, err)
			}
			c.lastErr = we.Err
			if !permanent(we.Err) && !errors.Is(err, ErrQueueTimeout) && c.unprocessed < maxUnprocessedRetries {
				// Count before re-queueing: another goroutine may take c
				// as soon as it is queued.
				d := e.unprocessedDelay(c)
				c.unprocessed++
				if e.retry(c, d) {
					e.count.requeued.Add(1)
					return
				}
			}
			e.finish(c, nil, transportError(err, false))
			return
		}
		c.attempts.Add(1)
		c.maybe.Store(true)
		if e.s.RetryMaybeProcessed && e.mayRetry(c, retryCostTransport) && e.retryAnswered(c) {
			return
		}
		e.finish(c, nil, transportError(err, true))
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
		e.blocked.settle(c, true, ae)
		if ae != nil {
			if slowsApp(ae.Code) {
				e.slowDown(ex.Req.Auth, e.throttle.tooFrequent())
			}
			switch classify(ae) {
			case classRetry:
				if e.mayRetry(c, retryCost) && e.retryAnswered(c) {
					return
				}
			case classMaybe:
				err = errors.Join(err, ErrMaybeProcessed)
				c.maybe.Store(true)
				if e.s.RetryMaybeProcessed && e.mayRetry(c, retryCostTransport) && e.retryAnswered(c) {
					return
				}
			}
		}
		e.finish(c, nil, err)
		return
	}
	e.blocked.settle(c, true, nil)
	e.throttle.ok()
	if c.tries() == 1 {
		e.budget.refund(retryRefund)
	}
	e.finish(c, res, nil)
}

// exchangeGate stops a queued call that a client-side stop has covered
// since it was accepted, or that waited longer than QueueTimeout, before
// it is written, or lets it out as the stop's probe (see blocks).
func (e *engine) exchangeGate(ex *wire.Exchange) error {
	c := ex.Value.(*call)
	if e.queueExpired(c) {
		return queueTimeoutError(e.s.QueueTimeout, c.lastErr)
	}
	return e.blocked.check(c, true)
}

// route chooses the pool of a send: the failover host list's pick in the
// China region (avoiding the host named, when it can), else the configured
// host.
func (e *engine) route(c *call, avoid string) {
	if e.hosts == nil {
		c.pool = e.pool(e.s.addr, e.s.authority)
		return
	}
	host, ask := e.hosts.pick(avoid)
	addr, authority := hostAddr(host)
	c.pool = e.pool(addr, authority)
	c.failover = true
	if ask {
		c.ex.Req.Header = append(c.ex.Req.Header[:0:0], wire.Header{Name: "x-push-host-list", Value: "true"})
	} else {
		c.ex.Req.Header = nil
	}
}

// mayRetry reports whether c may be sent again: attempts are left and the
// client-wide retry budget pays for it.
func (e *engine) mayRetry(c *call, cost int64) bool {
	if c.tries() < e.s.MaxAttempts && e.budget.take(cost) {
		e.count.retried.Add(1)
		c.queued = time.Now() // the retry waits for a connection afresh
		return true
	}
	return false
}

// pace waits, before a send is accepted, for the limiter (if set) and
// for a pause after "too frequent" answers.
func (e *engine) pace(ctx context.Context, c *call) error {
	if d := e.throttle.wait(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return e.waitTurn(ctx, c)
}

// unprocessedDelay is no delay for the first re-queue (another connection
// takes it at once) and a growing one after, so a failing dial does not spin.
func (e *engine) unprocessedDelay(c *call) time.Duration {
	if c.unprocessed == 0 {
		return 0
	}
	return backoff(c.unprocessed)
}

// permanent reports a failure of an unsent request that trying again
// cannot fix: the server's certificate was rejected, the handshake refused,
// the proxy refused the tunnel, or the app is blocked.
func permanent(err error) bool {
	var ff *failFastError
	if errors.As(err, &ff) {
		return true
	}
	var pr *proxyRefusal
	if errors.As(err, &pr) {
		return pr.permanent()
	}
	// A TLS alert from the server during the handshake (no shared
	// version or cipher, a rejected client certificate) will recur.
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return true
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// transportError wraps a connection failure for the caller.
func transportError(err error, maybe bool) error {
	if maybe {
		return errors.Join(err, ErrMaybeProcessed)
	}
	return err
}

// retry re-queues c after d. It reports whether it took charge of c (c is
// then re-queued, or finished with ErrClosed if its pool has shut down);
// false means the retry timers were cancelled by Close and the caller must
// finish c itself.
func (e *engine) retry(c *call, d time.Duration) bool {
	return e.retryThen(c, d, nil)
}

// retryThen is retry that, if before is not nil, runs it on the timer's
// goroutine before c is queued.
func (e *engine) retryThen(c *call, d time.Duration, before func()) bool {
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
func (e *engine) cancelRetries(err error) {
	e.retryMu.Lock()
	waiting := e.retrying
	e.retrying = nil
	e.retryMu.Unlock()
	for c, t := range waiting {
		t.Stop()
		e.finishUnlessWithdrawn(c, err)
	}
}

// finishUnlessWithdrawn finishes c with err unless its sync caller has
// already withdrawn it.
func (e *engine) finishUnlessWithdrawn(c *call, err error) {
	if c.ex.Take() {
		e.finish(c, nil, err)
	}
}

// finish records the single outcome of c.
func (e *engine) finish(c *call, res *Result, err error) {
	if c.batch != nil {
		e.finishBatch(c, res, err)
		return
	}
	e.countOutcome(err)
	e.observeDone(c, err)
	c.res, c.err = res, err
	if !c.async {
		if err != nil {
			c.err = &SendError{Message: c.msg, Target: c.target, Err: err, Attempts: c.tries(), JobKey: c.jobKey, Value: c.value}
		}
		close(c.done)
		e.release(true)
		return
	}
	// The outcome is decided: its token is free for the next send even
	// while the callback waits or runs.
	<-e.sem
	if e.needsDelivery(c, res, err) {
		e.disp.push(c)
		return
	}
	c.resolve()
	e.reported(c)
}

// reported ends an async call once its callback (if any) has returned.
func (e *engine) reported(c *call) {
	e.pending.Add(-1)
	e.active.Add(-1)
	e.settle()
}
