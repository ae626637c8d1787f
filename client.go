package mipush

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Client sends messages to the MiPush server over a pool of persistent
// connections. It is safe for concurrent use. Create it with NewClient and
// release it with Close.
//
// The zero Client is not usable: its methods return an error (and
// Metrics a zero Metrics) instead of panicking. A nil context passed to
// any method is an error too, as net/http's NewRequestWithContext treats
// it: the call fails with an error and nothing is sent.
//
// A Client never prints its app secret, with any fmt verb.
type Client struct {
	e    *pipeline
	err  error   // invalid Options: every call returns it
	auth *secret // "key=<secret>"; a pointer, so even a raw print of the struct shows no text
	view bool    // made by WithSecret: does not own e
}

// NewClient returns a client for opts. It never fails: if opts are invalid
// (see Options.Validate), every call on the client returns that error.
// Connections are dialled on first use.
func NewClient(opts Options) *Client {
	if err := opts.Validate(); err != nil {
		return &Client{err: err}
	}
	s := newSettings(opts)
	auth := s.auth
	return &Client{e: newPipeline(s), auth: &auth}
}

// String describes the client without its secret.
func (c *Client) String() string {
	if c == nil {
		return "mipush.Client(nil)"
	}
	return c.describe()
}

func (c Client) describe() string {
	switch {
	case c.err != nil:
		return "mipush.Client{invalid: " + c.err.Error() + "}"
	case c.e == nil:
		return "mipush.Client{zero}"
	}
	return "mipush.Client{host: " + c.e.s.authority + "}"
}

// Format writes the description String gives for every verb, so no verb
// prints the secret, of a Client value or a *Client.
func (c Client) Format(f fmt.State, verb rune) { io.WriteString(f, c.describe()) }

// Errors of calls that cannot be made.
var (
	errNilClient  = errors.New("mipush: nil Client")
	errZeroClient = errors.New("mipush: zero Client; create one with NewClient")
	errNilContext = errors.New("mipush: nil Context")
)

// usable returns the error that stops every call on c with ctx, or nil.
func (c *Client) usable(ctx context.Context) error {
	if err := c.invalid(); err != nil {
		return err
	}
	if ctx == nil {
		return errNilContext
	}
	return nil
}

// invalid returns the error that stops every call on c, or nil.
func (c *Client) invalid() error {
	switch {
	case c == nil:
		return errNilClient
	case c.err != nil:
		return c.err
	case c.e == nil:
		return errZeroClient
	}
	return nil
}

// Flush waits until every async send accepted so far has had its outcome
// reported (its callback, if any, has returned), or ctx ends. Sends
// accepted while Flush waits may extend the wait. Called from a callback,
// Flush does not wait for that callback (see the package documentation,
// Callbacks).
func (c *Client) Flush(ctx context.Context) error {
	if err := c.usable(ctx); err != nil {
		return err
	}
	c.e.flushBatches()
	return c.e.adm.WaitZero(ctx, &c.e.adm.AsyncPending)
}

// Close stops accepting sends, waits up to Options.CloseTimeout for the
// sends in flight, then closes every connection; sends still unfinished
// fail. Every outcome has been reported when Close returns, but for the
// callback Close is called from, if any, and, if the timeout was reached,
// callbacks that have not returned within a further second: Close then
// returns anyway; such a callback runs on, the outcomes queued behind it
// are delivered after it on the client's goroutine, and nothing is sent
// any more. Calling Close again returns the first call's result (from a
// callback while the first call runs, nil at once). Close on a view made by
// WithSecret does nothing: the client it came from owns the connections.
func (c *Client) Close() error {
	if err := c.invalid(); err != nil {
		if c != nil && c.err != nil {
			return nil // an invalid client has nothing to close
		}
		return err
	}
	if c.view {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.e.s.CloseTimeout)
	defer cancel()
	return c.Shutdown(ctx)
}

// Shutdown is Close bounded by ctx instead of Options.CloseTimeout. If ctx
// ends first, sends still in flight fail (written ones as maybe processed)
// and Shutdown returns ctx.Err() once their outcomes are reported.
func (c *Client) Shutdown(ctx context.Context) error {
	if err := c.usable(ctx); err != nil {
		if c != nil && c.err != nil && ctx != nil {
			return nil // an invalid client has nothing to close
		}
		return err
	}
	if c.view {
		return nil
	}
	return c.e.shutdown(ctx)
}
