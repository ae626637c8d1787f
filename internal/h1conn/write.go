package h1conn

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// errEnding stops the writer when the connection ended while it was busy.
var errEnding = errors.New("h1conn: connection ending")

// writeLoop is the writer goroutine.
func (c *Conn) writeLoop() {
	err := c.writeRequests()
	c.writerExit(err)
	c.exit()
}

// writeRequests takes exchanges and writes their requests until the
// connection stops or writing fails. It flushes only when it is about to
// block, so requests queued in a burst share TLS records and syscalls.
func (c *Conn) writeRequests() error {
	for {
		for c.inflight.Load() >= c.window {
			if err := c.bw.Flush(); err != nil {
				return err
			}
			select {
			case <-c.slot:
			case <-c.stop:
				return nil
			}
		}
		select {
		case <-c.stop:
			return c.stopped()
		default:
		}
		var ex *wire.Exchange
		var ok bool
		select {
		case ex, ok = <-c.queue:
		default:
			if err := c.bw.Flush(); err != nil {
				return err
			}
			select {
			case ex, ok = <-c.queue:
			case <-c.stop:
				return nil
			}
		}
		if !ok {
			// The pool closed the queue: nothing more will come, so
			// finish what is in flight as if retired.
			c.Retire()
			return c.stopped()
		}
		if ex == nil || !ex.Take() {
			continue // withdrawn by the engine: not ours to complete
		}
		if err := c.write(ex); err != nil {
			return err
		}
	}
}

// stopped is the writer's last step once told to stop. Retired, it flushes
// what it buffered, which is in flight and owed a response. Ended, it
// leaves the buffer alone: those requests were never handed to the socket,
// so they fail NotProcessed, as they should.
func (c *Conn) stopped() error {
	c.mu.Lock()
	ended := c.end != endNone
	c.mu.Unlock()
	if ended {
		return nil
	}
	return c.bw.Flush()
}

// write records ex as in flight and hands its request to the write buffer.
func (c *Conn) write(ex *wire.Exchange) error {
	if err := c.check(&ex.Req); err != nil {
		ex.Done(ex, nil, &wire.Error{Err: err, NotProcessed: true})
		return nil
	}
	// Everything handed to bw so far is either counted in sent or still
	// buffered, so this is where the request's first byte will be.
	e := entry{ex: ex, start: c.sent.Load() + int64(c.bw.Buffered())}
	c.mu.Lock()
	ending := c.end != endNone
	if c.timeout > 0 {
		e.at = time.Now()
		c.armLocked()
	}
	c.q.push(e)
	c.inflight.Add(1)
	c.mu.Unlock()
	if ending {
		// Keep it unsent: finish fails it NotProcessed.
		return errEnding
	}
	return c.encode(&ex.Req)
}

// encode appends the request to the write buffer. It does not allocate:
// the only number, Content-Length, is formatted into the buffer's own free
// space. Errors from bufio.Writer are sticky, so checking the last write is
// enough.
func (c *Conn) encode(r *wire.Request) error {
	w := c.bw
	w.WriteString(r.Method)
	w.WriteByte(' ')
	w.WriteString(r.Path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(c.host)
	if r.Auth != "" {
		w.WriteString("\r\nAuthorization: ")
		w.WriteString(r.Auth)
	}
	w.WriteString("\r\nContent-Type: " + wire.ContentTypeForm)
	post := r.Method != "GET"
	if post {
		w.WriteString("\r\nContent-Length: ")
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(r.Body)), 10))
	}
	if c.ua != "" {
		w.WriteString("\r\nUser-Agent: ")
		w.WriteString(c.ua)
	}
	for _, h := range r.Header {
		w.WriteString("\r\n")
		w.WriteString(h.Name)
		w.WriteString(": ")
		w.WriteString(h.Value)
	}
	_, err := w.WriteString("\r\n\r\n")
	if post {
		_, err = w.Write(r.Body)
	}
	return err
}

// writerExit records that the writer stopped and why. A clean stop with
// nothing in flight ends the connection; a write error ends it at once only
// if no response is owed, and otherwise lets the reader drain for a while.
func (c *Conn) writerExit(err error) {
	c.mu.Lock()
	c.writerDone = true
	ended, graceful, drain := false, false, false
	if c.end == endNone {
		switch {
		case err != nil:
			c.writeErr = fmt.Errorf("h1conn: %w: write: %w", wire.ErrConnClosed, err)
			if c.q.n == 0 || c.q.oldest().start >= c.sent.Load() {
				ended = c.endLocked(endConn, c.writeErr)
			} else {
				drain = true
			}
		case c.q.n == 0:
			ended, graceful = c.endLocked(endClean, nil), true
		}
	}
	c.mu.Unlock()
	switch {
	case ended:
		c.shutdown(graceful)
	case drain:
		c.nc.SetReadDeadline(time.Now().Add(writeErrGrace))
	}
}

// check rejects a request that cannot be written as it stands, before any
// of it is: a CR or LF in a field would let one request smuggle another.
func (c *Conn) check(r *wire.Request) error {
	if c.cfgErr != nil {
		return c.cfgErr
	}
	switch {
	case r.Method != "POST" && r.Method != "GET":
		return fmt.Errorf("h1conn: unsupported method %q", r.Method)
	case r.Method == "GET" && len(r.Body) > 0:
		return errors.New("h1conn: GET request with a body")
	case !validPath(r.Path):
		return fmt.Errorf("h1conn: invalid request path %q", r.Path)
	case !validValue(r.Auth):
		return errors.New("h1conn: invalid Authorization value")
	}
	for _, h := range r.Header {
		if !validName(h.Name) || !validValue(h.Value) {
			return fmt.Errorf("h1conn: invalid header field %q", h.Name)
		}
	}
	return nil
}

// validPath accepts an origin-form request target: a "/" and then visible
// ASCII only.
func validPath(s string) bool {
	if s == "" || s[0] != '/' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validName accepts a header field name: a non-empty token.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// validValue accepts a header field value with no control character other
// than tab.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// sentCounter is the write buffer's destination: it counts bytes before
// handing them to the socket, so a failed or partial write still counts
// them as possibly sent. Bytes offered once the socket is closed are
// refused uncounted: they cannot have left.
type sentCounter struct{ c *Conn }

func (s sentCounter) Write(p []byte) (int, error) {
	if s.c.closed.Load() {
		return 0, net.ErrClosed
	}
	s.c.sent.Add(int64(len(p)))
	return s.c.nc.Write(p)
}
