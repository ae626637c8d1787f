// Package h1conn is the client's own pipelined HTTP/1.1 connection.
//
// A Conn runs two goroutines over one net.Conn. The writer takes exchanges
// from the pool's queue while fewer than Config.Window are in flight and
// writes their requests back to back, flushing only when the queue has
// nothing more ready, so a burst leaves in few TLS records. The reader
// parses responses in order and completes the oldest exchange in flight
// with each one.
//
// Every exchange the connection takes is completed exactly once. When the
// connection ends with exchanges still in flight, each is classified by
// where its request stands in the outgoing byte stream. A request counts as
// sent, and so fails as maybe processed, as soon as any of its bytes has
// been offered to the socket's Write, whether or not that Write succeeded.
// A request still wholly in the write buffer, or one sent after a response
// that carried "Connection: close", fails NotProcessed: the server surely
// did not act on it, and it is safe to send again.
//
// One timer per connection enforces Config.Timeout, counted for each
// exchange from when the writer takes it, just before writing it.
package h1conn

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

const (
	// DefaultMaxBody is the body cap used when Config.MaxBody is not
	// positive.
	DefaultMaxBody = 1 << 20

	// bufSize sizes both the write and the read buffer: a burst of form
	// requests fits in one write buffer, and a header section in the read
	// buffer (maxHeaderBytes is the same).
	bufSize = 64 << 10

	// writeErrGrace bounds how long the reader keeps waiting for
	// responses to requests already sent once writing has failed: the
	// server's answers (or its "Connection: close") are still the best
	// account of what it processed, but a half-broken connection must not
	// hold exchanges forever.
	writeErrGrace = 5 * time.Second
)

// endKind says why a connection ends, which decides how the exchanges still
// in flight are failed.
type endKind uint8

const (
	endNone endKind = iota
	// endClean: retired and drained; nothing is left in flight.
	endClean
	// endConn: the connection failed as a whole (an I/O error, Close, a
	// protocol error); the cause applies to every exchange left.
	endConn
	// endHead: the oldest exchange failed (timeout, malformed or oversized
	// response); the others fail because the connection goes with it.
	endHead
	// endServerClose: the server announced it closes the connection after
	// the response it just sent; it processes nothing sent after that.
	endServerClose
)

// Conn is one pipelined HTTP/1.1 connection. It implements wire.Conn.
type Conn struct {
	nc      net.Conn
	queue   <-chan *wire.Exchange
	window  int64
	timeout time.Duration
	onClose func(error)
	host    string
	ua      string
	cfgErr  error // an Authority or UserAgent that cannot be sent

	bw   *bufio.Writer // the writer goroutine's alone
	p    parser        // the reader goroutine's alone
	resp wire.Response // the reader's, reused for every response

	// sent counts the bytes handed to nc.Write, counted before the call
	// returns, so that a request any byte of which may have left is never
	// taken for unsent.
	sent     atomic.Int64
	inflight atomic.Int64
	running  atomic.Int32 // goroutines not yet exited
	closed   atomic.Bool  // set just before nc is closed

	stop      chan struct{} // closed: the writer takes no more exchanges
	stopOnce  sync.Once
	slot      chan struct{} // a window slot was freed (buffered, 1)
	closeOnce sync.Once     // closes nc
	done      chan struct{}

	mu         sync.Mutex
	q          fifo
	retiring   bool
	writerDone bool
	writeErr   error // why writing failed, while the reader still drains
	end        endKind
	err        error // the cause of end; nil for endClean
	timer      *time.Timer
	timerArmed bool
}

var _ wire.Conn = (*Conn)(nil)

// New starts a connection over nc, which is ready for HTTP/1.1 (a TLS
// connection already handshaken, or any net.Conn), and returns at once. A
// Window below 1 is taken as 1, a MaxBody not positive as DefaultMaxBody.
func New(nc net.Conn, cfg wire.Config) *Conn {
	window := max(cfg.Window, 1)
	maxBody := cfg.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	c := &Conn{
		nc:      nc,
		queue:   cfg.Queue,
		window:  int64(window),
		timeout: max(cfg.Timeout, 0),
		onClose: cfg.OnClose,
		host:    cfg.Authority,
		ua:      cfg.UserAgent,
		stop:    make(chan struct{}),
		slot:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		q:       newFIFO(window),
	}
	if !validValue(cfg.Authority) || cfg.Authority == "" || !validValue(cfg.UserAgent) {
		c.cfgErr = fmt.Errorf("h1conn: invalid Authority %q or UserAgent %q", cfg.Authority, cfg.UserAgent)
	}
	c.bw = bufio.NewWriterSize(sentCounter{c}, bufSize)
	c.p = parser{br: bufio.NewReaderSize(nc, bufSize), maxBody: maxBody}
	c.running.Store(2)
	go c.writeLoop()
	go c.readLoop()
	return c
}

// Protocol returns "http/1.1".
func (c *Conn) Protocol() string { return "http/1.1" }

// InFlight reports how many exchanges the connection holds: taken from the
// queue and not yet completed.
func (c *Conn) InFlight() int { return int(c.inflight.Load()) }

