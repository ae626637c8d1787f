package redislimit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxInflight bounds the reservations of an app under way at once.
const maxInflight = 4

// app is the state of one app's limit in a Limiter.
type app struct {
	l     *Limiter
	keys  [numKeys]string
	local *rate.Limiter // the fallback limit

	mu         sync.Mutex
	closed     bool
	queue      []*waiter // FIFO
	need       int       // turns the queue waits for
	batches    []batch   // reserved turns, in the order reserved
	inflight   int       // reservations under way
	inflightN  int       // turns they ask for
	batch      int       // turns to reserve next
	notBefore  time.Time // no reservation before: failed, or refused
	failStreak int       // failed reservations in a row
	pauseUntil time.Time // back-off, this instance's or the fleet's
	published  time.Time // the latest back-off end written to Redis
	timer      *time.Timer
	timerAt    time.Time
	rtt        time.Duration // of reservations, smoothed
	lastUsed   time.Time     // of Wait
	lastCall   time.Time     // the last call to Redis began
	announced  time.Time     // the last answer to a call, which announced the instance
	granted    time.Time     // the last batch came
	nextProbe  time.Time
	syncing    bool
	fleet      int       // instances seen last, absent ones included
	fleetMax   int       // the most seen lately: the fallback divides by it
	fleetMaxAt time.Time // when fleetMax was last seen
	localFrom  time.Time // the fallback limit starts then
	ahead      int64     // how far ahead of now the limit's arrival time was last seen, ms
	gen        string    // the generation of the keys seen last

	stops   map[string]time.Time // in force, from Redis and from here
	pending map[string]stopOp    // to write to Redis, latest per class
	writing bool                 // a goroutine writes pending
}

// batch is a number of turns that may be used from from until until.
type batch struct {
	n           int
	from, until time.Time
}

// waiter is a Wait in the queue.
type waiter struct {
	n     int
	ch    chan struct{} // closed when state is set
	state waiterState
}

type waiterState int

const (
	waiting waiterState = iota
	granted             // the turns are the waiter's
	again               // fallen back, or closed: look again
)

func newApp(l *Limiter, digest string) *app {
	tag := "{" + digest + "}" // one Redis Cluster slot for an app's keys
	a := &app{l: l, batch: 1}
	for k, suffix := range [numKeys]string{":tat", ":fleet", ":backoff", ":stops", ":gen"} {
		a.keys[k] = l.o.Prefix + tag + suffix
	}
	a.local = rate.NewLimiter(rate.Limit(l.o.Fallback), localBurst(l.o.Fallback))
	return a
}

// localBurst is the burst of a local limit of r per second: a tenth of a
// second's worth, as the shared limit's default.
func localBurst(r float64) int { return max(1, int(math.Ceil(r/10))) }

// wait is Limiter.Wait for a.
func (a *app) wait(ctx context.Context, n int) error {
	l := a.l
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		a.mu.Lock()
		if a.closed {
			a.mu.Unlock()
			return ErrClosed
		}
		a.lastUsed = now
		if d := a.pauseUntil.Sub(now); d > 0 {
			a.mu.Unlock()
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		if l.health.isDown() {
			from := a.localFrom
			a.mu.Unlock()
			return a.waitLocal(ctx, n, from)
		}
		if len(a.queue) == 0 && a.take(n, now) {
			a.plan(now)
			a.mu.Unlock()
			return a.afterTurn(ctx, n)
		}
		w := &waiter{n: n, ch: make(chan struct{})}
		a.queue = append(a.queue, w)
		a.need += n
		a.plan(now)
		a.mu.Unlock()
		select {
		case <-w.ch:
			if w.state == granted {
				return a.afterTurn(ctx, n)
			}
		case <-ctx.Done():
			now := time.Now()
			a.mu.Lock()
			if w.state == granted {
				// Too late: the turns go to the next in the queue.
				a.batches = append([]batch{{n: n, from: now, until: now.Add(hold)}}, a.batches...)
			} else {
				a.remove(w)
			}
			a.dispatch(now)
			a.mu.Unlock()
			return ctx.Err()
		}
	}
}

