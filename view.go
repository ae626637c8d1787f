package mipush

import "strings"

// WithSecret returns a view of c that authenticates as another app: its
// calls send "Authorization: key=<secret>" and otherwise share everything
// with c, the pool of connections, the in-flight window, the retry policy
// and the callbacks included. A service that pushes for many apps can so
// use one Client for all of them; a view costs one small allocation.
//
// An invalid secret (empty, or with CR, LF or NUL) makes every call on the
// view return a *ValidationError, as NewClient does for invalid Options.
// A view of an invalid client is invalid the same way.
//
// Client-side stops (see Options.DisableFailFast) are per secret: a wrong
// secret or a spent quota of one app does not stop another's calls, and
// Unblock on a view lifts only the view's own stops.
//
// Views do not own the engine: Flush on a view waits for every async send
// of the shared client, and Close (or Shutdown) on a view does nothing.
// Close the client returned by NewClient; its views then fail with
// ErrClosed.
func (c *Client) WithSecret(secret string) *Client {
	if c == nil {
		return &Client{err: errNilClient}
	}
	if c.err != nil {
		return &Client{err: c.err}
	}
	if secret == "" {
		return &Client{err: &ValidationError{Field: "secret", Reason: "is required"}}
	}
	if strings.ContainsAny(secret, "\r\n\x00") {
		// Never echo the secret itself.
		return &Client{err: &ValidationError{Field: "secret", Reason: "must not contain CR, LF or NUL"}}
	}
	return &Client{e: c.e, auth: "key=" + secret, view: true}
}
