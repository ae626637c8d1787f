package engine

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/mipush-go/mipush/internal/h1conn"
	"github.com/mipush-go/mipush/internal/h2conn"
	"github.com/mipush-go/mipush/internal/wire"
)

// TLSConfig returns the client TLS configuration for a host: the caller's
// config base (cloned), verification as the caller set it, at least TLS
// 1.2, and ALPN offering h2 (unless disableHTTP2) and http/1.1.
func TLSConfig(base *tls.Config, disableHTTP2 bool, authority string) *tls.Config {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if disableHTTP2 {
		cfg.NextProtos = []string{"http/1.1"}
	} else {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	if cfg.ServerName == "" {
		host := authority
		if h, _, err := net.SplitHostPort(authority); err == nil {
			host = h
		}
		if len(host) > 1 && host[0] == '[' {
			host = host[1 : len(host)-1]
		}
		cfg.ServerName = host
	}
	return cfg
}

// DialTimeoutError is a dial, TLS handshake or HTTP/2 handshake that did
// not finish within DialTimeout. It keeps the cause's text but not the
// cause, so that it does not match context.DeadlineExceeded: no context
// of the caller's ended.
type DialTimeoutError struct {
	Addr  string
	Bound time.Duration // Options.DialTimeout
	Cause string        // the cause's text
}

func (e *DialTimeoutError) Error() string {
	return "mipush: connecting to " + e.Addr + " took longer than DialTimeout (" + e.Bound.String() + "): " + e.Cause
}

// Timeout reports true, as net.Error timeouts do.
func (e *DialTimeoutError) Timeout() bool { return true }

// SleepCtx waits for d or ctx; it reports whether d elapsed.
func SleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dial opens, handshakes and starts one connection of the pool.
func (p *Pool) dial() (wire.Conn, error) {
	s := p.cfg
	ctx, cancel := context.WithTimeout(p.ctx, s.DialTimeout)
	defer cancel()
	conn, err := p.dialCtx(ctx)
	if err != nil && ctx.Err() != nil && p.ctx.Err() == nil {
		err = &DialTimeoutError{Addr: p.addr, Bound: s.DialTimeout, Cause: err.Error()}
	}
	return conn, err
}

func (p *Pool) dialCtx(ctx context.Context) (wire.Conn, error) {
	s := p.cfg
	dialFn := s.DialContext
	if dialFn == nil {
		var d net.Dialer
		dialFn = d.DialContext
	}
	proxy, err := s.Proxy(p.addr)
	if err != nil {
		return nil, err
	}
	var raw net.Conn
	if proxy != nil {
		raw, err = DialProxy(ctx, dialFn, proxy, p.addr)
	} else {
		raw, err = dialFn(ctx, "tcp", p.addr)
	}
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, TLSConfig(s.TLSConfig, s.DisableHTTP2, p.authority))
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	p.dialled.Add(1)
	var conn wire.Conn
	cfg := s.Wire
	cfg.Queue, cfg.Authority, cfg.OnSaturated = p.queue, p.authority, p.onSaturated
	// OnClose may run as soon as the connection starts, even before it is
	// registered below: gone tells the registration, registered tells
	// OnClose, both under connsMu. opened orders ConnClosed after
	// ConnOpened. No lock is held while the connection starts (the HTTP/2
	// handshake waits for the server) nor while a hook runs.
	p.live.Add(1)
	p.connsWG.Add(1)
	protocol := tc.ConnectionState().NegotiatedProtocol
	if protocol == "" {
		protocol = "http/1.1"
	}
	var gone, registered bool
	opened := make(chan struct{})
	defer close(opened)
	cfg.OnClose = func(err error) {
		p.connsMu.Lock()
		gone = true
		if registered {
			delete(p.conns, conn)
		}
		p.connsMu.Unlock()
		p.live.Add(-1)
		<-opened
		s.Logger.Debug("mipush: connection closed", "host", p.addr, "protocol", protocol, "err", err)
		p.host.ConnClosed(p.addr, protocol, err)
		p.connsWG.Done()
	}
	var c wire.Conn
	if tc.ConnectionState().NegotiatedProtocol == "h2" {
		h2, err := h2conn.New(ctx, tc, cfg)
		if err != nil {
			p.live.Add(-1)
			p.connsWG.Done()
			tc.Close()
			return nil, err
		}
		c = h2
	} else {
		c = h1conn.New(tc, cfg)
	}
	p.connsMu.Lock()
	conn = c
	if !gone {
		p.conns[conn] = struct{}{}
		registered = true
	}
	p.connsMu.Unlock()
	s.Logger.Debug("mipush: connection opened", "host", p.addr, "protocol", protocol)
	p.host.ConnOpened(p.addr, protocol)
	return c, nil
}
