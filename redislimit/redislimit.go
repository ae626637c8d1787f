// Package redislimit shares the request quota of MiPush apps among a fleet
// of clients, in one process or many, through Redis: a mipush.Limiter on
// the GCRA limiter of github.com/go-redis/redis_rate.
//
// Set it as mipush.Options.Limiter of every client of the fleet, with the
// app's quota as Rate:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	lim, err := redislimit.New(rdb, redislimit.Options{Rate: 2000, Fallback: 500})
//	...
//	client := mipush.NewClient(mipush.Options{AppSecret: secret, Limiter: lim})
//
// # Keys
//
// Each app has its own limit of Rate requests per second, under keys named
// by the app's digest (mipush.AppDigest), never by its secret:
// "rate:mipush:{<digest>}" holds the GCRA state (redis_rate's), and
// "mipush:{<digest>}:backoff" and "mipush:{<digest>}:stops" the fleet-wide
// back-off and stops. Options.Prefix replaces "mipush:".
//
// # Cost
//
// A Limiter does not ask Redis for every request: it reserves a batch of
// up to MaxBatch requests in one round trip and hands them out locally.
// Reserved requests not used within 50ms are dropped, so that no instance
// sits on a part of the quota; the batch grows while it is used up and
// shrinks while requests are dropped. Each reservation costs two round
// trips: one reads the back-off and the stops, one takes the batch.
//
// # Back-off and stops
//
// When the server answers "too frequent", the client calls Backoff
// (mipush.Backoffer): the Limiter pauses at once and writes the pause to
// Redis, where every other Limiter of the app reads it with its next
// reservation, within 50ms of its next request. Stops of a class of sends
// (mipush.StopSharer) are shared the same way.
//
// # When Redis fails
//
// No Wait waits for Redis longer than Options.Timeout. When Redis does not
// answer within it, or answers with an error, the Limiter logs a warning
// and falls back to a local limit of Options.Fallback requests per second
// per app, which should be the quota divided by the instances expected.
// Every Options.ProbeInterval it pings Redis in the background and, once
// Redis answers, logs that and goes back to the shared limit.
package redislimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/mipush-go/mipush"
)

// Defaults of Options.
const (
	DefaultTimeout       = 50 * time.Millisecond
	DefaultProbeInterval = time.Second
	DefaultMaxBatch      = 32
)

// hold is how long reserved requests may wait for a send before they are
// dropped; it bounds how far the fleet can run ahead of the limit.
const hold = 50 * time.Millisecond

