package mipush_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// sharedStops is a Limiter that never waits and a StopSharer keeping the
// stops in a map: one store for the clients given it, as a fleet's.
type sharedStops struct {
	mu      sync.Mutex
	m       map[[2]string]time.Time
	shares  int
	clears  int
	lookups int
}

func newSharedStops() *sharedStops { return &sharedStops{m: make(map[[2]string]time.Time)} }

func (s *sharedStops) Wait(context.Context, string, int) error { return nil }

func (s *sharedStops) ShareStop(app, class string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shares++
	if k := [2]string{app, class}; until.After(s.m[k]) {
		s.m[k] = until
	}
}

func (s *sharedStops) SharedStop(app, class string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	until, ok := s.m[[2]string{app, class}]
	if !ok || !time.Now().Before(until) {
		return time.Time{}, false
	}
	return until, true
}

func (s *sharedStops) ClearStop(app, class string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clears++
	delete(s.m, [2]string{app, class})
}

// stored is the end recorded for class of app, in force or not.
func (s *sharedStops) stored(app, class string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.m[[2]string{app, class}]
	return until, ok
}

func (s *sharedStops) calls() (shares, clears, lookups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shares, s.clears, s.lookups
}

var (
	_ mipush.Limiter    = (*sharedStops)(nil)
	_ mipush.StopSharer = (*sharedStops)(nil)
)

// clientOf returns another client of srv with the secret of inMemoryPair,
// as another instance of the same service would be.
func clientOf(t *testing.T, srv *mipushtest.Server, opts mipush.Options) *mipush.Client {
	opts.AppSecret = "s"
	opts.Host = srv.Host()
	opts.TLSConfig = srv.ClientTLSConfig()
	opts.DialContext = srv.DialContext
	c := mipush.NewClient(opts)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// requireShared checks that err is a stop another client shared.
func requireShared(t *testing.T, err error) {
	t.Helper()
	requireStopped(t, err)
	var ae *mipush.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, mipush.CodeOverQuota, ae.Code)
	assert.Contains(t, err.Error(), "another client")
}

// A quota stop one client arms stops the class for every client sharing
// its Limiter: the other client fails the class's sends without sending
// them, sends its other classes, and at the end of the interval the
// fleet probes once: the first failed probe moves the end for all, and a
// successful one clears the shared stop.
func TestQuotaStopIsShared(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		synctest.Test(t, func(t *testing.T) {
			sh := newSharedStops()
			srv, a := inMemoryPair(t, h2, mipush.Options{Conns: 1, Limiter: sh})
			b := clientOf(t, srv, mipush.Options{Conns: 1, Limiter: sh})
			app := mipush.AppDigest("s")
			ctx := context.Background()
			ids := []string{"r"}
			srv.ExhaustQuota("")

			t0 := time.Now()
			_, err := a.PushToRegID(ctx, ids, note(1))
			requireQuotaAnswer(t, err, 0, 0)
			until, ok := sh.stored(app, "")
			require.True(t, ok, "the stop is shared")
			assert.Equal(t, t0.Add(mipush.DefaultQuotaProbeInterval), until, "until A's next probe")

			_, err = b.PushToRegID(ctx, ids, note(2))
			requireShared(t, err)
			requireShared(t, b.PushToRegIDAsync(ctx, ids, note(3)))
			assert.Equal(t, int64(1), srv.Count(), "B sent nothing of the stopped class")
			_, err = b.PushToRegID(ctx, ids, onChannel(4, "orders"))
			require.NoError(t, err, "B's private channel goes out")
			assert.Equal(t, int64(2), srv.Count())
			m := b.Metrics()
			assert.Equal(t, 1, m.Stops)
			assert.Equal(t, int64(1), m.StopsStarted)
			assert.Equal(t, int64(2), m.Stopped)

			time.Sleep(mipush.DefaultQuotaProbeInterval - time.Second)
			_, err = b.PushToRegID(ctx, ids, note(5))
			requireShared(t, err)
			assert.Equal(t, int64(2), srv.Count())

			// Both stops end now. B probes first and is refused: it
			// shares the new end, which A honours without probing.
			time.Sleep(time.Second)
			_, err = b.PushToRegID(ctx, ids, note(6))
			requireQuotaAnswer(t, err, 0, 0)
			assert.Equal(t, int64(3), srv.Count())
			until, ok = sh.stored(app, "")
			require.True(t, ok)
			assert.Equal(t, time.Now().Add(mipush.DefaultQuotaProbeInterval), until)
			_, err = a.PushToRegID(ctx, ids, note(7))
			requireStopped(t, err)
			assert.Contains(t, err.Error(), until.UTC().Format(time.RFC3339), "A waits for B's next probe")
			assert.Equal(t, int64(3), srv.Count(), "A did not probe")
			assert.Equal(t, int64(1), a.Metrics().StopsStarted, "A's stop was extended, not started again")

			// A new quota day: A's probe succeeds and clears the shared
			// stop; B's own probe then succeeds too.
			srv.SetQuota("", mipushtest.Quota{Limit: -1})
			time.Sleep(mipush.DefaultQuotaProbeInterval)
			_, err = a.PushToRegID(ctx, ids, note(8))
			require.NoError(t, err)
			_, ok = sh.stored(app, "")
			assert.False(t, ok, "the success cleared the shared stop")
			_, err = b.PushToRegID(ctx, ids, note(9))
			require.NoError(t, err)
			require.NoError(t, b.PushToRegIDAsync(ctx, ids, note(10)))
			require.NoError(t, b.Flush(ctx))
			assert.Equal(t, int64(6), srv.Count())
			for _, c := range []*mipush.Client{a, b} {
				m := c.Metrics()
				assert.Zero(t, m.Stops)
				assert.Equal(t, int64(1), m.StopsEnded)
			}
		})
	})
}