// Done is closed once both goroutines have exited, every exchange taken has
// been completed, and OnClose has returned.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Retire makes the connection take no more exchanges, complete those in
// flight, and close; OnClose then gets nil unless something failed
// meanwhile. It does not block and may be called from anywhere, any number
// of times, including from a Done callback.
func (c *Conn) Retire() {
	c.mu.Lock()
	c.retiring = true
	c.mu.Unlock()
	c.stopWriter()
}

// Close aborts the connection: exchanges in flight fail, as maybe
// processed if their bytes may have reached the server, NotProcessed
// otherwise. It does not block and may be called from anywhere, any number
// of times, including from a Done callback.
func (c *Conn) Close() {
	c.mu.Lock()
	c.endLocked(endConn, fmt.Errorf("h1conn: %w by Close", wire.ErrConnClosed))
	c.mu.Unlock()
	c.shutdown(false)
}

// endLocked records why the connection ends, unless a reason is already
// recorded, and reports whether it did. The caller must then call shutdown.
func (c *Conn) endLocked(kind endKind, err error) bool {
	if c.end != endNone {
		return false
	}
	c.end, c.err = kind, err
	return true
}

// shutdown stops the writer and closes the socket, which unblocks the
// reader. graceful lets a TLS connection send its close_notify; otherwise
// the socket under TLS is closed directly, so that shutdown never waits on
// a peer that stopped reading.
func (c *Conn) shutdown(graceful bool) {
	c.stopWriter()
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		if !graceful {
			if tc, ok := c.nc.(interface{ NetConn() net.Conn }); ok {
				tc.NetConn().Close()
				return
			}
		}
		c.nc.Close()
	})
}

func (c *Conn) stopWriter() { c.stopOnce.Do(func() { close(c.stop) }) }

// exit is called by each goroutine as it returns; the last one out
// completes what is left.
func (c *Conn) exit() {
	if c.running.Add(-1) == 0 {
		c.finish()
	}
}

// finish fails every exchange still in flight, reports the connection's
// end to OnClose, and closes done. Both goroutines have exited, so nothing
// else pushes or pops; the lock still orders it against a late timer.
func (c *Conn) finish() {
	c.mu.Lock()
	if c.end == endNone { // not expected: every way out records an end
		c.end, c.err = endConn, fmt.Errorf("h1conn: %w", wire.ErrConnClosed)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	var left []entry
	for c.q.n > 0 {
		left = append(left, c.q.pop())
	}
	end, cause := c.end, c.err
	c.mu.Unlock()
	c.shutdown(false) // a no-op unless something forgot to close
	sent := c.sent.Load()
	for i, e := range left {
		err := failure(end, cause, i == 0, e.start < sent)
		c.inflight.Add(-1)
		e.ex.Done(e.ex, nil, err)
	}
	if c.onClose != nil {
		c.onClose(cause)
	}
	close(c.done)
}

// failure builds the error of an exchange left in flight when the
// connection ended. oldest reports that it is the oldest one left; sent,
// that its bytes may have reached the server.
func failure(end endKind, cause error, oldest, sent bool) *wire.Error {
	if cause == nil { // endClean never leaves exchanges; be safe anyway
		cause = fmt.Errorf("h1conn: %w", wire.ErrConnClosed)
	}
	// Only the oldest exchange owns an endHead cause; the others failed
	// because the connection went with it.
	shared := cause
	if end == endHead && !oldest {
		shared = fmt.Errorf("h1conn: %w after an earlier exchange failed (%v)", wire.ErrConnClosed, cause)
	}
	switch {
	case end == endServerClose:
		return &wire.Error{
			Err:          fmt.Errorf("h1conn: %w: request sent after a response with \"Connection: close\"", wire.ErrConnClosed),
			NotProcessed: true,
		}
	case !sent:
		if end == endHead {
			shared = fmt.Errorf("h1conn: %w (%v)", wire.ErrConnClosed, cause)
		}
		return &wire.Error{Err: fmt.Errorf("h1conn: request not sent: %w", shared), NotProcessed: true}
	default:
		return &wire.Error{Err: shared}
	}
}

// armLocked makes sure the timer will fire no later than the timeout of the
// exchange just pushed. The timer is armed lazily: it is never moved on a
// response; when it fires early for the exchange now oldest, expire re-arms
// it for that one. So there is one timer per connection and at most about
// one timer operation per timeout period, not per request.
func (c *Conn) armLocked() {
	if c.timerArmed {
		return // it fires no later than for an older exchange
	}
	c.timerArmed = true
	if c.timer == nil {
		c.timer = time.AfterFunc(c.timeout, c.expire)
	} else {
		c.timer.Reset(c.timeout)
	}
}

// expire runs when the timer fires: it fails the connection if the oldest
// exchange has outlived its timeout, and otherwise re-arms for it.
func (c *Conn) expire() {
	c.mu.Lock()
	c.timerArmed = false
	if c.end != endNone || c.q.n == 0 {
		c.mu.Unlock()
		return
	}
	if d := time.Until(c.q.oldest().at.Add(c.timeout)); d > 0 {
		c.timerArmed = true
		c.timer.Reset(d)
		c.mu.Unlock()
		return
	}
	c.endLocked(endHead, fmt.Errorf("h1conn: no response within %v: %w", c.timeout, wire.ErrTimeout))
	c.mu.Unlock()
	c.shutdown(false)
}
