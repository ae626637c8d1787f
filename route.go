package mipush

import (
	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// Routing: which pool (host) a send goes to. With the China region's
// failover host list (internal/engine/hosts.go) each attempt picks a host; otherwise
// the configured host is used. Hosts that leave the list are retired in
// pool_retire.go.

// route chooses the pool of a send: the failover host list's pick in the
// China region (avoiding the host named, when it can), else the configured
// host.
func (e *pipeline) route(c *call, avoid string) {
	if e.hosts == nil {
		c.pool = e.pool(e.s.addr, e.s.authority)
		return
	}
	var ask bool
	for tries := 0; ; tries++ {
		var host string
		host, ask = e.hosts.Pick(avoid)
		addr, authority := engine.HostAddr(host)
		if tries == 3 {
			// The list keeps changing under us: the default host, whose
			// pool is never retired.
			c.pool = e.pool(engine.HostAddr(ProductionHost))
			break
		}
		if p, ok := e.poolIf(addr, authority, func() bool { return e.hosts.Listed(host) }); ok {
			c.pool = p
			break
		}
	}
	c.failover = true
	if ask {
		c.ex.Req.Header = append(c.ex.Req.Header[:0:0], wire.Header{Name: "x-push-host-list", Value: "true"})
	} else {
		c.ex.Req.Header = nil
	}
}

// pool returns the pool for addr, starting it on first use.
func (e *pipeline) pool(addr, authority string) *engine.Pool {
	p, _ := e.poolIf(addr, authority, nil)
	return p
}

// poolIf is pool that, when no pool for addr exists, makes one only if
// allowed (nil: always) reports true, deciding under poolsMu: the
// failover route makes a pool only for a host still on the list, so a
// pool is never made again for a host that retireHosts (which takes
// poolsMu after the list changed) has just retired.
func (e *pipeline) poolIf(addr, authority string, allowed func() bool) (*engine.Pool, bool) {
	e.poolsMu.Lock()
	defer e.poolsMu.Unlock()
	if p, ok := e.pools[addr]; ok {
		return p, true
	}
	if allowed != nil && !allowed() {
		return nil, false
	}
	// Once Close has begun it will not see a new pool: such a pool
	// starts nothing, so that calls routed to it end with ErrClosed.
	start := !e.closed.Load()
	p := engine.NewPool(&e.poolCfg, e, addr, authority, start)
	if start {
		e.pools[addr] = p
	}
	return p, true
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
