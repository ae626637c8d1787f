package h2conn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/wire"
)

// maxKeptHeaders bounds the x-push-* and retry-after fields kept per
// response.
const maxKeptHeaders = 32

// headerBlock is the response header block being decoded. HEADERS and
// CONTINUATION frames of one block arrive back to back (the framer checks),
// so the reader decodes one block at a time.
type headerBlock struct {
	id        uint32
	endStream bool
	status    int
	malformed string // why the block is unacceptable, or ""
	size      uint32
	fields    []wire.Header
}

// readLoop is the reader goroutine. When reading stops, it shuts the
// connection down, waits for the writer, and completes what is left.
func (c *Conn) readLoop() {
	err := c.readFrames()
	var pe *protocolError
	if errors.As(err, &pe) {
		c.goAwayFirst(pe.code)
	}
	c.mu.Lock()
	if c.goAway != nil && len(c.streams) == 0 {
		// The server said GOAWAY, answered what it kept, and hung up:
		// that is a graceful end, not a failure.
		err = nil
		if c.goAway.Code != http2.ErrCodeNo {
			err = c.goAway
		}
	}
	c.mu.Unlock()
	c.shutdown(err)
	<-c.writerDone
	c.finish(err)
}

// goAwayFirst has the writer send GOAWAY with code and stop, and waits
// for it a short while: a writer stuck on a full socket must not hold up
// the close.
func (c *Conn) goAwayFirst(code http2.ErrCode) {
	c.mu.Lock()
	if c.shutting {
		c.mu.Unlock()
		return
	}
	c.stopTaking = true
	c.ctl.goAway, c.ctl.goAwayCode = true, code
	c.mu.Unlock()
	c.wakeWriter()
	t := time.NewTimer(goAwayGrace)
	defer t.Stop()
	select {
	case <-c.writerDone:
	case <-t.C:
	}
}

// readFrames reads and handles frames until the connection fails.
func (c *Conn) readFrames() error {
	for {
		f, err := c.fr.ReadFrame()
		c.framesRead.Add(1)
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				c.resetStream(se.StreamID, se.Code, fmt.Errorf("%w: %v", wire.ErrMalformed, se))
				continue
			}
			if ce, ok := err.(http2.ConnectionError); ok {
				if d := c.fr.ErrorDetail(); d != nil {
					return connError(http2.ErrCode(ce), "%v: %v", ce, d)
				}
				return connError(http2.ErrCode(ce), "%v", ce)
			}
			return fmt.Errorf("h2conn: read: %w", err)
		}
		switch f := f.(type) {
		case *http2.DataFrame:
			err = c.onData(f)
		case *http2.HeadersFrame:
			c.blk = headerBlock{id: f.StreamID, endStream: f.StreamEnded(), fields: c.blk.fields[:0]}
			err = c.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
		case *http2.ContinuationFrame:
			err = c.onHeaderFragment(f.HeaderBlockFragment(), f.HeadersEnded())
		case *http2.RSTStreamFrame:
			c.onReset(f)
		case *http2.SettingsFrame:
			if !f.IsAck() {
				err = c.onSettings(f)
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				err = c.onPing(f)
			}
		case *http2.WindowUpdateFrame:
			err = c.onWindowUpdate(f)
		case *http2.GoAwayFrame:
			c.onGoAway(f)
		case *http2.PushPromiseFrame:
			// We sent SETTINGS_ENABLE_PUSH = 0.
			err = connError(http2.ErrCodeProtocol, "server sent PUSH_PROMISE with push disabled")
		}
		if err != nil {
			return err
		}
	}
}

// onHeaderFragment decodes a piece of a header block and, at its end,
// applies the block to its stream.
func (c *Conn) onHeaderFragment(frag []byte, end bool) error {
	if _, err := c.hdec.Write(frag); err != nil {
		return connError(http2.ErrCodeCompression, "decoding response headers: %v", err)
	}
	if !end {
		return nil
	}
	if err := c.hdec.Close(); err != nil {
		return connError(http2.ErrCodeCompression, "decoding response headers: %v", err)
	}
	c.endHeaderBlock()
	return nil
}

