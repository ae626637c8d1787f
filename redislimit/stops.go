package redislimit

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// stopOp is a change of a class's stop that Redis has not taken yet: a
// stop until until, or a clear. at is when it was made, by this clock.
type stopOp struct {
	until time.Time
	clear bool
	at    time.Time
}

// Backoff pauses every Limiter of app's fleet for d: this one at once,
// the others when they next call Redis. See mipush.Backoffer.
func (l *Limiter) Backoff(digest string, d time.Duration) {
	if d <= 0 {
		return
	}
	a := l.app(digest)
	until := time.Now().Add(d)
	a.mu.Lock()
	a.pauseUntil = later(a.pauseUntil, until)
	clear(a.batches)
	a.batches = a.batches[:0]
	// A burst of such answers extends the pause many times; write only
	// the extensions that matter.
	publish := until.After(a.published.Add(d/4)) && !l.health.isDown()
	if publish {
		a.published = until
	}
	a.mu.Unlock()
	if publish {
		ms := max(1, d.Milliseconds())
		l.call(func(ctx context.Context) error {
			return ignoreNil(extendBackoff.Run(ctx, l.rdb, []string{a.keys[keyBackoff]}, ms).Err())
		}, func(error, time.Time) {})
	}
}

// ShareStop records a stop of class for app until until, here at once and
// in Redis for the fleet; while Redis is unreachable, when it answers
// again. See mipush.StopSharer.
func (l *Limiter) ShareStop(digest, class string, until time.Time) {
	now := time.Now()
	if !until.After(now) {
		return
	}
	a := l.app(digest)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stops == nil {
		a.stops = make(map[string]time.Time)
	}
	a.stops[class] = later(a.stops[class], until)
	if a.pending == nil {
		a.pending = make(map[string]stopOp)
	}
	op := a.pending[class]
	if op.clear {
		op = stopOp{}
	}
	a.pending[class] = stopOp{until: later(op.until, until), at: now}
	a.flush()
}

// ClearStop ends a stop of class for app, here at once and in Redis for
// the fleet; while Redis is unreachable, when it answers again, unless
// another instance has written a stop of the class since. See
// mipush.StopSharer.
func (l *Limiter) ClearStop(digest, class string) {
	a := l.app(digest)
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.stops, class)
	if a.pending == nil {
		a.pending = make(map[string]stopOp)
	}
	a.pending[class] = stopOp{clear: true, at: time.Now()}
	a.flush()
}

// SharedStop reports a stop of class for app in force, recorded by this
// Limiter or read from Redis with the last call, which is at most about
// 250ms old while Redis answers. See mipush.StopSharer.
func (l *Limiter) SharedStop(digest, class string) (time.Time, bool) {
	a := l.app(digest)
	a.mu.Lock()
	until := a.stops[class]
	a.mu.Unlock()
	if until.After(time.Now()) {
		return until, true
	}
	return time.Time{}, false
}

// setStops takes the stops read from Redis (a.mu held), but for the
// classes with changes of this Limiter on their way there: until they
// land, the local copy is the newer one.
func (a *app) setStops(stops map[string]time.Time) {
	for class := range a.pending {
		if stops == nil {
			stops = make(map[string]time.Time)
		}
		if until, ok := a.stops[class]; ok {
			stops[class] = until
		} else {
			delete(stops, class)
		}
	}
	a.stops = stops
}

// flush starts writing the pending changes of stops, one at a time,
// unless Redis is unreachable or a writer runs (a.mu held).
func (a *app) flush() {
	if a.writing || len(a.pending) == 0 || a.closed || a.l.health.isDown() {
		return
	}
	var class string
	var op stopOp
	for class, op = range a.pending {
		break
	}
	a.writing = a.l.call(func(ctx context.Context) error {
		return a.write(ctx, class, op)
	}, func(err error, _ time.Time) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.writing = false
		if err != nil {
			return // kept; tick or the return to Redis writes it again
		}
		if a.pending[class] == op {
			delete(a.pending, class)
		}
		a.flush()
	})
}

// write makes op of class true in Redis.
func (a *app) write(ctx context.Context, class string, op stopOp) error {
	key := []string{a.keys[keyStops]}
	if op.clear {
		return ignoreNil(clearStopScript.Run(ctx, a.l.rdb, key, class, op.at.UnixMicro()).Err())
	}
	ttl := time.Until(op.until)
	if ttl <= 0 {
		return nil // over while Redis was away
	}
	return ignoreNil(shareStopScript.Run(ctx, a.l.rdb, key, class, stopValue(op.until, op.at), max(1, ttl.Milliseconds())).Err())
}

func ignoreNil(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}
