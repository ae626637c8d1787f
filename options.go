package mipush

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mipush-go/mipush/internal/engine"
)

// Defaults for the zero values of Options.
const (
	DefaultConns          = 8
	DefaultWindow         = 512
	DefaultConnMaxAge     = 10 * time.Minute
	DefaultRequestTimeout = 10 * time.Second
	DefaultDialTimeout    = 10 * time.Second
	DefaultCloseTimeout   = 30 * time.Second
	DefaultMaxAttempts    = 3
	DefaultMaxResponse    = 1 << 20
	DefaultPingInterval   = 30 * time.Second
	DefaultPingTimeout    = 15 * time.Second
)

// Upper bounds of the Options that size memory or goroutines. Validate
// rejects larger values, naming the bound in its error, so that no
// setting can run the process out of memory or overflow: the MaxPending
// bound sizes queues of that many entries, Window a connection's stream
// table, Conns a goroutine each.
const (
	limitConns            = 1024
	limitWindow           = 1 << 16
	limitMaxPending       = 1 << 20
	limitMaxAttempts      = 100
	limitMaxResponseBytes = 1 << 30
	limitRateBurst        = 1 << 20
)

// Options configures a Client. The zero value of every field but AppSecret
// selects a sensible default.
//
// Options never prints the AppSecret: every fmt verb that reaches its
// Format method shows it redacted. (%p of an Options value is not a
// pointer verb; fmt then prints the raw fields without asking any method,
// and go vet reports that call. Print *Options with %p instead.)
type Options struct {
	// AppSecret is sent as "Authorization: key=<AppSecret>". Required.
	AppSecret string
	// Host is "host" or "host:port"; "" means the Region's message host
	// (ProductionHost for China). A Host set here pins every call to it,
	// feedback calls included.
	Host string
	// Region selects the hosts when Host is empty; the zero value is
	// RegionChina. In the China region the message host follows the
	// server's host list, as the official Java SDK's ServerSwitch does: the
	// X-PUSH-HOST-LIST request header asks for it on every request until a
	// list arrives and again once it is 5 minutes old; every answer's
	// X-PUSH-DISABLE-AUTO-SELECT-DOMAIN (present: the default host only)
	// and X-PUSH-CLIENT-TIMEOUT-MS (absent: 5000 ms, the latency above
	// which a host is demoted) are read anew. Only *.xmpush.xiaomi.com
	// hosts are taken, at most 8 of a list (each gets a pool of Conns
	// connections); a host that leaves the list has its pool closed once
	// its requests are answered, and sends still queued there go to
	// another host.
	Region Region
	// TLSConfig is cloned and used for every connection. nil means the
	// system roots and full verification; verification stays on unless this
	// config disables it. MinVersion is raised to TLS 1.2 and NextProtos is
	// set by the client.
	TLSConfig *tls.Config
	// Conns is the number of connections in the pool; 0 means DefaultConns.
	// Against an HTTP/2 server that allows fewer concurrent streams than
	// Window, the pool opens extra connections while every connection is
	// full, as many as Conns × Window requests in flight need but at most
	// 3 × Conns more; each closes at ConnMaxAge instead of being replaced.
	Conns int
	// ConnMaxAge is the age at which a connection stops taking requests,
	// finishes those in flight and closes; its replacement is dialled first.
	// 0 means DefaultConnMaxAge; a negative value disables recycling.
	ConnMaxAge time.Duration
	// Window is the most requests in flight on one connection; 0 means
	// DefaultWindow. 1 turns HTTP/1.1 pipelining off. On HTTP/2 the
	// server's SETTINGS_MAX_CONCURRENT_STREAMS also applies (see Conns).
	Window int
	// MaxPending bounds the sends accepted but not yet finished, client-wide
	// (sync and async together); a send beyond it waits for room. 0 means
	// twice Conns × Window, at most 1<<20.
	MaxPending int

	// OnError receives the outcome of each failed async send, exactly once.
	// See the package documentation for which goroutine runs it. When it
	// is nil, failures are logged instead (see DisableFailureLog).
	OnError func(*SendError)
	// OnSuccess, if set, receives the outcome of each successful async send.
	OnSuccess func(*SendResult)
	// OnInvalidTargets, if set, receives the targets the server called
	// invalid, whichever other callbacks are set: the bad_regids of an
	// accepted send, and every target of a send rejected with code 20301
	// (no valid targets), for sends to regids, aliases and user accounts,
	// multi-message batches and each request of PushBulk. Prune them from
	// your store. It runs on the callback goroutine, one call at a time
	// and never beside OnError or OnSuccess (see the package
	// documentation): for an async send just before that send's OnSuccess
	// or OnError, for a blocking send (PushBulk's requests included)
	// before the call returns, however many blocking sends run at once.
	OnInvalidTargets func(*InvalidTargets)
	// DisableFailureLog turns off the warning logged for each failed async
	// send when OnError is nil (through Logger, or slog.Default() when
	// Logger is nil), at most one line per second with a count of the
	// failures left unlogged in between.
	DisableFailureLog bool
	// Batch, when enabled, gathers async sends to one target into
	// multi-message requests, to send many more messages within the
	// app's request quota; off by default. See BatchOptions.
	Batch BatchOptions

	// RequestTimeout bounds one attempt from when it is written to when its
	// response is complete; 0 means DefaultRequestTimeout, negative none.
	RequestTimeout time.Duration
	// DialTimeout bounds dialling and the TLS handshake; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// PingInterval is how long an HTTP/2 connection may go without a frame
	// from the server before it sends a PING; PingTimeout how long it then
	// waits for any frame before it closes itself as dead (its requests
	// fail, written ones as maybe processed, and the pool dials anew).
	// 0 means DefaultPingInterval and DefaultPingTimeout; a negative
	// PingInterval turns the check off. HTTP/1.1 has no such probe.
	PingInterval, PingTimeout time.Duration
	// CloseTimeout bounds how long Close waits for sends in flight (and,
	// once it has passed, at most a second more for the callbacks of the
	// sends Close failed); 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration
	// QueueTimeout bounds how long an accepted send waits for a
	// connection to take it: from its acceptance (or its retry after an
	// attempt that reached the server) to its being written, across the
	// re-queues of attempts the server never saw. A send still unwritten
	// then fails, within 1.25 × QueueTimeout, with an error wrapping
	// ErrQueueTimeout: an unreachable host, or one whose connections can
	// take no request, fails sends (sync ones too) within that bound. 0 or
	// negative means DialTimeout + RequestTimeout (20 s by default): time
	// to dial, then to wait for room behind requests in flight.
	QueueTimeout time.Duration
	// MaxAttempts bounds the attempts of one send (the first included) when
	// it meets a retryable answer; 0 means DefaultMaxAttempts, 1 disables
	// retries. Requests the server surely did not process are re-sent on
	// another connection without counting against it.
	MaxAttempts int
	// RetryMaybeProcessed opts in to at-least-once sending: a request whose
	// connection broke after it was written is sent again (the server may
	// then deliver it twice). Off by default: such a send fails with an
	// error for which errors.Is(err, ErrMaybeProcessed) holds.
	RetryMaybeProcessed bool
	// RetryBudget is the size of the client-wide retry token bucket: a
	// retry after a retryable answer costs 5 tokens, after a broken
	// connection 10, and each first-attempt success refunds 1. When the
	// bucket is empty failures are reported instead of retried, so a
	// failing server is not stormed. 0 means DefaultRetryBudget; negative
	// disables the budget.
	RetryBudget int
	// AutoJobKey gives every send of a message without a JobKey a unique
	// extra.jobkey, reported in SendError and SendResult. Devices drop a
	// second delivery with the same job key, which makes at-least-once
	// sending (RetryMaybeProcessed) safe for notifications.
	AutoJobKey bool
	// RateLimit, when positive, caps the requests sent per second
	// (retries included) by the client and its views together, with an
	// in-process token bucket: sends wait for their turn before they are
	// accepted. A send whose turn would come after its context's deadline
	// fails at once, with an error for which
	// errors.Is(err, context.DeadlineExceeded) holds, as if it had
	// waited. Off by default, since apps' quotas differ (about 500 to
	// 3000 requests per second). Without it the client still pauses an
	// app's sends after the server answers it "too frequent" (10027).
	RateLimit float64
	// RateBurst is how many requests may go at once under RateLimit; 0
	// means a tenth of a second's worth (at least 1).
	RateBurst int
	// Limiter, if set, paces every request the server will count: each
	// send waits for it before it is accepted, each retry before it is
	// sent again (see Limiter). It may be shared with other clients or,
	// like the Redis limiter of the redislimit module, with other
	// processes. RateLimit, if also set, caps this client first. A
	// Limiter that implements Backoffer hears of "too frequent" answers;
	// one that implements StopSharer shares stops of a class of sends.
	Limiter Limiter
	// MaxResponseBytes caps a response body; 0 means DefaultMaxResponse.
	MaxResponseBytes int

	// DisableFailFast turns the client-side stops off. By default, after
	// a wrong-secret answer (21301, 22008) the client fails every further
	// call with that app secret without sending it, and after a
	// daily-quota answer (10034, 200001) to a single send it fails the
	// single sends of the same message class (extra.channel_id; "" is
	// the default class) with that secret the same way, until a probe
	// succeeds (see QuotaProbeInterval) or Client.Unblock. Such failures
	// satisfy errors.Is(err, ErrStopped). With DisableFailFast every call
	// is sent and gets the server's own answer.
	DisableFailFast bool
	// QuotaProbeInterval is how long the single sends of a message class
	// stop after a daily-quota answer before one is sent as a probe: an
	// answer other than the quota lifts the stop, another quota answer
	// stops the class for one more interval. Other classes (private
	// channels have no daily quota) and calls other than single sends are
	// never stopped for quota. 0 means DefaultQuotaProbeInterval (1
	// minute).
	QuotaProbeInterval time.Duration
	// AuthProbeInterval is the same after a wrong-secret answer (21301,
	// 22008) or an app-blacklisted one (10031), for every call with that
	// secret; 0 means DefaultAuthProbeInterval (5 minutes).
	AuthProbeInterval time.Duration

	// Logger receives the client's log records: connections opened and
	// closed (debug), dial failures (warn), client-side stops started
	// after an authentication or quota answer (warn) and ended (info),
	// and failed async sends when OnError is nil (warn, rate-limited; see
	// DisableFailureLog). nil means none but the last, which then go to
	// slog.Default(). The app secret is never logged.
	Logger *slog.Logger
	// Observer, if set, receives an event per finished call and per
	// connection opened or closed; see Observer.
	Observer Observer

	// Proxy returns the HTTP CONNECT proxy for a "host:port", or nil for a
	// direct connection; credentials in the URL's user info are sent as
	// Proxy-Authorization. nil means ProxyFromEnvironment (HTTPS_PROXY,
	// NO_PROXY; never for loopback); NoProxy ignores the environment.
	// The proxy's answer to CONNECT may be at most 64 KiB (status line,
	// headers and any body): a longer one fails the dial, as a proxy
	// that talks on would otherwise grow the heap for as long as it does.
	Proxy func(hostport string) (*url.URL, error)
	// DialContext, if set, dials the TCP connection (TLS is layered on
	// top), to the proxy when there is one.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DisableHTTP2 offers only HTTP/1.1 in ALPN.
	DisableHTTP2 bool
	// UserAgent is sent with every request; "" means "mipush-go".
	UserAgent string
}

