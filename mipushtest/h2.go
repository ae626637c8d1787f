package mipushtest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/ascii"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// HTTP/2 settings.
const (
	h2DefaultMaxStreams = 250     // SETTINGS_MAX_CONCURRENT_STREAMS by default
	h2StreamWindow      = 1 << 20 // the receive window of each stream
	h2ConnWindow        = 1 << 20 // the receive window of the connection
	h2DefaultWindow     = 65535   // the initial windows of RFC 9113
	h2DefaultFrameSize  = 16384   // the initial SETTINGS_MAX_FRAME_SIZE

	// h2GoAwayLinger is how long a connection that sent GOAWAY and
	// answered its streams waits for the client to close before it closes
	// (like golang.org/x/net/http2's server).
	h2GoAwayLinger = time.Second
)

var (
	errBadPreface     = errors.New("mipushtest: bad HTTP/2 client preface")
	errBadHeaderBlock = errors.New("mipushtest: malformed request header block")
)

// h2kind is the kind of an h2event.
type h2kind uint8

const (
	evRequest    h2kind = iota // a complete request on stream id
	evTooLarge                 // a request whose body is too large
	evSettings                 // the client's SETTINGS, to apply and acknowledge
	evPing                     // a PING to acknowledge
	evWindow                   // the client grants n more bytes on id (0: the connection)
	evRecvWindow               // grant the client n more bytes on id (0: the connection)
	evReset                    // stream id ends: the client reset it, or send RST_STREAM code if send
	evRefuse                   // refuse stream id (too many streams)
	evGoAway                   // a connection error: send GOAWAY with code and close
	evEnd                      // the reader ended
)

// h2event is what the reader goroutine of an HTTP/2 connection hands to its
// serving goroutine.
type h2event struct {
	kind     h2kind
	send     bool
	id       uint32
	n        uint32
	code     http2.ErrCode
	x        *exchange
	ping     [8]byte
	settings []http2.Setting
}

// h2recv is a stream whose request is still arriving.
type h2recv struct {
	x       *exchange
	unacked uint32 // DATA received since the last WINDOW_UPDATE
}

// h2stream is a stream whose request was processed and whose answer is not
// yet all written: delayed, stalled, or waiting for the client's window.
type h2stream struct {
	id      uint32
	x       *exchange
	win     int64  // the client's window for the stream
	body    []byte // what is left of the answer's body
	stalled bool
	blocked bool // in h2conn.blocked
	index   int  // in h2conn.due, or -1
}