// Options configures a Limiter. Rate is required.
type Options struct {
	// Rate is the requests per second each app may send, the whole fleet
	// together: the app's quota.
	Rate int
	// Burst is how many requests the fleet may send at once above Rate
	// after a quiet time; 0 means a tenth of Rate, at least MaxBatch.
	Burst int
	// Fallback is the local limit, in requests per second per app, of
	// each Limiter while Redis is unreachable: the quota divided by the
	// instances expected. 0 means Rate, with which a fleet of N exceeds
	// the quota N times until Redis is back (the server's "too frequent"
	// answers still slow each instance).
	Fallback float64
	// Timeout bounds how long a Wait waits for Redis before the Limiter
	// falls back to the local limit; 0 means DefaultTimeout.
	Timeout time.Duration
	// ProbeInterval is how often a Limiter that fell back pings Redis;
	// 0 means DefaultProbeInterval.
	ProbeInterval time.Duration
	// MaxBatch bounds the requests reserved in one round trip; 0 means
	// DefaultMaxBatch (at most Rate/10). 1 asks Redis for every request.
	MaxBatch int
	// Prefix starts every key but redis_rate's own "rate:" one, which
	// follows it; "" means "mipush:".
	Prefix string
	// Logger receives the switches to the fallback limit and back; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Limiter is a mipush.Limiter shared through Redis. It also implements
// mipush.Backoffer and mipush.StopSharer. It is safe for concurrent use.
type Limiter struct {
	rdb   redis.UniversalClient
	gcra  *redis_rate.Limiter
	limit redis_rate.Limit
	o     Options

	apps sync.Map // digest → *app

	down      atomic.Bool  // Redis is unreachable: the local limit applies
	epoch     atomic.Int64 // counts returns to Redis; late errors of calls begun before one are ignored
	probing   atomic.Bool  // a probe is running
	nextProbe atomic.Int64 // unix nanoseconds

	bgMu   sync.Mutex // orders bg.Add before Close's bg.Wait
	closed atomic.Bool
	bg     sync.WaitGroup // background Redis calls
}

// app is the state of one app's limit in this Limiter.
type app struct {
	rateKey, backoffKey, stopsKey string
	local                         *rate.Limiter // the fallback limit

	mu          sync.Mutex
	tokens      int       // reserved requests not yet handed out
	expires     time.Time // when the reserved requests are dropped
	reserved    time.Time // when the last batch was reserved
	batch       int       // requests to reserve next
	notBefore   time.Time // no reservation before: Redis said when
	pauseUntil  time.Time // back-off, this instance's or the fleet's
	published   time.Time // the latest back-off end written to Redis
	refill      chan struct{}
	refillStart time.Time
	refillEpoch int64
	stops       map[string]time.Time
	refreshed   time.Time // when the back-off and stops were last read
	refreshing  bool
	writes      []func(context.Context) // to Redis, in order
	writing     bool                    // a goroutine runs writes
}

// ErrClosed is returned by Wait after Close.
var ErrClosed = errors.New("redislimit: limiter closed")

// New returns a Limiter on rdb. It makes no call to Redis until the first
// Wait. Close it after the clients that use it.
func New(rdb redis.UniversalClient, opts Options) (*Limiter, error) {
	if rdb == nil {
		return nil, errors.New("redislimit: nil Redis client")
	}
	if opts.Rate <= 0 {
		return nil, fmt.Errorf("redislimit: Options.Rate must be positive, got %d", opts.Rate)
	}
	if opts.Burst < 0 || opts.MaxBatch < 0 || opts.Timeout < 0 || opts.ProbeInterval < 0 ||
		opts.Fallback < 0 || math.IsNaN(opts.Fallback) {
		return nil, errors.New("redislimit: Options.Burst, MaxBatch, Fallback, Timeout and ProbeInterval must not be negative")
	}
	if opts.MaxBatch == 0 {
		opts.MaxBatch = max(1, min(DefaultMaxBatch, opts.Rate/10))
	}
	if opts.Burst == 0 {
		opts.Burst = max(opts.Rate/10, opts.MaxBatch)
	}
	if opts.MaxBatch > opts.Burst {
		return nil, fmt.Errorf("redislimit: Options.MaxBatch (%d) must not exceed Burst (%d)", opts.MaxBatch, opts.Burst)
	}
	if opts.Fallback == 0 {
		opts.Fallback = float64(opts.Rate)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ProbeInterval == 0 {
		opts.ProbeInterval = DefaultProbeInterval
	}
	if opts.Prefix == "" {
		opts.Prefix = "mipush:"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Limiter{
		rdb:   rdb,
		gcra:  redis_rate.NewLimiter(rdb),
		limit: redis_rate.Limit{Rate: opts.Rate, Burst: opts.Burst, Period: time.Second},
		o:     opts,
	}, nil
}

// Close waits for the Limiter's background calls to Redis (each bounded
// by the Redis client's own timeouts) and makes later Waits fail with
// ErrClosed. It does not close the Redis client.
func (l *Limiter) Close() error {
	l.bgMu.Lock()
	l.closed.Store(true)
	l.bgMu.Unlock()
	l.bg.Wait()
	return nil
}

// Shared reports whether the Limiter uses the shared limit in Redis now,
// false while it has fallen back to the local limit.
func (l *Limiter) Shared() bool { return !l.down.Load() }

// Wait blocks until n more requests of app may be sent, or ctx ends. See
// mipush.Limiter. n must not exceed Burst.
func (l *Limiter) Wait(ctx context.Context, digest string, n int) error {
	if n <= 0 {
		return nil
	}
	if n > l.limit.Burst {
		return fmt.Errorf("redislimit: %d requests at once exceed Burst (%d)", n, l.limit.Burst)
	}
	a := l.app(digest)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if l.isClosed() {
			return ErrClosed
		}
		now := time.Now()
		a.mu.Lock()
		if d := a.pauseUntil.Sub(now); d > 0 {
			a.mu.Unlock()
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue
		}
		if l.down.Load() {
			a.mu.Unlock()
			l.maybeProbe()
			return a.local.WaitN(ctx, n)
		}
		if a.tokens > 0 && !now.Before(a.expires) {
			a.tokens = 0
			a.batch = max(1, a.batch/2) // requests were dropped: ask for fewer
		}
		if a.tokens >= n {
			a.tokens -= n
			if a.tokens <= a.batch/4 && a.refill == nil && !now.Before(a.notBefore) {
				// Reserve the next batch before this one runs out, so
				// that senders rarely wait for a round trip.
				l.startRefill(a, n, now)
			}
			a.mu.Unlock()
			return nil
		}
		if a.refill == nil {
			if d := a.notBefore.Sub(now); d > 0 {
				a.mu.Unlock()
				if err := sleep(ctx, d); err != nil {
					return err
				}
				continue
			}
			if !l.startRefill(a, n, now) {
				a.mu.Unlock()
				return ErrClosed
			}
		}
		ch, deadline, epoch := a.refill, a.refillStart.Add(l.o.Timeout), a.refillEpoch
		a.mu.Unlock()
		t := time.NewTimer(time.Until(deadline))
		select {
		case <-ch:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
			a.mu.Lock()
			if a.refill == ch {
				a.refill = nil // abandoned: its late answer is dropped
			}
			a.mu.Unlock()
			l.fallBack(epoch, fmt.Errorf("no answer within %v", l.o.Timeout))
		}
	}
}

// startRefill starts reserving a batch for a (a.mu held) and reports
// whether it could.
func (l *Limiter) startRefill(a *app, n int, now time.Time) bool {
	if now.Sub(a.reserved) < hold/2 {
		a.batch = min(l.o.MaxBatch, a.batch*2) // used up quickly: ask for more
	}
	batch := max(n, a.batch)
	ch := make(chan struct{})
	if !l.goBackground(func(ctx context.Context) { l.reserve(ctx, a, batch, ch) }) {
		return false
	}
	a.refill, a.refillStart, a.refillEpoch = ch, now, l.epoch.Load()
	return true
}

// reserve reads the fleet's back-off and stops and, unless a back-off is
// in force, reserves batch requests; then it wakes the waiters.
func (l *Limiter) reserve(ctx context.Context, a *app, batch int, ch chan struct{}) {
	defer close(ch)
	pause, stops, err := l.readShared(ctx, a)
	var res *redis_rate.Result
	if err == nil && pause <= 0 {
		res, err = l.gcra.AllowN(ctx, a.rateKey, l.limit, batch)
	}
	now := time.Now()
	a.mu.Lock()
	mine := a.refill == ch // not abandoned by its waiters
	if mine {
		a.refill = nil
		if err == nil {
			a.setStops(stops, now)
			switch {
			case pause > 0:
				a.pauseUntil = later(a.pauseUntil, now.Add(pause))
			case res.Allowed > 0:
				a.tokens += res.Allowed
				a.expires, a.reserved = now.Add(hold), now
			default:
				a.notBefore = now.Add(max(res.RetryAfter, time.Millisecond))
			}
		}
	}
	epoch := a.refillEpoch
	a.mu.Unlock()
	if err != nil && mine {
		l.fallBack(epoch, err)
	}
}

// readShared reads the back-off in force for a and its stops.
func (l *Limiter) readShared(ctx context.Context, a *app) (time.Duration, map[string]time.Time, error) {
	pipe := l.rdb.Pipeline()
	pttl := pipe.PTTL(ctx, a.backoffKey)
	all := pipe.HGetAll(ctx, a.stopsKey)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, nil, err
	}
	var stops map[string]time.Time
	now := time.Now()
	for class, v := range all.Val() {
		ms, err := strconv.ParseInt(v, 10, 64)
		if until := time.UnixMilli(ms); err == nil && until.After(now) {
			if stops == nil {
				stops = make(map[string]time.Time)
			}
			stops[class] = until
		}
	}
	return pttl.Val(), stops, nil
}

// fallBack switches to the local limit after err, unless it has already
// or err comes from a call begun before the last return to Redis.
func (l *Limiter) fallBack(epoch int64, err error) {
	if l.isClosed() || epoch != l.epoch.Load() {
		return
	}
	l.nextProbe.Store(time.Now().Add(l.o.ProbeInterval).UnixNano())
	if l.down.CompareAndSwap(false, true) {
		l.o.Logger.Warn("redislimit: Redis unreachable; using the local fallback limit",
			"err", err, "fallback_per_second", l.o.Fallback)
	}
}

// maybeProbe pings Redis in the background when a probe is due.
func (l *Limiter) maybeProbe() {
	if time.Now().UnixNano() < l.nextProbe.Load() || !l.probing.CompareAndSwap(false, true) {
		return
	}
	ok := l.goBackground(func(ctx context.Context) {
		defer l.probing.Store(false)
		if err := l.rdb.Ping(ctx).Err(); err != nil {
			l.nextProbe.Store(time.Now().Add(l.o.ProbeInterval).UnixNano())
			return
		}
		l.epoch.Add(1)
		if l.down.CompareAndSwap(true, false) {
			l.o.Logger.Info("redislimit: Redis reachable again; using the shared limit")
		}
	})
	if !ok {
		l.probing.Store(false)
	}
}

// Backoff pauses every Limiter of app's fleet for d: this one at once,
// the others when they next reserve. See mipush.Backoffer.
func (l *Limiter) Backoff(digest string, d time.Duration) {
	if d <= 0 {
		return
	}
	a := l.app(digest)
	until := time.Now().Add(d)
	a.mu.Lock()
	a.pauseUntil = later(a.pauseUntil, until)
	a.tokens = 0
	// A burst of such answers extends the pause many times; write only
	// the extensions that matter.
	publish := until.After(a.published.Add(d/4)) && !l.down.Load()
	if publish {
		a.published = until
	}
	a.mu.Unlock()
	if publish {
		ms := max(1, d.Milliseconds())
		epoch := l.epoch.Load()
		l.write(a, func(ctx context.Context) {
			if err := extendBackoff.Run(ctx, l.rdb, []string{a.backoffKey}, ms).Err(); err != nil && !errors.Is(err, redis.Nil) {
				l.fallBack(epoch, err)
			}
		})
	}
}

// extendBackoff sets the back-off key to expire in ARGV[1] ms, unless it
// already lives longer.
var extendBackoff = redis.NewScript(`
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 0
`)

// ShareStop records a stop of class for app until until, here at once and
// in Redis for the fleet. See mipush.StopSharer.
func (l *Limiter) ShareStop(digest, class string, until time.Time) {
	ttl := time.Until(until)
	if ttl <= 0 {
		return
	}
	a := l.app(digest)
	a.mu.Lock()
	if a.stops == nil {
		a.stops = make(map[string]time.Time)
	}
	a.stops[class] = later(a.stops[class], until)
	a.mu.Unlock()
	if l.down.Load() {
		return
	}
	epoch := l.epoch.Load()
	l.write(a, func(ctx context.Context) {
		err := extendStop.Run(ctx, l.rdb, []string{a.stopsKey}, class, until.UnixMilli(), max(1, ttl.Milliseconds())).Err()
		if err != nil && !errors.Is(err, redis.Nil) {
			l.fallBack(epoch, err)
		}
	})
}

// extendStop sets field ARGV[1] of the stops hash to the later of its
// value and ARGV[2] (unix ms), and keeps the hash for at least ARGV[3] ms.
var extendStop = redis.NewScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
local ms = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('PEXPIRE', KEYS[1], ms)
end
return 0
`)

// SharedStop reports a stop of class for app in force, recorded by this
// Limiter or read from Redis with the last reservation. A copy older than
// 50ms is refreshed in the background. See mipush.StopSharer.
func (l *Limiter) SharedStop(digest, class string) (time.Time, bool) {
	a := l.app(digest)
	now := time.Now()
	a.mu.Lock()
	until := a.stops[class]
	refresh := !a.refreshing && now.Sub(a.refreshed) > hold && !l.down.Load()
	if refresh {
		a.refreshing = true
	}
	a.mu.Unlock()
	epoch := l.epoch.Load()
	if refresh && !l.goBackground(func(ctx context.Context) { l.refresh(ctx, a, epoch) }) {
		a.mu.Lock()
		a.refreshing = false
		a.mu.Unlock()
	}
	if until.After(now) {
		return until, true
	}
	return time.Time{}, false
}

// setStops takes the stops read from Redis (a.mu held), unless writes of
// this Limiter are on their way there: until they land, the local copy
// is the newer one.
func (a *app) setStops(stops map[string]time.Time, now time.Time) {
	if !a.writing {
		a.stops, a.refreshed = stops, now
	}
}

// refresh reads the fleet's back-off and stops for a.
func (l *Limiter) refresh(ctx context.Context, a *app, epoch int64) {
	pause, stops, err := l.readShared(ctx, a)
	now := time.Now()
	a.mu.Lock()
	a.refreshing = false
	if err == nil {
		a.setStops(stops, now)
		if pause > 0 {
			a.pauseUntil = later(a.pauseUntil, now.Add(pause))
		}
	}
	a.mu.Unlock()
	if err != nil {
		l.fallBack(epoch, err)
	}
}

// ClearStop ends a stop of class for app, here and in Redis. See
// mipush.StopSharer.
func (l *Limiter) ClearStop(digest, class string) {
	a := l.app(digest)
	a.mu.Lock()
	delete(a.stops, class)
	a.mu.Unlock()
	if l.down.Load() {
		return
	}
	epoch := l.epoch.Load()
	l.write(a, func(ctx context.Context) {
		if err := l.rdb.HDel(ctx, a.stopsKey, class).Err(); err != nil {
			l.fallBack(epoch, err)
		}
	})
}

// write runs w in the background after the writes queued before it for
// a, so that a stop cleared after it was shared stays cleared.
func (l *Limiter) write(a *app, w func(ctx context.Context)) {
	a.mu.Lock()
	a.writes = append(a.writes, w)
	start := !a.writing
	a.writing = true
	a.mu.Unlock()
	if !start {
		return
	}
	drain := func(ctx context.Context) {
		for {
			a.mu.Lock()
			if len(a.writes) == 0 {
				a.writing = false
				a.mu.Unlock()
				return
			}
			w := a.writes[0]
			a.writes = a.writes[1:]
			a.mu.Unlock()
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.o.Timeout)
			w(wctx)
			cancel()
		}
	}
	if !l.goBackground(drain) {
		a.mu.Lock()
		a.writes, a.writing = nil, false
		a.mu.Unlock()
	}
}

// app returns the state of app, creating it.
func (l *Limiter) app(digest string) *app {
	if v, ok := l.apps.Load(digest); ok {
		return v.(*app)
	}
	tag := "{" + digest + "}" // one Redis Cluster slot for an app's keys
	burst := max(1, int(math.Ceil(l.o.Fallback/10)))
	v, _ := l.apps.LoadOrStore(digest, &app{
		rateKey:    l.o.Prefix + tag,
		backoffKey: l.o.Prefix + tag + ":backoff",
		stopsKey:   l.o.Prefix + tag + ":stops",
		local:      rate.NewLimiter(rate.Limit(l.o.Fallback), burst),
		batch:      1,
	})
	return v.(*app)
}

// goBackground runs f on a goroutine of its own with a context bounded by
// Timeout, unless the Limiter is closed; it reports whether it did.
func (l *Limiter) goBackground(f func(ctx context.Context)) bool {
	l.bgMu.Lock()
	defer l.bgMu.Unlock()
	if l.closed.Load() {
		return false
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), l.o.Timeout)
		defer cancel()
		f(ctx)
	}()
	return true
}

func (l *Limiter) isClosed() bool { return l.closed.Load() }

func later(a, b time.Time) time.Time {
	if b.After(a) {
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

// The Limiter is what the mipush client looks for.
var (
	_ mipush.Limiter    = (*Limiter)(nil)
	_ mipush.Backoffer  = (*Limiter)(nil)
	_ mipush.StopSharer = (*Limiter)(nil)
)
