package mipush

import (
	"errors"
	"strconv"
)

// Sentinel errors, for errors.Is.
var (
	// ErrClosed is returned by a send on a Client that is closed or closing.
	ErrClosed = errors.New("mipush: client closed")
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
