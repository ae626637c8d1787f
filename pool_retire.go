package mipush

import "github.com/mipush-go/mipush/internal/engine"

// A host that leaves the failover host list keeps its pool only until the
// requests it has in flight are answered: retireHosts takes the pool out of
// the engine's map, so that no new send is routed to it, and shuts it down
// gracefully. A send that was routed to it just before (or that was still
// queued in it) is routed again, to a host of the current list: no outcome
// is lost, and nothing is sent twice.

// retireHosts retires the pools of hosts, in the background: it is called
// from a connection's reader, which must not block.
func (e *pipeline) retireHosts(hosts []string) {
	if e.closed.Load() {
		return // Close shuts every pool down
	}
	for _, host := range hosts {
		addr, _ := engine.HostAddr(host)
		e.poolsMu.Lock()
		p, ok := e.pools[addr]
		if ok {
			delete(e.pools, addr)
			e.retired[p] = struct{}{}
			e.retiring.Add(1)
		}
		e.poolsMu.Unlock()
		if !ok {
			continue
		}
		e.s.Logger.Info("mipush: host left the host list; its connections close once idle", "host", host)
		go func() {
			defer e.retiring.Done()
			p.Retire()
			p.Shutdown(true)
			e.poolsMu.Lock()
			delete(e.retired, p)
			dialled, recycled, _, _ := p.Counts()
			e.count.goneDialled.Add(dialled)
			e.count.goneRecycled.Add(recycled)
			e.poolsMu.Unlock()
		}()
	}
}

// reroute gives c, which met the retired pool p, a pool again: the host
// list's pick for a failover send, else a fresh pool for p's host.
func (e *pipeline) reroute(c *call, p *engine.Pool) {
	if c.failover {
		e.route(c, p.Authority())
		return
	}
	c.pool = e.pool(p.Addr(), p.Authority())
}