// h2conn is the server side of an HTTP/2 connection. A reader goroutine
// parses frames and hands complete requests and control frames, as events,
// to the connection's goroutine, which processes the requests in arrival
// order, answers them (at their due time if delayed) and writes every
// frame, flushing only when nothing more is ready and the reader waits for
// bytes. There is no goroutine per stream.
type h2conn struct {
	c          *conn
	s          *Server
	maxStreams int64

	// Shared by the two goroutines.
	mu         sync.Mutex
	events     []h2event
	wake       chan struct{} // capacity 1
	idle       atomic.Bool   // the reader waits for bytes
	lastID     atomic.Uint32 // the last stream id of GOAWAY, or MaxUint32
	closing    atomic.Bool   // the connection is being closed: ignore frames
	readerDone chan struct{}

	// The reader goroutine's.
	tr          h2reader
	br          *bufio.Reader
	rfr         *http2.Framer
	hdec        *hpack.Decoder // lives as long as the connection
	blk         h2block        // the header block being decoded
	recv        map[uint32]*h2recv
	recvFree    []*h2recv // to reuse for the next streams
	maxID       uint32    // the highest stream id the client opened
	connUnacked uint32

	// The serving goroutine's.
	bw            *bufio.Writer
	wfr           *http2.Framer
	hbuf          bytes.Buffer
	henc          *hpack.Encoder
	heads         [4]h2head // answers repeat: kept header blocks
	nextHead      int       // the entry of heads to fill next
	batch         []h2event
	streams       map[uint32]*h2stream
	due           []*h2stream // a min-heap by x.due
	blocked       []*h2stream
	free          []*h2stream
	timer         *time.Timer
	connWin       int64 // the client's window for the connection
	initWin       int64 // the client's initial window for streams
	maxFrame      int
	goingAway     bool
	lastProcessed uint32
	closeAt       time.Time // after GOAWAY, when to close if the client has not
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// h2reader reads the connection's bytes for the reader goroutine: it notes
// when its last Read returned (the arrival time of a request) and tells the
// serving goroutine when the reader is about to wait for bytes.
type h2reader struct {
	h    *h2conn
	r    io.Reader
	last time.Time
}

func (t *h2reader) Read(p []byte) (int, error) {
	t.h.idle.Store(true)
	t.h.signal()
	n, err := t.r.Read(p)
	t.h.idle.Store(false)
	t.last = time.Now()
	return n, err
}

// serveH2 serves the connection with HTTP/2 until it ends.
func (c *conn) serveH2() {
	s := c.s
	h := &h2conn{
		c:          c,
		s:          s,
		maxStreams: int64(s.opts.MaxConcurrentStreams),
		wake:       make(chan struct{}, 1),
		readerDone: make(chan struct{}),
		recv:       make(map[uint32]*h2recv),
		streams:    make(map[uint32]*h2stream),
		connWin:    h2DefaultWindow,
		initWin:    h2DefaultWindow,
		maxFrame:   h2DefaultFrameSize,
	}
	if h.maxStreams == 0 {
		h.maxStreams = h2DefaultMaxStreams
	}
	h.lastID.Store(math.MaxUint32)
	h.tr = h2reader{h: h, r: c.tc}
	h.br = s.getReader(&h.tr)
	// Header blocks are decoded here rather than by the Framer's
	// ReadMetaHeaders, which allocates a frame, a field slice and a
	// closure per block.
	h.rfr = http2.NewFramer(nil, h.br)
	h.rfr.SetReuseFrames()
	h.hdec = h.newRequestDecoder()
	h.bw = s.getWriter(c.tc)
	h.wfr = http2.NewFramer(h.bw, nil)
	h.henc = hpack.NewEncoder(&h.hbuf)

	// The reader starts first: over a pipe, the client's preface must be
	// read for the server's SETTINGS to be written.
	go h.read()
	h.serve()
	c.raw.Close()
	<-h.readerDone
	if h.timer != nil {
		h.timer.Stop()
	}
	for _, st := range h.streams {
		h.release(st)
	}
	s.putReader(h.br)
	s.putWriter(h.bw)
}

// signal wakes the serving goroutine.
func (h *h2conn) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// push hands an event to the serving goroutine.
func (h *h2conn) push(e h2event) {
	h.mu.Lock()
	h.events = append(h.events, e)
	h.mu.Unlock()
	h.signal()
}

// read is the reader goroutine.
func (h *h2conn) read() {
	defer close(h.readerDone)
	err := h.readFrames()
	if h.closing.Load() {
		// Drain until the client closes, so that unread bytes do not make
		// the kernel reset the connection.
		io.Copy(io.Discard, h.c.tc)
	}
	var ce http2.ConnectionError
	if errors.As(err, &ce) {
		h.push(h2event{kind: evGoAway, code: http2.ErrCode(ce)})
	}
	h.push(h2event{kind: evEnd})
}

func (h *h2conn) readFrames() error {
	var preface [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(h.br, preface[:]); err != nil {
		return err
	}
	if string(preface[:]) != http2.ClientPreface {
		return errBadPreface
	}
	for {
		f, err := h.rfr.ReadFrame()
		if hf, ok := f.(*http2.HeadersFrame); ok && err == nil {
			err = h.readHeaderBlock(hf)
		}
		if h.closing.Load() {
			if err != nil {
				return err
			}
			continue
		}
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				h.endRecv(se.StreamID)
				h.push(h2event{kind: evReset, send: true, id: se.StreamID, code: se.Code})
				continue
			}
			return err
		}
		switch f := f.(type) {
		case *http2.DataFrame:
			h.readData(f)
		case *http2.HeadersFrame:
			h.readHeaders()
		case *http2.SettingsFrame:
			if f.IsAck() {
				continue
			}
			e := h2event{kind: evSettings}
			if err := f.ForeachSetting(func(s http2.Setting) error {
				e.settings = append(e.settings, s)
				return s.Valid()
			}); err != nil {
				return err
			}
			h.push(e)
		case *http2.PingFrame:
			if !f.IsAck() {
				h.push(h2event{kind: evPing, ping: f.Data})
			}
		case *http2.WindowUpdateFrame:
			h.push(h2event{kind: evWindow, id: f.StreamID, n: f.Increment})
		case *http2.RSTStreamFrame:
			h.endRecv(f.StreamID)
			h.push(h2event{kind: evReset, id: f.StreamID})
		case *http2.GoAwayFrame:
			// The client goes away: it finishes its streams and closes.
		case *http2.PushPromiseFrame:
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
	}
}

// endRecv forgets a stream whose request was still arriving.
func (h *h2conn) endRecv(id uint32) {
	if st := h.recv[id]; st != nil {
		h.s.exchanges.Put(st.x)
		h.dropRecv(id, st)
		h.c.inFlight.Add(-1)
	}
}

// dropRecv removes a stream from h.recv and keeps its h2recv for another.
func (h *h2conn) dropRecv(id uint32, st *h2recv) {
	delete(h.recv, id)
	*st = h2recv{}
	h.recvFree = append(h.recvFree, st)
}

// addRecv adds a stream whose request is arriving to h.recv.
func (h *h2conn) addRecv(id uint32, x *exchange) {
	st := popFree(&h.recvFree)
	st.x = x
	h.recv[id] = st
}

// readData adds a DATA frame to its request.
func (h *h2conn) readData(f *http2.DataFrame) {
	if n := f.Header().Length; n > 0 {
		h.connUnacked += n
		if h.connUnacked >= h2ConnWindow/2 {
			h.push(h2event{kind: evRecvWindow, n: h.connUnacked})
			h.connUnacked = 0
		}
	}
	st := h.recv[f.StreamID]
	if st == nil {
		return // a stream closed, reset, refused or not processed
	}
	x := st.x
	d := f.Data()
	if len(x.body)+len(d) > maxBodySize {
		h.dropRecv(f.StreamID, st)
		h.push(h2event{kind: evTooLarge, id: f.StreamID, x: x})
		return
	}
	x.body = append(x.body, d...)
	if f.StreamEnded() {
		h.dropRecv(f.StreamID, st)
		h.complete(f.StreamID, x)
		return
	}
	st.unacked += f.Header().Length
	if st.unacked >= h2StreamWindow/2 {
		h.push(h2event{kind: evRecvWindow, id: f.StreamID, n: st.unacked})
		st.unacked = 0
	}
}

// complete hands a complete request, no longer in h.recv, to the serving
// goroutine. A request whose DATA do not add up to its content-length (or
// whose content-length is malformed) is malformed (RFC 9113 §8.1.1): its
// stream is reset with PROTOCOL_ERROR instead.
func (h *h2conn) complete(id uint32, x *exchange) {
	if x.contentLength != -1 && x.contentLength != int64(len(x.body)) {
		h.s.exchanges.Put(x)
		h.c.inFlight.Add(-1)
		h.push(h2event{kind: evReset, send: true, id: id, code: http2.ErrCodeProtocol})
		return
	}
	x.req.Time = h.tr.last
	h.push(h2event{kind: evRequest, id: id, x: x})
}

// readHeaders opens a stream, or ends one with trailers, with the header
// block just decoded into h.blk.
func (h *h2conn) readHeaders() {
	id := h.blk.id
	if st := h.recv[id]; st != nil {
		// Trailers: ignored, but they end the request.
		if h.blk.endStream {
			x := st.x
			h.dropRecv(id, st)
			h.complete(id, x)
		} else {
			h.endRecv(id)
			h.push(h2event{kind: evReset, send: true, id: id, code: http2.ErrCodeProtocol})
		}
		return
	}
	if id%2 == 0 || id <= h.maxID {
		return // not a new client stream: ignored
	}
	h.maxID = id
	if id > h.lastID.Load() {
		return // after GOAWAY: not processed
	}
	c, s := h.c, h.s
	if c.inFlight.Load() >= h.maxStreams {
		h.push(h2event{kind: evRefuse, id: id})
		return
	}
	c.noteInFlight(c.inFlight.Add(1))

	x, _ := s.exchanges.Get().(*exchange)
	if x == nil {
		x = &exchange{s: s}
	}
	x.c = c
	b := s.beh.Load()
	r := x.begin(b)
	x.body = x.body[:0]
	x.contentLength = -1
	withHeader := b.fresh()
	if withHeader {
		r.Header = make(http.Header)
	}
	for _, hf := range h.blk.fields {
		if hf.IsPseudo() {
			switch hf.Name {
			case ":method":
				switch hf.Value {
				case http.MethodPost:
					r.Method = http.MethodPost
				case http.MethodGet:
					r.Method = http.MethodGet
				default:
					r.Method = hf.Value
				}
			case ":path":
				path := hf.Value
				if i := strings.IndexByte(path, '?'); i >= 0 {
					path, r.RawQuery = path[:i], path[i+1:]
				}
				if strings.IndexByte(path, '%') >= 0 {
					if p, err := url.PathUnescape(path); err == nil {
						path = p
					}
				}
				if x.ep = s.routes[path]; x.ep != nil {
					r.Path = x.ep.Path
				} else {
					r.Path = path
				}
			}
			continue
		}
		switch hf.Name {
		case "authorization":
			r.Authorization = hf.Value
		case "content-type":
			if r.ContentType == "" { // the first one counts, as in servlets and net/http
				r.ContentType = hf.Value
			}
		case "content-length":
			// RFC 9113 §8.1.1: the DATA must add up to it (see complete).
			n, err := strconv.ParseInt(hf.Value, 10, 64)
			if err != nil || n < 0 || (x.contentLength >= 0 && n != x.contentLength) {
				n = -2 // malformed: the stream is reset
			}
			if x.contentLength != -2 {
				x.contentLength = n
			}
		case "x-push-host-list":
			x.hostListAsked = ascii.EqualFold(hf.Value, "true")
		}
		if withHeader {
			key := textproto.CanonicalMIMEHeaderKey(hf.Name)
			r.Header[key] = append(r.Header[key], hf.Value)
		}
	}
	if h.blk.endStream {
		h.complete(id, x)
		return
	}
	h.addRecv(id, x)
}

// serve is the serving goroutine's loop.
func (h *h2conn) serve() {
	// The server's preface: its SETTINGS and a larger connection window.
	h.wfr.WriteSettings(
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: uint32(h.maxStreams)},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
	)
	h.wfr.WriteWindowUpdate(0, h2ConnWindow-h2DefaultWindow)
	if h.bw.Flush() != nil {
		return
	}
	for {
		h.mu.Lock()
		h.batch, h.events = h.events, h.batch[:0]
		h.mu.Unlock()
		for i := range h.batch {
			ok := h.handle(&h.batch[i])
			h.batch[i] = h2event{}
			if !ok {
				return
			}
		}
		if !h.writeDue() {
			return
		}
		if h.goingAway && h.c.inFlight.Load() == 0 {
			// Every stream up to GOAWAY's last is answered: give the
			// client a moment to close first, then close.
			if h.closeAt.IsZero() {
				h.closeAt = time.Now().Add(h2GoAwayLinger)
			} else if !time.Now().Before(h.closeAt) {
				if h.bw.Flush() == nil {
					h.c.tc.CloseWrite()
					h.finish()
				}
				return
			}
		}
		h.mu.Lock()
		more := len(h.events) > 0
		h.mu.Unlock()
		if more {
			continue
		}
		if h.bw.Buffered() > 0 && h.idle.Load() {
			if h.bw.Flush() != nil {
				return
			}
		}
		var timeout <-chan time.Time
		if len(h.due) > 0 || !h.closeAt.IsZero() {
			var d time.Duration
			switch {
			case len(h.due) == 0:
				d = time.Until(h.closeAt)
			case h.closeAt.IsZero():
				d = time.Until(h.due[0].x.due)
			default:
				d = time.Until(minTime(h.closeAt, h.due[0].x.due))
			}
			if h.timer == nil {
				h.timer = time.NewTimer(d)
			} else {
				h.timer.Reset(d)
			}
			timeout = h.timer.C
		}
		select {
		case <-h.wake:
		case <-timeout:
		case <-h.s.ctx.Done():
			return
		}
	}
}

