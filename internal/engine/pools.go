package engine

import "sync"

// Pools are the pools of one client, one per host, and the routing of
// requests to them: the failover host list's pick in the China region,
// else the one configured host. A host that leaves the list keeps its
// pool only until the requests it has in flight are answered (Retire):
// the pool leaves the map, so that no new request is routed to it, and
// shuts down gracefully; a request that was routed to it just before (or
// was still queued in it) goes back to the PoolHost to be routed again,
// to a host of the current list. No outcome is lost, nothing is sent
// twice.
//
// Lock order: mu comes before a pool's connsMu (Counts holds both).
type Pools struct {
	cfg             *PoolConfig
	host            PoolHost
	addr, authority string // the configured host, when Hosts is nil

	// Hosts is the failover host list; nil when the host is pinned.
	Hosts *HostList

	mu       sync.Mutex
	pools    map[string]*Pool
	retired  map[*Pool]struct{} // pools of hosts that left the host list, closing
	retiring sync.WaitGroup     // their shutdowns
	// What the retired pools counted, for Counts.
	goneDialled, goneRecycled int64
}

// Init prepares ps: cfg and host are given to every pool, addr and
// authority name the configured host, hosts is the failover list or nil.
func (ps *Pools) Init(cfg *PoolConfig, host PoolHost, addr, authority string, hosts *HostList) {
	ps.cfg, ps.host, ps.addr, ps.authority, ps.Hosts = cfg, host, addr, authority, hosts
	ps.pools = make(map[string]*Pool)
	ps.retired = make(map[*Pool]struct{})
}

// pick chooses the pool of a request (see Route). failover reports a
// pick of the list; ask, that the request should ask for the list.
func (ps *Pools) pick(avoid string) (p *Pool, failover, ask bool) {
	if ps.Hosts == nil {
		return ps.Get(ps.addr, ps.authority), false, false
	}
	for tries := 0; ; tries++ {
		var host string
		host, ask = ps.Hosts.Pick(avoid)
		addr, authority := HostAddr(host)
		if tries == 3 {
			// The list keeps changing under us: the default host, whose
			// pool is never retired.
			return ps.Get(HostAddr(DefaultHost)), true, ask
		}
		if p, ok := ps.getIf(addr, authority, func() bool { return ps.Hosts.Listed(host) }); ok {
			return p, true, ask
		}
	}
}

// Get returns the pool for addr, starting it on first use.
func (ps *Pools) Get(addr, authority string) *Pool {
	p, _ := ps.getIf(addr, authority, nil)
	return p
}

// getIf is Get that, when no pool for addr exists, makes one only if
// allowed (nil: always) reports true, deciding under mu: the failover
// route makes a pool only for a host still on the list, so a pool is
// never made again for a host that Retire (which takes mu after the list
// changed) has just retired.
func (ps *Pools) getIf(addr, authority string, allowed func() bool) (*Pool, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p, ok := ps.pools[addr]; ok {
		return p, true
	}
	if allowed != nil && !allowed() {
		return nil, false
	}
	// Once Close has begun it will not see a new pool: such a pool
	// starts nothing, so that calls routed to it end with ErrClosed.
	start := !ps.host.Closed()
	p := NewPool(ps.cfg, ps.host, addr, authority, start)
	if start {
		ps.pools[addr] = p
	}
	return p, true
}

// Retire retires the pools of hosts, in the background: it is called
// from a connection's reader, which must not block.
func (ps *Pools) Retire(hosts []string) {
	if ps.host.Closed() {
		return // Close shuts every pool down
	}
	for _, host := range hosts {
		addr, _ := HostAddr(host)
		ps.mu.Lock()
		p, ok := ps.pools[addr]
		if ok {
			delete(ps.pools, addr)
			ps.retired[p] = struct{}{}
			ps.retiring.Add(1)
		}
		ps.mu.Unlock()
		if !ok {
			continue
		}
		ps.cfg.Logger.Info("mipush: host left the host list; its connections close once idle", "host", host)
		go func() {
			defer ps.retiring.Done()
			p.Retire()
			p.Shutdown(true)
			ps.mu.Lock()
			delete(ps.retired, p)
			dialled, recycled, _, _ := p.Counts()
			ps.goneDialled += dialled
			ps.goneRecycled += recycled
			ps.mu.Unlock()
		}()
	}
}

// Counts sums Pool.Counts over every pool the client has had.
func (ps *Pools) Counts() (dialled, recycled int64, open, inFlight int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	dialled, recycled = ps.goneDialled, ps.goneRecycled
	add := func(p *Pool) {
		d, r, o, f := p.Counts()
		dialled, recycled, open, inFlight = dialled+d, recycled+r, open+o, inFlight+f
	}
	for _, p := range ps.pools {
		add(p)
	}
	for p := range ps.retired { // hosts that left the host list, closing
		add(p)
	}
	return dialled, recycled, open, inFlight
}

// Stopping returns the pools for the client's shutdown. Unless graceful,
// it first closes the connections of every pool, retired ones included.
func (ps *Pools) Stopping(graceful bool) []*Pool {
	ps.mu.Lock()
	pools := make([]*Pool, 0, len(ps.pools))
	for _, p := range ps.pools {
		pools = append(pools, p)
	}
	if !graceful {
		for p := range ps.retired {
			p.CloseNow()
		}
	}
	ps.mu.Unlock()
	if !graceful {
		for _, p := range pools {
			p.CloseNow()
		}
	}
	return pools
}

// WaitRetired waits for the shutdowns of the pools that Retire began.
func (ps *Pools) WaitRetired() { ps.retiring.Wait() }
