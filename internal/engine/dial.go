package engine

import (
	"context"
	"crypto/tls"
	"net"
	"time"
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