// finish ends the connection after the server's last frame: like
// conn.finish, it half-closes and lets the reader drain what the client
// still sends until it closes (or drainTimeout).
func (h *h2conn) finish() {
	h.closing.Store(true)
	raw := h.c.raw
	cw, ok := raw.(interface{ CloseWrite() error })
	if !ok {
		raw.Close()
		return
	}
	cw.CloseWrite()
	raw.SetReadDeadline(time.Now().Add(drainTimeout))
	<-h.readerDone
	raw.Close()
}

// handle handles one event. It returns false when the connection ends.
func (h *h2conn) handle(e *h2event) bool {
	switch e.kind {
	case evRequest:
		return h.serveRequest(e.id, e.x)
	case evTooLarge:
		x := e.x
		x.fail(http.StatusRequestEntityTooLarge, 10012, "request body too large", "")
		st := h.newStream(e.id, x)
		if h.writeAnswer(st) {
			h.wfr.WriteRSTStream(e.id, http2.ErrCodeNo)
		}
	case evSettings:
		for _, s := range e.settings {
			switch s.ID {
			case http2.SettingInitialWindowSize:
				delta := int64(s.Val) - h.initWin
				h.initWin = int64(s.Val)
				for _, st := range h.streams {
					st.win += delta
				}
			case http2.SettingMaxFrameSize:
				h.maxFrame = int(s.Val)
			case http2.SettingHeaderTableSize:
				h.henc.SetMaxDynamicTableSizeLimit(s.Val)
				// A smaller table evicts entries, and the next block
				// must begin with the size update.
				h.forgetHeads()
			}
		}
		h.wfr.WriteSettingsAck()
		h.unblock()
	case evPing:
		h.wfr.WritePing(true, e.ping)
	case evWindow:
		if e.id == 0 {
			h.connWin += int64(e.n)
		} else if st := h.streams[e.id]; st != nil {
			st.win += int64(e.n)
		}
		h.unblock()
	case evRecvWindow:
		h.wfr.WriteWindowUpdate(e.id, e.n)
	case evReset:
		if e.send {
			h.wfr.WriteRSTStream(e.id, e.code)
		}
		if st := h.streams[e.id]; st != nil {
			h.end(st)
		}
	case evRefuse:
		h.wfr.WriteRSTStream(e.id, http2.ErrCodeRefusedStream)
	case evGoAway:
		h.wfr.WriteGoAway(h.lastProcessed, e.code, nil)
		h.bw.Flush()
		return false
	case evEnd:
		// The client closed or the connection broke.
		h.bw.Flush()
		return false
	}
	return true
}

