package mipush

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/mipush-go/mipush/internal/engine"
)

// Sentinel errors, for errors.Is.
var (
	// ErrClosed is returned by a send on a Client that is closed or closing.
	ErrClosed = engine.ErrClosed // "mipush: client closed"
	// ErrMaybeProcessed marks a send whose connection broke, or whose
	// context ended, after the request was written: the server may have
	// processed it. Sending it again may deliver it twice.
	ErrMaybeProcessed = errors.New("mipush: request was written; the server may have processed it")
)

// ValidationError reports input rejected before anything was sent.
type ValidationError struct {
	// Field names the offending form field or option, e.g. "title",
	// "extra.jobkey", "registration_id" or "Options.Host".
	Field string
	// Reason says what is wrong and names the limit.
	Reason string
}

func (e *ValidationError) Error() string {
	return "mipush: invalid " + e.Field + ": " + e.Reason
}

// APIError is a response whose result is "error", or an HTTP error status.
type APIError struct {
	Code        Code   // the MiPush error code; 0 when only the HTTP status failed
	Description string // the server's description, usually Chinese
	Reason      string // the server's detail, e.g. "Invalid application secret."
	TraceID     string
	HTTPStatus  int
	// Quota holds what a daily-quota answer (10034, 200001) says, parsed
	// from Reason; nil for other answers.
	Quota *QuotaExceeded
}

func (e *APIError) Error() string {
	b := make([]byte, 0, 64+len(e.Description)+len(e.Reason))
	b = append(b, "mipush: "...)
	if e.Code != 0 {
		b = append(b, "error code "...)
		b = strconv.AppendInt(b, int64(e.Code), 10)
	} else {
		b = append(b, "HTTP status "...)
		b = strconv.AppendInt(b, int64(e.HTTPStatus), 10)
	}
	if e.Description != "" {
		b = append(b, ": "...)
		b = append(b, e.Description...)
	}
	if e.Reason != "" {
		b = append(b, " ("...)
		b = append(b, e.Reason...)
		b = append(b, ')')
	}
	if e.TraceID != "" {
		b = append(b, " trace_id="...)
		b = append(b, e.TraceID...)
	}
	return string(b)
}

// SendError is the outcome of a failed send: what OnError receives for an
// async send, and the error a sync send returns once it was accepted.
type SendError struct {
	Message *Message // the message that was sent (the same pointer passed in)
	Target  Target   // whom it addressed, as sent
	Err     error    // *APIError, a transport error, ErrClosed, ...; see Unwrap
	// Attempts is how many times the request reached the server.
	Attempts int
	// JobKey is the extra.jobkey the client gave the message
	// (Options.AutoJobKey), or "".
	JobKey string
	// Value is the send's Send.Value (see Client.SendAsync), or nil.
	Value any
	// Batched reports that the message went out in a multi-message
	// request gathered by Options.Batch: Err and Attempts are that
	// request's (see BatchOptions).
	Batched bool
}

func (e *SendError) Error() string {
	what := "call"
	if e.Target.Kind != 0 {
		what = "send to " + e.Target.String()
	}
	return "mipush: " + what + " failed after " + strconv.Itoa(e.Attempts) + " attempt(s): " + e.Err.Error()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *SendError) Unwrap() error { return e.Err }

// MaybeProcessed reports whether the server may have processed the send
// although it failed: sending it again may deliver it twice.
func (e *SendError) MaybeProcessed() bool { return errors.Is(e.Err, ErrMaybeProcessed) }

// SendResult is the outcome of a successful async send, as OnSuccess
// receives it.
type SendResult struct {
	Message  *Message
	Target   Target // whom it addressed, as sent
	Result   *Result
	Attempts int
	JobKey   string // the extra.jobkey the client gave the message, or ""
	Value    any    // the send's Send.Value (see Client.SendAsync), or nil
	// Batched reports that the message went out in a multi-message
	// request gathered by Options.Batch: Result is that request's answer,
	// shared by every message in it (do not modify it), and Attempts
	// counts that request's attempts (see BatchOptions).
	Batched bool
}

// IsRetryable reports whether err is a failure that sending again may
// fix: a retryable API code, HTTP 503, or a request the server surely did
// not process. A maybe-processed failure is not retryable by this test:
// sending it again may deliver it twice (see ErrMaybeProcessed).
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrMaybeProcessed) || errors.Is(err, ErrClosed) || errors.Is(err, ErrRetired) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return classify(ae) == classRetry
	}
	var ff *failFastError
	if errors.As(err, &ff) {
		return false
	}
	return true // a transport failure before the request was written
}

