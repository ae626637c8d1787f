package h2conn

import (
	"fmt"

	"golang.org/x/net/http2"
)

// GoAwayError reports that the server sent GOAWAY.
//
// An exchange whose stream was above LastStreamID fails with a *wire.Error
// wrapping a GoAwayError and NotProcessed set: the server promises it did
// not act on it. The connection's OnClose receives a GoAwayError when Code
// is not NO_ERROR.
type GoAwayError struct {
	LastStreamID uint32
	Code         http2.ErrCode
	Debug        string // the frame's debug data, if any
}

func (e *GoAwayError) Error() string {
	if e.Debug != "" {
		return fmt.Sprintf("h2conn: server sent GOAWAY (last stream %d, %v): %q", e.LastStreamID, e.Code, e.Debug)
	}
	return fmt.Sprintf("h2conn: server sent GOAWAY (last stream %d, %v)", e.LastStreamID, e.Code)
}

// ResetError reports that the server reset a stream with RST_STREAM before
// its response was complete. With Code REFUSED_STREAM the exchange fails
// NotProcessed; with any other code the server may have processed it.
type ResetError struct {
	StreamID uint32
	Code     http2.ErrCode
}

func (e *ResetError) Error() string {
	return fmt.Sprintf("h2conn: server reset stream %d: %v", e.StreamID, e.Code)
}

// protocolError is a connection error the client found in what the server
// sent (RFC 9113 §5.4.1). Before closing, the connection tells the server
// with a GOAWAY frame carrying code.
type protocolError struct {
	code http2.ErrCode
	msg  string
}

func (e *protocolError) Error() string { return "h2conn: " + e.msg }

// connError returns a protocolError with code and a formatted message.
func connError(code http2.ErrCode, format string, args ...any) error {
	return &protocolError{code: code, msg: fmt.Sprintf(format, args...)}
}