// serveRequest processes a complete request and answers it, now or later.
func (h *h2conn) serveRequest(id uint32, x *exchange) bool {
	if id > h.lastID.Load() {
		// Arrived after GOAWAY: not processed.
		h.s.exchanges.Put(x)
		h.c.inFlight.Add(-1)
		return true
	}
	h.lastProcessed = max(h.lastProcessed, id)
	if !x.process() || x.action == Drop {
		h.s.exchanges.Put(x)
		h.c.inFlight.Add(-1)
		if h.bw.Flush() == nil {
			h.finish()
		}
		return false
	}
	// The exchange goes back to its pool once the answer is written.
	closing := x.action == CloseGracefully
	st := h.newStream(id, x)
	switch {
	case x.action == Stall:
		st.stalled = true
		h.streams[id] = st
	case !x.due.IsZero() && time.Until(x.due) > 0:
		h.streams[id] = st
		h.pushDue(st)
	default:
		h.writeAnswer(st)
	}
	if closing && !h.goingAway {
		h.goingAway = true
		h.lastID.Store(id)
		h.wfr.WriteGoAway(id, http2.ErrCodeNo, nil)
	}
	return true
}

func (h *h2conn) newStream(id uint32, x *exchange) *h2stream {
	st := popFree(&h.free)
	*st = h2stream{id: id, x: x, win: h.initWin, index: -1}
	return st
}

