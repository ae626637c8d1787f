package mipush

import (
	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// Routing: which pool (host) a send goes to. With the China region's
// failover host list (failover.go) each attempt picks a host; otherwise
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
