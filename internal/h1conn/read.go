package h1conn

import (
	"errors"
	"fmt"
	"io"

	"github.com/mipush-go/mipush/internal/wire"
)

// readLoop is the reader goroutine. It returns once the connection has an
// end recorded, by itself or by someone else (which closes the socket under
// it).
func (c *Conn) readLoop() {
	defer c.exit()
	for {
		r, err := c.p.next()
		if err != nil {
			c.readFailed(err)
			return
		}
		if !c.deliver(&r) {
			return
		}
	}
}

// deliver completes the oldest exchange in flight with r, and reports
// whether the reader should go on.
func (c *Conn) deliver(r *response) bool {
	c.mu.Lock()
	if c.end != endNone {
		// Closed, timed out or failed meanwhile: what is left belongs
		// to finish, which accounts for it as a whole.
		c.mu.Unlock()
		return false
	}
	if c.q.n == 0 || c.q.oldest().start >= c.sent.Load() {
		// The server cannot answer a request it has not been sent.
		c.endLocked(endConn, fmt.Errorf("h1conn: %w: response (status %d) with no request outstanding", wire.ErrMalformed, r.status))
		c.mu.Unlock()
		c.shutdown(false)
		return false
	}
	e := c.q.pop()
	c.inflight.Add(-1)
	ended, graceful := false, false
	switch {
	case r.close:
		ended = c.endLocked(endServerClose, fmt.Errorf("h1conn: %w by the server (Connection: close)", wire.ErrConnClosed))
	case r.untilEOF:
		// The server ended the stream to end the body. Unlike an
		// explicit "Connection: close", that does not promise it
		// ignored what came after, so the rest stays maybe processed.
		ended = c.endLocked(endConn, fmt.Errorf("h1conn: %w by the server after a response delimited by EOF", wire.ErrConnClosed))
	case c.writerDone && (c.q.n == 0 || c.q.oldest().start >= c.sent.Load()):
		// The writer is gone and no further response is owed.
		if c.writeErr == nil && c.q.n == 0 {
			ended, graceful = c.endLocked(endClean, nil), true
		} else {
			cause := c.writeErr
			if cause == nil {
				cause = fmt.Errorf("h1conn: %w", wire.ErrConnClosed)
			}
			ended = c.endLocked(endConn, cause)
		}
	}
	c.mu.Unlock()
	if ended {
		c.shutdown(graceful)
	} else {
		select {
		case c.slot <- struct{}{}:
		default: // the writer has a wake-up pending already
		}
	}
	c.resp = wire.Response{Status: r.status, Body: r.body, Header: r.header}
	e.ex.Done(e.ex, &c.resp, nil)
	return !ended
}

// readFailed ends the connection after the parser failed with err, unless
// it already ended (then err is only the echo of closing the socket).
func (c *Conn) readFailed(err error) {
	c.mu.Lock()
	if c.end != endNone {
		c.mu.Unlock()
		return
	}
	kind := endConn
	var cause error
	switch {
	case errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrBodyTooLarge):
		// The bad response is the oldest exchange's answer, if that one
		// was sent at all.
		cause = fmt.Errorf("h1conn: %w", err)
		if c.q.n > 0 && c.q.oldest().start < c.sent.Load() {
			kind = endHead
		}
	case err == io.EOF:
		cause = fmt.Errorf("h1conn: %w by the server: %w", wire.ErrConnClosed, err)
	default:
		cause = fmt.Errorf("h1conn: %w: read: %w", wire.ErrConnClosed, err)
	}
	if c.writeErr != nil && kind == endConn {
		// Writing failed first; that is the story, the read error its
		// sequel.
		cause = fmt.Errorf("%w (then read: %v)", c.writeErr, err)
	}
	c.endLocked(kind, cause)
	c.mu.Unlock()
	c.shutdown(false)
}