// A stop another client shares while this one holds an older stop of the
// class moves this one's end, and a client's Unblock clears the shared
// stop for clients that have not yet stopped the class.
func TestSharedStopExtendsAndUnblockClears(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		sh := newSharedStops()
		srv, a := inMemoryPair(t, false, mipush.Options{Conns: 1, Limiter: sh, Logger: logger})
		app := mipush.AppDigest("s")
		ctx := context.Background()
		ids := []string{"r"}
		srv.ExhaustQuota("news")

		// Another process shares a stop of "news" for an hour.
		sh.ShareStop(app, "news", time.Now().Add(time.Hour))
		_, err := a.PushToRegID(ctx, ids, onChannel(1, "news"))
		requireShared(t, err)
		assert.Contains(t, err.Error(), `channel) "news"`)
		assert.Zero(t, srv.Count())

		// The other process probes and is refused: it shares a later end.
		sh.ShareStop(app, "news", time.Now().Add(2*time.Hour))
		time.Sleep(time.Hour)
		_, err = a.PushToRegID(ctx, ids, onChannel(2, "news"))
		requireShared(t, err)
		assert.Zero(t, srv.Count(), "the end moved: no probe")

		// Unblock lifts A's stop and the shared one.
		a.Unblock()
		_, ok := sh.stored(app, "news")
		assert.False(t, ok, "Unblock cleared the shared stop")
		_, err = a.PushToRegID(ctx, ids, onChannel(3, "news"))
		requireQuotaAnswer(t, err, 0, 0)
		assert.Equal(t, int64(1), srv.Count())
		_, err = a.PushToRegID(ctx, ids, onChannel(4, "news"))
		requireStopped(t, err)
		_, ok = sh.stored(app, "news")
		assert.True(t, ok, "the new answer is shared")

		mu.Lock()
		out := buf.String()
		mu.Unlock()
		assert.Contains(t, out, `level=WARN msg="mipush: client-side stop started, shared by another client" scope="message class" class=news probe_in=1h0m0s`)
		assert.Contains(t, out, `level=DEBUG msg="mipush: client-side stop extended by another client" scope="message class" class=news probe_in=1h0m0s`)
		assert.Contains(t, out, `by=Unblock`)
	})
}

// Wrong-secret stops stay local, and with DisableFailFast the client
// neither shares stops nor honours them.
func TestStopSharingLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sh := newSharedStops()
		srv, a := inMemoryPair(t, false, mipush.Options{Conns: 1, Limiter: sh, MaxAttempts: 1})
		ctx := context.Background()
		srv.SetSecrets("other")
		_, err := a.PushToRegID(ctx, []string{"r"}, note(1))
		require.True(t, mipush.IsAuth(err))
		_, err = a.PushToRegID(ctx, []string{"r"}, note(2))
		require.ErrorIs(t, err, mipush.ErrStopped)
		shares, _, _ := sh.calls()
		assert.Zero(t, shares, "a wrong secret is not shared")

		srv.SetSecrets("s")
		srv.ExhaustQuota("")
		_, _, before := sh.calls()
		off := clientOf(t, srv, mipush.Options{Conns: 1, Limiter: sh, DisableFailFast: true})
		_, err = off.PushToRegID(ctx, []string{"r"}, note(3))
		requireQuotaAnswer(t, err, 0, 0)
		shares, _, _ = sh.calls()
		assert.Zero(t, shares, "DisableFailFast shares nothing")
		sh.ShareStop(mipush.AppDigest("s"), "", time.Now().Add(time.Hour))
		_, err = off.PushToRegID(ctx, []string{"r"}, note(4))
		requireQuotaAnswer(t, err, 0, 0)
		_, _, lookups := sh.calls()
		assert.Equal(t, before, lookups, "and asks nothing")
	})
}

// Many senders of two clients sharing a stop: every send is refused at
// once, none reaches the server, and B adopts the stop once.
func TestSharedStopConcurrentSenders(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		sh := newSharedStops()
		srv, a := newPair(t, h2, mipush.Options{Conns: 2, Limiter: sh})
		b := mipush.NewClient(mipush.Options{
			AppSecret: "test-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), Conns: 2, Limiter: sh,
		})
		defer func() { require.NoError(t, b.Close()) }()
		ctx := context.Background()
		srv.ExhaustQuota("")
		_, err := a.PushToRegID(ctx, []string{"r"}, note(0))
		requireQuotaAnswer(t, err, 0, 0)

		const senders, each = 8, 50
		var wg sync.WaitGroup
		errs := make(chan error, senders*each)
		for g := range senders {
			c := a
			if g%2 == 1 {
				c = b
			}
			wg.Go(func() {
				for i := range each {
					errs <- c.PushToRegIDAsync(ctx, []string{"r"}, note(i))
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			requireStopped(t, err)
		}
		assert.Equal(t, int64(1), srv.Count(), "only A's first send reached the server")
		assert.Equal(t, int64(1), b.Metrics().StopsStarted)
		assert.Equal(t, int64(senders*each/2), b.Metrics().Stopped)
	})
}
