package mipush_test

import (
	"bytes"
	"context"
	"errors"
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

// onChannel returns note(i) in the message class of channel.
func onChannel(i int, channel string) *mipush.Message {
	m := note(i)
	m.ChannelID = channel
	return m
}

// requireQuotaAnswer checks that err is the server's own 200001 answer
// with its numbers parsed, not a client-side stop.
func requireQuotaAnswer(t *testing.T, err error, limit, acked int64) {
	t.Helper()
	require.True(t, mipush.IsQuotaExceeded(err), "%v", err)
	require.False(t, errors.Is(err, mipush.ErrStopped), "the server answered: %v", err)
	var ae *mipush.APIError
	require.ErrorAs(t, err, &ae)
	require.NotNil(t, ae.Quota)
	assert.Equal(t, mipush.QuotaExceeded{Limit: limit, Acked: acked}, *ae.Quota)
}

// requireStopped checks that err is a client-side stop after a quota
// answer.
func requireStopped(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, mipush.ErrStopped)
	require.True(t, mipush.IsQuotaExceeded(err), "%v", err)
	assert.False(t, mipush.IsRetryable(err))
}

func TestQuotaStopsOnlyItsClass(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		ctx := context.Background()
		srv.SetQuota("", mipushtest.Quota{Limit: 100, Acked: 100})
		srv.SetQuota("public", mipushtest.Quota{Limit: 300, Acked: 300})

		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		requireQuotaAnswer(t, err, 100, 100)
		n := srv.Count()
		_, err = c.PushToRegID(ctx, []string{"r"}, note(2))
		requireStopped(t, err)
		assert.Contains(t, err.Error(), "default message class")
		assert.Equal(t, n, srv.Count(), "the stopped send was not sent")

		// Another class goes out: a private channel is unlimited.
		res, err := c.PushToRegID(ctx, []string{"r"}, onChannel(3, "orders"))
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
		require.NoError(t, c.PushToAliasAsync(ctx, []string{"a"}, onChannel(4, "orders")))
		require.NoError(t, c.Flush(ctx))
		// The class written as users read Xiaomi's docs, in Extra, counts too.
		viaExtra := note(40)
		viaExtra.Extra = map[string]string{"channel_id": "orders"}
		_, err = c.PushToRegID(ctx, []string{"r"}, viaExtra)
		require.NoError(t, err)
		reqs := srv.RequestsTo("/v3/message/regid")
		assert.Equal(t, "orders", reqs[len(reqs)-1].Form.Get("extra.channel_id"))

		// A public class over its own quota stops on its own.
		_, err = c.PushToTopic(ctx, "news", onChannel(5, "public"))
		requireQuotaAnswer(t, err, 300, 300)
		_, err = c.PushToTopic(ctx, "news", onChannel(6, "public"))
		requireStopped(t, err)
		assert.Contains(t, err.Error(), `channel) "public"`)
		_, err = c.PushToTopic(ctx, "news", onChannel(7, "orders"))
		require.NoError(t, err)

		// Calls other than single sends are never stopped for quota.
		n = srv.Count()
		_, err = c.Stats(ctx, "com.example.app", time.Now().AddDate(0, 0, -2), time.Now())
		require.NoError(t, err)
		_, err = c.TraceMessage(ctx, res.ID)
		require.NoError(t, err)
		_, err = c.RevokeRegIDs(ctx, "com.example.app", 7, []string{"r"})
		require.NoError(t, err)
		_, err = c.Channels(ctx)
		require.NoError(t, err)
		_, err = c.SubscribeRegIDs(ctx, []string{"r"}, "news", nil)
		require.NoError(t, err)
		_, err = c.AliasesOf(ctx, "com.example.app", "r")
		require.NoError(t, err)
		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "r", Message: onChannel(8, "orders")}}, time.Time{})
		require.NoError(t, err)
		assert.Equal(t, n+7, srv.Count(), "every non-send call reached the server")

		// A quota answer to a call other than a single send stops nothing.
		srv.FailPath("/v1/trace/message/status", mipushtest.ErrorAnswer(200001, "exceed quota, quota: 1, have acked: 1"))
		for range 2 {
			_, err = c.TraceMessage(ctx, res.ID)
			requireQuotaAnswer(t, err, 1, 1)
		}
		// 10034, the older quota code, stops its class like 200001.
		srv.FailTarget("legacy-target", mipushtest.ErrorAnswer(10034, ""))
		_, err = c.PushToRegID(ctx, []string{"legacy-target"}, onChannel(11, "legacy"))
		requireQuotaAnswer(t, err, -1, -1)
		_, err = c.PushToRegID(ctx, []string{"r"}, onChannel(12, "legacy"))
		requireStopped(t, err)
		srv.ClearFaults()
		assert.Equal(t, n+10, srv.Count())

		// Another app's default class is not stopped either.
		srv.SetQuota("", mipushtest.Quota{Limit: -1})
		_, err = c.WithSecret("other-app").PushToRegID(ctx, []string{"r"}, note(9))
		require.NoError(t, err)

		m := c.Metrics()
		assert.Equal(t, 3, m.Stops)
		assert.Equal(t, int64(3), m.StopsStarted)
		assert.Zero(t, m.StopsEnded)

		c.Unblock()
		m = c.Metrics()
		assert.Zero(t, m.Stops)
		assert.Equal(t, int64(3), m.StopsEnded)
		_, err = c.PushToRegID(ctx, []string{"r"}, note(10))
		require.NoError(t, err, "Unblock lifts every class's stop")
	})
}

