package mipush

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces the requests of a client (Options.Limiter). The client
// calls Wait before it accepts each send and again before each retry of a
// send the server answered, so every request the server counts has waited
// for its turn. Requests the server surely did not process (a refused
// stream, a failed dial) are re-sent without waiting again.
//
// Wait is called from the goroutine of the sending caller, and for
// retries from a timer goroutine of the client; it may block. A Limiter
// shared by several clients (or several processes, see the redislimit
// module) caps them together.
type Limiter interface {
	// Wait blocks until n more requests of the app may be sent, or until
	// ctx ends, and then returns ctx's error. app is AppDigest of the
	// app secret the requests carry (never the secret itself), so one
	// Limiter can keep a separate limit per app for a client and its
	// views (Client.WithSecret).
	Wait(ctx context.Context, app string, n int) error
}

// Backoffer is an optional interface of a Limiter. The client calls
// Backoff when the server asks the app to slow down: an answer "too
// frequent" (10027) or "total calls too frequent" (10028). d is the pause
// the client itself takes before it accepts more sends of that app (its
// other apps go on); it doubles with each such answer in a row, from
// about 200ms up to 10s. A Limiter shared by a fleet uses it to slow
// every member for that long.
//
// Busy answers (10002, HTTP 503) are not reported: they speak of the
// server, not of the app's rate, and each is retried with its own backoff
// within the retry budget.
//
// Backoff is called on a connection's reader goroutine: it must return at
// once, without I/O.
type Backoffer interface {
	Backoff(app string, d time.Duration)
}

// StopSharer is an optional interface of a Limiter, for sharing a stop of
// one class of sends among every client that uses the Limiter, in this
// process or others. The client shares its quota stops, one per message
// class (the channel id, "" for the default class; see
// Options.DisableFailFast): a client that stops a class after a
// daily-quota answer calls ShareStop with the time of its next probe.
// Before it accepts a single send of a class it is not stopping itself,
// it asks SharedStop and, if a stop is in force, stops the class until
// then as if it had had the answer (the error satisfies ErrStopped and
// IsQuotaExceeded and unwraps to an *APIError with CodeOverQuota whose
// Reason says the stop was shared). When the interval of a stop has
// passed, the client first asks SharedStop again and, if another client
// has moved the end later, waits for that without probing; otherwise it
// probes with one send (half open): a success calls ClearStop, another
// quota answer ShareStop with the new end, which the other clients then
// see before they probe. Client.Unblock calls ClearStop for the classes
// it lifts. Stops after a wrong secret are not shared: each client finds
// a wrong secret with one request per AuthProbeInterval. With
// DisableFailFast the client neither shares nor honours stops.
//
// Every method must return at once, without waiting for I/O, and must not
// call back into the client (the client calls them with its stop state
// locked). SharedStop is called for every single send the client accepts
// and answers from a local copy, which may be a moment behind the other
// clients: sends accepted before the copy shows a stop go out, and the
// first quota answer among them stops the rest.
type StopSharer interface {
	// ShareStop records that sends of class for app stop until until.
	// A later end replaces an earlier one, an earlier end does not.
	ShareStop(app, class string, until time.Time)
	// SharedStop reports the end of a stop of class for app that is
	// still in force, as recorded by any client.
	SharedStop(app, class string) (until time.Time, ok bool)
	// ClearStop ends a stop of class for app before its time.
	ClearStop(app, class string)
}

// AppDigest returns the name under which a Limiter knows the app whose
// secret is given: 32 hexadecimal digits of a SHA-256 digest of it. The
// secret cannot be recovered from it, so it may be logged and used in keys
// of a shared store.
func AppDigest(secret string) string {
	h := sha256.New()
	h.Write([]byte("mipush app\x00"))
	h.Write([]byte(secret))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// localLimiter is the in-process limit of Options.RateLimit and RateBurst:
// one token bucket for the client and all its views.
type localLimiter struct{ l *rate.Limiter }

func (l localLimiter) Wait(ctx context.Context, _ string, n int) error {
	err := l.l.WaitN(ctx, n)
	if _, ok := ctx.Deadline(); ok && err != nil && ctx.Err() == nil {
		// The turn comes after ctx's deadline: rate says so at once, in
		// an error of its own (n never exceeds the burst).
		return turnAfterDeadline{}
	}
	return err
}

// bothLimiters applies Options.RateLimit first, then Options.Limiter.
type bothLimiters struct{ first, then Limiter }

func (b bothLimiters) Wait(ctx context.Context, app string, n int) error {
	if err := b.first.Wait(ctx, app, n); err != nil {
		return err
	}
	return b.then.Wait(ctx, app, n)
}

// newLimiter is the limiter of s, or nil when requests are not paced.
func newLimiter(s settings) Limiter {
	var local Limiter
	if s.RateLimit > 0 {
		local = localLimiter{rate.NewLimiter(rate.Limit(s.RateLimit), s.RateBurst)}
	}
	switch {
	case s.Limiter == nil:
		return local
	case local == nil:
		return s.Limiter
	}
	return bothLimiters{local, s.Limiter}
}

// slowDown tells the limiter, if it listens, that the server asked the app
// of auth to slow down for d.
func (e *pipeline) slowDown(auth string, d time.Duration) {
	if b, ok := e.s.Limiter.(Backoffer); ok {
		b.Backoff(e.pacer.Digest(auth), d)
	}
}
