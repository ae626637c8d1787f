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
		if a.closed || l.closed.Load() { // an app first met after Close was never closed itself
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
			return a.afterTurn(ctx, n, now)
		}
		w := &waiter{n: n, ch: make(chan struct{})}
		a.queue = append(a.queue, w)
		a.need += n
		a.plan(now)
		a.mu.Unlock()
		select {
		case <-w.ch:
			if w.state == granted {
				// now is from before the wait: the grace may have ended since.
				return a.afterTurn(ctx, n, time.Now())
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
func (a *app) afterTurn(ctx context.Context, n int, now time.Time) error {
	if !a.l.health.inGrace(now) {
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
