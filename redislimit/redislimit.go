// Package redislimit shares the request quota of MiPush apps among a fleet
// of clients, in one process or many, through Redis.
//
// Set a Limiter as mipush.Options.Limiter of every client of the fleet,
// with the app's quota as Rate:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	lim, err := redislimit.New(rdb, redislimit.Options{Rate: 2000})
//	...
//	client := mipush.NewClient(mipush.Options{AppSecret: secret, Limiter: lim})
//
// # Keys
//
// Each app has its own limit of Rate requests per second, under keys named
// by the app's digest (mipush.AppDigest), never by its secret, all in one
// Redis Cluster slot: "mipush:{<digest>}:tat" holds the limit's state (a
// GCRA theoretical arrival time), ":fleet" the instances of the fleet,
// ":backoff" the fleet-wide back-off, ":stops" the stops and ":gen" the
// generation of these keys (which changes when Redis loses them).
// Options.Prefix replaces "mipush:".
//
// # Turns
//
// A Limiter does not ask Redis for every request. One script reserves a
// batch of turns for the app, announces the instance, and reads the
// back-off and the stops, in one round trip. A batch is never refused
// while the fleet's queue of reserved turns is shorter than a second: it
// is granted from the time at which the limit allows it, perhaps a little
// in the future, and the Limiter hands its turns out when that time comes.
// So each batch costs one round trip, however many instances compete,
// and the instances are served in the order of their reservations, which
// shares the limit fairly among those that use it all. Within an
// instance, Wait callers get their turns in the order they came (FIFO).
// Turns not used within 250ms of their time are dropped, so that no
// instance sits on a part of the quota.
//
// # The fleet
//
// Every instance announces itself with each call and at least every
// 250ms. Instances not heard from for a second are counted as absent for
// a minute: they may have lost Redis and be sending under their fallback
// limit, so the instances on Redis share the quota less that part (see
// below). Close removes the instance at once.
//
// # When Redis fails
//
// A slow answer is not an outage: a Limiter falls back to its local limit
// only when Redis has not answered for Options.Timeout (1s), or after 3
// failed calls in a row. The local limit is the quota divided by the
// instances it saw last, absent ones included; it starts one second after
// the instance was last heard by Redis, by which time the others count it
// as absent. Every Options.ProbeInterval the Limiter calls Redis again,
// and it returns to the shared limit after one good answer; for one more
// ProbeInterval and Timeout it keeps its local limit too, while the other
// instances return. Stops shared or cleared while Redis was unreachable
// are written when it answers again, with what remains of them, and the
// stops of the fleet are read then. See docs/fleet.md in the repository
// for what holds during each kind of fault, split brains included.
package redislimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mipush-go/mipush"
)

// Defaults of Options.
const (
	DefaultTimeout       = time.Second
	DefaultProbeInterval = time.Second
	DefaultMaxBatch      = 32
)

// Timing of the shared limit.
const (
	// hold is how long reserved turns may wait for a send after their
	// time before they are dropped; it bounds how far an instance can
	// run late on its reservations, and so the fleet ahead of the limit.
	hold = 250 * time.Millisecond
	// maxAhead bounds how far in the future a batch is granted; beyond
	// it the script refuses the batch and says when to ask again.
	maxAhead = time.Second
	// announceEvery is how often an instance announces itself at least,
	// and reads the stops while it sends.
	announceEvery = 250 * time.Millisecond
	// liveFor is how long an instance counts as present after its last
	// call; then it counts as absent for absentFor.
	liveFor   = time.Second
	absentFor = time.Minute
	// failuresToFallBack failed calls in a row mean Redis is unreachable.
	failuresToFallBack = 3
)

