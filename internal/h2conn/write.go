package h2conn

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/wire"
)

// control holds the frames the reader asks the writer to send.
type control struct {
	settingsAcks int
	ping         bool // a health-check PING of our own
	pings        [][8]byte
	connCredit   uint32     // WINDOW_UPDATE on stream 0
	credits      []frameArg // WINDOW_UPDATE: id, increment
	resets       []frameArg // RST_STREAM: id, error code
	goAway       bool       // GOAWAY with goAwayCode, then stop
	goAwayCode   http2.ErrCode
}

type frameArg struct{ id, val uint32 }

func (ct *control) empty() bool {
	return ct.settingsAcks == 0 && !ct.ping && len(ct.pings) == 0 && ct.connCredit == 0 &&
		len(ct.credits) == 0 && len(ct.resets) == 0 && !ct.goAway
}

func (ct *control) reset() {
	ct.settingsAcks = 0
	ct.ping = false
	ct.pings = ct.pings[:0]
	ct.connCredit = 0
	ct.credits = ct.credits[:0]
	ct.resets = ct.resets[:0]
	ct.goAway = false
}

// writeLoop is the writer goroutine. It is the only goroutine that writes
// to the connection after New returns.
func (c *Conn) writeLoop() {
	defer close(c.writerDone)
	var timerC <-chan time.Time
	if c.timer != nil {
		defer c.timer.Stop()
		timerC = c.timer.C
	}
	for {
		if err := c.writeStep(timerC); err != nil {
			if err != errStop {
				c.shutdown(fmt.Errorf("h2conn: write: %w", err))
			}
			return
		}
	}
}

// errStop ends the writer without an error of its own.
var errStop = errors.New("h2conn: writer stopped")

// writeStep does one round of the writer's work: queued control frames,
// expired streams, a pending request body, then one new exchange or, when
// nothing is ready, a flush and a wait.
func (c *Conn) writeStep(timerC <-chan time.Time) error {
	c.mu.Lock()
	if c.shutting {
		c.mu.Unlock()
		return errStop
	}
	if !c.ctl.empty() {
		c.ctlw.reset()
		c.ctl, c.ctlw = c.ctlw, c.ctl
	}
	open := len(c.streams)
	limit := uint32(c.cfg.Window)
	if c.peer.maxStreams < limit {
		limit = c.peer.maxStreams
	}
	stopTaking := c.stopTaking
	retiring := c.retiring
	goAway := c.goAway
	c.syncPeerLocked()
	c.mu.Unlock()
	c.applyTableSize()

	if err := c.writeControl(); err != nil {
		return err
	}
	select {
	case <-timerC:
		if err := c.expire(); err != nil {
			return err
		}
	default:
	}
	if c.pending != 0 {
		if err := c.writeBody(); err != nil {
			return err
		}
	}

	if stopTaking && open == 0 && c.pending == 0 {
		// Nothing in flight and nothing more to take: end gracefully.
		var err error
		if goAway != nil && goAway.Code != http2.ErrCodeNo {
			err = goAway
		}
		if retiring && goAway == nil {
			if werr := c.fr.WriteGoAway(0, http2.ErrCodeNo, nil); werr != nil {
				return werr
			}
		}
		if werr := c.bw.Flush(); werr != nil {
			return werr
		}
		c.shutdown(err)
		return errStop
	}

	// While a request body waits for flow-control credit, no new exchange
	// is taken: requests leave in queue order, and a stalled body is
	// bounded by the stream's timeout.
	var queue <-chan *wire.Exchange
	if !stopTaking && c.pending == 0 && uint32(open) < limit {
		queue = c.cfg.Queue
		select {
		case ex, ok := <-queue:
			return c.take(ex, ok)
		default:
		}
	}
	if !stopTaking && !c.saturated && limit < uint32(c.cfg.Window) && uint32(open) >= limit &&
		c.cfg.OnSaturated != nil && len(c.cfg.Queue) > 0 {
		c.saturated = true
		c.cfg.OnSaturated(int(limit))
	}
	// Nothing more is ready now: send what has accumulated, so that a burst
	// of exchanges leaves in few writes.
	if c.bw.Buffered() > 0 {
		if err := c.bw.Flush(); err != nil {
			return err
		}
	}
	select {
	case ex, ok := <-queue:
		return c.take(ex, ok)
	case <-c.wake:
	case <-timerC:
		return c.expire()
	case <-c.dead:
		return errStop
	}
	return nil
}

