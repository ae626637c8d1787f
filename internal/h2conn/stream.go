package h2conn

import (
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// A stream is one exchange in flight: its request written (or being
// written), its response being read.
//
// Streams live in Conn.streams, keyed by id, and, when exchanges have a
// timeout, on a list in write order. Every field is guarded by Conn.mu
// while the stream is registered. Removing a stream from the map (under
// Conn.mu) is what gives one goroutine the right to complete its exchange:
// that is how every exchange is completed exactly once. Streams are
// recycled after completion, so other goroutines refer to them by id.
type stream struct {
	id uint32
	ex *wire.Exchange

	// Request side.
	bodyLen    int   // len(ex.Req.Body)
	sent       int   // body bytes written so far
	sendWindow int64 // the peer's flow-control window for this stream
	// hdrOff is how many bytes the writer had produced for the connection
	// before this stream's HEADERS. If the connection dies with no more
	// than hdrOff bytes accepted by the net.Conn, the server never saw the
	// request.
	hdrOff int64

	// Response side.
	status     int
	header     []wire.Header
	body       []byte
	recvAvail  int64 // bytes the server may still send before we grant more
	recvUnsent int64 // bytes consumed but not yet returned by WINDOW_UPDATE

	// Timeout list, in write order, so the head has the earliest deadline.
	deadline   time.Time
	prev, next *stream
}

// maxKeptBody bounds the response buffer a recycled stream keeps, so one
// large response does not pin memory for the life of the connection.
const maxKeptBody = 64 << 10

// newStreamLocked returns a zeroed stream, recycled when possible.
func (c *Conn) newStreamLocked() *stream {
	if n := len(c.free); n > 0 {
		s := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		return s
	}
	return new(stream)
}

// recycle returns s, already removed and completed, to the free list.
func (c *Conn) recycle(s *stream) {
	body := s.body[:0]
	if cap(body) > maxKeptBody {
		body = nil
	}
	*s = stream{body: body}
	c.mu.Lock()
	c.free = append(c.free, s)
	c.mu.Unlock()
}

// addLocked registers s as open.
func (c *Conn) addLocked(s *stream) {
	c.streams[s.id] = s
	if c.cfg.Timeout > 0 {
		s.prev = c.newest
		if c.newest != nil {
			c.newest.next = s
		} else {
			c.oldest = s
		}
		c.newest = s
	}
}

// removeLocked unregisters s. The caller then owns its exchange and must
// complete it, outside c.mu.
func (c *Conn) removeLocked(s *stream) {
	delete(c.streams, s.id)
	if c.cfg.Timeout > 0 {
		if s.prev != nil {
			s.prev.next = s.next
		} else {
			c.oldest = s.next
		}
		if s.next != nil {
			s.next.prev = s.prev
		} else {
			c.newest = s.prev
		}
		s.prev, s.next = nil, nil
	}
}

// complete delivers the outcome of the exchange of s, which the caller has
// removed, and recycles s. It must be called without c.mu held.
func (c *Conn) complete(s *stream, resp *wire.Response, err error) {
	c.completeExchange(s.ex, resp, err)
	c.recycle(s)
}

// completeExchange delivers the outcome of ex, which the caller owns.
func (c *Conn) completeExchange(ex *wire.Exchange, resp *wire.Response, err error) {
	c.inflight.Add(-1)
	ex.Done(ex, resp, err)
	// A slot is free: the writer may take another exchange, or finish a
	// graceful shutdown.
	c.wakeWriter()
}

// succeed completes s with its response.
func (c *Conn) succeed(s *stream) {
	// Done owns the response only while it runs (see wire.Response), so
	// the reader hands out the same one every time.
	c.resp = wire.Response{Status: s.status, Body: s.body, Header: s.header}
	c.complete(s, &c.resp, nil)
}