func TestQuotaStopProbesAfterInterval(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		synctest.Test(t, func(t *testing.T) {
			srv, c := inMemoryPair(t, h2, mipush.Options{Conns: 1})
			ctx := context.Background()
			srv.ExhaustQuota("")
			_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
			requireQuotaAnswer(t, err, 0, 0)

			time.Sleep(mipush.DefaultQuotaProbeInterval - time.Second)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(2))
			requireStopped(t, err)
			assert.Equal(t, int64(1), srv.Count())

			// After the interval one send probes; the quota answer
			// stops the class for another interval.
			time.Sleep(time.Second)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(3))
			requireQuotaAnswer(t, err, 0, 0)
			assert.Equal(t, int64(2), srv.Count())
			_, err = c.PushToRegID(ctx, []string{"r"}, note(4))
			requireStopped(t, err)
			assert.Equal(t, int64(2), srv.Count())

			// A new quota day: the next probe succeeds and lifts the stop.
			srv.SetQuota("", mipushtest.Quota{Limit: -1})
			time.Sleep(mipush.DefaultQuotaProbeInterval)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(5))
			require.NoError(t, err)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(6))
			require.NoError(t, err)
			assert.Equal(t, int64(4), srv.Count())
			m := c.Metrics()
			assert.Equal(t, int64(1), m.StopsStarted, "a failed probe re-arms the stop, it does not start another")
			assert.Equal(t, int64(1), m.StopsEnded)
			assert.Zero(t, m.Stops)
		})
	})
}

func TestProbeIsOneRequest(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		synctest.Test(t, func(t *testing.T) {
			var mu sync.Mutex
			var errs []error
			srv, c := inMemoryPair(t, h2, mipush.Options{
				Conns: 2, QuotaProbeInterval: 10 * time.Second,
				OnError: func(e *mipush.SendError) { mu.Lock(); errs = append(errs, e); mu.Unlock() },
			})
			ctx := context.Background()
			srv.ExhaustQuota("")
			_, err := c.PushToRegID(ctx, []string{"r"}, note(0))
			requireQuotaAnswer(t, err, 0, 0)

			time.Sleep(10 * time.Second)
			const n = 20
			for i := range n {
				// Accepted while the stop is half-open, or refused at once
				// once the probe is out.
				if err := c.PushToRegIDAsync(ctx, []string{"r"}, note(i)); err != nil {
					requireStopped(t, err)
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
			require.NoError(t, c.Flush(ctx))
			assert.Equal(t, int64(2), srv.Count(), "exactly one probe went out")
			require.Len(t, errs, n)
			answered := 0
			for _, err := range errs {
				require.True(t, mipush.IsQuotaExceeded(err), "%v", err)
				if !errors.Is(err, mipush.ErrStopped) {
					answered++
				}
			}
			assert.Equal(t, 1, answered, "one probe answered by the server")
		})
	})
}

func TestProbeWithoutVerdictLetsTheNextProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c := inMemoryPair(t, false, mipush.Options{Conns: 1, MaxAttempts: 1})
		ctx := context.Background()
		srv.ExhaustQuota("")
		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		requireQuotaAnswer(t, err, 0, 0)
		time.Sleep(mipush.DefaultQuotaProbeInterval)

		// The probe meets "system busy": no verdict on the quota, so the
		// stop stays and the next send probes at once.
		srv.FailTarget("busy", mipushtest.ErrorAnswer(10002, "busy"))
		_, err = c.PushToRegID(ctx, []string{"busy"}, note(2))
		require.True(t, mipush.IsRetryable(err), "%v", err)
		_, err = c.PushToRegID(ctx, []string{"r"}, note(3))
		requireQuotaAnswer(t, err, 0, 0)
		assert.Equal(t, int64(3), srv.Count())
		assert.Equal(t, 1, c.Metrics().Stops)

		// A broken connection is no verdict either.
		time.Sleep(mipush.DefaultQuotaProbeInterval)
		srv.FailTarget("drop", &mipushtest.Answer{Action: mipushtest.Drop})
		_, err = c.PushToRegID(ctx, []string{"drop"}, note(4))
		require.ErrorIs(t, err, mipush.ErrMaybeProcessed)
		srv.SetQuota("", mipushtest.Quota{Limit: -1})
		_, err = c.PushToRegID(ctx, []string{"r"}, note(5))
		require.NoError(t, err)
		assert.Zero(t, c.Metrics().Stops)
	})
}

func TestAuthStopProbes(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		synctest.Test(t, func(t *testing.T) {
			srv, c := inMemoryPair(t, h2, mipush.Options{Conns: 1, AuthProbeInterval: 3 * time.Minute})
			srv.SetSecrets("rotated")
			ctx := context.Background()
			_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
			require.True(t, mipush.IsAuth(err), "%v", err)
			require.False(t, errors.Is(err, mipush.ErrStopped))

			// A wrong secret stops every call with it, not only sends.
			_, err = c.PushToRegID(ctx, []string{"r"}, onChannel(2, "orders"))
			require.ErrorIs(t, err, mipush.ErrStopped)
			assert.True(t, mipush.IsAuth(err))
			_, err = c.Stats(ctx, "com.example.app", time.Now().AddDate(0, 0, -1), time.Now())
			require.ErrorIs(t, err, mipush.ErrStopped)
			assert.NotContains(t, err.Error(), "rotated")
			assert.Equal(t, int64(1), srv.Count())

			// The probe after the interval is refused again: re-armed.
			time.Sleep(3 * time.Minute)
			_, err = c.TraceMessage(ctx, "slm1")
			require.True(t, mipush.IsAuth(err), "%v", err)
			require.False(t, errors.Is(err, mipush.ErrStopped), "the probe went out: %v", err)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(3))
			require.ErrorIs(t, err, mipush.ErrStopped)
			assert.Equal(t, int64(2), srv.Count())

			// The secret is accepted again: the next probe lifts the stop.
			srv.SetSecrets()
			time.Sleep(3 * time.Minute)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(4))
			require.NoError(t, err)
			_, err = c.Stats(ctx, "com.example.app", time.Now().AddDate(0, 0, -1), time.Now())
			require.NoError(t, err)
			m := c.Metrics()
			assert.Equal(t, int64(1), m.StopsStarted)
			assert.Equal(t, int64(1), m.StopsEnded)
			assert.Zero(t, m.Stops)
		})
	})
}

func TestProbeOfBothStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c := inMemoryPair(t, false, mipush.Options{Conns: 1, AuthProbeInterval: time.Minute})
		ctx := context.Background()
		srv.ExhaustQuota("")
		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		requireQuotaAnswer(t, err, 0, 0)

		// The quota probe meets a wrong secret: that stops the secret and
		// says nothing of the quota.
		time.Sleep(time.Minute)
		srv.SetSecrets("other")
		_, err = c.PushToRegID(ctx, []string{"r"}, note(2))
		require.True(t, mipush.IsAuth(err), "%v", err)
		assert.Equal(t, 2, c.Metrics().Stops)

		// One send probes both stops: the quota answer proves the secret
		// right (lifted) and the quota still spent (re-armed).
		srv.SetSecrets()
		time.Sleep(time.Minute)
		_, err = c.PushToRegID(ctx, []string{"r"}, note(3))
		requireQuotaAnswer(t, err, 0, 0)
		m := c.Metrics()
		assert.Equal(t, 1, m.Stops)
		assert.Equal(t, int64(1), m.StopsEnded)
		_, err = c.Stats(ctx, "com.example.app", time.Now().AddDate(0, 0, -1), time.Now())
		require.NoError(t, err, "the secret's stop is lifted")
		_, err = c.PushToRegID(ctx, []string{"r"}, note(4))
		requireStopped(t, err)
		assert.Equal(t, int64(4), srv.Count())
	})
}