// emitField receives each decoded header field of the current block.
func (c *Conn) emitField(f hpack.HeaderField) {
	b := &c.blk
	b.size += f.Size()
	if b.size > maxHeaderListSize {
		b.malformed = "response header list too large"
		c.hdec.SetEmitEnabled(false)
		return
	}
	switch {
	case f.Name == ":status":
		if b.status != 0 || len(f.Value) != 3 {
			b.malformed = "bad :status"
			return
		}
		n := 0
		for _, d := range []byte(f.Value) {
			if d < '0' || d > '9' {
				b.malformed = "bad :status"
				return
			}
			n = n*10 + int(d-'0')
		}
		b.status = n
	case strings.HasPrefix(f.Name, "x-push-") || f.Name == "retry-after":
		if len(b.fields) < maxKeptHeaders {
			b.fields = append(b.fields, wire.Header{Name: f.Name, Value: f.Value})
		}
	}
}

// endHeaderBlock applies the decoded block to its stream: the response
// head, an informational response to skip, or trailers.
func (c *Conn) endHeaderBlock() {
	b := &c.blk
	c.hdec.SetEmitEnabled(true)
	c.mu.Lock()
	s := c.streams[b.id]
	if s == nil {
		// Reset or timed out already; the block was decoded only to keep
		// the HPACK state in step.
		c.mu.Unlock()
		return
	}
	switch {
	case b.malformed != "":
	case s.status != 0:
		// Trailers: nothing in them interests us, but they must end the
		// stream.
		if !b.endStream || b.status != 0 {
			b.malformed = "bad trailers"
		}
	case b.status == 0:
		b.malformed = "missing :status"
	case b.status < 200:
		// An informational response: the real one follows.
		if b.endStream {
			b.malformed = "informational response ends the stream"
		} else {
			c.mu.Unlock()
			return
		}
	default:
		s.status = b.status
		if len(b.fields) > 0 {
			s.header = slices.Clone(b.fields)
		}
	}
	if b.malformed != "" {
		c.removeLocked(s)
		c.queueResetLocked(s.id, http2.ErrCodeProtocol)
		c.mu.Unlock()
		c.wakeWriter()
		c.complete(s, nil, &wire.Error{Err: fmt.Errorf("%w: stream %d: %s", wire.ErrMalformed, b.id, b.malformed)})
		return
	}
	if !b.endStream {
		c.mu.Unlock()
		return
	}
	c.endStreamLocked(s)
	c.mu.Unlock()
	c.succeed(s)
}

// onData appends DATA to its stream's response body.
func (c *Conn) onData(f *http2.DataFrame) error {
	n := int64(f.Length) // padding included: it counts against the windows
	data := f.Data()
	if c.recvAvail < n {
		return connError(http2.ErrCodeFlowControl, "server exceeded the connection flow-control window")
	}
	c.recvAvail -= n
	c.recvUnack += n

	c.mu.Lock()
	wake := false
	if c.recvUnack >= connWindow/2 {
		// Return credit in batches, not per frame.
		c.ctl.connCredit += uint32(c.recvUnack)
		c.recvAvail += c.recvUnack
		c.recvUnack = 0
		wake = true
	}
	s := c.streams[f.StreamID]
	if s == nil {
		c.mu.Unlock()
		if wake {
			c.wakeWriter()
		}
		return nil
	}
	var fail error
	switch {
	case s.recvAvail < n:
		fail = fmt.Errorf("%w: stream %d: server exceeded the stream flow-control window", wire.ErrMalformed, s.id)
		c.queueResetLocked(s.id, http2.ErrCodeFlowControl)
	case s.status == 0:
		fail = fmt.Errorf("%w: stream %d: DATA before response headers", wire.ErrMalformed, s.id)
		c.queueResetLocked(s.id, http2.ErrCodeProtocol)
	case len(s.body)+len(data) > c.cfg.MaxBody:
		fail = wire.ErrBodyTooLarge
		c.queueResetLocked(s.id, http2.ErrCodeCancel)
	}
	if fail != nil {
		c.removeLocked(s)
		c.mu.Unlock()
		c.wakeWriter()
		c.complete(s, nil, &wire.Error{Err: fail})
		return nil
	}
	s.body = append(s.body, data...)
	s.recvAvail -= n
	if f.StreamEnded() {
		c.endStreamLocked(s)
		c.mu.Unlock()
		if wake {
			c.wakeWriter()
		}
		c.succeed(s)
		return nil
	}
	s.recvUnsent += n
	if s.recvUnsent >= streamWindow/2 {
		c.ctl.credits = append(c.ctl.credits, frameArg{s.id, uint32(s.recvUnsent)})
		s.recvAvail += s.recvUnsent
		s.recvUnsent = 0
		wake = true
	}
	c.mu.Unlock()
	if wake {
		c.wakeWriter()
	}
	return nil
}