// String returns a description of o with the AppSecret redacted, so
// printing Options with %v or %+v never leaks it.
func (o Options) String() string {
	var b strings.Builder
	b.WriteString("mipush.Options{AppSecret:")
	if o.AppSecret == "" {
		b.WriteString(`""`)
	} else {
		b.WriteString("[redacted]")
	}
	b.WriteString(" Host:")
	b.WriteString(strconv.Quote(o.Host))
	b.WriteString(" Conns:")
	b.WriteString(strconv.Itoa(o.Conns))
	b.WriteString(" Window:")
	b.WriteString(strconv.Itoa(o.Window))
	b.WriteString(" ConnMaxAge:")
	b.WriteString(o.ConnMaxAge.String())
	b.WriteString("}")
	return b.String()
}

// Format writes String for every verb, so no verb (%d, %x, %t, %q, ...)
// prints the AppSecret.
func (o Options) Format(f fmt.State, verb rune) { io.WriteString(f, o.String()) }

// secret holds a credential inside the client. It prints as [redacted]
// with every fmt verb that asks it, so a value holding it cannot leak it.
type secret string

// Format writes "[redacted]" whatever the verb.
func (secret) Format(f fmt.State, verb rune) { io.WriteString(f, "[redacted]") }

// checkHeaderText rejects control characters (C0, DEL) and invalid UTF-8 in a
// value sent in a request header; it never echoes the value.
func checkHeaderText(field, v string) error {
	if !utf8.ValidString(v) {
		return &ValidationError{Field: field, Reason: "must be valid UTF-8"}
	}
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b == 0x7f {
			return &ValidationError{Field: field, Reason: "must not contain control characters (CR, LF, NUL, tab, ...), found one at byte " + strconv.Itoa(i)}
		}
	}
	return nil
}

