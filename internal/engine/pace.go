package engine

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter paces requests per app; package mipush's Limiter has this
// method set. app is the digest of the app secret, never the secret.
type Limiter interface {
	Wait(ctx context.Context, app string, n int) error
}

// Pacer paces a client's calls per app (app secret) before they are
// accepted and before each retry of an answered one: first the app's
// pause after "too frequent" answers (Throttle), then a turn of the
// Limiter, if any. Calls are told apart by their Authorization value
// ("key=<secret>"); the digest a Limiter sees is computed once per app.
type Pacer struct {
	limiter   Limiter                    // nil: requests are not paced
	digestOf  func(secret string) string // the name a Limiter knows an app by
	apps      sync.Map                   // Authorization value → *pacedApp
	throttled atomic.Bool                // some app was answered "too frequent"
}

// pacedApp is what a Pacer keeps of one app.
type pacedApp struct {
	digest   string
	throttle Throttle
}

// Init prepares p: l (nil: no limit) gives the turns, digest names an app
// by its secret.
func (p *Pacer) Init(l Limiter, digest func(secret string) string) {
	p.limiter, p.digestOf = l, digest
}

// Limited reports whether a Limiter gives the turns.
func (p *Pacer) Limited() bool { return p.limiter != nil }

func (p *Pacer) app(auth string) *pacedApp {
	if v, ok := p.apps.Load(auth); ok {
		return v.(*pacedApp)
	}
	v, _ := p.apps.LoadOrStore(auth, &pacedApp{digest: p.digestOf(strings.TrimPrefix(auth, "key="))})
	return v.(*pacedApp)
}

// Digest returns the name a Limiter knows the app of auth by.
func (p *Pacer) Digest(auth string) string { return p.app(auth).digest }

// Pace waits, before a call of the app of auth is accepted, for the
// end of the app's pause, then for its turn.
func (p *Pacer) Pace(ctx context.Context, auth string) error {
	if d := p.Pause(auth); d > 0 && !SleepCtx(ctx, d) {
		return ctx.Err()
	}
	return p.Turn(ctx, auth)
}

// Turn waits for the Limiter, if any, before a request of the app of auth
// is sent.
func (p *Pacer) Turn(ctx context.Context, auth string) error {
	if p.limiter == nil {
		return nil
	}
	return p.limiter.Wait(ctx, p.Digest(auth), 1)
}

// Pause returns how long acceptance of the app of auth must still pause.
// Until some app is answered "too frequent" it costs one atomic load.
func (p *Pacer) Pause(auth string) time.Duration {
	if !p.throttled.Load() {
		return 0
	}
	return p.app(auth).throttle.Wait()
}

// TooFrequent starts or extends the pause of the app of auth after a
// "too frequent" answer and returns its length.
func (p *Pacer) TooFrequent(auth string) time.Duration {
	p.throttled.Store(true)
	return p.app(auth).throttle.TooFrequent()
}

// OK ends the run of "too frequent" answers of the app of auth.
func (p *Pacer) OK(auth string) {
	if p.throttled.Load() {
		p.app(auth).throttle.OK()
	}
}
