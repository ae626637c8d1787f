package mipushprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mipush-go/mipush"
)

// Collector is a prometheus.Collector of one client's gauges and the
// counters the Observer does not see, read from mipush.Client.Metrics at
// each scrape.
type Collector struct {
	client *mipush.Client
	descs  []*prometheus.Desc
}

// The metrics of a Collector, in the order of Collector.descs.
var collected = []struct {
	name, help string
	kind       prometheus.ValueType
	value      func(m *mipush.Metrics) float64
}{
	{"connections_open", "Connections open now, all hosts.", prometheus.GaugeValue,
		func(m *mipush.Metrics) float64 { return float64(m.ConnsOpen) }},
	{"requests_in_flight", "Requests written to connections and not yet answered.", prometheus.GaugeValue,
		func(m *mipush.Metrics) float64 { return float64(m.InFlight) }},
	{"sends_pending", "Sends accepted and not yet finished, sync and async.", prometheus.GaugeValue,
		func(m *mipush.Metrics) float64 { return float64(m.Pending) }},
	{"retry_budget_tokens", "Retry tokens left; -1 when the budget is off.", prometheus.GaugeValue,
		func(m *mipush.Metrics) float64 { return float64(m.RetryBudget) }},
	{"window", "The in-flight limit of each connection.", prometheus.GaugeValue,
		func(m *mipush.Metrics) float64 { return float64(m.Window) }},
	{"connections_dialled_total", "Connections established.", prometheus.CounterValue,
		func(m *mipush.Metrics) float64 { return float64(m.ConnsDialled) }},
	{"connections_recycled_total", "Connections retired at their maximum age.", prometheus.CounterValue,
		func(m *mipush.Metrics) float64 { return float64(m.ConnsRecycled) }},
	{"dial_errors_total", "Failed dials and TLS handshakes.", prometheus.CounterValue,
		func(m *mipush.Metrics) float64 { return float64(m.DialErrors) }},
	{"requests_requeued_total", "Requests the server surely did not process, sent again.", prometheus.CounterValue,
		func(m *mipush.Metrics) float64 { return float64(m.Requeued) }},
	{"sends_stopped_total", "Sends failed fast, unsent, because an earlier answer stopped the app's sends.", prometheus.CounterValue,
		func(m *mipush.Metrics) float64 { return float64(m.Stopped) }},
}

// NewCollector returns a Collector for client; opts.Namespace and
// opts.ConstLabels apply, the other options do not.
func NewCollector(client *mipush.Client, opts Options) *Collector {
	c := &Collector{client: client}
	for _, m := range collected {
		c.descs = append(c.descs, prometheus.NewDesc(
			prometheus.BuildFQName(opts.namespace(), "", m.name), m.help, nil, opts.ConstLabels))
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.client.Metrics()
	for i, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d, collected[i].kind, collected[i].value(&m))
	}
}
