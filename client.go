package mipush

import (
	"context"
	"errors"
)

// Client sends messages to the MiPush server over a pool of persistent
// connections. It is safe for concurrent use. Create it with NewClient and
// release it with Close.
type Client struct {
	e    *engine
	err  error  // invalid Options: every call returns it
	auth string // "key=<secret>"
	view bool   // made by WithSecret: does not own e
}

// NewClient returns a client for opts. It never fails: if opts are invalid
// (see Options.Validate), every call on the client returns that error.
// Connections are dialled on first use.
func NewClient(opts Options) *Client {
	if err := opts.Validate(); err != nil {
		return &Client{err: err}
	}
	s := newSettings(opts)
	return &Client{e: newEngine(s), auth: s.auth}
}

// String describes the client without its secret.
func (c *Client) String() string {
	if c.err != nil {
		return "mipush.Client{invalid: " + c.err.Error() + "}"
	}
	return "mipush.Client{host: " + c.e.s.authority + "}"
}

// GoString is String, so %#v does not leak the secret either.
func (c *Client) GoString() string { return c.String() }

// Flush waits until every async send accepted so far has had its outcome
// reported (its callback, if any, has returned), or ctx ends. Sends
// accepted while Flush waits may extend the wait.
func (c *Client) Flush(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	c.e.flushBatches()
	return c.e.waitZero(ctx, &c.e.pending)
}

// Close stops accepting sends, waits up to Options.CloseTimeout for the
// sends in flight, then closes every connection; sends still unfinished
// fail. Every outcome has been reported when Close returns. Calling Close
// again returns the first call's result. Close on a view made by
// WithSecret does nothing: the client it came from owns the connections.
func (c *Client) Close() error {
	if c.err != nil || c.view {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.e.s.CloseTimeout)
	defer cancel()
	return c.Shutdown(ctx)
}

// Shutdown is Close bounded by ctx instead of Options.CloseTimeout. If ctx
// ends first, sends still in flight fail (written ones as maybe processed)
// and Shutdown returns ctx.Err() once their outcomes are reported.
func (c *Client) Shutdown(ctx context.Context) error {
	if c.err != nil || c.view {
		return nil
	}
	return c.e.shutdown(ctx)
}

// shutdown runs once; later calls wait for the first.
func (e *engine) shutdown(ctx context.Context) error {
	first := false
	e.shutdownOnce.Do(func() {
		first = true
		e.flushBatches() // before closed is set: a pool opened after it is closed
		e.closed.Store(true)
		close(e.closing)
	})
	if first {
		e.flushBatches() // batches opened meanwhile; none opens after closed
	}
	if !first {
		if e.disp.onDispatcher() {
			// Re-entrant, from a callback: the first call is waiting below
			// us and has no result yet.
			return nil
		}
		<-e.shutdownDone
		// If the first Close came from a callback, that callback may
		// still be running: wait for the dispatcher to finish it.
		<-e.disp.done
		return e.shutdownErr
	}
	err := e.waitZero(ctx, &e.active)
	graceful := err == nil
	e.poolsMu.Lock()
	pools := make([]*pool, 0, len(e.pools))
	for _, p := range e.pools {
		pools = append(pools, p)
	}
	if !graceful {
		for p := range e.retired {
			p.closeNow()
		}
	}
	e.poolsMu.Unlock()
	if !graceful {
		for _, p := range pools {
			p.closeNow()
		}
	}
	e.cancelRetries(ErrClosed)
	for _, p := range pools {
		p.shutdown(graceful)
	}
	e.retiring.Wait() // pools of hosts that left the host list
	// Every send has its outcome now; wait for the callbacks to run.
	_ = e.waitZero(context.Background(), &e.active)
	e.disp.shutdown()
	e.fails.flush(e.s.failureLogger)
	e.shutdownErr = err
	close(e.shutdownDone)
	return err
}

// errNilClient is returned by a send on a nil *Client.
var errNilClient = errors.New("mipush: nil Client")

// start is the common path of every send method.
func (c *Client) start(ctx context.Context, t Target, msg *Message, async bool) (*Result, error) {
	if c == nil {
		return nil, errNilClient
	}
	if c.err != nil {
		return nil, c.err
	}
	return c.e.send(ctx, c.auth, t, msg, nil, nil, async)
}