// endStreamLocked removes s, whose response is complete. If its request
// body is not all sent (the server answered early), the rest is abandoned
// and the stream reset.
func (c *Conn) endStreamLocked(s *stream) {
	c.removeLocked(s)
	if s.sent < s.bodyLen {
		c.queueResetLocked(s.id, http2.ErrCodeCancel)
	}
}

// onReset fails the stream the server reset. REFUSED_STREAM means the
// server did not process it.
func (c *Conn) onReset(f *http2.RSTStreamFrame) {
	c.mu.Lock()
	s := c.streams[f.StreamID]
	if s == nil {
		c.mu.Unlock()
		return
	}
	c.removeLocked(s)
	c.mu.Unlock()
	c.complete(s, nil, &wire.Error{
		Err:          &ResetError{StreamID: f.StreamID, Code: f.ErrCode},
		NotProcessed: f.ErrCode == http2.ErrCodeRefusedStream,
	})
}

// resetStream fails stream id, if open, with err and resets it with code.
func (c *Conn) resetStream(id uint32, code http2.ErrCode, err error) {
	c.mu.Lock()
	s := c.streams[id]
	if s == nil {
		c.mu.Unlock()
		return
	}
	c.removeLocked(s)
	c.queueResetLocked(id, code)
	c.mu.Unlock()
	c.wakeWriter()
	c.complete(s, nil, &wire.Error{Err: err})
}

// onGoAway stops taking exchanges and fails, as not processed, the streams
// the server says it will not process. The others run to completion; the
// writer closes the connection once none is left.
func (c *Conn) onGoAway(f *http2.GoAwayFrame) {
	c.mu.Lock()
	last := f.LastStreamID
	if c.goAway != nil && c.goAway.LastStreamID < last {
		// A later GOAWAY cannot take back what an earlier one refused.
		last = c.goAway.LastStreamID
	}
	c.goAway = &GoAwayError{LastStreamID: last, Code: f.ErrCode, Debug: string(f.DebugData())}
	c.stopTaking = true
	var refused []*stream
	for id, s := range c.streams {
		if id > last {
			refused = append(refused, s)
		}
	}
	for _, s := range refused {
		c.removeLocked(s)
	}
	gerr := c.goAway
	c.mu.Unlock()
	c.wakeWriter()
	slices.SortFunc(refused, func(a, b *stream) int { return int(a.id) - int(b.id) })
	for _, s := range refused {
		c.complete(s, nil, &wire.Error{Err: gerr, NotProcessed: true})
	}
}

// queueResetLocked asks the writer to send RST_STREAM.
func (c *Conn) queueResetLocked(id uint32, code http2.ErrCode) {
	c.ctl.resets = append(c.ctl.resets, frameArg{id, uint32(code)})
}
