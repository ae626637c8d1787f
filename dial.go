package mipush

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/h1conn"
	"github.com/mipush-go/mipush/internal/h2conn"
	"github.com/mipush-go/mipush/internal/wire"
)

// tlsConfig returns the client TLS configuration for a host: the caller's
// config (cloned), verification as the caller set it, at least TLS 1.2,
// and ALPN offering h2 (unless disabled) and http/1.1.
func (s *settings) tlsConfig(authority string) *tls.Config {
	var cfg *tls.Config
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if s.DisableHTTP2 {
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

// dialTimeoutError is a dial, TLS handshake or HTTP/2 handshake that did
// not finish within DialTimeout. It keeps the cause's text but not the
// cause, so that it does not match context.DeadlineExceeded: no context
// of the caller's ended.
type dialTimeoutError struct {
	addr    string
	timeout time.Duration
	cause   string
}

func (e *dialTimeoutError) Error() string {
	return "mipush: connecting to " + e.addr + " took longer than DialTimeout (" + e.timeout.String() + "): " + e.cause
}

// Timeout reports true, as net.Error timeouts do.
func (e *dialTimeoutError) Timeout() bool { return true }

// dial opens, handshakes and starts one connection of the pool.
func (p *pool) dial() (wire.Conn, error) {
	s := &p.e.s
	ctx, cancel := context.WithTimeout(p.ctx, s.DialTimeout)
	defer cancel()
	conn, err := p.dialCtx(ctx)
	if err != nil && ctx.Err() != nil && p.ctx.Err() == nil {
		err = &dialTimeoutError{addr: p.addr, timeout: s.DialTimeout, cause: err.Error()}
	}
	return conn, err
}

func (p *pool) dialCtx(ctx context.Context) (wire.Conn, error) {
	s := &p.e.s
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
		raw, err = engine.DialProxy(ctx, dialFn, proxy, p.addr)
	} else {
		raw, err = dialFn(ctx, "tcp", p.addr)
	}
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, s.tlsConfig(p.authority))
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	p.dialled.Add(1)
	var conn wire.Conn
	cfg := wire.Config{
		Queue:       p.queue,
		Window:      s.Window,
		Authority:   p.authority,
		UserAgent:   s.UserAgent,
		MaxBody:     s.MaxResponseBytes,
		Timeout:     s.RequestTimeout,
		OnSaturated: p.onSaturated,
	}
	if s.PingInterval > 0 {
		cfg.PingIdle, cfg.PingTimeout = s.PingInterval, s.PingTimeout
	}
	// OnClose may run as soon as the connection starts, even before it is
	// registered below: gone tells the registration, registered tells
	// OnClose, both under connsMu. opened orders ConnClosed after
	// ConnOpened. No lock is held while the connection starts (the HTTP/2
	// handshake waits for the server) nor while a hook runs.
	p.live.Add(1)
	p.connsWG.Add(1)
	info := ConnInfo{Host: p.addr, Protocol: tc.ConnectionState().NegotiatedProtocol}
	if info.Protocol == "" {
		info.Protocol = "http/1.1"
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
		s.Logger.Debug("mipush: connection closed", "host", info.Host, "protocol", info.Protocol, "err", err)
		if s.Observer != nil {
			s.Observer.ConnClosed(info, err)
		}
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
	s.Logger.Debug("mipush: connection opened", "host", info.Host, "protocol", info.Protocol)
	if s.Observer != nil {
		s.Observer.ConnOpened(info)
	}
	return c, nil
}
