package redislimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
	"github.com/mipush-go/mipush/redislimit"
)

// A daily-quota answer to one client stops the message class for another
// client of the same app with a Limiter of its own (another process, in
// production): its sends of the class fail at once without reaching the
// server, its other classes go out, and Unblock clears the stop in Redis.
func TestQuotaStopStopsTheFleet(t *testing.T) {
	r := startRedis(t)
	r.flush(t)
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: true})
	defer srv.Close()
	newClient := func() (*mipush.Client, *redislimit.Limiter) {
		l := newLimiter(t, r.client(t), redislimit.Options{Rate: 1000, Timeout: time.Second})
		c := mipush.NewClient(mipush.Options{
			AppSecret: "fleet-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
			Conns: 1, Limiter: l,
		})
		t.Cleanup(func() { require.NoError(t, c.Close()) })
		return c, l
	}
	a, _ := newClient()
	b, lb := newClient()
	ctx := context.Background()
	app := mipush.AppDigest("fleet-secret")
	srv.ExhaustQuota("")

	_, err := a.PushToRegID(ctx, []string{"r"}, msg(1))
	require.True(t, mipush.IsQuotaExceeded(err), "%v", err)
	require.False(t, errors.Is(err, mipush.ErrStopped), "the server answered A")
	rdb := r.client(t)
	key := "mipush:{" + app + "}:stops"
	require.Eventually(t, func() bool { return rdb.HExists(ctx, key, "").Val() },
		5*time.Second, time.Millisecond, "the stop of the default class reaches Redis")
	require.Eventually(t, func() bool { _, ok := lb.SharedStop(app, ""); return ok },
		5*time.Second, time.Millisecond, "B's Limiter reads it")

	before := srv.Count()
	_, err = b.PushToRegID(ctx, []string{"r"}, msg(2))
	require.ErrorIs(t, err, mipush.ErrStopped, "B stops the class at once")
	assert.True(t, mipush.IsQuotaExceeded(err), "%v", err)
	assert.Contains(t, err.Error(), "another client")
	require.ErrorIs(t, b.PushToRegIDAsync(ctx, []string{"r"}, msg(3)), mipush.ErrStopped)
	assert.Equal(t, before, srv.Count(), "B sent nothing of the class")
	assert.Equal(t, 1, b.Metrics().Stops)

	private := msg(4)
	private.ChannelID = "orders"
	_, err = b.PushToRegID(ctx, []string{"r"}, private)
	require.NoError(t, err, "B's private channel goes out")
	assert.Equal(t, before+1, srv.Count())

	a.Unblock()
	require.Eventually(t, func() bool { return !rdb.HExists(ctx, key, "").Val() },
		5*time.Second, time.Millisecond, "Unblock clears the stop in Redis")
	require.Eventually(t, func() bool { _, ok := lb.SharedStop(app, ""); return !ok },
		5*time.Second, time.Millisecond, "and for B's Limiter")
}

// BenchmarkSharedStop is what the client pays before each single send
// with a Limiter: a look at the local copy of the stops, refreshed in the
// background every 50ms.
func BenchmarkSharedStop(b *testing.B) {
	r := startRedis(b)
	l, err := redislimit.New(r.client(b), redislimit.Options{Rate: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	app := mipush.AppDigest("bench-secret")
	l.ShareStop(app, "other", time.Now().Add(time.Hour))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.SharedStop(app, ""); ok {
			b.Fatal("the default class is not stopped")
		}
	}
}