// Validate reports the first problem with o, or nil. NewClient does not
// fail on invalid Options; every call on such a client returns this error.
func (o *Options) Validate() error {
	if o.AppSecret == "" {
		return &ValidationError{Field: "Options.AppSecret", Reason: "is required"}
	}
	if err := checkHeaderText("Options.AppSecret", o.AppSecret); err != nil {
		return err
	}
	if err := checkHeaderText("Options.Host", o.Host); err != nil {
		return err
	}
	if err := validateHost(o.Host); err != nil {
		return err
	}
	if err := o.Batch.validate(); err != nil {
		return err
	}
	if o.RateLimit < 0 || o.RateLimit != o.RateLimit {
		return &ValidationError{Field: "Options.RateLimit", Reason: "must be a non-negative number of requests per second"}
	}
	if o.Region < RegionChina || o.Region > RegionSingapore {
		return &ValidationError{Field: "Options.Region", Reason: "unknown region " + strconv.Itoa(int(o.Region))}
	}
	if o.QuotaProbeInterval < 0 {
		return &ValidationError{Field: "Options.QuotaProbeInterval", Reason: "must not be negative, got " + o.QuotaProbeInterval.String()}
	}
	if o.AuthProbeInterval < 0 {
		return &ValidationError{Field: "Options.AuthProbeInterval", Reason: "must not be negative, got " + o.AuthProbeInterval.String()}
	}
	if err := checkHeaderText("Options.UserAgent", o.UserAgent); err != nil {
		return err
	}
	for _, n := range []struct {
		field  string
		v, max int
	}{
		{"Options.Conns", o.Conns, limitConns}, {"Options.Window", o.Window, limitWindow},
		{"Options.MaxPending", o.MaxPending, limitMaxPending},
		{"Options.MaxAttempts", o.MaxAttempts, limitMaxAttempts},
		{"Options.MaxResponseBytes", o.MaxResponseBytes, limitMaxResponseBytes},
		{"Options.RateBurst", o.RateBurst, limitRateBurst},
	} {
		if n.v < 0 {
			return &ValidationError{Field: n.field, Reason: "must not be negative, got " + strconv.Itoa(n.v)}
		}
		if n.v > n.max {
			return &ValidationError{Field: n.field, Reason: "must be at most " + strconv.Itoa(n.max) + ", got " + strconv.Itoa(n.v)}
		}
	}
	return nil
}

