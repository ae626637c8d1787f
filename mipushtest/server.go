package mipushtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is a valid configuration: an
// HTTP/1.1-only server on 127.0.0.1 that accepts any non-empty secret and
// records every request.
type Options struct {
	// HTTP2 makes the server offer "h2" in ALPN, preferred over
	// "http/1.1", which it still accepts. Without it the server offers only
	// "http/1.1".
	HTTP2 bool

	// DNSNames are extra names the server certificate is valid for, besides
	// 127.0.0.1, ::1, "localhost" and the host of InMemoryHost.
	DNSNames []string

	// Secrets are the application secrets the server accepts in
	// "Authorization: key=<secret>". Empty means any non-empty secret. See
	// also Server.SetSecrets.
	Secrets []string

	// NoRecording starts the server with recording off: it keeps counters
	// but not the requests. See Server.SetRecording.
	NoRecording bool

	// RTT, when positive, puts a latency proxy in front of the server that
	// delays the bytes in each direction by RTT/2, so every round trip
	// takes at least RTT. Host and URL then name the proxy. It does
	// not apply to DialContext.
	RTT time.Duration

	// InMemory starts no TCP listener: the server is reachable only through
	// DialContext, and Host returns InMemoryHost. Use it inside a
	// testing/synctest bubble, where a goroutine blocked in a TCP accept
	// would keep the fake clock from advancing.
	InMemory bool

	// MaxConcurrentStreams is the HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS the
	// server announces; 0 means 250. Streams beyond it are refused
	// (RST_STREAM REFUSED_STREAM).
	MaxConcurrentStreams uint32

	// HostList, when not nil, is the initial host list; see
	// Server.SetHostList.
	HostList *HostList

	// RememberSends, when positive, makes the server remember that many of
	// the latest accepted sends (message id, job key, time and number of
	// valid targets) and answer /v1/trace/message/status from them, so a
	// trace agrees with what was sent: resolved and delivered are the valid
	// targets of the message, or of all remembered messages of a job key,
	// and 0 for an id the server does not know. Zero remembers nothing and
	// a trace answers one delivered target for any id.
	RememberSends int

	// Strict makes the server refuse what the service has retired but
	// the fake otherwise accepts with a warning (Request.Warnings): a
	// notification without extra.notify_effect, a retired "custom
	// notification message" (rule "notify_effect" in docs/fidelity.md, with
	// its date and notice). It is refused with a "missing required
	// parameter" code (rule "custom notification answer"); what the real
	// server answers (an error, or a silent drop) is not known, so the
	// code is a guess.
	Strict bool

	// Addr is the TCP address to listen on, e.g. "127.0.0.1:4443"; empty
	// means a free port on 127.0.0.1. The certificate is valid for the
	// loopback addresses and DNSNames only.
	Addr string
}

// Server is a fake MiPush server. Create it with NewServer and stop it with
// Close. All its methods are safe for concurrent use, also while it serves.
type Server struct {
	opts  Options
	auth  *authority
	h1TLS *tls.Config
	h2TLS *tls.Config

	ln    net.Listener    // nil with Options.InMemory
	proxy *LatencyProxy   // nil unless Options.RTT > 0
	ctx   context.Context // done when the server closes
	stop  context.CancelFunc

	beh   atomic.Pointer[behaviour]
	behMu sync.Mutex // serializes changes to beh

	idBase uint64
	ids    atomic.Uint64 // answers given; source of message and trace ids
	seq    atomic.Int64  // requests processed
	connN  atomic.Int64  // connections accepted, for Conn indexes

	routes    routes
	readers   sync.Pool // *bufio.Reader of HTTP/1.1 connections
	writers   sync.Pool // *bufio.Writer of HTTP/1.1 connections
	exchanges sync.Pool // *exchange of HTTP/2 streams

	rec   recorder
	state apiState

	mu     sync.Mutex
	closed bool
	conns  map[*conn]struct{} // open connections
	stats  []*conn            // connections since start or Reset, for ConnStats
	wg     sync.WaitGroup     // accept loop and connection goroutines

	clientOnce sync.Once
	client     *http.Client
}

// NewServer starts a fake MiPush server configured by opts. Like
// httptest.NewServer it panics if it cannot start (it can fail only if no
// loopback port is available). Close it when done.
func NewServer(opts Options) *Server {
	s, err := StartServer(opts)
	if err != nil {
		panic(err.Error())
	}
	return s
}

// StartServer is NewServer returning the error instead of panicking, for
// a program that serves on an address it was given (Options.Addr).
func StartServer(opts Options) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, errors.New("mipushtest: " + err.Error())
	}
	return s, nil
}

