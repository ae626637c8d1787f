package mipushtest

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Connection protocols, as stored in conn.proto.
const (
	protoNone int32 = iota
	protoH1
	protoH2
)

// drainTimeout bounds how long a closing connection reads and discards
// what the client still sends, after the server's FIN, before closing (a
// close with unread data would make the kernel send RST, which can destroy
// answers the client has not read yet).
const drainTimeout = 3 * time.Second

// conn is one server connection.
type conn struct {
	s     *Server
	index int
	raw   net.Conn  // the TCP or pipe connection
	tc    *tls.Conn // set once the handshake is done
	proto atomic.Int32

	requests    atomic.Int64 // requests read
	answered    atomic.Int64 // requests answered
	inFlight    atomic.Int64 // h2: streams open (arriving or being answered)
	maxInFlight atomic.Int64
}

// serve performs the TLS handshake and serves the connection with the
// negotiated protocol until it ends.
func (c *conn) serve() {
	s := c.s
	defer s.wg.Done()
	defer s.forget(c)
	defer c.raw.Close()

	cfg := s.h1TLS
	if s.opts.HTTP2 {
		cfg = s.h2TLS
	}
	tc := tls.Server(c.raw, cfg)
	ctx, cancel := context.WithTimeout(s.ctx, handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		return
	}
	c.tc = tc
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		c.proto.Store(protoH2)
		c.serveH2()
		return
	}
	c.proto.Store(protoH1)
	c.serveH1()
}

func (c *conn) protoName() string {
	switch c.proto.Load() {
	case protoH1:
		return "h1"
	case protoH2:
		return "h2"
	}
	return ""
}

// noteInFlight records n requests in flight at once.
func (c *conn) noteInFlight(n int64) {
	for {
		m := c.maxInFlight.Load()
		if n <= m || c.maxInFlight.CompareAndSwap(m, n) {
			return
		}
	}
}

// closeGracefully ends the connection after its last answer has been
// flushed: TLS close_notify, then a FIN, then it drains the read side and
// closes.
func (c *conn) closeGracefully() {
	c.tc.CloseWrite()
	c.finish()
}

// drop ends the connection abruptly: no TLS close_notify. Over TCP it still
// sends a FIN and drains rather than close at once, so that the kernel does
// not answer unread data with a RST that could destroy answers already
// written.
func (c *conn) drop() {
	c.finish()
}

// finish half-closes the connection, discards what the client still sends
// until it closes (or drainTimeout), and closes. A pipe cannot be
// half-closed and never resets, so it is closed at once.
func (c *conn) finish() {
	cw, ok := c.raw.(interface{ CloseWrite() error })
	if !ok {
		c.raw.Close()
		return
	}
	cw.CloseWrite()
	c.raw.SetReadDeadline(time.Now().Add(drainTimeout))
	io.Copy(io.Discard, c.raw)
	c.raw.Close()
}

// stall holds a connection whose request will never be answered until the
// client closes it or the server closes.
func (c *conn) stall() {
	gone := make(chan struct{})
	go func() {
		// Detect the client's close; whatever else arrives is ignored.
		io.Copy(io.Discard, c.raw)
		close(gone)
	}()
	select {
	case <-gone:
	case <-c.s.ctx.Done():
	}
	c.raw.Close()
	<-gone
}
