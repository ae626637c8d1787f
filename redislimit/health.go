package redislimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// health tells whether Redis is reachable: a Limiter falls back when
// Redis has not answered for Timeout or failed failuresToFallBack calls
// in a row, and returns after one good answer.
type health struct {
	down atomic.Bool

	mu         sync.Mutex
	failures   int       // failed calls in a row
	lastAnswer time.Time // of any call
	returned   time.Time // the last return to Redis: calls begun before it do not count

	// graceUntil is when the local limit stops applying too, in unix ns:
	// read by every Wait that gets a turn, so without the lock.
	graceUntil atomic.Int64
}

func (h *health) isDown() bool { return h.down.Load() }

// inGrace reports whether the Limiter returned to Redis so recently that
// other instances may still be under their fallback limits.
func (h *health) inGrace(now time.Time) bool {
	return now.UnixNano() < h.graceUntil.Load()
}

// graceFor applies the local limit too for d from now.
func (h *health) graceFor(now time.Time, d time.Duration) {
	until := now.Add(d).UnixNano()
	for {
		cur := h.graceUntil.Load()
		if cur >= until || h.graceUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// call runs f on Redis in the background and then done with its error.
// No answer within Timeout, or the failures of calls in a row, make the
// Limiter fall back; an answer brings it back.
func (l *Limiter) call(f func(ctx context.Context) error, done func(err error, start time.Time)) bool {
	start := time.Now()
	return l.goBackground(func() {
		ctx, cancel := context.WithTimeout(context.Background(), l.o.Timeout)
		defer cancel()
		// The Redis client may not honour ctx's deadline on its socket:
		// the watchdog does not depend on it.
		watchdog := time.AfterFunc(l.o.Timeout, func() {
			l.noAnswer(start, fmt.Errorf("no answer within %v", l.o.Timeout))
		})
		err := f(ctx)
		watchdog.Stop()
		if err == nil {
			l.answered()
		} else {
			l.failed(start, err)
		}
		done(err, start)
	})
}

// answered records an answer of Redis and returns to it if the Limiter
// had fallen back.
func (l *Limiter) answered() {
	h := &l.health
	now := time.Now()
	h.mu.Lock()
	h.failures = 0
	h.lastAnswer = now
	// Only here does down turn false, under h.mu: the grace is set
	// first, so that a Wait that sees the return sees the grace too.
	back := h.down.Load()
	if back {
		h.returned = now
		h.graceFor(now, l.o.ProbeInterval+l.o.Timeout)
		h.down.Store(false)
	}
	h.mu.Unlock()
	if !back {
		return
	}
	l.o.Logger.Info("redislimit: Redis reachable again; using the shared limit")
	l.apps.Range(func(_, v any) bool {
		v.(*app).returned()
		return true
	})
}

// failed records a failed call begun at start.
func (l *Limiter) failed(start time.Time, err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		l.noAnswer(start, err)
	}
	h := &l.health
	h.mu.Lock()
	if start.Before(h.returned) {
		h.mu.Unlock()
		return
	}
	h.failures++
	fall := h.failures >= failuresToFallBack
	h.mu.Unlock()
	if fall {
		l.fallBack(err)
	}
}

// noAnswer falls back if Redis has not answered any call since start.
func (l *Limiter) noAnswer(start time.Time, err error) {
	h := &l.health
	h.mu.Lock()
	silent := !h.lastAnswer.After(start) && !start.Before(h.returned)
	h.mu.Unlock()
	if silent {
		l.fallBack(err)
	}
}

// fallBack switches to the local limits.
func (l *Limiter) fallBack(err error) {
	if l.closed.Load() || !l.health.down.CompareAndSwap(false, true) {
		return
	}
	l.apps.Range(func(_, v any) bool {
		v.(*app).fellBack()
		return true
	})
	l.o.Logger.Warn("redislimit: Redis unreachable; using the local fallback limit", "err", err)
}

// keep announces the instance, refreshes the stops, writes what waits
// to be written and probes Redis after a fallback, until Close.
func (l *Limiter) keep() {
	t := time.NewTicker(announceEvery / 5)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case now := <-t.C:
			l.apps.Range(func(_, v any) bool {
				v.(*app).tick(now)
				return true
			})
		}
	}
}
