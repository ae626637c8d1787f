package mipushprom_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushprom"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func note(i int) *mipush.Message {
	return &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Hi", Description: "message " + string(rune('a'+i))}
}

const send = "/v3/message/regid"

// A client's calls and connections show up in the Observer's and the
// Collector's metrics, with bounded labels.
func TestObserverAndCollector(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		name, proto := "h1", "http/1.1"
		if h2 {
			name, proto = "h2", "h2"
		}
		t.Run(name, func(t *testing.T) {
			srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
			defer srv.Close()
			obs := mipushprom.NewObserver(mipushprom.Options{})
			c := mipush.NewClient(mipush.Options{
				AppSecret: "test-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(),
				Conns: 1, Observer: obs, MaxAttempts: 2,
			})
			col := mipushprom.NewCollector(c, mipushprom.Options{})
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(obs, col)
			ctx := context.Background()

			// ok; busy then ok (one retry); an invalid target; a wrong
			// secret, then a send stopped by it.
			_, err := c.PushToRegID(ctx, []string{"r1"}, note(0))
			require.NoError(t, err)
			var n atomic.Int64
			srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
				if n.Add(1) == 1 {
					return mipushtest.ErrorAnswer(10002, "busy")
				}
				return nil
			})
			_, err = c.PushToRegID(ctx, []string{"r1"}, note(1))
			require.NoError(t, err)
			srv.SetHook(nil)
			srv.FailTarget("dead", mipushtest.ErrorAnswer(20301, "No valid targets!"))
			_, err = c.PushToRegID(ctx, []string{"dead"}, note(2))
			require.Error(t, err)
			srv.FailPath("/v2/message/topic", mipushtest.ErrorAnswer(21301, "Invalid application secret."))
			_, err = c.PushToTopic(ctx, "news", note(3))
			require.True(t, mipush.IsAuth(err))
			_, err = c.PushToRegID(ctx, []string{"r1"}, note(4))
			require.True(t, mipush.IsAuth(err), "stopped: %v", err)

			requests := func(endpoint, outcome, class string) float64 {
				return testutil.ToFloat64(counter(t, reg, "mipush_requests_total", map[string]string{
					"endpoint": endpoint, "outcome": outcome, "code_class": class}))
			}
			assert.Equal(t, 2.0, requests(send, "ok", ""))
			assert.Equal(t, 1.0, requests(send, "api_error", "invalid_target"))
			assert.Equal(t, 1.0, requests("/v2/message/topic", "api_error", "auth"))
			assert.Equal(t, 1.0, testutil.ToFloat64(counter(t, reg, "mipush_request_retries_total", map[string]string{"endpoint": send})))
			assert.Equal(t, 1.0, testutil.ToFloat64(counter(t, reg, "mipush_connections_opened_total", map[string]string{"protocol": proto})))

			// The latency histogram has one series per endpoint and outcome.
			assert.Equal(t, 3, testutil.CollectAndCount(obs, "mipush_request_duration_seconds"))
			lint, err := testutil.CollectAndLint(obs)
			require.NoError(t, err)
			assert.Empty(t, lint)

			expected := `
# HELP mipush_sends_stopped_total Sends failed fast, unsent, because an earlier answer stopped the app's sends.
# TYPE mipush_sends_stopped_total counter
mipush_sends_stopped_total 1
# HELP mipush_connections_open Connections open now, all hosts.
# TYPE mipush_connections_open gauge
mipush_connections_open 1
# HELP mipush_requests_in_flight Requests written to connections and not yet answered.
# TYPE mipush_requests_in_flight gauge
mipush_requests_in_flight 0
# HELP mipush_sends_pending Sends accepted and not yet finished, sync and async.
# TYPE mipush_sends_pending gauge
mipush_sends_pending 0
`
			// A sync send's caller may return a moment before the client
			// counts the send finished.
			require.Eventually(t, func() bool { m := c.Metrics(); return m.Pending == 0 && m.InFlight == 0 },
				5*time.Second, time.Millisecond)
			require.NoError(t, testutil.CollectAndCompare(col, strings.NewReader(expected),
				"mipush_sends_stopped_total", "mipush_connections_open", "mipush_requests_in_flight", "mipush_sends_pending"))
			budget := testutil.ToFloat64(only(t, col, "mipush_retry_budget_tokens"))
			assert.Equal(t, float64(mipush.DefaultRetryBudget-5), budget, "one retry (5 tokens); the bucket was full before")

			require.NoError(t, c.Close())
			require.Eventually(t, func() bool {
				return testutil.ToFloat64(counter(t, reg, "mipush_connections_closed_total",
					map[string]string{"protocol": proto, "reason": "retired"})) == 1
			}, 5*time.Second, time.Millisecond)
		})
	}
}

