package mipush

// WithSecret returns a view of c that authenticates as another app: its
// calls send "Authorization: key=<secret>" and otherwise share everything
// with c, the pool of connections, the in-flight window, the retry policy
// and the callbacks included. A service that pushes for many apps can so
// use one Client for all of them; a view costs one small allocation.
//
// An invalid secret (empty, with a control character or invalid UTF-8) makes every call on the
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
func (c *Client) WithSecret(key string) *Client {
	if err := c.invalid(); err != nil {
		return &Client{err: err}
	}
	if key == "" {
		return &Client{err: &ValidationError{Field: "secret", Reason: "is required"}}
	}
	if err := checkHeaderText("secret", key); err != nil {
		return &Client{err: err} // never echoes the secret itself
	}
	auth := secret("key=" + key)
	return &Client{e: c.e, auth: &auth, view: true}
}
