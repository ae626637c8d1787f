package mipush

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// call is one accepted send (or management call, or the request of a
// batch), from acceptance to its single outcome.
//
// Who may touch a call, stage by stage. At each stage one goroutine owns
// the call; ownership passes on with a hand-off that orders memory (a
// channel send, a CompareAndSwap, a mutex), and a field is written only
// by the owner of the stage named beside it below.
//
//   - Built (pipeline.submit, Client.startRequest, batchCall, batcher.add):
//     the sender's goroutine sets ex.Req, msg, target and oneID, value,
//     async, handle, prune, lazy, jobKey, quotaKey, batched and batch;
//     route sets pool, failover and ex.Req.Header. Of those only the
//     three route sets change later (route again, for each retry), and
//     target.IDs and lazy (targetIDs, at delivery).
//     A batched message (batched) is never queued itself: it waits in
//     its batch until finishBatch finishes it with the batch's request.
//   - Accepted (pipeline.accept): still the sender. It sets ex's hooks,
//     done, start and queued, then gives the call away with
//     pool.enqueue. From then on the sender reads only what is fixed
//     (msg, target, value, jobKey), the atomics attempts and maybe, and
//     res and err once done is closed; it may withdraw the call with
//     ex.Withdraw, which wins only while no connection has taken it.
//   - Queued (in a pool's queue, or on a retry timer): nobody writes it.
//     It leaves the queue through ex.Take (a connection, or failQueued)
//     or ex.Withdraw (its sync caller), and a retry timer through
//     e.retrying (engine.Timers): whoever takes it from them owns it,
//     its timer or cancelRetries. The gate (exchangeGate) reads queued and lastErr.
//   - On the wire: the connection owns ex and the engine nothing of
//     it, until the connection calls ex.Done once.
//   - Answered (exchangeDone, on the connection's reader): the sole
//     owner. It updates attempts, maybe, unprocessed, lastErr and queued
//     and then either re-queues the call (back to Queued: every write
//     comes before the enqueue or the timer, as another goroutine may
//     take the call at once) or finishes it.
//   - Finished (finish): res and err are set once. A sync call is then
//     its caller's (close(done)); an async one goes to the dispatcher,
//     whose goroutine alone reads it (targetIDs fills target.IDs of a
//     lazy call there) and runs its callbacks.
//   - Delivered (reported): nothing touches the call any more; a Pending
//     reads res and err after done is closed.
type call struct {
	ex     wire.Exchange
	e      *pipeline
	pool   *engine.Pool
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
	res    *Result
	err    error
	done   chan struct{} // sync, or reported to a Pending
	hooked chan struct{} // a sync call's hook job is done (reportInvalidSync)
}

// tries is how many attempts of c reached the server.
func (c *call) tries() int { return int(c.attempts.Load()) }

// pipeline is what Client shares with its views: the pools, the bound on
// accepted sends, the outcome dispatcher and the retry timers.
//
// Locks, and the order they are taken in (a lock is only taken while
// holding those before it in this list):
//
//	Pools.mu         guards the map of pools and the retired ones
//	                 (Metrics holds it while it visits the pools)
//	Pool.connsMu     guards a pool's conns (internal/engine/pool.go)
//
// and leaves, held with no other lock and only for a few field updates:
//
//	Pool.mu (RW)       a pool's closed and retired: Enqueue and the
//	                   opening of grown slots (read) against shutdown
//	                   and retirement (write); a queued send never blocks
//	engine.Timers      the retry timers (internal/engine/timers.go)
//	engine.Admission   its idle channel (internal/engine/admit.go)
//	engine.Dispatcher  its queue and hand-off state (internal/engine/dispatch.go)
//	batcher.mu         the batches being gathered and the spare turns
//	blocks.mu          the client-side stops (failfast.go)
//	engine.HostList    the failover host list (internal/engine/hosts.go)
//	failureLog.mu      the failure log's counters (not held while logging)
//	pipeline.lateHooks taken alone, by the invalid-targets hook of a
//	                   blocking send that ends after Close ended the
//	                   dispatcher: the one lock held while user code runs,
//	                   harmless as every call into a closed client returns
//	                   at once
//
// Everything else the engine shares is atomic or set once in newPipeline.
// No lock is held across network I/O (dialling, the TLS and HTTP/2
// handshakes, reads and writes), nor while user code runs: callbacks,
// Observer methods, Logger records, Options.DialContext and Proxy.
type pipeline struct {
	s settings

	closed atomic.Bool

	poolCfg engine.PoolConfig // what every pool's connections share
	pools   engine.Pools      // a pool per host, and the routing to them

	adm engine.Admission // MaxPending, the active calls, the waits of Flush and Close

	disp      engine.Dispatcher
	lateHooks sync.Mutex // hooks of blocking sends that end after the dispatcher
	scratch   sync.Pool  // *[]byte buffers for encodeBody

	fails failureLog // failed async sends nobody else hears of

	retrying engine.Timers // calls waiting to be sent again

	blocked  blocks         // fail-fast state per app secret
	budget   *engine.Budget // retry tokens; nil: unlimited
	throttle atomic.Bool    // set once an app is answered "too frequent" (see pauseOf)
	limiter  Limiter        // nil: requests are not paced
	apps     apps           // per app secret: its digest and its pause
	jobKeys  jobKeys
	count    counters
	batcher  *batcher // nil unless Options.Batch is enabled

	onDone  func(*wire.Exchange, *wire.Response, error)
	dropped func(*wire.Exchange)
	gate    func(*wire.Exchange) error

	shutdownOnce sync.Once
	shutdownDone chan struct{}
	shutdownErr  error
}

