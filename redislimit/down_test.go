package redislimit_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/redislimit"
)

// timedLimiter records the longest Wait of the phase under way.
type timedLimiter struct {
	l       *redislimit.Limiter
	longest atomic.Int64
}

func (t *timedLimiter) Wait(ctx context.Context, app string, n int) error {
	start := time.Now()
	err := t.l.Wait(ctx, app, n)
	d := int64(time.Since(start))
	for {
		cur := t.longest.Load()
		if d <= cur || t.longest.CompareAndSwap(cur, d) {
			break
		}
	}
	return err
}

// phase resets the longest Wait and returns the one before.
func (t *timedLimiter) phase() time.Duration { return time.Duration(t.longest.Swap(0)) }

// A client keeps sending while Redis goes away (stopped, then hung) and
// comes back: the Limiter falls back to its local limit, logs it, no send
// fails or waits long, and it returns to the shared limit.
func TestRedisDownFallsBackAndReturns(t *testing.T) {
	r := startRedis(t)
	r.needOwn(t)
	r.flush(t)
	srv := countingServer(t)

	// The Redis client's own defaults (retries, 3s read timeout, no
	// context deadlines on the socket): the bound must not depend on it.
	rdb := redis.NewClient(&redis.Options{Addr: r.addr})
	defer rdb.Close()
	logs := &logBuffer{}
	const timeout = 200 * time.Millisecond
	lim := newLimiter(t, rdb, redislimit.Options{
		Rate: 2000, Fallback: 500, Timeout: timeout, ProbeInterval: 100 * time.Millisecond,
		Logger: logs.logger(),
	})
	timed := &timedLimiter{l: lim}
	var failed atomic.Int64
	c := mipush.NewClient(mipush.Options{
		AppSecret: "down-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
		Conns: 2, Limiter: timed,
		OnError: func(*mipush.SendError) { failed.Add(1) },
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := c.PushToRegIDAsync(context.Background(), []string{"r"}, msg(g*1_000_000+n)); err != nil {
					failed.Add(1)
					return
				}
			}
		}()
	}
	start := time.Now()
	say := func(format string, args ...any) {
		t.Logf("%6.3fs  %6d sent  "+format, append([]any{time.Since(start).Seconds(), srv.Count()}, args...)...)
	}
	// sendsMore waits until the server has counted n more requests.
	sendsMore := func(n int64) {
		from := srv.Count()
		require.Eventually(t, func() bool { return srv.Count() >= from+n }, 30*time.Second, time.Millisecond)
	}
	waitShared := func(want bool) {
		require.Eventually(t, func() bool { return lim.Shared() == want }, 30*time.Second, time.Millisecond,
			"Shared() == %v; log:\n%s", want, logs.String())
	}

	sendsMore(500)
	require.True(t, lim.Shared())
	say("sending under the shared limit; longest Wait %v", timed.phase())

	r.stop()
	say("redis-server stopped")
	waitShared(false)
	say("fell back to the local limit")
	sendsMore(500)
	downLongest := timed.phase()
	say("sending under the local limit; longest Wait %v", downLongest)

	r.start()
	say("redis-server restarted")
	waitShared(true)
	say("back on the shared limit")
	sendsMore(500)
	// A fallback the load causes meanwhile leaves the Waits on the local
	// limit for a while, and the limit's key may expire: wait for it.
	ctx := context.Background()
	var keys []string
	require.Eventually(t, func() bool {
		var err error
		keys, err = rdb.Keys(ctx, "mipush:*:tat").Result()
		return err == nil && len(keys) > 0
	}, 30*time.Second, 10*time.Millisecond, "the restarted Redis holds the limit again; log:\n%s", logs)
	require.Len(t, keys, 1, "the restarted Redis holds the limit again")
	say("sending under the shared limit; longest Wait %v", timed.phase())

	r.pause()
	say("redis-server paused (SIGSTOP): calls hang")
	waitShared(false)
	say("fell back to the local limit")
	sendsMore(500)
	hungLongest := timed.phase()
	say("sending under the local limit; longest Wait %v", hungLongest)
	r.resume()
	say("redis-server resumed")
	waitShared(true)
	say("back on the shared limit")
	sendsMore(500)
	say("sending under the shared limit; longest Wait %v", timed.phase())

	close(stop)
	wg.Wait()
	require.NoError(t, c.Close())
	// A fallback the load caused late returns within a probe interval:
	// wait for the return, and for its log line, before counting.
	waitShared(true)
	require.Eventually(t, func() bool {
		out := logs.String()
		return strings.Count(out, "Redis unreachable") == strings.Count(out, "Redis reachable again")
	}, 30*time.Second, time.Millisecond, "every fallback logged its return; log:\n%s", logs)
	say("done; %d sends failed", failed.Load())
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		t.Log("log: " + line)
	}

	assert.Zero(t, failed.Load(), "no send failed")
	// A Wait waits for Redis at most Timeout, and then for the second
	// after which the others count this instance as absent; 2.5s is far
	// below what waiting on the Redis client would take (a 3s read
	// timeout, and retries).
	assert.Less(t, downLongest, 2500*time.Millisecond)
	assert.Less(t, hungLongest, 2500*time.Millisecond)
	// Each outage made the Limiter fall back at least once (how often a
	// loaded machine makes it fall back too is not fixed), every fallback
	// was followed by a return, and the log names no secret.
	out := logs.String()
	fell, back := strings.Count(out, "Redis unreachable"), strings.Count(out, "Redis reachable again")
	assert.GreaterOrEqual(t, fell, 2, out)
	assert.Equal(t, fell, back, out)
	assert.True(t, lim.Shared())
	assert.NotContains(t, out, "down-secret")
}
