// Package h2conn implements wire.Conn over HTTP/2: one client connection
// carrying many small request/response exchanges as concurrent streams.
//
// It is built on the frame and header codecs of golang.org/x/net/http2
// rather than on http2.ClientConn for two reasons. The pool must know which
// failed requests the server surely did not process (streams above a
// GOAWAY's last stream id, or refused with REFUSED_STREAM) so that it can
// send them again, and ClientConn does not say. And an exchange here costs
// no goroutine, no http.Request or http.Response, and about two
// allocations.
//
// A Conn runs two goroutines. The writer takes exchanges from the shared
// queue while it has room, writes each as HEADERS and DATA frames, and is
// the only goroutine that writes to the network: frames the reader must
// send (SETTINGS and PING acknowledgements, WINDOW_UPDATE, RST_STREAM) are
// queued for it, so the reader never blocks on a write and the writer can
// wait for flow-control credit without holding anything the reader needs.
// The writer also enforces per-stream timeouts. The reader reads frames,
// assembles responses and completes exchanges.
package h2conn

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/wire"
)

const (
	// streamWindow is the receive window granted to each stream. Responses
	// are small, so a stream practically never needs a WINDOW_UPDATE.
	streamWindow = 4 << 20
	// connWindow is the receive window of the whole connection.
	connWindow = 16 << 20
	// maxHeaderListSize bounds the response header block we accept.
	maxHeaderListSize = 64 << 10
	// maxReadFrameSize is the default SETTINGS_MAX_FRAME_SIZE, which we do
	// not raise: responses are small.
	maxReadFrameSize = 16 << 10
	// headerTableSize is the HPACK dynamic table size of both directions
	// (the protocol default).
	headerTableSize = 4096
	// DefaultMaxBody is the response body cap used when Config.MaxBody is
	// not positive.
	DefaultMaxBody = 1 << 20

	maxStreamID   = 1<<31 - 1
	maxWindow     = 1<<31 - 1
	bufferSize    = 32 << 10
	maxQueuedAcks = 64 // unanswered PINGs or SETTINGS before we hang up
	// goAwayGrace bounds the wait for the GOAWAY sent before closing on a
	// connection error.
	goAwayGrace = time.Second
)

// aLongTimeAgo is a deadline in the past, used to unblock pending reads
// and writes at once.
var aLongTimeAgo = time.Unix(1, 0)

// Conn is an HTTP/2 client connection that implements wire.Conn.
type Conn struct {
	cfg wire.Config
	nc  net.Conn
	cw  countingWriter // nc, counting the bytes it accepted
	bw  *bufio.Writer  // over cw; written only by the writer goroutine
	fr  *http2.Framer  // writes to bw, reads from a bufio.Reader over nc

	// Owned by the writer goroutine (and by New before it starts).
	henc     *hpack.Encoder
	hbuf     []byte      // the header block being written
	hw       blockWriter // appends henc's output to hbuf
	hcache   headerCache
	nextID   uint32
	pending  uint32 // stream whose request body is not all written, or 0
	scratch  []byte // a copy of the DATA payload being written
	ctlw     control
	timer    *time.Timer // nil when cfg.Timeout is 0
	timerSet bool
	expired  []*stream
	// saturated records that cfg.OnSaturated has been called.
	saturated bool
	// The peer settings the writer goes by; see syncPeerLocked.
	wMaxFrame     uint32
	wTableSize    uint32
	wTableChanged bool

	// Owned by the reader goroutine.
	resp      wire.Response // handed to Done for every success
	hdec      *hpack.Decoder
	blk       headerBlock
	recvAvail int64 // connection-level receive window left
	recvUnack int64 // bytes received but not yet returned to the server

	wake       chan struct{} // capacity 1: something changed for the writer
	dead       chan struct{} // closed when the connection starts to shut down
	writerDone chan struct{}
	done       chan struct{}
	healthDone chan struct{} // closed when healthLoop exits; nil without it
	inflight   atomic.Int64
	framesRead atomic.Uint64 // frames the reader has read, for healthLoop

	mu         sync.Mutex
	streams    map[uint32]*stream
	oldest     *stream // open streams in write order, when cfg.Timeout > 0
	newest     *stream
	free       []*stream
	sendWindow int64 // the peer's connection-level window
	peer       peerSettings
	ctl        control // frames queued by the reader for the writer
	stopTaking bool    // take no more exchanges from the queue
	retiring   bool    // stopTaking, then GOAWAY and close when idle
	goAway     *GoAwayError
	shutting   bool
	err        error // why the connection stopped; nil if gracefully
}