// counter returns the series of name with exactly labels, gathered from reg.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) prometheus.Collector {
	t.Helper()
	return &gathered{t: t, reg: reg, name: name, labels: labels}
}

// gathered is one series of a registry, as a Collector for testutil.
type gathered struct {
	t      *testing.T
	reg    *prometheus.Registry
	name   string
	labels map[string]string
}

func (g *gathered) Describe(chan<- *prometheus.Desc) {}

func (g *gathered) Collect(ch chan<- prometheus.Metric) {
	mfs, err := g.reg.Gather()
	require.NoError(g.t, err)
	for _, mf := range mfs {
		if mf.GetName() != g.name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(g.labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if g.labels[lp.GetName()] != lp.GetValue() {
					continue series
				}
			}
			desc := prometheus.NewDesc(g.name, "series", nil, nil)
			ch <- prometheus.MustNewConstMetric(desc, prometheus.UntypedValue, m.GetCounter().GetValue()+m.GetGauge().GetValue())
			return
		}
	}
	g.t.Errorf("no series %s%v", g.name, g.labels)
}

// only returns the one metric name of c.
func only(t *testing.T, c prometheus.Collector, name string) prometheus.Collector {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return counter(t, reg, name, map[string]string{})
}

// The endpoint label takes at most MaxEndpoints values.
func TestEndpointLabelIsBounded(t *testing.T) {
	obs := mipushprom.NewObserver(mipushprom.Options{MaxEndpoints: 2})
	for _, p := range []string{"/a", "/b", "/c", "/d", "/a"} {
		obs.RequestDone(mipush.RequestInfo{Method: "POST", Path: p, Latency: time.Millisecond, Attempts: 1})
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(obs)
	assert.Equal(t, 2.0, testutil.ToFloat64(counter(t, reg, "mipush_requests_total", map[string]string{"endpoint": "/a", "outcome": "ok", "code_class": ""})))
	assert.Equal(t, 2.0, testutil.ToFloat64(counter(t, reg, "mipush_requests_total", map[string]string{"endpoint": "other", "outcome": "ok", "code_class": ""})))
	assert.Equal(t, 3, testutil.CollectAndCount(obs, "mipush_requests_total"))
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		ri             mipush.RequestInfo
		outcome, class string
	}{
		{mipush.RequestInfo{Attempts: 1}, "ok", ""},
		{mipush.RequestInfo{Attempts: 1, Err: &mipush.SendError{Err: mipush.ErrMaybeProcessed}}, "maybe_processed", ""},
		{mipush.RequestInfo{Attempts: 1, Err: &mipush.APIError{Code: 10027}}, "api_error", "too_frequent"},
		{mipush.RequestInfo{Attempts: 3, Err: &mipush.APIError{Code: 10002}}, "api_error", "server"},
		{mipush.RequestInfo{Attempts: 1, Err: &mipush.APIError{HTTPStatus: 502}}, "api_error", "server"},
		{mipush.RequestInfo{Attempts: 1, Err: &mipush.APIError{Code: 200001}}, "api_error", "quota"},
		{mipush.RequestInfo{Attempts: 0, Err: &mipush.APIError{Code: 200001}}, "stopped", "quota"},
		{mipush.RequestInfo{Attempts: 1, Err: &mipush.APIError{Code: 10017}}, "api_error", "client"},
		{mipush.RequestInfo{Attempts: 0, Err: mipush.ErrClosed}, "failed", ""},
	} {
		o, c := mipushprom.Outcome(tc.ri)
		assert.Equal(t, tc.outcome, o, "%v", tc.ri.Err)
		assert.Equal(t, tc.class, c, "%v", tc.ri.Err)
	}
}
