// Package wire holds the types shared by the client's connection
// implementations (HTTP/1.1 pipelined and HTTP/2 multiplexed) and the engine
// that drives them.
//
// A connection pulls Exchanges from a queue shared by the pool, writes each
// request, and completes every Exchange it took exactly once, through
// Exchange.Done, with either a Response or an *Error.
package wire

import (
	"errors"
	"sync/atomic"
	"time"
)

// ContentTypeForm is the Content-Type sent with every request, as the
// official SDKs send it (also on GET).
const ContentTypeForm = "application/x-www-form-urlencoded;charset=UTF-8"

// Header is one extra request or response header field. Names are in
// canonical lower case ("x-push-host-list").
type Header struct {
	Name, Value string
}

// Request is one HTTP request, fully encoded by the caller.
type Request struct {
	Method string // "POST" or "GET"
	Path   string // absolute path, with "?query" for GET
	Auth   string // the whole Authorization value: "key=<secret>"
	Header []Header
	Body   []byte // form body for POST; nil for GET
}

// Response is what the connection read for one request. The receiver of
// Done owns it only for the duration of Done: a connection may reuse it,
// and its Body buffer, for the next response.
type Response struct {
	Status int
	// Body is the response body, at most Config.MaxBody bytes. It is owned
	// by the receiver of Done only for the duration of Done: a connection
	// may reuse the buffer afterwards.
	Body []byte
	// Header holds only the response header fields whose names start with
	// "x-push-" or equal "retry-after", lower-cased. Usually empty.
	Header []Header
}

// Get returns the value of the first header field named name (lower case).
func (r *Response) Get(name string) string {
	for _, h := range r.Header {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// Exchange is one request in flight and, once Done is called, its outcome.
type Exchange struct {
	Req Request
	// Done is called exactly once by the connection that took the exchange
	// from the queue: with a non-nil resp and nil err, or a nil resp and an
	// *Error. It is called from a connection goroutine and must not block.
	Done func(ex *Exchange, resp *Response, err error)
	// Value is the engine's own; connections never touch it.
	Value any
	// Dropped, if set, is called by Take when it finds the exchange
	// withdrawn, so the engine can release what the exchange held.
	Dropped func(ex *Exchange)
	// Gate, if set, is asked by Take whether the exchange may still be
	// sent. An error fails the exchange (Done, NotProcessed) unsent.
	Gate func(ex *Exchange) error

	taken atomic.Bool
}

// Take is called by a connection for each exchange it receives from the
// queue, before writing anything. It reports false when the engine has
// withdrawn the exchange (its caller gave up before it was sent) or its
// Gate refused it (Take has then completed it); either way the connection
// drops it without calling Done.
func (ex *Exchange) Take() bool {
	if !ex.taken.CompareAndSwap(false, true) {
		if ex.Dropped != nil {
			ex.Dropped(ex)
		}
		return false
	}
	if ex.Gate != nil {
		if err := ex.Gate(ex); err != nil {
			ex.Done(ex, nil, &Error{Err: err, NotProcessed: true})
			return false
		}
	}
	return true
}

// Withdraw takes the exchange back before any connection took it, so it is
// never sent. It reports false if a connection already took it.
func (ex *Exchange) Withdraw() bool { return ex.taken.CompareAndSwap(false, true) }

// Reset makes a completed exchange ready to be queued again (a retry).
func (ex *Exchange) Reset() { ex.taken.Store(false) }

// Error is a transport failure of one exchange.
type Error struct {
	Err error
	// NotProcessed reports that the server surely did not process the
	// request: it was never written; or (HTTP/1.1) it was written after a
	// response that carried "Connection: close"; or (HTTP/2) its stream was
	// above a GOAWAY's last stream id or refused with REFUSED_STREAM. Such
	// a request is safe to send again.
	NotProcessed bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Sentinels a connection wraps in Error.Err.
var (
	ErrTimeout      = errors.New("request timed out")
	ErrConnClosed   = errors.New("connection closed")
	ErrBodyTooLarge = errors.New("response body exceeds the size cap")
	ErrMalformed    = errors.New("malformed response")
)

// Config configures one connection.
type Config struct {
	// Queue is the pool's shared queue. The connection receives from it
	// only while it has room in its window, and stops receiving once it is
	// retired or closed.
	Queue <-chan *Exchange
	// Window is the most requests in flight (written, not yet answered) on
	// this connection; HTTP/2 also respects the peer's
	// SETTINGS_MAX_CONCURRENT_STREAMS. 1 disables pipelining.
	Window int
	// Authority is the Host header (HTTP/1.1) or :authority (HTTP/2).
	Authority string
	// UserAgent is sent with every request when not empty.
	UserAgent string
	// MaxBody caps a response body; a larger body fails that exchange with
	// ErrBodyTooLarge and closes the connection.
	MaxBody int
	// Timeout bounds one exchange from when its first byte is written to
	// when its response is complete; 0 means no bound. On HTTP/1.1 a
	// timeout closes the connection: the timed-out exchange and any written
	// after it fail (maybe processed), unwritten ones fail NotProcessed. On
	// HTTP/2 only that stream fails (it is reset), but a write to the
	// network that does not complete within Timeout (the server stopped
	// reading) closes the connection: its streams fail, the written ones
	// as maybe processed.
	Timeout time.Duration
	// PingIdle and PingTimeout (HTTP/2 only; both must be positive) turn
	// on a health check: after PingIdle without a frame from the server
	// the connection sends a PING, and closes itself if nothing arrives
	// within PingTimeout.
	PingIdle, PingTimeout time.Duration
	// OnSaturated (HTTP/2 only; may be nil) is called at most once per
	// connection, from its writer, the first time requests wait in Queue
	// because the server's SETTINGS_MAX_CONCURRENT_STREAMS, below Window,
	// is reached. limit is that setting. It must not block.
	OnSaturated func(limit int)
	// OnClose is called once, from a connection goroutine, after the
	// connection has stopped and every exchange it took has been completed.
	// err is nil after a clean Retire.
	OnClose func(err error)
}

// Conn is what both connection implementations provide.
type Conn interface {
	// Retire makes the connection take no more exchanges from the queue,
	// finish those in flight, and close. It does not block.
	Retire()
	// Close closes the connection now. Exchanges in flight fail: those
	// written as maybe processed, the others NotProcessed. It does not block.
	Close()
	// Done is closed once the connection has stopped, every exchange it took
	// has been completed, and all its goroutines have exited.
	Done() <-chan struct{}
	// InFlight reports how many exchanges the connection holds now.
	InFlight() int
	// Protocol returns "h2" or "http/1.1".
	Protocol() string
}