// peerSettings holds what the server told us in SETTINGS.
type peerSettings struct {
	maxStreams    uint32
	initialWindow int64
	maxFrame      uint32
	tableSize     uint32
	tableChanged  bool
}

// New starts an HTTP/2 connection over nc, which must already speak HTTP/2
// (TLS that negotiated "h2", or cleartext with prior knowledge).
//
// New writes the client preface and settings and waits, bounded by ctx,
// for the server's settings. On error it closes nc.
func New(ctx context.Context, nc net.Conn, cfg wire.Config) (*Conn, error) {
	if cfg.Queue == nil {
		nc.Close()
		return nil, errors.New("h2conn: Config.Queue is nil")
	}
	if cfg.Window < 1 {
		cfg.Window = 1
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	c := &Conn{
		cfg:        cfg,
		nc:         nc,
		nextID:     1,
		recvAvail:  connWindow,
		wake:       make(chan struct{}, 1),
		dead:       make(chan struct{}),
		writerDone: make(chan struct{}),
		done:       make(chan struct{}),
		streams:    make(map[uint32]*stream),
		sendWindow: 65535,
		peer: peerSettings{
			maxStreams:    math.MaxUint32,
			initialWindow: 65535,
			maxFrame:      16384,
			tableSize:     headerTableSize,
		},
	}
	c.cw.w = nc
	c.bw = bufio.NewWriterSize(&c.cw, bufferSize)
	c.fr = http2.NewFramer(c.bw, bufio.NewReaderSize(nc, bufferSize))
	// DATA frames are consumed before the next ReadFrame, so the framer
	// may reuse them.
	c.fr.SetReuseFrames()
	c.fr.SetMaxReadFrameSize(maxReadFrameSize)
	c.hw.b = &c.hbuf
	c.henc = hpack.NewEncoder(&c.hw)
	// Header blocks are decoded here rather than through the framer's
	// ReadMetaHeaders, which allocates a frame, a field slice and a closure
	// per response; this emit function is bound once.
	c.hdec = hpack.NewDecoder(headerTableSize, c.emitField)
	c.hdec.SetMaxStringLength(maxHeaderListSize)
	if cfg.Timeout > 0 {
		c.timer = time.NewTimer(time.Hour)
		c.timer.Stop()
	}
	if err := c.handshake(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	c.cw.timeout, c.cw.dead = cfg.Timeout, c.dead
	health := cfg.PingIdle > 0 && cfg.PingTimeout > 0
	if health {
		c.healthDone = make(chan struct{}) // before readLoop, which waits on it
	}
	go c.writeLoop()
	go c.readLoop()
	if health {
		go c.healthLoop()
	}
	return c, nil
}

// handshake sends our preface and settings, then reads and acknowledges
// the server's settings.
func (c *Conn) handshake(ctx context.Context) (err error) {
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	defer func() {
		if !stop() {
			// ctx ended, and its deadline may be set on nc now.
			err = fmt.Errorf("h2conn: handshake: %w", ctx.Err())
			return
		}
		if err == nil {
			c.nc.SetDeadline(time.Time{})
		} else if ctx.Err() != nil {
			err = fmt.Errorf("h2conn: handshake: %w", ctx.Err())
		}
	}()

	if _, err := c.bw.WriteString(http2.ClientPreface); err != nil {
		return fmt.Errorf("h2conn: handshake: %w", err)
	}
	err = c.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: streamWindow},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: maxHeaderListSize},
	)
	if err == nil {
		err = c.fr.WriteWindowUpdate(0, connWindow-65535)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("h2conn: handshake: %w", err)
	}

	f, err := c.fr.ReadFrame()
	if err != nil {
		return fmt.Errorf("h2conn: handshake: %w", err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok || sf.IsAck() {
		return fmt.Errorf("h2conn: handshake: server sent %v before its SETTINGS", f.Header().Type)
	}
	if err := c.applySettings(sf); err != nil {
		return fmt.Errorf("h2conn: handshake: %w", err)
	}
	c.mu.Lock()
	c.syncPeerLocked()
	c.mu.Unlock()
	c.applyTableSize()
	if err := c.fr.WriteSettingsAck(); err != nil {
		return fmt.Errorf("h2conn: handshake: %w", err)
	}
	if err := c.bw.Flush(); err != nil {
		return fmt.Errorf("h2conn: handshake: %w", err)
	}
	return nil
}

// Protocol returns "h2".
func (c *Conn) Protocol() string { return "h2" }

// InFlight reports how many exchanges the connection has taken from the
// queue and not yet completed.
func (c *Conn) InFlight() int { return int(c.inflight.Load()) }

// Done is closed once the connection has stopped, every exchange it took
// has been completed, and its goroutines have exited.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Retire makes the connection take no more exchanges, let those in flight
// finish, then send GOAWAY and close; OnClose then receives nil. It does not
// block and may be called from any goroutine, any number of times.
func (c *Conn) Retire() {
	c.mu.Lock()
	c.stopTaking = true
	c.retiring = true
	c.mu.Unlock()
	c.wakeWriter()
}

// Close closes the connection now. Exchanges in flight fail: those whose
// request may have reached the server as maybe processed, the others
// NotProcessed. OnClose receives wire.ErrConnClosed unless the connection
// had already stopped. Close does not block and may be called from any
// goroutine, any number of times, including from inside Exchange.Done.
func (c *Conn) Close() { c.shutdown(wire.ErrConnClosed) }

// shutdown stops the connection; the first call decides the error OnClose
// receives. Exchanges still open are failed by the reader goroutine once
// the writer has exited, never by the caller of shutdown.
func (c *Conn) shutdown(err error) {
	c.mu.Lock()
	if c.shutting {
		c.mu.Unlock()
		return
	}
	c.shutting = true
	c.stopTaking = true
	c.err = err
	c.mu.Unlock()
	close(c.dead)
	// A deadline in the past unblocks a pending Read or Write without
	// blocking here, which closing a TLS connection might (it tries to send
	// close_notify). The reader goroutine closes nc on its way out.
	if c.nc.SetDeadline(aLongTimeAgo) != nil {
		c.nc.Close()
	}
}

// wakeWriter tells the writer that something it waits for may have changed.
func (c *Conn) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// finish runs last, on the reader goroutine, once the writer has exited:
// it fails the exchanges still open, closes the network connection and
// reports the end.
func (c *Conn) finish(readErr error) {
	c.mu.Lock()
	if !c.shutting {
		// Unreachable: the reader shuts down before calling finish.
		c.shutting = true
		c.err = readErr
	}
	err := c.err
	open := make([]*stream, 0, len(c.streams))
	for _, s := range c.streams {
		open = append(open, s)
	}
	for _, s := range open {
		c.removeLocked(s)
	}
	c.mu.Unlock()

	cause := wire.ErrConnClosed
	if err != nil && !errors.Is(err, wire.ErrConnClosed) {
		cause = fmt.Errorf("%w: %w", wire.ErrConnClosed, err)
	}
	written := c.cw.n // the writer has exited: no more writes
	for _, s := range open {
		// A stream whose HEADERS never reached the connection was not
		// seen by the server.
		c.complete(s, nil, &wire.Error{Err: cause, NotProcessed: s.hdrOff >= written})
	}
	c.nc.Close()
	if c.healthDone != nil {
		<-c.healthDone // it exits once dead is closed
	}
	if c.cfg.OnClose != nil {
		c.cfg.OnClose(err)
	}
	close(c.done)
}

// countingWriter counts the bytes the network connection accepted. Once
// timeout is set (after the handshake), each write must complete within
// it: a server that stops reading would otherwise block the writer, and
// with it every stream's timeout, for as long as it keeps the connection
// alive with frames of its own.
type countingWriter struct {
	w       net.Conn
	n       int64
	timeout time.Duration
	dead    <-chan struct{} // closed by shutdown, which also sets a past deadline
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	if cw.timeout > 0 {
		cw.w.SetWriteDeadline(time.Now().Add(cw.timeout))
		select {
		case <-cw.dead:
			// shutdown's past deadline may have been overwritten above.
			return 0, wire.ErrConnClosed
		default:
		}
	}
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	if err != nil && cw.timeout > 0 {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("%w: the server read nothing for %v", errWriteStalled, cw.timeout)
		}
	}
	return n, err
}

// errWriteStalled is the cause of a connection closed because a write
// could not complete within the request timeout.
var errWriteStalled = errors.New("h2conn: write stalled")

// blockWriter collects the output of the HPACK encoder.
type blockWriter struct{ b *[]byte }

func (w *blockWriter) Write(p []byte) (int, error) {
	*w.b = append(*w.b, p...)
	return len(p), nil
}
