package mipush

import (
	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// route chooses the pool of a send (engine.Pools.Route): the failover
// host list's pick in the China region (avoiding the host named, when it
// can), else the configured host.
func (e *pipeline) route(c *call, avoid string) {
	p, failover, ask := e.pools.Route(avoid)
	c.pool = p
	if !failover {
		return
	}
	c.failover = true
	if ask {
		c.ex.Req.Header = append(c.ex.Req.Header[:0:0], wire.Header{Name: "x-push-host-list", Value: "true"})
	} else {
		c.ex.Req.Header = nil
	}
}

// reroute gives c, which met the retired pool p, a pool again: the host
// list's pick for a failover send, else a fresh pool for p's host.
func (e *pipeline) reroute(c *call, p *engine.Pool) {
	if c.failover {
		e.route(c, p.Authority())
		return
	}
	c.pool = e.pools.Get(p.Addr(), p.Authority())
}

// The pipeline's side of its pools (engine.PoolHost).

// Closed reports whether Close has begun.
func (e *pipeline) Closed() bool { return e.closed.Load() }

// Reroute routes the call of ex, which met the retired pool from, again
// and queues it.
func (e *pipeline) Reroute(ex *wire.Exchange, from *engine.Pool) bool {
	c := ex.Value.(*call)
	e.reroute(c, from)
	return c.pool.Enqueue(&c.ex)
}

// FailClosed fails the call of ex with ErrClosed unless its sync caller
// withdrew it.
func (e *pipeline) FailClosed(ex *wire.Exchange) {
	e.finishUnlessWithdrawn(ex.Value.(*call), ErrClosed)
}

// QueueExpired reports whether the call of ex has waited longer than
// QueueTimeout.
func (e *pipeline) QueueExpired(ex *wire.Exchange) bool { return e.queueExpired(ex.Value.(*call)) }

// DialFailed counts a failed dial for Metrics.
func (e *pipeline) DialFailed() { e.count.dialErrors.Add(1) }

// ConnOpened tells the Observer, if any, of a new connection.
func (e *pipeline) ConnOpened(addr, protocol string) {
	if e.s.Observer != nil {
		e.s.Observer.ConnOpened(ConnInfo{Host: addr, Protocol: protocol})
	}
}

// ConnClosed tells the Observer, if any, that a connection ended.
func (e *pipeline) ConnClosed(addr, protocol string, err error) {
	if e.s.Observer != nil {
		e.s.Observer.ConnClosed(ConnInfo{Host: addr, Protocol: protocol}, err)
	}
}