// IsQuotaExceeded reports whether err is a daily-quota answer (10034 or
// 200001), or a send the client stopped without sending it after one (see
// Options.DisableFailFast). The quota is per message class: the sends of
// other classes (messages with an approved private channel id have no
// daily quota) and calls other than single sends may still succeed. The
// answer's numbers are in the Quota field of the *APIError in err's chain.
func IsQuotaExceeded(err error) bool {
	return apiCode(err).stopsClass()
}

// IsInvalidTarget reports whether err says the targets were all invalid
// (20301, "No valid targets!"): drop them.
func IsInvalidTarget(err error) bool { return apiCode(err) == CodeNoValidTargets }

// IsAuth reports whether err is an authentication failure: a wrong app
// secret (21301, 22008) or token (21302).
func IsAuth(err error) bool {
	switch apiCode(err) {
	case CodeAuthFailed, CodeTokenAuthFailed, CodeBadSecret:
		return true
	}
	return false
}

// apiCode returns the code of the *APIError in err's chain, or 0.
func apiCode(err error) Code {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// ErrStopped marks a call the client failed without sending it, because a
// client-side stop was in force for its app secret or message class (see
// Options.DisableFailFast). The error also unwraps to the *APIError that
// armed the stop, so IsAuth or IsQuotaExceeded holds for it too.
var ErrStopped = errors.New("mipush: not sent: stopped by an earlier answer")

// failFastError fails a call without sending it, because of a stop. It
// holds what it says, never the stop's key: that key carries the app
// secret, which fmt would print from a field (%#v, %d) whatever its type.
type failFastError struct {
	cause   *APIError
	quota   bool      // a daily-quota stop; false: a wrong-secret stop
	class   string    // a quota stop's message class
	next    time.Time // when the next probe may go
	probing bool      // a probe is out now
}

func (e *failFastError) Error() string {
	b := make([]byte, 0, 160)
	b = append(b, "mipush: not sent: "...)
	if e.quota {
		b = append(b, "sends of the "...)
		b = appendClass(b, e.class)
		b = append(b, " stopped after a daily-quota answer"...)
	} else if e.cause != nil && e.cause.Code == CodeBlacklisted {
		b = append(b, "calls with this app secret stopped: the server says the app is in its blacklist"...)
	} else {
		b = append(b, "calls with this app secret stopped after an authentication failure"...)
	}
	if e.probing {
		b = append(b, "; a probe is out"...)
	} else {
		b = append(b, "; next probe at "...)
		b = e.next.UTC().AppendFormat(b, time.RFC3339)
	}
	b = append(b, ": "...)
	b = append(b, e.cause.Error()...)
	return string(b)
}

// appendClass names a message class in a text.
func appendClass(b []byte, class string) []byte {
	if class == "" {
		return append(b, "default message class"...)
	}
	b = append(b, "message class (channel) "...)
	return strconv.AppendQuote(b, class)
}

// Unwrap returns the answer that armed the stop.
func (e *failFastError) Unwrap() error { return e.cause }

// Is makes errors.Is(err, ErrStopped) hold.
func (e *failFastError) Is(target error) bool { return target == ErrStopped }

// ErrQueueTimeout is wrapped in the error of a send that no connection
// took within Options.QueueTimeout: the host could not be reached, or its
// connections could take no request (an HTTP/2 server that allows no
// streams, or answers every connection with GOAWAY). Such a send was never
// written. It does not match context.DeadlineExceeded: the caller's
// context did not end.
var ErrQueueTimeout = errors.New("mipush: no connection took the request within Options.QueueTimeout")

// queueTimeoutError is ErrQueueTimeout with the bound and, if known, the
// last reason a connection could not take the request.
func queueTimeoutError(d time.Duration, last error) error {
	if last != nil {
		return fmt.Errorf("%w (%v); last error: %w", ErrQueueTimeout, d, last)
	}
	return fmt.Errorf("%w (%v)", ErrQueueTimeout, d)
}

// turnAfterDeadline is the error of a send whose turn under
// Options.RateLimit comes after its context's deadline: it fails at once,
// with context.DeadlineExceeded (which it wraps), as a send whose wait
// for a Limiter runs into the deadline does.
type turnAfterDeadline struct{}

func (turnAfterDeadline) Error() string {
	return "mipush: the turn under Options.RateLimit comes after the context's deadline: " + context.DeadlineExceeded.Error()
}

func (turnAfterDeadline) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, as context.DeadlineExceeded does.
func (turnAfterDeadline) Timeout() bool { return true }
