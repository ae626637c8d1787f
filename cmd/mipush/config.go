package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// Environment variables read by every command that talks to a server.
const (
	envSecret = "MIPUSH_APP_SECRET"
	envRegion = "MIPUSH_REGION"
)

// fakeSecret is the app secret used with --fake; the fake server accepts
// any secret.
const fakeSecret = "fake-secret"

// fakeBadPrefix marks regids that the embedded fake server (--fake)
// reports as bad, so that a bulk report can be seen without an account.
const fakeBadPrefix = "bad-"

// serverFlags are the flags that say which server to talk to and how.
type serverFlags struct {
	fake       bool
	host       string
	ca         string
	region     string
	secretFile string
}

// register defines the flags on fs.
func (f *serverFlags) register(fs *flagSet) {
	fs.BoolVar(&f.fake, "fake", false, "run against an embedded fake MiPush server (no account, no network; regids starting with \""+fakeBadPrefix+"\" are bad)")
	fs.StringVar(&f.host, "host", "", "send to this `host[:port]` (a private gateway) instead of the region's host")
	fs.StringVar(&f.ca, "ca", "", "trust the CA certificates in this PEM `file` (for --host) instead of the system roots")
	fs.StringVar(&f.region, "region", "", "`region` of the devices: china, europe, russia, india or singapore (default $"+envRegion+", else china)")
	fs.StringVar(&f.secretFile, "secret-file", "", "read the app secret from this `file` (default $"+envSecret+")")
}

// session is a client and, with --fake, the server it talks to.
type session struct {
	client *mipush.Client
	fake   *mipushtest.Server // nil unless --fake
	// ctx is the command's context, cancelled also when the server cannot
	// be reached (see dialWatch); cause says which.
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// close closes the client, then the fake server.
func (s *session) close() {
	s.client.Close()
	s.cancel(nil)
	if s.fake != nil {
		s.fake.Close()
	}
}

// unreachable returns the dial error that ended s.ctx, or nil.
func (s *session) unreachable() error {
	var u *unreachableError
	if errors.As(context.Cause(s.ctx), &u) {
		return u.err
	}
	return nil
}

// callErr returns the error to show for a call of s that returned err:
// the dial error if the server could not be reached.
func (s *session) callErr(err error) error {
	if u := s.unreachable(); u != nil && err != nil {
		return u
	}
	return err
}

// commandDialTimeout bounds one dial of a command: a command is
// interactive, so a wrong --host must fail in seconds, not after the
// library's patient defaults (which stay for programs).
const commandDialTimeout = 2 * time.Second

// unreachableError is the cause of a session's context when its first
// dial failed.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }

// dialWatch dials for a session: with commandDialTimeout, and while no
// dial has ever succeeded, a failed one ends the session (the library
// would retry for several seconds; a command should say at once that the
// host cannot be reached).
type dialWatch struct {
	d      net.Dialer
	ok     atomic.Bool
	cancel context.CancelCauseFunc
}

func (w *dialWatch) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := w.d.DialContext(ctx, network, addr)
	switch {
	case err == nil:
		w.ok.Store(true)
	case !w.ok.Load() && !errors.Is(ctx.Err(), context.Canceled):
		w.cancel(&unreachableError{err})
	}
	return c, err
}

// options resolves the flags and the environment into client options. It
// checks everything it can (a secret is present, the region is known, the
// CA file parses, the options are valid) without touching the network.
func (f *serverFlags) options() (mipush.Options, error) {
	var o mipush.Options
	if f.fake {
		if f.host != "" || f.ca != "" {
			return o, usagef("--fake cannot be combined with --host or --ca")
		}
		o.AppSecret = fakeSecret
		return o, nil
	}
	secret, err := f.secret()
	if err != nil {
		return o, err
	}
	o.AppSecret = secret
	region := f.region
	if region == "" {
		region = os.Getenv(envRegion)
	}
	if o.Region, err = parseRegion(region); err != nil {
		return o, err
	}
	o.Host = f.host
	if f.ca != "" {
		pem, err := os.ReadFile(f.ca)
		if err != nil {
			return o, usagef("--ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return o, usagef("--ca: %s holds no PEM certificate", f.ca)
		}
		o.TLSConfig = &tls.Config{RootCAs: pool}
	}
	if err := o.Validate(); err != nil {
		return o, &usageError{msg: describe(err)}
	}
	return o, nil
}

// secret returns the app secret from --secret-file or the environment.
// Error messages never include it.
func (f *serverFlags) secret() (string, error) {
	if f.secretFile != "" {
		b, err := os.ReadFile(f.secretFile)
		if err != nil {
			return "", usagef("--secret-file: %v", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", usagef("--secret-file: %s is empty", f.secretFile)
		}
		return s, nil
	}
	if s := strings.TrimSpace(os.Getenv(envSecret)); s != "" {
		return s, nil
	}
	return "", usagef("no app secret: set %s or use --secret-file (or --fake to try without an account)", envSecret)
}

// connect returns a session for o within ctx, starting the embedded fake
// server first with --fake.
func (f *serverFlags) connect(ctx context.Context, o mipush.Options) *session {
	s := new(session)
	s.ctx, s.cancel = context.WithCancelCause(ctx)
	if f.fake {
		s.fake = newFakeServer()
		o.Host = s.fake.Host()
		o.TLSConfig = s.fake.ClientTLSConfig()
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = commandDialTimeout
	}
	if o.DialContext == nil {
		w := &dialWatch{d: net.Dialer{Timeout: o.DialTimeout}, cancel: s.cancel}
		o.DialContext = w.dial
	}
	s.client = mipush.NewClient(o)
	return s
}

// newFakeServer starts the embedded fake server of --fake: HTTP/2, and
// regids with fakeBadPrefix reported as bad. One command uses one server
// for all its requests, so what it sends is what it traces.
func newFakeServer() *mipushtest.Server {
	srv := mipushtest.NewServer(fakeOptions(true))
	setFakeBehaviour(srv)
	return srv
}

// fakeRememberSends is how many of the latest sends the fake server keeps
// for trace by default (about 200 bytes each).
const fakeRememberSends = 1 << 20

// fakeOptions are the options of the fake server of --fake and of
// "mipush fake": no recording of requests (a long run would grow without
// bound), but the state that stats and trace answer from.
func fakeOptions(h2 bool) mipushtest.Options {
	return mipushtest.Options{HTTP2: h2, NoRecording: true, RememberSends: fakeRememberSends}
}

// setFakeBehaviour makes srv report regids with fakeBadPrefix as bad.
func setFakeBehaviour(srv *mipushtest.Server) {
	srv.SetBadRegIDFunc(func(id string) bool { return strings.HasPrefix(id, fakeBadPrefix) })
}

// parseRegion parses a region name; "" is China.
func parseRegion(s string) (mipush.Region, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return mipush.RegionChina, nil
	}
	for r := mipush.RegionChina; r <= mipush.RegionSingapore; r++ {
		if r.String() == s {
			return r, nil
		}
	}
	return 0, usagef("unknown region %q: want china, europe, russia, india or singapore", s)
}
