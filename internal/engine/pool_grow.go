package engine

import "time"

// maxGrowFactor caps the connections of a pool at this many times Conns,
// however few streams an HTTP/2 server allows per connection.
const maxGrowFactor = 4

// onSaturated is a connection's report that the HTTP/2 server allows only
// limit streams on it, fewer than Window, while requests wait. The pool
// then opens one more connection, up to what Conns × Window requests in
// flight need: without them the default window would not hide the round
// trip against such a server. Each connection reports at most once, so the
// pool grows one connection at a time, and only while all are busy.
func (p *Pool) onSaturated(limit int) {
	s := p.cfg
	want := (s.Conns*s.Wire.Window + limit - 1) / max(limit, 1)
	want = min(want, maxGrowFactor*s.Conns) - s.Conns
	for {
		n := p.grown.Load()
		if int(n) >= want {
			return
		}
		if p.grown.CompareAndSwap(n, n+1) {
			break
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		p.grown.Add(-1)
		return
	}
	p.slots.Add(1)
	go p.runGrownSlot()
}

// runGrownSlot keeps one grown connection until it dies or reaches
// ConnMaxAge, then ends: unlike the Conns slots it neither redials nor
// replaces, so grown connections last only while the load that opened
// them may still be there, and busy connections open them again.
func (p *Pool) runGrownSlot() {
	defer p.slots.Done()
	defer p.grown.Add(-1)
	conn, err := p.dial()
	if err != nil {
		if p.ctx.Err() == nil {
			p.host.DialFailed()
			p.cfg.Logger.Warn("mipush: dial failed", "host", p.addr, "err", err)
		}
		return
	}
	var expiry <-chan time.Time
	if life := p.cfg.ConnMaxAge; life > 0 {
		t := time.NewTimer(life)
		defer t.Stop()
		expiry = t.C
	}
	select {
	case <-conn.Done():
	case <-expiry:
		p.recycled.Add(1)
		conn.Retire()
	case <-p.ctx.Done():
		conn.Retire()
	}
}