// take handles a receive from the queue. A closed queue retires the
// connection.
func (c *Conn) take(ex *wire.Exchange, ok bool) error {
	if !ok {
		c.Retire()
		return nil
	}
	if !ex.Take() {
		return nil // withdrawn or refused by the engine: not ours to complete
	}
	c.inflight.Add(1)
	return c.start(ex)
}

// start writes the request of ex on a new stream.
func (c *Conn) start(ex *wire.Exchange) error {
	// Encode the header block while the exchange is ours alone: once it is
	// registered, another goroutine may complete it, and its owner may then
	// reuse it.
	c.encodeHeaders(&ex.Req)
	body := ex.Req.Body
	first := min(len(body), int(c.wMaxFrame))
	c.scratch = append(c.scratch[:0], body[:first]...)

	c.mu.Lock()
	if c.shutting || c.goAway != nil {
		var err error = wire.ErrConnClosed
		if c.goAway != nil {
			err = c.goAway
		}
		c.mu.Unlock()
		c.completeExchange(ex, nil, &wire.Error{Err: err, NotProcessed: true})
		return nil
	}
	s := c.newStreamLocked()
	s.id = c.nextID
	s.ex = ex
	s.bodyLen = len(body)
	s.sendWindow = c.peer.initialWindow
	s.recvAvail = streamWindow
	s.hdrOff = c.cw.n + int64(c.bw.Buffered())
	n := min(first, int(max(0, min(c.sendWindow, s.sendWindow))))
	s.sent = n
	s.sendWindow -= int64(n)
	c.sendWindow -= int64(n)
	if c.timer != nil {
		s.deadline = time.Now().Add(c.cfg.Timeout)
		if !c.timerSet {
			c.timer.Reset(c.cfg.Timeout)
			c.timerSet = true
		}
	}
	c.addLocked(s)
	id := s.id
	if n < len(body) {
		c.pending = id
	}
	c.mu.Unlock()

	c.nextID += 2
	if c.nextID > maxStreamID {
		// Stream ids are exhausted: let this connection end gracefully.
		c.Retire()
	}
	if err := c.writeHeaders(id, len(body) == 0); err != nil {
		return err
	}
	if len(body) > 0 && n > 0 {
		if err := c.fr.WriteData(id, n == len(body), c.scratch[:n]); err != nil {
			return err
		}
	}
	return nil
}

// encodeHeaders HPACK-encodes the header block of req into c.hbuf.
func (c *Conn) encodeHeaders(req *wire.Request) {
	hasLength := len(req.Body) > 0 || req.Method == "POST"
	if hc := &c.hcache; hc.hit(req) {
		c.hbuf = append(c.hbuf[:0], hc.pre...)
		if hasLength {
			c.hbuf = appendContentLength(c.hbuf, len(req.Body))
		}
		c.hbuf = append(c.hbuf, hc.post...)
		return
	}
	c.hbuf = c.hbuf[:0]
	e := c.henc
	e.WriteField(hpack.HeaderField{Name: ":method", Value: req.Method})
	e.WriteField(hpack.HeaderField{Name: ":scheme", Value: "https"})
	e.WriteField(hpack.HeaderField{Name: ":authority", Value: c.cfg.Authority})
	e.WriteField(hpack.HeaderField{Name: ":path", Value: req.Path})
	if req.Auth != "" {
		// Indexed: the same key goes with every request, so after the
		// first it costs one or two bytes.
		e.WriteField(hpack.HeaderField{Name: "authorization", Value: req.Auth})
	}
	e.WriteField(hpack.HeaderField{Name: "content-type", Value: wire.ContentTypeForm})
	preEnd := len(c.hbuf)
	if hasLength {
		c.hbuf = appendContentLength(c.hbuf, len(req.Body))
	}
	postStart := len(c.hbuf)
	if c.cfg.UserAgent != "" {
		e.WriteField(hpack.HeaderField{Name: "user-agent", Value: c.cfg.UserAgent})
	}
	for _, h := range req.Header {
		e.WriteField(hpack.HeaderField{Name: h.Name, Value: h.Value})
	}
	c.hcache.update(req, c.hbuf[:preEnd], c.hbuf[postStart:])
}

// appendContentLength appends a content-length field encoded as a literal
// without indexing, with the name taken from the static table (index 28).
// Done by hand because the value changes with nearly every request:
// through the encoder it would cost a string allocation and would churn the
// dynamic table, evicting the fields that do repeat.
func appendContentLength(dst []byte, n int) []byte {
	// 0000 prefix, 4-bit index 28 = 15 + 13.
	dst = append(dst, 0x0f, 28-15)
	lenAt := len(dst)
	dst = append(dst, 0) // string length, no Huffman; at most 20 digits
	dst = strconv.AppendInt(dst, int64(n), 10)
	dst[lenAt] = byte(len(dst) - lenAt - 1)
	return dst
}

