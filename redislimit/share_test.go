package redislimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
	"github.com/mipush-go/mipush/redislimit"
)

// Wait callers of one Limiter get their turns in the order they came:
// when caller i has its turn, no caller that came before it is still in
// the queue, so at most the n-1-i that came after it are. (The order in
// which the callers' goroutines run after their turns is the
// scheduler's, so it is not what is checked.)
func TestWaitersServedInOrder(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	l := newLimiter(t, r.client(t), redislimit.Options{Rate: 100, Burst: 1, MaxBatch: 1})
	app := mipush.AppDigest("fifo")
	ctx := context.Background()
	require.NoError(t, l.Wait(ctx, app, 1)) // the burst is spent

	const n = 20
	var done atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, l.Wait(ctx, app, 1))
			assert.LessOrEqual(t, l.Queued(app), n-1-i, "caller %d had its turn before one that came earlier", i)
			done.Add(1)
		}()
		// Caller i has come (it is queued, or it has its turn) before
		// caller i+1 starts.
		require.Eventually(t, func() bool { return int64(l.Queued(app))+done.Load() == int64(i+1) },
			10*time.Second, 100*time.Microsecond)
	}
	wg.Wait()
}

// A Redis 80ms away (more than the old 50ms timeout) is slow, not down:
// the Limiter keeps the shared limit and the limit holds.
func TestSlowRedisIsNotAnOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 5s")
	}
	r := startRedis(t)
	r.flush(t)
	proxy, err := mipushtest.NewLatencyProxy(r.addr, 80*time.Millisecond)
	require.NoError(t, err)
	t.Cleanup(func() { _ = proxy.Close() }) // after the Limiters
	logs := &logBuffer{}
	far := newLimiter(t, redisAt(t, proxy.Addr()), redislimit.Options{Rate: 1000, Logger: logs.logger()})
	near := newLimiter(t, r.client(t), redislimit.Options{Rate: 1000, Logger: logs.logger()})
	app := mipush.AppDigest("slow")
	d := drive([]*redislimit.Limiter{far, near}, app, 4)
	defer d.close()
	_, _, _ = d.window(time.Second) // warm-up: the burst
	per, total, took := d.window(4 * time.Second)
	rate := float64(total) / took.Seconds()
	t.Logf("far %d, near %d turns in %v: %.0f/s; log:\n%s", per[0], per[1], took, rate, logs.String())
	assert.True(t, far.Shared(), "the far Limiter did not fall back")
	assert.NotContains(t, logs.String(), "unreachable")
	assert.LessOrEqual(t, rate, 1000*1.05, "the limit holds")
	assert.Greater(t, per[0], total/5, "the far Limiter gets a fair part")
}

// redisAt returns a client of the Redis at addr, closed when t ends.
func redisAt(t testing.TB, addr string) *redis.Client {
	r := &testRedis{t: t, addr: addr}
	return r.client(t)
}

// One instance of four loses Redis while the others keep it (a split
// brain): it falls back to a quarter of the quota, the others count it
// as absent and share the rest, and the fleet stays within the quota.
// When it returns it takes its part of the shared limit again.
func TestSplitBrainHoldsTheQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 13s")
	}
	r := startRedis(t)
	r.flush(t)
	const rate = 2000
	proxy := newCutProxy(t, r.addr)
	logs := &logBuffer{}
	o := redislimit.Options{Rate: rate, Logger: logs.logger()}
	lims := []*redislimit.Limiter{newLimiter(t, redisAt(t, proxy.addr()), o)}
	for range 3 {
		lims = append(lims, newLimiter(t, r.client(t), o))
	}
	app := mipush.AppDigest("split")
	d := drive(lims, app, 4)
	defer d.close()
	_, _, _ = d.window(time.Second)
	per, total, took := d.window(4 * time.Second)
	t.Logf("all on Redis: %v, %.0f/s", per, float64(total)/took.Seconds())
	assert.LessOrEqual(t, float64(total)/took.Seconds(), rate*1.05)

	proxy.setCut(true)
	require.Eventually(t, func() bool { return !lims[0].Shared() }, 10*time.Second, time.Millisecond)
	per, total, took = d.window(4 * time.Second)
	t.Logf("one cut off: %v, %.0f/s", per, float64(total)/took.Seconds())
	assert.LessOrEqual(t, float64(total)/took.Seconds(), rate*1.05, "the fleet holds the quota")
	assert.LessOrEqual(t, float64(per[0])/took.Seconds(), rate/4*1.1+float64(rate)/40, "the cut one uses a quarter")
	assert.Greater(t, per[0], int64(0), "the cut one still sends")

	proxy.setCut(false)
	require.Eventually(t, func() bool { return lims[0].Shared() }, 10*time.Second, time.Millisecond)
	per, total, took = d.window(4 * time.Second)
	t.Logf("back: %v, %.0f/s; log:\n%s", per, float64(total)/took.Seconds(), logs.String())
	assert.LessOrEqual(t, float64(total)/took.Seconds(), rate*1.05)
}

