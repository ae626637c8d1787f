package mipushtest

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// LatencyProxy is a TCP proxy on 127.0.0.1 that simulates the round-trip
// time of a real network: every chunk of bytes it receives, in either
// direction, is forwarded RTT/2 later. Order is preserved and bandwidth is
// not limited (chunks in flight overlap), so a pipelining client sees the
// same round trip on every request, as on a long fat network. A half-close
// (FIN) is forwarded once the bytes before it have been.
//
// A delay in the server's handler is not a round trip: it delays answers
// but not the requests, nor the TLS handshake, nor the client's view of
// a connection closing. Use the proxy for benchmarks.
type LatencyProxy struct {
	ln     net.Listener
	target string
	oneWay time.Duration
	ctx    context.Context
	stop   context.CancelFunc

	bufs sync.Pool // *[]byte chunks

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// proxyChunk is the size of the proxy's reads.
const proxyChunk = 32 << 10

// NewLatencyProxy starts a proxy on 127.0.0.1 that forwards to target
// ("host:port") with a round-trip time of rtt. Close it when done.
func NewLatencyProxy(target string, rtt time.Duration) (*LatencyProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &LatencyProxy{
		ln:     ln,
		target: target,
		oneWay: rtt / 2,
		ctx:    ctx,
		stop:   stop,
		conns:  make(map[net.Conn]struct{}),
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the proxy's address, "127.0.0.1:port".
func (p *LatencyProxy) Addr() string { return p.ln.Addr().String() }

// Close stops the proxy, closes every connection through it and waits for
// its goroutines to end. It is safe to call more than once.
func (p *LatencyProxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	if !already {
		p.stop()
		p.ln.Close()
		for _, c := range conns {
			c.Close()
		}
	}
	p.wg.Wait()
	return nil
}

func (p *LatencyProxy) acceptLoop() {
	defer p.wg.Done()
	for {
		a, err := p.ln.Accept()
		if err != nil {
			var ne net.Error
			if p.ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return
		}
		if !p.track(a) {
			a.Close()
			return
		}
		p.wg.Add(1)
		go p.serve(a)
	}
}

// track registers a connection for Close; false if the proxy is closed.
func (p *LatencyProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *LatencyProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// serve connects a client connection to the target and forwards both ways.
func (p *LatencyProxy) serve(a net.Conn) {
	defer p.wg.Done()
	defer p.untrack(a)
	defer a.Close()
	var d net.Dialer
	b, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(b) {
		b.Close()
		return
	}
	defer p.untrack(b)
	defer b.Close()
	for _, c := range []net.Conn{a, b} {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(a, b) }()
	go func() { defer wg.Done(); p.pump(b, a) }()
	wg.Wait()
}

// chunk is bytes read at a time and due to be written at another.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// pump forwards src to dst with the one-way delay: this goroutine reads,
// another writes each chunk when it is due. At EOF it half-closes dst once
// everything read was written; on any other failure it closes both.
func (p *LatencyProxy) pump(src, dst net.Conn) {
	queue := make(chan chunk, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.deliver(queue, src, dst)
	}()
	for {
		bp, _ := p.bufs.Get().(*[]byte)
		if bp == nil {
			b := make([]byte, proxyChunk)
			bp = &b
		}
		n, err := src.Read(*bp)
		if n > 0 {
			queue <- chunk{buf: bp, n: n, due: time.Now().Add(p.oneWay)}
		} else {
			p.bufs.Put(bp)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				// A reset or a local close: abort both directions.
				src.Close()
				dst.Close()
			}
			break
		}
	}
	close(queue)
	<-done
}

// deliver writes the chunks of queue to dst when they are due, then
// half-closes dst.
func (p *LatencyProxy) deliver(queue <-chan chunk, src, dst net.Conn) {
	failed := false
	for c := range queue {
		if !failed {
			if d := time.Until(c.due); d > 0 {
				time.Sleep(d)
			}
			if _, err := dst.Write((*c.buf)[:c.n]); err != nil {
				failed = true
				src.Close()
				dst.Close()
			}
		}
		p.bufs.Put(c.buf)
	}
	if !failed {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}
}