// Options configures a Limiter. Rate is required.
type Options struct {
	// Rate is the requests per second each app may send, the whole fleet
	// together: the app's quota.
	Rate int
	// Burst is how many requests the fleet may send at once above Rate
	// after a quiet time; 0 means a tenth of Rate, at least MaxBatch.
	Burst int
	// Fallback is the local limit, in requests per second per app, of a
	// Limiter that loses Redis before it has ever seen the fleet; 0
	// means Rate. Once it has, the local limit is Rate divided by the
	// instances it saw last.
	Fallback float64
	// Timeout is how long Redis may go without answering a call before
	// the Limiter falls back to its local limit; 0 means DefaultTimeout.
	// It bounds how long a Wait waits for Redis (plus at most a second
	// before the local limit starts).
	Timeout time.Duration
	// ProbeInterval is how often a Limiter that fell back calls Redis;
	// 0 means DefaultProbeInterval.
	ProbeInterval time.Duration
	// MaxBatch bounds the turns reserved in one round trip; 0 means
	// DefaultMaxBatch (at most Rate/10). 1 asks Redis for every request.
	// Batches are smaller when the fleet's share per instance is small.
	MaxBatch int
	// Prefix starts every key; "" means "mipush:".
	Prefix string
	// Logger receives the switches to the fallback limit and back; nil
	// means slog.Default().
	Logger *slog.Logger
}

// Limiter is a mipush.Limiter shared through Redis. It also implements
// mipush.Backoffer and mipush.StopSharer. It is safe for concurrent use.
type Limiter struct {
	rdb  redis.UniversalClient
	o    Options
	id   string // this instance in the fleet
	apps sync.Map

	health health

	keeperOnce sync.Once
	done       chan struct{} // closed by Close: the keeper ends

	bgMu   sync.Mutex // orders bg.Add before Close's bg.Wait
	closed atomic.Bool
	bg     sync.WaitGroup // the keeper and background Redis calls
}

// ErrClosed is returned by Wait after Close.
var ErrClosed = errors.New("redislimit: limiter closed")

// New returns a Limiter on rdb. It makes no call to Redis until the first
// use of an app. Close it after the clients that use it.
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
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Limiter{rdb: rdb, o: opts, id: hex.EncodeToString(id[:]), done: make(chan struct{})}, nil
}

// Close removes the instance from the fleet in Redis (one call, bounded
// by Timeout), waits for the Limiter's background calls to Redis and
// makes later Waits fail with ErrClosed. It does not close the Redis
// client.
func (l *Limiter) Close() error {
	l.bgMu.Lock()
	if !l.closed.CompareAndSwap(false, true) {
		l.bgMu.Unlock()
		return nil
	}
	close(l.done)
	l.bgMu.Unlock()
	var fleets []string
	l.apps.Range(func(_, v any) bool {
		a := v.(*app)
		a.close()
		fleets = append(fleets, a.keys[keyFleet])
		return true
	})
	l.bg.Wait()
	if len(fleets) > 0 && !l.health.isDown() {
		// Leaving at once spares the others a minute of counting this
		// instance as absent.
		ctx, cancel := context.WithTimeout(context.Background(), l.o.Timeout)
		pipe := l.rdb.Pipeline()
		for _, k := range fleets {
			pipe.ZRem(ctx, k, l.id)
		}
		_, _ = pipe.Exec(ctx)
		cancel()
	}
	return nil
}

// Shared reports whether the Limiter uses the shared limit in Redis now,
// false while it has fallen back to the local limit.
func (l *Limiter) Shared() bool { return !l.health.isDown() }

// Wait blocks until n more requests of app may be sent, or ctx ends. See
// mipush.Limiter. n must not exceed Burst. Callers get their turns in the
// order they called.
func (l *Limiter) Wait(ctx context.Context, digest string, n int) error {
	if n <= 0 {
		return nil
	}
	if n > l.o.Burst {
		return fmt.Errorf("redislimit: %d requests at once exceed Burst (%d)", n, l.o.Burst)
	}
	return l.app(digest).wait(ctx, n)
}

// app returns the state of app, creating it.
func (l *Limiter) app(digest string) *app {
	if v, ok := l.apps.Load(digest); ok {
		return v.(*app)
	}
	v, loaded := l.apps.LoadOrStore(digest, newApp(l, digest))
	if !loaded {
		l.keeperOnce.Do(func() { l.goBackground(l.keep) })
	}
	return v.(*app)
}

// goBackground runs f on a goroutine of its own, unless the Limiter is
// closed; it reports whether it did.
func (l *Limiter) goBackground(f func()) bool {
	l.bgMu.Lock()
	defer l.bgMu.Unlock()
	if l.closed.Load() {
		return false
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		f()
	}()
	return true
}

// The Limiter is what the mipush client looks for.
var (
	_ mipush.Limiter    = (*Limiter)(nil)
	_ mipush.Backoffer  = (*Limiter)(nil)
	_ mipush.StopSharer = (*Limiter)(nil)
)