// Stops shared or cleared while Redis is unreachable reach the fleet
// when it answers again, with what remains of them; a clear made then
// does not undo a stop another instance wrote since; and an instance
// that was away reads the stops as soon as it is back.
func TestStopsWhileRedisIsAway(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	proxy := newCutProxy(t, r.addr)
	o := redislimit.Options{Rate: 1000, ProbeInterval: 50 * time.Millisecond}
	away := newLimiter(t, redisAt(t, proxy.addr()), o)
	other := newLimiter(t, r.client(t), o)
	app := mipush.AppDigest("stops")
	ctx := context.Background()
	require.NoError(t, away.Wait(ctx, app, 1))
	require.NoError(t, other.Wait(ctx, app, 1))
	cut := func(on bool) {
		t.Helper()
		proxy.setCut(on)
		require.Eventually(t, func() bool {
			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			_ = away.Wait(short, app, 1) // calls to Redis, besides the Limiter's own
			cancel()
			return away.Shared() == !on
		}, 10*time.Second, time.Millisecond)
	}
	seen := func(l *redislimit.Limiter, class string, want bool) func() bool {
		return func() bool { _, ok := l.SharedStop(app, class); return ok == want }
	}

	cut(true)
	until := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	away.ShareStop(app, "a", until)
	got, ok := away.SharedStop(app, "a")
	require.True(t, ok, "held here while Redis is away")
	require.True(t, got.Equal(until))
	other.ShareStop(app, "b", until) // while the other instance is away
	cut(false)
	require.Eventually(t, seen(other, "a", true), 5*time.Second, time.Millisecond, "published on return")
	got, _ = other.SharedStop(app, "a")
	assert.True(t, got.Equal(until), "with its end: %v, want %v", got, until)
	require.Eventually(t, seen(away, "b", true), time.Second, time.Millisecond, "read on return")

	cut(true)
	away.ClearStop(app, "a")
	away.ClearStop(app, "b")
	_, ok = away.SharedStop(app, "a")
	require.False(t, ok, "cleared here at once")
	// Another instance stops b again after the clear, while away is away.
	later := until.Add(time.Hour)
	other.ShareStop(app, "b", later)
	cut(false)
	require.Eventually(t, seen(other, "a", false), 5*time.Second, time.Millisecond, "the clear is published on return")
	require.Eventually(t, seen(away, "b", true), 5*time.Second, time.Millisecond,
		"the newer stop of b stands, and is read on return")
	got, _ = away.SharedStop(app, "b")
	assert.True(t, got.Equal(later))
	_, ok = other.SharedStop(app, "b")
	assert.True(t, ok)
}

// The Redis round trips per turn stay flat as the fleet of saturated
// instances grows, instances share the limit fairly, and waits are a few
// batch intervals long.
func TestRoundTripsStayFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 15s")
	}
	r := startRedis(t)
	const rate = 2000
	for _, n := range []int{1, 4, 16} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r.flush(t)
			var lims []*redislimit.Limiter
			for range n {
				lims = append(lims, newLimiter(t, r.client(t), redislimit.Options{Rate: rate}))
			}
			app := mipush.AppDigest("flat")
			d := drive(lims, app, 4)
			defer d.close()
			_, _, _ = d.window(time.Second)
			d.resetWaits()
			rdb := r.client(t)
			calls0 := evalCalls(t, rdb)
			per, total, took := d.window(4 * time.Second)
			calls := evalCalls(t, rdb) - calls0
			perTurn := float64(calls) / float64(total)
			shares := make([]string, n)
			worst := 0.0
			for i, p := range per {
				s := float64(p) / float64(total)
				shares[i] = fmt.Sprintf("%.1f%%", 100*s)
				worst = max(worst, abs(s-1/float64(n)))
			}
			t.Logf("%2d instances: %.0f turns/s, %.3f round trips per turn, p99 wait %v, shares %v",
				n, float64(total)/took.Seconds(), perTurn, d.quantile(0.99).Round(time.Millisecond), shares)
			assert.LessOrEqual(t, float64(total)/took.Seconds(), rate*1.05)
			assert.LessOrEqual(t, perTurn, 0.1)
			if n == 4 {
				assert.LessOrEqual(t, worst, 0.05, "each gets 25%% ± 5%%: %v", shares)
			}
		})
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
