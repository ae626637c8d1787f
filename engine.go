package mipush

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// call is one accepted send (or management call, or the request of a
// batch), from acceptance to its single outcome. Its engine.Call part is
// the engine's (the exchange, the pool, the attempts; see engine.Call
// for who owns it at each stage); the rest is the client's:
//
//   - Built (pipeline.submit, Client.startRequest, batchCall, batcher.add):
//     the sender's goroutine sets msg, target and oneID, value, async,
//     handle, prune, lazy, jobKey, quotaKey, batched and batch. Of those
//     only target.IDs and lazy change later (targetIDs, at delivery).
//     A batched message (batched) is never queued itself: it waits in
//     its batch until finishBatch finishes it with the batch's request.
//   - Accepted (pipeline.accept): the sender sets done, then gives the
//     call to the engine (engine.Sender.Accept). From then on the sender
//     reads only what is fixed (msg, target, value, jobKey), the
//     engine's atomics, and res and err once done is closed.
//   - Finished (finish, called by the engine once): res and err are set
//     once. A sync call is then its caller's (close(done)); an async one
//     goes to the dispatcher, whose goroutine alone reads it (targetIDs
//     fills target.IDs of a lazy call there) and runs its callbacks.
//   - Delivered (reported): nothing touches the call any more; a Pending
//     reads res and err after done is closed.
type call struct {
	engine.Call
	e      *pipeline
	msg    *Message
	target Target // as sent: its IDs are the call's own (see keepIDs)
	value  any    // Send.Value, returned with the outcome
	async  bool
	prune  bool      // the answer may name invalid targets (see InvalidTargets)
	lazy   bool      // target.IDs is nil until targetIDs reads them from the body
	handle bool      // async, reported to a Pending (done) instead of the callbacks
	oneID  [1]string // target.IDs of a one-target send, kept without an allocation

	jobKey   string  // the extra.jobkey the client gave the message, if any
	quotaKey stopKey // the daily-quota stop of a single send; zero for other calls
	batched  bool    // a message sent in a batch (Options.Batch)
	batch    *batch  // the request of a batch: its outcome is its messages'

	// Set once, before done is closed (sync) or the call is delivered (async).
	res    *Result
	err    error
	done   chan struct{} // sync, or reported to a Pending
	hooked chan struct{} // a sync call's hook job is done (reportInvalidSync)
}

// sendError is the failure err of c as its caller sees it.
func (c *call) sendError(err error) *SendError {
	return &SendError{Message: c.msg, Target: c.target, Err: err, Attempts: c.Tries(), JobKey: c.jobKey, Value: c.value, Batched: c.batched}
}

// owner returns the call whose engine part c is.
func owner(c *engine.Call) *call { return c.Owner.(*call) }

// pipeline is what Client shares with its views: the pools, the bound on
// accepted sends, the outcome dispatcher and the retry timers.
//
// Locks: the engine's (internal/engine, whose package doc gives their
// order), and the root's, each a leaf, held with no other lock and only
// for a few field updates:
//
//	batcher.mu         the batches being gathered and the spare turns
//	blocks.mu          the client-side stops (failfast.go)
//	failureLog.mu      the failure log's counters (not held while logging)
//	pipeline.lateHooks taken alone, by the invalid-targets hook of a
//	                   blocking send that ends after Close ended the
//	                   dispatcher: the one lock held while user code runs,
//	                   harmless as every call into a closed client returns
//	                   at once
//
// Everything else the pipeline shares is atomic or set once in
// newPipeline. No lock is held across network I/O (dialling, the TLS and
// HTTP/2 handshakes, reads and writes), nor while user code runs:
// callbacks, Observer methods, Logger records, Options.DialContext and
// Proxy.
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

	sender engine.Sender // queues calls, re-queues and retries them, hands on their outcomes

	blocked blocks       // fail-fast state per app secret
	pacer   engine.Pacer // per app: the pause after "too frequent", the Limiter's turns
	jobKeys jobKeys
	count   counters
	batcher *batcher // nil unless Options.Batch is enabled

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
	e.pacer.Init(newLimiter(s), AppDigest)
	cfg := engine.SenderConfig{
		MaxAttempts: s.MaxAttempts, RetryBudget: s.RetryBudget,
		RetryMaybeProcessed: s.RetryMaybeProcessed, Pacer: &e.pacer,
	}
	e.sender.Init(cfg, e, &e.pools, &e.adm, e)
	e.jobKeys.init()
	e.blocked.init(s)
	e.batcher = newBatcher(e, s.Batch)
	var hosts *engine.HostList // failover; nil when Options.Host pins the host
	if s.Host == "" && s.Region == RegionChina {
		hosts = engine.NewHostList()
	}
	e.pools.Init(&e.poolCfg, &e.sender, s.addr, s.authority, hosts)
	e.adm.Init(s.MaxPending, &e.disp)
	e.disp.Start(e, s.MaxPending)
	return e
}

// accept accepts c (fail-fast, then the engine's pacing and MaxPending
// token), queues it and, for a sync call, waits for its outcome. Every
// call goes through it: sends from submit, management calls from
// Client.startRequest.
func (e *pipeline) accept(ctx context.Context, c *call) (*Result, error) {
	e.sender.Prepare(&c.Call, c)
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
	if err := e.pacer.Pace(ctx, c.Ex.Req.Auth); err != nil {
		return nil, err
	}
	if err := e.sender.Accept(ctx, &c.Call, c.async); err != nil {
		return nil, err
	}
	if c.async {
		return nil, nil
	}
	select {
	case <-c.done:
		e.reportInvalidSync(ctx, c)
		return c.res, c.err
	case <-ctx.Done():
		if c.Ex.Withdraw() {
			// Not on the wire now: the engine releases it when a
			// connection (or the pool's shutdown) meets it in the queue.
			if !c.Maybe() {
				return nil, ctx.Err() // never sent, or refused by the server
			}
			// Waiting for a retry after an attempt that may have been
			// processed: that attempt is what the caller must hear of.
		}
		se := c.sendError(errors.Join(ctx.Err(), ErrMaybeProcessed))
		se.Attempts = max(1, se.Attempts) // the attempt that may have been processed
		return nil, se
	}
}

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
	err := e.sender.Drain(ctx)
	e.fails.flush(e.s.failureLogger)
	e.shutdownErr = err
	close(e.shutdownDone)
	return err
}