func newPipeline(s settings) *pipeline {
	e := &pipeline{
		s:            s,
		shutdownDone: make(chan struct{}),
	}
	e.poolCfg = engine.PoolConfig{
		Conns: s.Conns, MaxPending: s.MaxPending,
		ConnMaxAge: s.ConnMaxAge, QueueTimeout: s.QueueTimeout, DialTimeout: s.DialTimeout,
		DialContext: s.DialContext, Proxy: s.Proxy, TLSConfig: s.TLSConfig, DisableHTTP2: s.DisableHTTP2,
		Wire: wire.Config{
			Window:    s.Window,
			UserAgent: s.UserAgent,
			MaxBody:   s.MaxResponseBytes,
			Timeout:   s.RequestTimeout,
		},
		Logger: s.Logger,
	}
	if s.PingInterval > 0 {
		e.poolCfg.Wire.PingIdle, e.poolCfg.Wire.PingTimeout = s.PingInterval, s.PingTimeout
	}
	e.retrying.Init()
	e.onDone = e.exchangeDone
	e.dropped = e.exchangeDropped
	e.gate = e.exchangeGate
	e.budget = engine.NewBudget(s.RetryBudget)
	e.limiter = newLimiter(s)
	e.jobKeys.init()
	e.blocked.init(s)
	e.batcher = newBatcher(e, s.Batch)
	var hosts *engine.HostList // failover; nil when Options.Host pins the host
	if s.Host == "" && s.Region == RegionChina {
		hosts = engine.NewHostList()
	}
	e.pools.Init(&e.poolCfg, e, s.addr, s.authority, hosts)
	e.adm.Init(s.MaxPending, &e.disp)
	e.disp.Start(e, s.MaxPending)
	return e
}

// accept accepts c (fail-fast, pacing, a MaxPending token), queues it
// and, for a sync call, waits for its outcome. Every call goes through
// it: sends from send, management calls from Client.startRequest.
func (e *pipeline) accept(ctx context.Context, c *call) (*Result, error) {
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
	if err := e.blocked.stopFor(c, false); err != nil {
		e.count.stopped.Add(1)
		return nil, err
	}
	if err := e.pace(ctx, c); err != nil {
		return nil, err
	}
	if err := e.adm.Acquire(ctx); err != nil {
		return nil, err
	}
	if e.closed.Load() {
		e.adm.Release(false)
		return nil, ErrClosed
	}
	e.adm.Active.Add(1)
	if c.async {
		e.adm.AsyncPending.Add(1)
	}
	e.count.accepted.Add(1)
	c.start = time.Now()
	c.queued = c.start
	c.pool.Enqueue(&c.ex)
	if c.async {
		return nil, nil
	}
	select {
	case <-c.done:
		e.reportInvalidSync(ctx, c)
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

// pace waits, before a send is accepted, for the limiter (if set) and
// for a pause of its app after "too frequent" answers.
func (e *pipeline) pace(ctx context.Context, c *call) error {
	if d := e.pauseOf(c.ex.Req.Auth); d > 0 {
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

// Answers counts the answers the client has had from any server.
func (e *pipeline) Answers() int64 {
	return e.count.succeeded.Load() + e.count.failedAPI.Load()
}

// callbackGrace bounds how long Shutdown, once its context has ended,
// waits for the callbacks of the sends it failed.
const callbackGrace = time.Second

// shutdown runs once; later calls wait for the first.
func (e *pipeline) shutdown(ctx context.Context) error {
	first := false
	e.shutdownOnce.Do(func() {
		first = true
		e.flushBatches() // before closed is set: a pool opened after it is closed
		e.closed.Store(true)
		e.adm.Close()
	})
	if first {
		e.flushBatches() // batches opened meanwhile; none opens after closed
	}
	if !first {
		if e.disp.OnCallback() {
			// Re-entrant, from a callback: the first call may be waiting
			// for this callback and has no result yet.
			return nil
		}
		<-e.shutdownDone
		return e.shutdownErr
	}
	err := e.adm.WaitZero(ctx, &e.adm.Active)
	graceful := err == nil
	pools := e.pools.Stopping(graceful)
	e.cancelRetries(ErrClosed)
	for _, p := range pools {
		p.Shutdown(graceful)
	}
	e.pools.WaitRetired() // pools of hosts that left the host list
	// Every send has its outcome now; wait for the callbacks to run,
	// within what is left of ctx or, if it has ended, a short grace.
	wctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(context.Background(), callbackGrace)
		defer cancel()
	}
	if werr := e.adm.WaitZero(wctx, &e.adm.Active); werr != nil && err == nil {
		err = werr
	}
	e.disp.Shutdown(wctx)
	e.fails.flush(e.s.failureLogger)
	e.shutdownErr = err
	close(e.shutdownDone)
	return err
}
