package redislimit

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// An app's part in the fleet: the fallback limit, the return to Redis,
// and the calls that announce the instance and probe Redis.

// fellBack switches a to the local limit: the quota divided by the
// instances seen last, from when the others count this one as absent.
func (a *app) fellBack() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setLocal()
	a.localFrom = a.announced.Add(liveFor)
	a.nextProbe = time.Now().Add(a.l.o.ProbeInterval)
	clear(a.batches)
	a.batches = a.batches[:0]
	a.wakeAll()
}

// setLocal sets the local limit to the quota divided by the instances
// seen (a.mu held).
func (a *app) setLocal() {
	r := a.l.o.Fallback
	if a.fleetMax > 0 {
		r = float64(a.l.o.Rate) / float64(a.fleetMax)
	}
	a.local.SetLimit(rate.Limit(r))
	a.local.SetBurst(localBurst(r))
}

// returned writes what waits to be written, after a return to Redis.
func (a *app) returned() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notBefore = time.Time{}
	a.failStreak = 0
	a.flush()
}

// tick announces the instance and reads the stops when no other call
// did lately, probes Redis after a fallback, and retries writes.
func (a *app) tick(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	down := a.l.health.isDown()
	due := now.Sub(a.lastCall) >= announceEvery
	if down {
		due = !now.Before(a.nextProbe)
	}
	if due && !a.syncing && (down || a.inflight == 0) {
		a.sync(now)
	}
	if !down {
		a.flush()
		a.dispatch(now)
	}
}

// sync announces the instance and reads the back-off and the stops
// (a.mu held).
func (a *app) sync(now time.Time) {
	var r turnReply
	ok := a.l.call(func(ctx context.Context) (err error) {
		r, err = a.l.turns(ctx, a, 0)
		return err
	}, func(err error, _ time.Time) {
		now := time.Now()
		a.mu.Lock()
		defer a.mu.Unlock()
		a.syncing = false
		if err == nil {
			a.seen(r, now)
			a.dispatch(now)
		}
	})
	if ok {
		a.syncing = true
		a.lastCall = now
		a.nextProbe = now.Add(a.l.o.ProbeInterval)
	}
}