// syncPeerLocked copies the peer's settings that shape what the writer
// writes. The writer takes them in the same critical section as the
// SETTINGS acknowledgements it is about to send, so it never uses a setting
// before acknowledging it, nor an old one after.
func (c *Conn) syncPeerLocked() {
	c.wMaxFrame = c.peer.maxFrame
	if c.peer.tableChanged {
		c.peer.tableChanged = false
		c.wTableSize = c.peer.tableSize
		c.wTableChanged = true
	}
}

// applyTableSize makes the encoder respect the table size the peer
// announced in SETTINGS_HEADER_TABLE_SIZE; the encoder signals the change
// at the start of the next header block.
func (c *Conn) applyTableSize() {
	if c.wTableChanged {
		c.wTableChanged = false
		c.henc.SetMaxDynamicTableSizeLimit(c.wTableSize)
		c.hcache.valid = false // the encoder now owes a size update, and may have evicted entries
	}
}

// writeHeaders writes c.hbuf as the header block of stream id: a HEADERS
// frame and, past the peer's frame size, CONTINUATION frames.
func (c *Conn) writeHeaders(id uint32, endStream bool) error {
	maxFrame := int(c.wMaxFrame)
	block := c.hbuf
	frag := block[:min(len(block), maxFrame)]
	block = block[len(frag):]
	err := c.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID:      id,
		BlockFragment: frag,
		EndStream:     endStream,
		EndHeaders:    len(block) == 0,
	})
	for err == nil && len(block) > 0 {
		frag = block[:min(len(block), maxFrame)]
		block = block[len(frag):]
		err = c.fr.WriteContinuation(id, len(block) == 0, frag)
	}
	return err
}

// writeBody writes as much of the pending request body as the flow-control
// windows allow. The rest waits for WINDOW_UPDATE.
func (c *Conn) writeBody() error {
	for c.pending != 0 {
		c.mu.Lock()
		s := c.streams[c.pending]
		if s == nil {
			// Completed (answered early, reset, timed out) before its body
			// was all sent: drop the rest.
			c.pending = 0
			c.mu.Unlock()
			return nil
		}
		n := min(s.bodyLen-s.sent, int(c.wMaxFrame), int(max(0, min(c.sendWindow, s.sendWindow))))
		if n == 0 {
			c.mu.Unlock()
			return nil
		}
		// Copy under the lock: after it, the exchange may be completed and
		// its body reused.
		c.scratch = append(c.scratch[:0], s.ex.Req.Body[s.sent:s.sent+n]...)
		s.sent += n
		s.sendWindow -= int64(n)
		c.sendWindow -= int64(n)
		end := s.sent == s.bodyLen
		id := s.id
		c.mu.Unlock()
		if end {
			c.pending = 0
		}
		if err := c.fr.WriteData(id, end, c.scratch); err != nil {
			return err
		}
	}
	return nil
}

// writeControl writes the frames the reader queued.
func (c *Conn) writeControl() error {
	ct := &c.ctlw
	if ct.empty() {
		return nil
	}
	var err error
	for range ct.settingsAcks {
		if err == nil {
			err = c.fr.WriteSettingsAck()
		}
	}
	for _, p := range ct.pings {
		if err == nil {
			err = c.fr.WritePing(true, p)
		}
	}
	if ct.ping && err == nil {
		err = c.fr.WritePing(false, [8]byte{'m', 'i', 'p', 'u', 's', 'h'})
	}
	if ct.connCredit > 0 && err == nil {
		err = c.fr.WriteWindowUpdate(0, ct.connCredit)
	}
	for _, a := range ct.credits {
		if err == nil {
			err = c.fr.WriteWindowUpdate(a.id, a.val)
		}
	}
	for _, a := range ct.resets {
		if err == nil {
			err = c.fr.WriteRSTStream(a.id, http2.ErrCode(a.val))
		}
	}
	goAway, code := ct.goAway, ct.goAwayCode
	ct.reset()
	if goAway && err == nil {
		// The reader found a connection error: say so, and stop. The
		// server starts no streams, so the last stream id is 0.
		if err = c.fr.WriteGoAway(0, code, nil); err == nil {
			err = c.bw.Flush()
		}
		if err == nil {
			err = errStop
		}
	}
	return err
}
