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
	Code        int    // the MiPush error code; 0 when only the HTTP status failed
	Description string // the server's description, usually Chinese
	Reason      string // the server's detail, e.g. "Invalid application secret."
	TraceID     string
	HTTPStatus  int
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
