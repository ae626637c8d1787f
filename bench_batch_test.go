package mipush

import (
	"context"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchRateLimit is the request quota the batching benchmark sends under:
// between the 500 and 3000 requests per second Xiaomi grants an app.
const benchRateLimit = 1000

// BenchmarkBatchUnderRateLimit measures one-regid personalised sends (each
// message its own regid and text) under a request-rate limit of 1000
// requests per second, with batching off and on (default BatchOptions),
// on each protocol at RTT 0 and 20 ms. One op is one message; p50-ms and
// p99-ms are the latency from the Async call to the outcome (OnSuccess),
// waits for the rate limit included. Sent as fast as the client accepts
// them, messages queue wherever the bottleneck is (with batching on, the
// fake server); "offered=20000" sends at that rate instead, which the
// fake server sustains, to show the latency batching adds.
//
//	go test -run '^$' -bench BatchUnderRateLimit
func BenchmarkBatchUnderRateLimit(b *testing.B) {
	for _, rtt := range []time.Duration{0, 20 * time.Millisecond} {
		for _, h2 := range []bool{false, true} {
			for _, mode := range []struct {
				name    string
				on      bool
				offered float64
			}{{"batch=off", false, 0}, {"batch=on", true, 0}, {"batch=on/offered=20000", true, 20000}} {
				name := mode.name + "/" + protoName(h2) + "/rtt=" + rtt.String()
				b.Run(name, func(b *testing.B) { benchBatch(b, h2, rtt, mode.on, mode.offered) })
			}
		}
	}
}

func benchBatch(b *testing.B, h2 bool, rtt time.Duration, on bool, offered float64) {
	opts := startBenchServer(b, h2, rtt)
	opts.RateLimit = benchRateLimit
	opts.Batch.Enabled = on
	// Distinct messages, reused round-robin: more of them than can be in
	// flight (MaxPending), so each is in flight at most once at a time.
	msgs := make([]Message, 2*2*DefaultConns*DefaultWindow)
	ids := make([][]string, len(msgs))
	slot := make(map[*Message]int, len(msgs))
	for i := range msgs {
		id := strconv.Itoa(i)
		msgs[i] = *benchMessage()
		msgs[i].Description = "Order " + id + " left our warehouse and arrives on Friday."
		msgs[i].Payload = `{"type":"order_shipped","order_id":"` + id + `"}`
		ids[i] = []string{"regid-" + id}
		slot[&msgs[i]] = i
	}
	start := make([]time.Time, len(msgs))
	var lat []time.Duration // appended on the one callback goroutine
	var failed atomic.Int64
	opts.OnError = func(*SendError) { failed.Add(1) }
	opts.OnSuccess = func(r *SendResult) { lat = append(lat, time.Since(start[slot[r.Message]])) }
	c := NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	// Dial, grow the buffers and spend the rate limit's burst (a tenth of
	// a second's requests) twice over, so the run is measured at the limit.
	warm := benchRateLimit / 5
	if on {
		warm *= DefaultBatchMessages
	}
	for i := range warm {
		k := i % len(msgs)
		start[k] = time.Now()
		if err := c.PushToRegIDAsync(ctx, ids[k], &msgs[k]); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	lat = lat[:0]
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	t0 := time.Now()
	for i := range b.N {
		if offered > 0 {
			if ahead := time.Until(t0.Add(time.Duration(float64(i) / offered * 1e9))); ahead > time.Millisecond {
				time.Sleep(ahead)
			}
		}
		k := i % len(msgs)
		start[k] = time.Now()
		if err := c.PushToRegIDAsync(ctx, ids[k], &msgs[k]); err != nil {
			b.Fatal(err)
		}
	}
	endAsyncRun(ctx, b, c, cpu0, &failed)
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
	}
}
