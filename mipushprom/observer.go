// Package mipushprom exposes a mipush client's work as Prometheus metrics:
// an Observer (mipush.Options.Observer) that counts and times every
// finished call and every connection, and a Collector that reads the
// client's gauges (mipush.Client.Metrics) at each scrape.
//
//	obs := mipushprom.NewObserver(mipushprom.Options{})
//	client := mipush.NewClient(mipush.Options{AppSecret: secret, Observer: obs})
//	prometheus.MustRegister(obs, mipushprom.NewCollector(client, mipushprom.Options{}))
//	http.Handle("/metrics", promhttp.Handler())
//
// Labels have bounded values: no registration id, alias, topic or message
// id appears in them, and the endpoint label takes at most
// Options.MaxEndpoints distinct paths (the library calls about thirty),
// "other" beyond.
//
// # Metrics
//
// From the Observer, with the namespace "mipush":
//
//	mipush_requests_total{endpoint,outcome,code_class}   counter
//	mipush_request_duration_seconds{endpoint,outcome}    histogram, acceptance to outcome, retries included
//	mipush_request_retries_total{endpoint}               counter, attempts after the first
//	mipush_connections_opened_total{protocol}            counter
//	mipush_connections_closed_total{protocol,reason}     counter; reason "retired" or "error"
//
// outcome is one of "ok"; "api_error" (the server answered with an error
// code); "maybe_processed" (the connection broke after the request was
// written); "stopped" (failed fast, unsent, because an earlier answer
// stopped the app's sends: a wrong secret or the daily quota); "failed"
// (anything else: dial errors, timeouts before writing, Close).
// code_class is empty except for "api_error" and "stopped": "auth",
// "quota", "too_frequent", "server" (busy and other retryable codes, HTTP
// 5xx), "invalid_target", or "client" (every other code, mostly bad
// input).
//
// From a Collector, read from mipush.Client.Metrics:
//
//	mipush_connections_open, mipush_requests_in_flight, mipush_sends_pending,
//	mipush_retry_budget_tokens, mipush_window                gauges
//	mipush_connections_dialled_total, mipush_connections_recycled_total,
//	mipush_dial_errors_total, mipush_requests_requeued_total,
//	mipush_sends_stopped_total                               counters
//
// Sends refused at once because an earlier answer stopped the app's sends
// are not accepted calls, so the Observer does not see them;
// mipush_sends_stopped_total counts them.
package mipushprom

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mipush-go/mipush"
)

// Defaults of Options.
const (
	DefaultNamespace    = "mipush"
	DefaultMaxEndpoints = 64
)

// DefaultBuckets are the request latency buckets, in seconds: 5ms to 30s,
// for answers on a fast link up to sends retried after a slow server.
var DefaultBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Options configures an Observer or a Collector.
type Options struct {
	// Namespace prefixes every metric name; "" means DefaultNamespace.
	Namespace string
	// ConstLabels are added to every metric, for example to tell the
	// clients of one process apart.
	ConstLabels prometheus.Labels
	// Buckets of the latency histogram; nil means DefaultBuckets.
	Buckets []float64
	// MaxEndpoints bounds the distinct values of the endpoint label;
	// 0 means DefaultMaxEndpoints.
	MaxEndpoints int
}

func (o Options) namespace() string {
	if o.Namespace == "" {
		return DefaultNamespace
	}
	return o.Namespace
}

// Observer is a mipush.Observer that records calls and connections as
// Prometheus metrics. It is a prometheus.Collector: register it. Its
// methods are safe for concurrent use and do not block.
type Observer struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	opened   *prometheus.CounterVec
	closed   *prometheus.CounterVec

	maxEndpoints int
	mu           sync.RWMutex
	endpoints    map[string]struct{}
}

var _ mipush.Observer = (*Observer)(nil)