// afterTurn applies the local limit too while other instances may still
// be under theirs, after a return to Redis.
func (a *app) afterTurn(ctx context.Context, n int) error {
	if !a.l.health.inGrace(time.Now()) {
		return nil
	}
	return a.localN(ctx, n)
}

// waitLocal waits for n turns of the local limit, which starts at from.
func (a *app) waitLocal(ctx context.Context, n int, from time.Time) error {
	if d := time.Until(from); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return a.localN(ctx, n)
}

// localN waits for n turns of the local limit, in pieces of its burst.
func (a *app) localN(ctx context.Context, n int) error {
	for n > 0 {
		k := min(n, a.local.Burst())
		if err := a.local.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// take hands out n turns usable at now, if there are so many (a.mu
// held). It drops the turns whose time has passed.
func (a *app) take(n int, now time.Time) bool {
	avail, dropped := 0, false
	keep := a.batches[:0]
	for _, b := range a.batches {
		if !now.Before(b.until) {
			dropped = dropped || b.n > 0
			continue
		}
		keep = append(keep, b)
		if !now.Before(b.from) {
			avail += b.n
		}
	}
	clear(a.batches[len(keep):])
	a.batches = keep
	if dropped {
		a.batch = max(1, a.batch/2) // more than was used: ask for less
	}
	if avail < n {
		return false
	}
	for i := range a.batches {
		b := &a.batches[i]
		if now.Before(b.from) {
			continue
		}
		k := min(n, b.n)
		b.n -= k
		if n -= k; n == 0 {
			break
		}
	}
	return true
}

// remove takes w out of the queue (a.mu held).
func (a *app) remove(w *waiter) {
	for i, q := range a.queue {
		if q == w {
			a.queue = append(a.queue[:i], a.queue[i+1:]...)
			a.need -= w.n
			return
		}
	}
}

// dispatch hands turns to the queue in its order, then plans (a.mu
// held).
func (a *app) dispatch(now time.Time) {
	for len(a.queue) > 0 && !now.Before(a.pauseUntil) && a.take(a.queue[0].n, now) {
		w := a.queue[0]
		a.queue[0] = nil
		a.queue = a.queue[1:]
		a.need -= w.n
		w.state = granted
		close(w.ch)
	}
	a.plan(now)
}

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
		share := float64(l.o.Rate) / float64(max(1, a.fleet))
		want += a.batch + int(share*a.rtt.Seconds())
	}
	wait := now.Before(a.notBefore) || now.Before(a.pauseUntil)
	for have < want && a.inflight < maxInflight && !wait {
		if (need > 0 && usable == 0) || now.Sub(a.granted) < hold/2 {
			a.batch = min(a.batch*2, a.batchCap()) // used up quickly: ask for more
		}
		a.batch = min(a.batch, a.batchCap()) // the fleet grew
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
	share := float64(a.l.o.Rate) / float64(max(1, a.fleet))
	return max(1, min(a.l.o.MaxBatch, int(share*hold.Seconds()/2)))
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

// arm sets the timer to dispatch at t, unless it fires before.
func (a *app) arm(t time.Time) {
	if !a.timerAt.IsZero() && !a.timerAt.After(t) {
		return
	}
	a.timerAt = t
	d := time.Until(t)
	if a.timer == nil {
		a.timer = time.AfterFunc(d, a.onTimer)
		return
	}
	a.timer.Reset(d)
}

func (a *app) onTimer() {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.timerAt = time.Time{}
	if !a.closed {
		a.dispatch(now)
	}
}

// wakeAll sends the queue back to look again (a.mu held).
func (a *app) wakeAll() {
	for _, w := range a.queue {
		w.state = again
		close(w.ch)
	}
	clear(a.queue)
	a.queue = a.queue[:0]
	a.need = 0
}

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

// close ends a's waits with ErrClosed.
func (a *app) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.timer != nil {
		a.timer.Stop()
	}
	a.wakeAll()
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