// release gives back a stream's exchange.
func (h *h2conn) release(st *h2stream) {
	h.s.exchanges.Put(st.x)
	*st = h2stream{}
	h.free = append(h.free, st)
}

// end forgets a stream whose answer is written or that the client reset.
func (h *h2conn) end(st *h2stream) {
	delete(h.streams, st.id)
	if st.index >= 0 {
		h.removeDue(st.index)
	}
	if st.blocked {
		for i, b := range h.blocked {
			if b == st {
				h.blocked = append(h.blocked[:i], h.blocked[i+1:]...)
				break
			}
		}
	}
	h.c.inFlight.Add(-1)
	h.release(st)
}

// writeDue writes the delayed answers that are due. It returns false if
// the server closed.
func (h *h2conn) writeDue() bool {
	if len(h.due) == 0 {
		return true
	}
	now := time.Now()
	for len(h.due) > 0 && !h.due[0].x.due.After(now) {
		st := h.due[0]
		h.removeDue(0)
		h.writeAnswer(st)
	}
	return h.s.ctx.Err() == nil
}

// lowerName returns a response header name in lower case, as HTTP/2 wants.
func lowerName(name string) string {
	switch name {
	case "X-PUSH-HOST-LIST":
		return "x-push-host-list"
	case "X-PUSH-CLIENT-TIMEOUT-MS":
		return "x-push-client-timeout-ms"
	case "X-PUSH-DISABLE-AUTO-SELECT-DOMAIN":
		return "x-push-disable-auto-select-domain"
	}
	return strings.ToLower(name)
}