// NewObserver returns an Observer configured by opts.
func NewObserver(opts Options) *Observer {
	ns := opts.namespace()
	buckets := opts.Buckets
	if buckets == nil {
		buckets = DefaultBuckets
	}
	o := &Observer{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "requests_total", ConstLabels: opts.ConstLabels,
			Help: "Calls finished, by endpoint, outcome and class of the error code.",
		}, []string{"endpoint", "outcome", "code_class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "request_duration_seconds", ConstLabels: opts.ConstLabels, Buckets: buckets,
			Help: "Time from a call's acceptance to its outcome, retries included.",
		}, []string{"endpoint", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "request_retries_total", ConstLabels: opts.ConstLabels,
			Help: "Attempts after the first of finished calls, by endpoint.",
		}, []string{"endpoint"}),
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "connections_opened_total", ConstLabels: opts.ConstLabels,
			Help: "Connections established, by protocol.",
		}, []string{"protocol"}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "connections_closed_total", ConstLabels: opts.ConstLabels,
			Help: `Connections closed, by protocol and reason ("retired" or "error").`,
		}, []string{"protocol", "reason"}),
		maxEndpoints: opts.MaxEndpoints,
		endpoints:    make(map[string]struct{}),
	}
	if o.maxEndpoints <= 0 {
		o.maxEndpoints = DefaultMaxEndpoints
	}
	return o
}

// Describe implements prometheus.Collector.
func (o *Observer) Describe(ch chan<- *prometheus.Desc) {
	o.requests.Describe(ch)
	o.latency.Describe(ch)
	o.retries.Describe(ch)
	o.opened.Describe(ch)
	o.closed.Describe(ch)
}

// Collect implements prometheus.Collector.
func (o *Observer) Collect(ch chan<- prometheus.Metric) {
	o.requests.Collect(ch)
	o.latency.Collect(ch)
	o.retries.Collect(ch)
	o.opened.Collect(ch)
	o.closed.Collect(ch)
}

// RequestDone implements mipush.Observer.
func (o *Observer) RequestDone(ri mipush.RequestInfo) {
	endpoint := o.endpoint(ri.Path)
	outcome, class := Outcome(ri)
	o.requests.WithLabelValues(endpoint, outcome, class).Inc()
	o.latency.WithLabelValues(endpoint, outcome).Observe(ri.Latency.Seconds())
	if ri.Attempts > 1 {
		o.retries.WithLabelValues(endpoint).Add(float64(ri.Attempts - 1))
	}
}

// ConnOpened implements mipush.Observer.
func (o *Observer) ConnOpened(ci mipush.ConnInfo) {
	o.opened.WithLabelValues(protocol(ci.Protocol)).Inc()
}

// ConnClosed implements mipush.Observer.
func (o *Observer) ConnClosed(ci mipush.ConnInfo, err error) {
	reason := "retired"
	if err != nil {
		reason = "error"
	}
	o.closed.WithLabelValues(protocol(ci.Protocol), reason).Inc()
}

// endpoint bounds the endpoint label: the first MaxEndpoints paths seen
// keep their name, later ones are "other".
func (o *Observer) endpoint(path string) string {
	o.mu.RLock()
	_, ok := o.endpoints[path]
	o.mu.RUnlock()
	if ok {
		return path
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.endpoints[path]; ok {
		return path
	}
	if len(o.endpoints) >= o.maxEndpoints {
		return "other"
	}
	o.endpoints[path] = struct{}{}
	return path
}

func protocol(p string) string {
	switch p {
	case "h2", "http/1.1":
		return p
	}
	return "other"
}

// Outcome returns the outcome and code_class labels of a finished call
// (see the package documentation).
func Outcome(ri mipush.RequestInfo) (outcome, codeClass string) {
	err := ri.Err
	if err == nil {
		return "ok", ""
	}
	if errors.Is(err, mipush.ErrMaybeProcessed) {
		return "maybe_processed", ""
	}
	var ae *mipush.APIError
	if !errors.As(err, &ae) {
		return "failed", ""
	}
	outcome = "api_error"
	if ri.Attempts == 0 {
		// An answer's code, but the call never reached the server: an
		// earlier answer stopped the app's sends.
		outcome = "stopped"
	}
	return outcome, CodeClass(ae)
}

// CodeClass returns the code_class label of an error answer.
func CodeClass(ae *mipush.APIError) string {
	switch {
	case mipush.IsAuth(ae):
		return "auth"
	case mipush.IsQuotaExceeded(ae):
		return "quota"
	}
	switch mipush.Code(ae.Code) {
	case mipush.CodeTooFrequent, mipush.CodeTotalTooFrequent, mipush.CodeStatsTooFrequent,
		mipush.CodeBroadcastTooFrequent, mipush.CodeAccountTooFrequent:
		return "too_frequent"
	}
	if ae.HTTPStatus >= 500 || mipush.Code(ae.Code).Retryable() {
		return "server"
	}
	if mipush.IsInvalidTarget(ae) {
		return "invalid_target"
	}
	return "client"
}