func newServer(opts Options) (*Server, error) {
	opts.DNSNames = append([]string(nil), opts.DNSNames...)
	opts.Secrets = append([]string(nil), opts.Secrets...)
	auth, err := newAuthority(opts.DNSNames)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{
		opts:   opts,
		auth:   auth,
		h1TLS:  auth.serverConfig(false),
		h2TLS:  auth.serverConfig(true),
		ctx:    ctx,
		stop:   stop,
		idBase: uint64(time.Now().UnixMilli()) * 1_000_000,
		conns:  make(map[*conn]struct{}),
		routes: newRoutes(),
	}
	b := &behaviour{record: !opts.NoRecording}
	b.setSecrets(opts.Secrets)
	b.setHostList(opts.HostList)
	s.beh.Store(b)

	if opts.InMemory {
		return s, nil
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		stop()
		return nil, err
	}
	s.ln = ln
	if opts.RTT > 0 {
		p, err := NewLatencyProxy(ln.Addr().String(), opts.RTT)
		if err != nil {
			ln.Close()
			stop()
			return nil, err
		}
		s.proxy = p
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Host returns the "host:port" a client should connect to: "127.0.0.1:port"
// (the latency proxy's port with Options.RTT), or InMemoryHost with
// Options.InMemory.
func (s *Server) Host() string {
	switch {
	case s.ln == nil:
		return InMemoryHost
	case s.proxy != nil:
		return s.proxy.Addr()
	default:
		return s.ln.Addr().String()
	}
}

// URL returns "https://" followed by Host.
func (s *Server) URL() string { return "https://" + s.Host() }

// ClientTLSConfig returns a new TLS configuration for a client of the
// server: its RootCAs hold only the server's CA, ServerName is "localhost"
// (the certificate is also valid for 127.0.0.1) and MinVersion is TLS 1.2.
// NextProtos is left empty for the client to set.
func (s *Server) ClientTLSConfig() *tls.Config { return s.auth.clientConfig() }

// CACertPEM returns the PEM encoding of the server's CA certificate, for a
// command's --ca flag or a file.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.auth.caPEM...) }

// CACert returns the server's CA certificate.
func (s *Server) CACert() *x509.Certificate { return s.auth.caCert }

// Client returns an *http.Client configured for the server: it trusts the
// server's CA, dials through DialContext with Options.InMemory, and uses
// HTTP/2 when the server offers it. It is closed along with the server.
func (s *Server) Client() *http.Client {
	s.clientOnce.Do(func() {
		tr := &http.Transport{
			TLSClientConfig:   s.ClientTLSConfig(),
			ForceAttemptHTTP2: s.opts.HTTP2,
		}
		if s.ln == nil {
			tr.DialContext = s.DialContext
		}
		s.client = &http.Client{Transport: tr}
	})
	return s.client
}

// Close stops the server: it closes the listener (and the latency proxy)
// and every connection, wakes stalled and delayed requests, and waits for
// all the server's goroutines to end. It is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if already {
		s.wg.Wait()
		return
	}
	s.stop()
	if s.ln != nil {
		s.ln.Close()
	}
	for _, c := range conns {
		c.raw.Close()
	}
	s.wg.Wait()
	if s.proxy != nil {
		s.proxy.Close()
	}
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
}

// DialContext connects to the server through an in-memory pipe
// (net.Pipe): it returns the client end, and the server serves the other
// end, TLS included, exactly as it serves a TCP connection. network and
// addr are ignored. It works with and without Options.InMemory. Inside a
// testing/synctest bubble a goroutine blocked on a pipe is durably
// blocked, so time-based client tests can run with the fake clock; create
// the server inside the bubble too (with Options.InMemory) and close it
// there.
func (s *Server) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, server := net.Pipe()
	if !s.startConn(server) {
		client.Close()
		server.Close()
		return nil, errors.New("mipushtest: server closed")
	}
	return client, nil
}

// acceptLoop accepts TCP connections until the listener is closed.
func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors or similar: wait and retry.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
				case <-s.ctx.Done():
					return
				}
				continue
			}
			return
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		if !s.startConn(nc) {
			nc.Close()
		}
	}
}

// startConn registers a new connection and starts serving it. It returns
// false if the server is closed.
func (s *Server) startConn(nc net.Conn) bool {
	c := &conn{s: s, raw: nc}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	c.index = int(s.connN.Add(1))
	s.conns[c] = struct{}{}
	s.stats = append(s.stats, c)
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serve()
	return true
}

// forget unregisters a connection that has ended.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// handshakeTimeout bounds the TLS handshake of a new connection.
const handshakeTimeout = 10 * time.Second