// h2Skip are the response header fields HTTP/2 does not allow.
func h2Skip(name string) bool {
	switch name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// writeAnswer writes the answer of a stream: HEADERS, then DATA as far as
// the client's windows allow. It reports whether the answer was all
// written (and the stream ended).
func (h *h2conn) writeAnswer(st *h2stream) bool {
	x := st.x
	block := h.answerHead(x)
	body := x.out
	if x.req.Method == http.MethodHead {
		body = nil
	}
	first := block
	if len(first) > h.maxFrame {
		first = first[:h.maxFrame]
	}
	block = block[len(first):]
	h.wfr.WriteHeaders(http2.HeadersFrameParam{
		StreamID:      st.id,
		BlockFragment: first,
		EndStream:     len(body) == 0,
		EndHeaders:    len(block) == 0,
	})
	for len(block) > 0 {
		frag := block
		if len(frag) > h.maxFrame {
			frag = frag[:h.maxFrame]
		}
		block = block[len(frag):]
		h.wfr.WriteContinuation(st.id, len(block) == 0, frag)
	}
	st.body = body
	return h.writeBody(st)
}

// writeBody writes what the windows allow of a stream's body. It reports
// whether the body was all written (and the stream ended).
func (h *h2conn) writeBody(st *h2stream) bool {
	for len(st.body) > 0 {
		n := int64(min(len(st.body), h.maxFrame))
		n = min(n, h.connWin, st.win)
		if n <= 0 {
			if !st.blocked {
				st.blocked = true
				h.blocked = append(h.blocked, st)
				h.streams[st.id] = st
			}
			return false
		}
		h.wfr.WriteData(st.id, n == int64(len(st.body)), st.body[:n])
		st.body = st.body[n:]
		h.connWin -= n
		st.win -= n
	}
	h.end(st)
	return true
}

// unblock writes what it can of the answers waiting for a window.
func (h *h2conn) unblock() {
	if len(h.blocked) == 0 || h.connWin <= 0 {
		return
	}
	blocked := h.blocked
	h.blocked = nil
	for _, st := range blocked {
		// writeBody puts it back in the list if it is still blocked.
		st.blocked = false
		h.writeBody(st)
	}
}

// pushDue adds a delayed stream to the heap.
func (h *h2conn) pushDue(st *h2stream) {
	st.index = len(h.due)
	h.due = append(h.due, st)
	h.up(st.index)
}

// removeDue removes the i-th stream of the heap.
func (h *h2conn) removeDue(i int) {
	n := len(h.due) - 1
	st := h.due[i]
	if i != n {
		h.swap(i, n)
	}
	h.due[n] = nil
	h.due = h.due[:n]
	st.index = -1
	if i != n {
		h.down(i)
		h.up(i)
	}
}

func (h *h2conn) less(i, j int) bool { return h.due[i].x.due.Before(h.due[j].x.due) }

func (h *h2conn) swap(i, j int) {
	h.due[i], h.due[j] = h.due[j], h.due[i]
	h.due[i].index = i
	h.due[j].index = j
}

func (h *h2conn) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *h2conn) down(i int) {
	n := len(h.due)
	for {
		j := 2*i + 1
		if j >= n {
			return
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			return
		}
		h.swap(i, j)
		i = j
	}
}

// popFree takes the last element of a connection's free list, or a new
// one when the list is empty.
func popFree[T any](free *[]*T) *T {
	n := len(*free)
	if n == 0 {
		return new(T)
	}
	st := (*free)[n-1]
	*free = (*free)[:n-1]
	return st
}
