package engine

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Dial retry backoff of a pool slot.
const (
	dialBackoffMin = 100 * time.Millisecond
	dialBackoffMax = 5 * time.Second
)

// Pool is the set of connections to one host. Its connections pull
// requests from one shared queue, so a busy or recycling connection never
// holds up the others.
type Pool struct {
	cfg       *PoolConfig
	host      PoolHost
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

// PoolConfig is what the pools of a client share: the settings of their
// connections.
type PoolConfig struct {
	Conns        int           // connections kept per pool
	MaxPending   int           // the bound on accepted sends: the queue's size
	ConnMaxAge   time.Duration // a connection is recycled at this age; 0: never
	QueueTimeout time.Duration // a queued request fails after this wait
	DialTimeout  time.Duration // bounds the dial and the handshakes
	DialContext  func(ctx context.Context, network, addr string) (net.Conn, error)
	Proxy        func(hostport string) (*url.URL, error)
	TLSConfig    *tls.Config // cloned for each host; nil: the defaults
	DisableHTTP2 bool
	Wire         wire.Config // Window, UserAgent, MaxBody, Timeout, pings; the pool sets the rest
	Logger       *slog.Logger
}

// PoolHost is what a pool asks of the Sender (which passes part of it on
// to the client's Host): what to do with the calls it queues, and whom
// to tell of its connections.
type PoolHost interface {
	Host
	// Reroute routes ex, which met a retired pool, again and queues it.
	Reroute(ex *wire.Exchange, from *Pool) bool
	// FailClosed fails ex with ErrClosed unless its caller withdrew it.
	FailClosed(ex *wire.Exchange)
	// QueueExpired reports whether ex has waited longer than QueueTimeout.
	QueueExpired(ex *wire.Exchange) bool
}

// NewPool returns the pool of connections to addr, sending authority as
// the Host. With start false the pool is closed from the start (the
// client is closing): calls queued to it fail with ErrClosed.
func NewPool(cfg *PoolConfig, host PoolHost, addr, authority string, start bool) *Pool {
	p := &Pool{
		cfg:       cfg,
		host:      host,
		addr:      addr,
		authority: authority,
		queue:     make(chan *wire.Exchange, cfg.MaxPending),
		conns:     make(map[wire.Conn]struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if !start {
		p.closed = true
		p.cancel()
		return p
	}
	for range cfg.Conns {
		p.slots.Add(1)
		go p.runSlot()
	}
	p.slots.Add(1)
	go p.watchQueue()
	return p
}

// Addr is the host:port the pool dials.
func (p *Pool) Addr() string { return p.addr }

// Authority is the Host the pool's requests carry.
func (p *Pool) Authority() string { return p.authority }

// Context ends when the pool shuts down.
func (p *Pool) Context() context.Context { return p.ctx }

// Counts returns the connections dialled and recycled so far, those open,
// and the requests in flight on them.
func (p *Pool) Counts() (dialled, recycled int64, open, inFlight int) {
	p.connsMu.Lock()
	for conn := range p.conns {
		inFlight += conn.InFlight()
	}
	p.connsMu.Unlock()
	return p.dialled.Load(), p.recycled.Load(), int(p.live.Load()), inFlight
}

// Retire marks the pool as closed because its host left the host list:
// what meets it afterwards is routed again (see Enqueue). Shutdown follows.
func (p *Pool) Retire() {
	p.mu.Lock()
	p.retired = true
	p.mu.Unlock()
}

// Enqueue queues ex for the pool's connections. If the pool was retired
// it hands ex back to the host to be routed again; if it has shut down
// the host fails ex with ErrClosed, and Enqueue reports false.
func (p *Pool) Enqueue(ex *wire.Exchange) bool {
	p.mu.RLock()
	if p.closed {
		retired := p.retired
		p.mu.RUnlock()
		if retired && !p.host.Closed() {
			return p.host.Reroute(ex, p)
		}
		p.host.FailClosed(ex)
		return false
	}
	p.queue <- ex
	p.mu.RUnlock()
	return true
}

// runSlot keeps one connection alive: it dials, recycles the connection at
// ConnMaxAge (dialling the replacement first), and redials when it dies.
func (p *Pool) runSlot() {
	defer p.slots.Done()
	var conn wire.Conn
	var born time.Time
	var answersAtBirth int64
	delay := dialBackoffMin
	life := p.cfg.ConnMaxAge // time left until the connection is recycled
	for {
		if conn == nil {
			c, err := p.dial()
			if err != nil {
				if p.ctx.Err() != nil {
					return
				}
				p.host.DialFailed()
				p.cfg.Logger.Warn("mipush: dial failed", "host", p.addr, "err", err)
				if p.live.Load() == 0 {
					p.failQueued(err)
				}
				if !SleepCtx(p.ctx, delay) {
					return
				}
				delay = min(2*delay, dialBackoffMax)
				continue
			}
			conn, born, life = c, time.Now(), p.cfg.ConnMaxAge
			answersAtBirth = p.host.Answers()
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
			if time.Since(born) < time.Second && p.host.Answers() == answersAtBirth {
				// A server that closes connections as soon as they open,
				// answering nothing, must not make this a busy dial loop.
				if !SleepCtx(p.ctx, delay) {
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
			conn, born, life, delay = next, time.Now(), p.cfg.ConnMaxAge, dialBackoffMin
			answersAtBirth = p.host.Answers()
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

// failQueued hands every request now queued back to the host as not
// processed, with cause: after a failed dial, so that no send waits
// forever for a connection that cannot be had (the engine re-queues each
// with backoff until its retries run out), and at shutdown with ErrClosed.
// It takes only the requests queued when it starts, so a request the
// engine re-queues at once is not failed again here.
func (p *Pool) failQueued(cause error) {
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

// Shutdown stops the pool: graceful retires every connection and waits for
// the requests in flight; otherwise connections close at once and their
// requests fail. Requests still queued then fail with ErrClosed.
func (p *Pool) Shutdown(graceful bool) {
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

// CloseNow closes every connection of the pool at once (Close's timeout).
func (p *Pool) CloseNow() {
	p.connsMu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.connsMu.Unlock()
}

// watchQueue fails the sends that wait in the pool's queue past
// QueueTimeout. Connections check the bound as they take requests, but a
// pool whose connections take nothing (none could be dialled, the server
// allows no stream, or they are stuck) or take slowly would leave sends
// waiting. Every quarter of QueueTimeout it sweeps the queue, so a send
// fails within 1.25 × QueueTimeout of being queued; entries that have not
// expired go back, in their order.
func (p *Pool) watchQueue() {
	defer p.slots.Done()
	tick := time.NewTicker(max(p.cfg.QueueTimeout/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-p.ctx.Done():
			return
		}
		for range len(p.queue) {
			var ex *wire.Exchange
			select {
			case ex = <-p.queue:
			default:
			}
			if ex == nil {
				break
			}
			if p.host.QueueExpired(ex) {
				ex.Take() // the gate fails it (or it was withdrawn)
				continue
			}
			p.queue <- ex // never blocks: every entry holds a MaxPending token
		}
	}
}
