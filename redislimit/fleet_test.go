package redislimit_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
	"github.com/mipush-go/mipush/redislimit"
)

const (
	fleetSize  = 4
	fleetLimit = 2000 // requests per second, the whole fleet
)

func msg(i int) *mipush.Message {
	return &mipush.Message{
		RestrictedPackageName: "com.example.app",
		Title:                 "Hello",
		Description:           "message " + strconv.Itoa(i),
	}
}

// fleet is fleetSize clients, each with a pool of its own, sending as fast
// as they can to one fake server until stopped.
type fleet struct {
	srv     *mipushtest.Server
	clients []*mipush.Client
	stop    chan struct{}
	wg      sync.WaitGroup
	failed  atomic.Int64
	sent    atomic.Int64
}

func startFleet(t *testing.T, srv *mipushtest.Server, opts func(i int) mipush.Options) *fleet {
	f := &fleet{srv: srv, stop: make(chan struct{})}
	for i := range fleetSize {
		o := opts(i)
		o.AppSecret = "fleet-secret"
		o.Host = srv.Host()
		o.TLSConfig = srv.ClientTLSConfig()
		o.Conns = 2
		o.OnError = func(*mipush.SendError) { f.failed.Add(1) }
		c := mipush.NewClient(o)
		f.clients = append(f.clients, c)
		for g := range 4 {
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				ctx := context.Background()
				for n := 0; ; n++ {
					select {
					case <-f.stop:
						return
					default:
					}
					if err := c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(g)}, msg(n)); err != nil {
						f.failed.Add(1)
						return
					}
					f.sent.Add(1)
				}
			}()
		}
	}
	return f
}

// close stops the senders and closes the clients.
func (f *fleet) close(t *testing.T) {
	close(f.stop)
	f.wg.Wait()
	for _, c := range f.clients {
		require.NoError(t, c.Close())
	}
	assert.Zero(t, f.failed.Load(), "no send failed")
}

// rate is the requests per second the fake server counted over window,
// after warm-up: counts and clock read together at both ends.
func (f *fleet) rate(warmUp, window time.Duration) (float64, int64) {
	time.Sleep(warmUp) // the fleet runs freely; nothing waits on this
	n0, t0 := f.srv.Count(), time.Now()
	time.Sleep(window)
	n1, t1 := f.srv.Count(), time.Now()
	return float64(n1-n0) / t1.Sub(t0).Seconds(), n1 - n0
}

// Four clients with separate pools and separate Redis connections (as
// four processes would have) share one limit of 2000 requests per second:
// the fake server counts 2000 ± 5%. The same four with local limits of
// 2000 each send about four times as much.
//
// On a loaded machine the senders may fall short of the limit, never
// above it: the upper bound is strict, the lower one loose (-25%). The
// figures are logged.
func TestFleetSharesOneLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 10s")
	}
	r := startRedis(t)
	r.flush(t)
	srv := countingServer(t)
	const warmUp, window = time.Second, 4 * time.Second

	var limiters []*redislimit.Limiter
	logs := &logBuffer{}
	shared := startFleet(t, srv, func(int) mipush.Options {
		l := newLimiter(t, r.client(t), redislimit.Options{
			Rate:     fleetLimit,
			Fallback: fleetLimit / fleetSize,
			// Generous, so that a loaded machine does not make the
			// Limiters fall back (which would still hold the limit).
			Timeout: time.Second,
			Logger:  logs.logger(),
		})
		limiters = append(limiters, l)
		return mipush.Options{Limiter: l}
	})
	sharedRate, sharedN := shared.rate(warmUp, window)
	shared.close(t)
	for _, l := range limiters {
		if !l.Shared() {
			// Allowed (the limit holds then too), but worth knowing.
			t.Logf("a Limiter fell back: %s", logs.String())
		}
	}

	local := startFleet(t, srv, func(int) mipush.Options {
		return mipush.Options{RateLimit: fleetLimit}
	})
	localRate, localN := local.rate(warmUp, window)
	local.close(t)

	t.Logf("shared limit %d/s over %d clients: the server counted %.0f requests/s (%d in %v)",
		fleetLimit, fleetSize, sharedRate, sharedN, window)
	t.Logf("local limits of %d/s each: the server counted %.0f requests/s (%d in %v), %.2f× the limit",
		fleetLimit, localRate, localN, window, localRate/fleetLimit)
	assert.LessOrEqual(t, sharedRate, fleetLimit*1.05, "the shared limit holds")
	assert.GreaterOrEqual(t, sharedRate, fleetLimit*0.75, "the fleet uses its quota")
	// The bound shows the shared limit at work only if the fleet could
	// exceed it: with local limits, it does on a machine fast enough.
	if localRate <= 1.5*fleetLimit {
		t.Logf("local limits reached only %.2f× the limit: this machine could not exceed it much, so the bound proves little",
			localRate/fleetLimit)
	}
}

// A "too frequent" answer to one client pauses another client of the same
// app that has a Limiter of its own (another process, in production).
func TestTooFrequentPausesTheFleet(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: true})
	defer srv.Close()
	srv.FailTarget("slow", mipushtest.ErrorAnswer(10027, "too frequent"))
	newClient := func() *mipush.Client {
		l := newLimiter(t, r.client(t), redislimit.Options{Rate: 1000, Timeout: time.Second})
		c := mipush.NewClient(mipush.Options{
			AppSecret: "fleet-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
			Conns: 1, MaxAttempts: 1, Limiter: l,
		})
		t.Cleanup(func() { require.NoError(t, c.Close()) })
		return c
	}
	a, b := newClient(), newClient()
	ctx := context.Background()
	// Three answers in a row: the pause doubles each time, to 0.4-1.2s.
	for i := range 3 {
		_, err := a.PushToRegID(ctx, []string{"slow"}, msg(i))
		require.Error(t, err)
	}
	rdb := r.client(t)
	key := "mipush:{" + mipush.AppDigest("fleet-secret") + "}:backoff"
	require.Eventually(t, func() bool { return rdb.PTTL(ctx, key).Val() > 300*time.Millisecond },
		5*time.Second, time.Millisecond, "the pause reaches Redis")
	before := srv.Count()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := b.PushToRegID(short, []string{"r1"}, msg(9))
	require.ErrorIs(t, err, context.DeadlineExceeded, "the other client waits out the fleet's pause")
	assert.Equal(t, before, srv.Count(), "and sends nothing meanwhile")
}

// countingServer is a fake server that counts requests without keeping
// them, closed when t ends.
func countingServer(t *testing.T) *mipushtest.Server {
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: true, NoRecording: true})
	t.Cleanup(srv.Close)
	return srv
}
