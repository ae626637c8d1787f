package mipush

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// Dial retry backoff of a pool slot.
const (
	dialBackoffMin = 100 * time.Millisecond
	dialBackoffMax = 5 * time.Second
)

// pool is the set of connections to one host. Its connections pull
// requests from one shared queue, so a busy or recycling connection never
// holds up the others.
type pool struct {
	e         *pipeline
	addr      string // host:port dialled
	authority string // Host header / :authority

	// queue holds accepted requests not yet taken by a connection. It never
	// fills: every entry holds one of the engine's MaxPending tokens.
	queue chan *wire.Exchange

	mu      sync.RWMutex // enqueue (read) against shutdown (write)
	closed  bool
	retired bool // closed because its host left the host list: sends go elsewhere

	ctx    context.Context // ends when the pool shuts down
	cancel context.CancelFunc
	slots  sync.WaitGroup

	connsMu sync.Mutex
	conns   map[wire.Conn]struct{}
	connsWG sync.WaitGroup
	live    atomic.Int32
	grown   atomic.Int32 // slots opened by onSaturated (pool_grow.go), running now

	// Counters for Metrics and tests.
	dialled, recycled atomic.Int64
}

// pool returns the pool for addr, starting it on first use.
func (e *pipeline) pool(addr, authority string) *pool {
	p, _ := e.poolIf(addr, authority, nil)
	return p
}

// poolIf is pool that, when no pool for addr exists, makes one only if
// allowed (nil: always) reports true, deciding under poolsMu: the
// failover route makes a pool only for a host still on the list, so a
// pool is never made again for a host that retireHosts (which takes
// poolsMu after the list changed) has just retired.
func (e *pipeline) poolIf(addr, authority string, allowed func() bool) (*pool, bool) {
	e.poolsMu.Lock()
	defer e.poolsMu.Unlock()
	if p, ok := e.pools[addr]; ok {
		return p, true
	}
	if allowed != nil && !allowed() {
		return nil, false
	}
	p := &pool{
		e:         e,
		addr:      addr,
		authority: authority,
		queue:     make(chan *wire.Exchange, e.s.MaxPending),
		conns:     make(map[wire.Conn]struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if e.closed.Load() {
		// Close has begun and will not see this pool: start nothing, so
		// that calls routed here end with ErrClosed.
		p.closed = true
		p.cancel()
		return p, true
	}
	for range e.s.Conns {
		p.slots.Add(1)
		go p.runSlot()
	}
	p.slots.Add(1)
	go p.watchQueue()
	e.pools[addr] = p
	return p, true
}

// enqueue queues c for the pool's connections. If the pool has shut down
// it finishes c with ErrClosed and reports false.
func (p *pool) enqueue(c *call) bool {
	p.mu.RLock()
	if p.closed {
		retired := p.retired
		p.mu.RUnlock()
		if retired && !p.e.closed.Load() {
			p.e.reroute(c, p)
			return c.pool.enqueue(c)
		}
		p.e.finishUnlessWithdrawn(c, ErrClosed)
		return false
	}
	p.queue <- &c.ex
	p.mu.RUnlock()
	return true
}

// runSlot keeps one connection alive: it dials, recycles the connection at
// ConnMaxAge (dialling the replacement first), and redials when it dies.
func (p *pool) runSlot() {
	defer p.slots.Done()
	var conn wire.Conn
	var born time.Time
	var answersAtBirth int64
	delay := dialBackoffMin
	life := p.e.s.ConnMaxAge // time left until the connection is recycled
	for {
		if conn == nil {
			c, err := p.dial()
			if err != nil {
				if p.ctx.Err() != nil {
					return
				}
				p.e.count.dialErrors.Add(1)
				p.e.s.Logger.Warn("mipush: dial failed", "host", p.addr, "err", err)
				if p.live.Load() == 0 {
					p.failQueued(err)
				}
				if !engine.SleepCtx(p.ctx, delay) {
					return
				}
				delay = min(2*delay, dialBackoffMax)
				continue
			}
			conn, born, life = c, time.Now(), p.e.s.ConnMaxAge
			answersAtBirth = p.e.answers()
		}
		var expiry <-chan time.Time
		var timer *time.Timer
		if life > 0 {
			timer = time.NewTimer(life)
			expiry = timer.C
		}
		select {
		case <-conn.Done():
			conn = nil
			if time.Since(born) < time.Second && p.e.answers() == answersAtBirth {
				// A server that closes connections as soon as they open,
				// answering nothing, must not make this a busy dial loop.
				if !engine.SleepCtx(p.ctx, delay) {
					return
				}
				delay = min(2*delay, dialBackoffMax)
			} else {
				delay = dialBackoffMin
			}
		case <-expiry:
			next, err := p.dial()
			if err != nil {
				if p.ctx.Err() != nil {
					conn.Retire()
					return
				}
				// Keep the old connection until a replacement can be had.
				life, delay = delay, min(2*delay, dialBackoffMax)
				break
			}
			p.recycled.Add(1)
			conn.Retire()
			conn, born, life, delay = next, time.Now(), p.e.s.ConnMaxAge, dialBackoffMin
			answersAtBirth = p.e.answers()
		case <-p.ctx.Done():
			conn.Retire()
			if timer != nil {
				timer.Stop()
			}
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// failQueued hands every request now queued back to the engine as not
// processed, with cause: after a failed dial, so that no send waits
// forever for a connection that cannot be had (the engine re-queues each
// with backoff until its retries run out), and at shutdown with ErrClosed.
// It takes only the requests queued when it starts, so a request the
// engine re-queues at once is not failed again here.
func (p *pool) failQueued(cause error) {
	err := &wire.Error{Err: cause, NotProcessed: true}
	for range len(p.queue) {
		select {
		case ex := <-p.queue:
			if ex.Take() {
				ex.Done(ex, nil, err)
			}
		default:
			return
		}
	}
}

// shutdown stops the pool: graceful retires every connection and waits for
// the requests in flight; otherwise connections close at once and their
// requests fail. Requests still queued then fail with ErrClosed.
func (p *pool) shutdown(graceful bool) {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.slots.Wait()
	p.connsMu.Lock()
	for c := range p.conns {
		if graceful {
			c.Retire()
		} else {
			c.Close()
		}
	}
	p.connsMu.Unlock()
	p.connsWG.Wait()
	// closed is set and enqueue holds mu while it queues: nothing enters
	// the queue any more, so failQueued empties it.
	p.failQueued(ErrClosed)
}

// closeNow closes every connection of the pool at once (Close's timeout).
func (p *pool) closeNow() {
	p.connsMu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.connsMu.Unlock()
}
