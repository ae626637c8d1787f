package mipush

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/h1conn"
	"github.com/mipush-go/mipush/internal/h2conn"
	"github.com/mipush-go/mipush/internal/wire"
)

// dial opens, handshakes and starts one connection of the pool.
func (p *pool) dial() (wire.Conn, error) {
	s := &p.e.s
	ctx, cancel := context.WithTimeout(p.ctx, s.DialTimeout)
	defer cancel()
	conn, err := p.dialCtx(ctx)
	if err != nil && ctx.Err() != nil && p.ctx.Err() == nil {
		err = &engine.DialTimeoutError{Addr: p.addr, Bound: s.DialTimeout, Cause: err.Error()}
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
	tc := tls.Client(raw, engine.TLSConfig(s.TLSConfig, s.DisableHTTP2, p.authority))
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
