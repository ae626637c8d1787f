package redislimit

import (
	"context"
	"time"
)

// Reserving turns: how many, when, and what the answer brings.

// plan reserves the turns the queue and the pace of use call for and
// arms the timer for the next thing to do (a.mu held).
func (a *app) plan(now time.Time) {
	l := a.l
	if a.closed || l.health.isDown() {
		return
	}
	need, head := a.need, 0
	if len(a.queue) > 0 {
		head = a.queue[0].n
	}
	have, usable := a.inflightN, 0
	for _, b := range a.batches {
		have += b.n
		if !now.Before(b.from) {
			usable += b.n
		}
	}
	want := need
	if need > 0 || now.Sub(a.lastUsed) < hold {
		// Keep a batch ahead, and what is used during a round trip.
		want += a.batch + int(a.share()*a.rtt.Seconds())
	}
	wait := now.Before(a.notBefore) || now.Before(a.pauseUntil)
	most := a.batchCap()
	for have < want && a.inflight < maxInflight && !wait {
		if (need > 0 && usable == 0) || now.Sub(a.granted) < hold/2 {
			a.batch *= 2 // used up quickly: ask for more
		}
		a.batch = min(a.batch, most) // within the cap, which shrinks as the fleet grows
		size := min(max(a.batch, head), l.o.Burst)
		if !a.reserve(size, now) {
			return
		}
		have += size
	}
	// Wake for the next turns, or for the next reservation.
	var next time.Time
	if len(a.queue) > 0 {
		for _, b := range a.batches {
			if b.n > 0 && b.from.After(now) && (next.IsZero() || b.from.Before(next)) {
				next = b.from
			}
		}
		if wait {
			next = earliest(next, later(a.notBefore, a.pauseUntil))
		}
	}
	if !next.IsZero() {
		a.arm(next)
	}
}

// batchCap is the largest batch: one the fair share of an instance uses
// within half the hold time, at most MaxBatch.
func (a *app) batchCap() int {
	return max(1, min(a.l.o.MaxBatch, int(a.share()*hold.Seconds()/2)))
}

// share is the fair share of the rate of an instance of the fleet seen
// last, per second (a.mu held).
func (a *app) share() float64 {
	return float64(a.l.o.Rate) / float64(max(1, a.fleet))
}

// reserve asks Redis for size turns (a.mu held).
func (a *app) reserve(size int, now time.Time) bool {
	var r turnReply
	ok := a.l.call(func(ctx context.Context) (err error) {
		r, err = a.l.turns(ctx, a, size)
		return err
	}, func(err error, start time.Time) { a.reserved(r, err, size, start) })
	if ok {
		a.inflight++
		a.inflightN += size
		a.lastCall = now
	}
	return ok
}

// reserved takes the answer to a reservation of size turns begun at
// start.
func (a *app) reserved(r turnReply, err error, size int, start time.Time) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	a.inflightN -= size
	if err != nil {
		a.failStreak++
		a.notBefore = now.Add(min(10*time.Millisecond<<min(a.failStreak, 5), 200*time.Millisecond))
		a.dispatch(now)
		return
	}
	a.failStreak = 0
	if a.rtt == 0 {
		a.rtt = now.Sub(start)
	} else {
		a.rtt += (now.Sub(start) - a.rtt) / 8
	}
	a.seen(r, now)
	switch {
	case a.l.health.isDown():
		// Fell back meanwhile: the local limit applies.
	case r.granted > 0:
		// The delay runs from Redis's clock, before now: counting from
		// now is on the safe side.
		from := now.Add(r.delay)
		a.batches = append(a.batches, batch{n: r.granted, from: from, until: from.Add(hold)})
		a.granted = now
	case r.pause <= 0:
		a.notBefore = now.Add(r.delay) // the fleet's queue is full
	}
	a.dispatch(now)
}

// seen takes what a call read from Redis (a.mu held).
func (a *app) seen(r turnReply, now time.Time) {
	a.announced = now
	a.ahead = r.ahead
	if a.gen != r.gen {
		if a.gen != "" {
			// Redis lost the keys: instances that were not counted
			// may be under their fallback limits until they return.
			a.l.health.graceFor(now, a.l.o.ProbeInterval+a.l.o.Timeout)
		}
		a.gen = r.gen
	}
	a.fleet = max(1, r.fleet)
	if a.fleet >= a.fleetMax || now.Sub(a.fleetMaxAt) > 10*time.Second {
		changed := a.fleet != a.fleetMax
		a.fleetMax, a.fleetMaxAt = a.fleet, now
		if changed {
			a.setLocal()
		}
	}
	a.setStops(r.stops)
	if r.pause > 0 {
		a.pauseUntil = later(a.pauseUntil, now.Add(r.pause))
	}
}

// lastAhead is how far ahead of now a last saw the limit's arrival time.
func (a *app) lastAhead() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ahead
}