// validateHost accepts "host" or "host:port" with a DNS name or IP literal.
func validateHost(h string) error {
	if h == "" {
		return nil
	}
	bad := func(reason string) error {
		return &ValidationError{Field: "Options.Host", Reason: reason + ", got " + strconv.Quote(h)}
	}
	if strings.ContainsAny(h, "\r\n\x00 /\\?#@") {
		return bad(`must be "host" or "host:port" without scheme, path or spaces`)
	}
	host, port := h, ""
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		var err error
		host, port, err = net.SplitHostPort(h)
		if err != nil {
			return bad(`must be "host" or "host:port"`)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("port must be 1..65535")
		}
	}
	if host == "" {
		return bad("host is empty")
	}
	return nil
}

// settings are Options with every default applied.
type settings struct {
	Options
	addr      string // host:port to dial
	authority string // Host header / :authority
	auth      secret // "key=<secret>"
	// failureLogger is Options.Logger as given: nil means slog.Default()
	// for the failure log (see failureLog).
	failureLogger *slog.Logger
}

func newSettings(o Options) settings {
	s := settings{Options: o, failureLogger: o.Logger}
	if s.Conns == 0 {
		s.Conns = DefaultConns
	}
	if s.Window == 0 {
		s.Window = DefaultWindow
	}
	if s.MaxPending == 0 {
		s.MaxPending = min(2*s.Conns*s.Window, limitMaxPending)
	}
	if s.ConnMaxAge == 0 {
		s.ConnMaxAge = DefaultConnMaxAge
	}
	if s.RequestTimeout == 0 {
		s.RequestTimeout = DefaultRequestTimeout
	} else if s.RequestTimeout < 0 {
		s.RequestTimeout = 0
	}
	if s.DialTimeout <= 0 {
		s.DialTimeout = DefaultDialTimeout
	}
	if s.PingInterval == 0 {
		s.PingInterval = DefaultPingInterval
	}
	if s.PingTimeout <= 0 {
		s.PingTimeout = DefaultPingTimeout
	}
	if s.CloseTimeout <= 0 {
		s.CloseTimeout = DefaultCloseTimeout
	}
	if s.QueueTimeout <= 0 {
		s.QueueTimeout = s.DialTimeout + max(s.RequestTimeout, 0)
		if s.RequestTimeout == 0 {
			s.QueueTimeout += DefaultRequestTimeout // no request bound: still bound the queue
		}
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = DefaultMaxAttempts
	}
	if s.RetryBudget == 0 {
		s.RetryBudget = DefaultRetryBudget
	}
	if s.RateLimit > 0 && s.RateBurst <= 0 {
		s.RateBurst = max(1, int(s.RateLimit/10))
	}
	if s.MaxResponseBytes == 0 {
		s.MaxResponseBytes = DefaultMaxResponse
	}
	if s.QuotaProbeInterval == 0 {
		s.QuotaProbeInterval = DefaultQuotaProbeInterval
	}
	if s.AuthProbeInterval == 0 {
		s.AuthProbeInterval = DefaultAuthProbeInterval
	}
	if s.Proxy == nil {
		s.Proxy = ProxyFromEnvironment()
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.UserAgent == "" {
		s.UserAgent = "mipush-go"
	}
	host := s.Host
	if host == "" {
		host, _ = s.Region.hosts()
	}
	s.addr, s.authority = engine.HostAddr(host)
	s.auth = secret("key=" + s.AppSecret)
	return s
}

// DefaultRetryBudget is the tokens of a full retry budget when
// Options.RetryBudget is 0: a retry after a retryable answer costs 5, one
// after a broken connection or a timeout 10, and a success refunds 1.
const DefaultRetryBudget = 500
