package redislimit_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/redislimit"
)

func TestMain(m *testing.M) {
	if os.Getenv(senderEnv) != "" {
		os.Exit(runSender()) // a sender of TestFleetProcesses
	}
	goleak.VerifyTestMain(m)
}

// logBuffer collects a Limiter's log records for assertions and the
// test's transcript.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newLimiter returns a Limiter on rdb, closed when t ends.
func newLimiter(t *testing.T, rdb redis.UniversalClient, o redislimit.Options) *redislimit.Limiter {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l, err := redislimit.New(rdb, o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l
}

func TestNewRejectsBadOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for _, o := range []redislimit.Options{
		{},
		{Rate: -1},
		{Rate: 100, Burst: -1},
		{Rate: 100, Burst: 5, MaxBatch: 10},
		{Rate: 100, Timeout: -time.Second},
	} {
		_, err := redislimit.New(rdb, o)
		assert.Error(t, err, "%+v", o)
	}
	_, err := redislimit.New(nil, redislimit.Options{Rate: 100})
	assert.Error(t, err)
}

// The Limiter reserves requests in batches: far fewer round trips than
// requests, and keys named by the digest, never the secret.
func TestWaitReservesInBatches(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	rdb := r.client(t)
	l := newLimiter(t, rdb, redislimit.Options{Rate: 100000, MaxBatch: 32})
	const secret = "the-app-secret"
	app := mipush.AppDigest(secret)
	ctx := context.Background()
	before := evalCalls(t, rdb)
	const n = 2000
	for range n {
		require.NoError(t, l.Wait(ctx, app, 1))
	}
	calls := evalCalls(t, rdb) - before
	t.Logf("%d requests, %d reservations in Redis", n, calls)
	assert.Less(t, calls, int64(n/8), "requests are reserved in batches")
	assert.Greater(t, calls, int64(0))
	assert.True(t, l.Shared())

	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	for _, k := range keys {
		assert.NotContains(t, k, secret)
		assert.Contains(t, k, app)
	}
	assert.Contains(t, keys, "mipush:{"+app+"}:tat")
}

// evalCalls is how many scripts Redis has run.
func evalCalls(t testing.TB, rdb *redis.Client) int64 {
	n, err := scriptCalls(context.Background(), rdb)
	require.NoError(t, err)
	return n
}

// scriptCalls is how many scripts Redis has run, from its commandstats.
func scriptCalls(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, line := range strings.Split(info, "\n") {
		if !strings.HasPrefix(line, "cmdstat_evalsha:") && !strings.HasPrefix(line, "cmdstat_eval:") {
			continue
		}
		_, rest, _ := strings.Cut(line, "calls=")
		v, _, _ := strings.Cut(rest, ",")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("commandstats line %q: %w", strings.TrimSpace(line), err)
		}
		total += n
	}
	return total, nil
}

// The limit holds across Limiters: two of them, each with four callers
// asking as fast as they can, get no more turns together than one app's
// quota allows (its burst and its rate over the time taken), and another
// app has a quota of its own.
func TestLimitIsShared(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	const rate, burst = 10, 10
	o := redislimit.Options{Rate: rate, Burst: burst, MaxBatch: 1}
	lims := []*redislimit.Limiter{newLimiter(t, r.client(t), o), newLimiter(t, r.client(t), o)}
	app := mipush.AppDigest("s")
	var turns atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(500 * time.Millisecond)
	for _, l := range lims {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					ctx, cancel := context.WithDeadline(context.Background(), stop)
					if l.Wait(ctx, app, 1) == nil {
						turns.Add(1)
					}
					cancel()
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	limit := burst + rate*elapsed.Seconds()
	t.Logf("%d turns in %v; the limit allows %.1f", turns.Load(), elapsed, limit)
	assert.LessOrEqual(t, float64(turns.Load()), limit, "the two share one quota")
	assert.Positive(t, turns.Load(), "turns are given")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, lims[1].Wait(ctx, mipush.AppDigest("other"), 1), "another app has a quota of its own")
}

// A back-off of one Limiter pauses the others of the same app, through
// the key in Redis.
func TestBackoffIsFleetWide(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	rdb := r.client(t)
	o := redislimit.Options{Rate: 1000}
	a, b := newLimiter(t, rdb, o), newLimiter(t, r.client(t), o)
	app := mipush.AppDigest("s")
	ctx := context.Background()

	a.Backoff(app, time.Minute)
	key := "mipush:{" + app + "}:backoff"
	require.Eventually(t, func() bool { return rdb.PTTL(ctx, key).Val() > 30*time.Second },
		5*time.Second, 5*time.Millisecond, "the back-off reaches Redis")
	// A shorter back-off does not shorten it.
	a.Backoff(app, time.Millisecond)
	for _, l := range []*redislimit.Limiter{a, b} {
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := l.Wait(ctx, app, 1)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "paused by the fleet's back-off")
	}
	assert.Greater(t, rdb.PTTL(ctx, key).Val(), 30*time.Second)
	require.NoError(t, b.Wait(ctx, mipush.AppDigest("other"), 1), "another app is not paused")

	// The back-off ends with its key.
	require.NoError(t, rdb.Del(ctx, key).Err())
	c := newLimiter(t, r.client(t), o)
	require.NoError(t, c.Wait(ctx, app, 1))
}

// A stop shared by one Limiter is seen by the others until it ends or is
// cleared; an earlier end does not shorten it.
func TestStopsAreShared(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	rdb := r.client(t)
	a, b := newLimiter(t, rdb, redislimit.Options{Rate: 1000}), newLimiter(t, r.client(t), redislimit.Options{Rate: 1000})
	app := mipush.AppDigest("s")
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)

	_, ok := b.SharedStop(app, "default")
	require.False(t, ok)
	a.ShareStop(app, "default", until)
	got, ok := a.SharedStop(app, "default")
	require.True(t, ok, "seen at once by the Limiter that shared it")
	require.True(t, got.Equal(until))

	require.Eventually(t, func() bool {
		got, ok := b.SharedStop(app, "default")
		return ok && got.Equal(until)
	}, 5*time.Second, 5*time.Millisecond, "another Limiter sees the stop")
	_, ok = b.SharedStop(app, "public")
	assert.False(t, ok, "another class is not stopped")
	_, ok = b.SharedStop(mipush.AppDigest("other"), "default")
	assert.False(t, ok, "another app is not stopped")

	a.ShareStop(app, "default", until.Add(-30*time.Minute))
	ttl := rdb.PTTL(context.Background(), "mipush:{"+app+"}:stops").Val()
	assert.Greater(t, ttl, 50*time.Minute, "the stops live as long as the latest stop")

	a.ClearStop(app, "default")
	require.Eventually(t, func() bool {
		_, ok := b.SharedStop(app, "default")
		return !ok
	}, 5*time.Second, 5*time.Millisecond, "a cleared stop ends for the fleet")
}

// After Close every Wait fails with ErrClosed at once, for an app the
// Limiter knew and for one it meets only now (none is left to hand out
// turns: such a Wait would otherwise last until its ctx ended).
func TestWaitAfterCloseFails(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	l, err := redislimit.New(r.client(t), redislimit.Options{Rate: 100, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, l.Wait(ctx, "known", 1))
	require.NoError(t, l.Close())
	for _, app := range []string{"known", "new"} {
		assert.ErrorIs(t, l.Wait(ctx, app, 1), redislimit.ErrClosed, app)
	}
	assert.NoError(t, ctx.Err(), "no Wait lasted until its ctx ended")
}