func TestDisableFailFast(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, DisableFailFast: true, MaxAttempts: 1})
		ctx := context.Background()
		srv.SetQuota("", mipushtest.Quota{Limit: 5, Acked: 9})
		for i := range 3 {
			_, err := c.PushToRegID(ctx, []string{"r"}, note(i))
			requireQuotaAnswer(t, err, 5, 9)
		}
		srv.SetSecrets("other")
		for i := range 3 {
			_, err := c.PushToRegID(ctx, []string{"r"}, note(i))
			require.True(t, mipush.IsAuth(err))
			require.False(t, errors.Is(err, mipush.ErrStopped))
		}
		assert.Equal(t, int64(6), srv.Count(), "every send reached the server")
		assert.Zero(t, c.Metrics().StopsStarted)
	})
}

func TestStopLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelInfo}))
		srv, c := inMemoryPair(t, false, mipush.Options{Logger: logger, Conns: 1})
		ctx := context.Background()
		srv.ExhaustQuota("news")
		_, err := c.PushToRegID(ctx, []string{"r"}, onChannel(1, "news"))
		require.True(t, mipush.IsQuotaExceeded(err))
		srv.SetQuota("news", mipushtest.Quota{Limit: -1})
		time.Sleep(time.Minute)
		_, err = c.PushToRegID(ctx, []string{"r"}, onChannel(2, "news"))
		require.NoError(t, err)

		srv.SetSecrets("other")
		_, err = c.Stats(ctx, "com.example.app", time.Now().AddDate(0, 0, -1), time.Now())
		require.True(t, mipush.IsAuth(err))
		time.Sleep(time.Second)
		c.Unblock()

		mu.Lock()
		defer mu.Unlock()
		out := buf.String()
		assert.Contains(t, out, `level=WARN msg="mipush: client-side stop started" scope="message class" class=news code=200001 reason="exceed quota, quota: 0, have acked: 0" probe_in=1m0s`)
		assert.Contains(t, out, `level=INFO msg="mipush: client-side stop ended" scope="message class" class=news lasted=1m0s by=probe`)
		assert.Contains(t, out, `level=WARN msg="mipush: client-side stop started" scope="app secret" class="" code=21301 reason="Invalid application secret." probe_in=5m0s`)
		assert.Contains(t, out, `level=INFO msg="mipush: client-side stop ended" scope="app secret" class="" lasted=1s by=Unblock`)
	})
}

func TestChannelExceedQuotaDecoded(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		got := make(chan map[string]int64, 1)
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, OnSuccess: func(r *mipush.SendResult) {
			got <- r.Result.ChannelExceedQuota
		}})
		ctx := context.Background()
		batch := []mipush.TargetedMessage{
			{Target: "r1", Message: note(1)},
			{Target: "r2", Message: onChannel(2, "a")},
			{Target: "r3", Message: note(3)},
			{Target: "r4", Message: onChannel(4, "orders")},
		}
		res, err := c.PushMessagesToRegIDs(ctx, batch, time.Time{})
		require.NoError(t, err)
		assert.Nil(t, res.ChannelExceedQuota)

		srv.ExhaustQuota("")
		srv.ExhaustQuota("a")
		res, err = c.PushMessagesToRegIDs(ctx, batch, time.Time{})
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
		want := map[string]int64{"no_channel": 2, "a": 1}
		assert.Equal(t, want, res.ChannelExceedQuota)

		// The async path decodes it for OnSuccess too, and a batch is
		// never stopped by the stops its classes' single sends meet.
		_, err = c.PushToRegID(ctx, []string{"r"}, note(5))
		require.True(t, mipush.IsQuotaExceeded(err))
		require.NoError(t, c.PushMessagesToRegIDsAsync(ctx, batch, time.Time{}))
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, want, <-got)
	})
}
