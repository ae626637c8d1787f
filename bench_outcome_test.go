package mipush

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkAsyncTargets measures an async send to 1 and to 1000 regids on
// one HTTP/1.1 connection: what keeping the ids that went on the wire for
// the outcome costs beside encoding and sending them.
//
//	go test -run '^$' -bench AsyncTargets -benchtime 20000x
func BenchmarkAsyncTargets(b *testing.B) {
	for _, n := range []int{1, 1000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = "regid-0123456789abcdef-" + strconv.Itoa(i)
		}
		m := benchMessage()
		b.Run("ids="+strconv.Itoa(n), func(b *testing.B) {
			benchSends(b, func(ctx context.Context, c *Client, i int) error {
				return c.PushToRegIDAsync(ctx, ids, m)
			})
		})
	}
}

// benchSends runs b.N async sends made by send on one HTTP/1.1 connection
// at RTT 0 with only OnError set, then a Flush, and reports client CPU per
// send beside allocs/op. The message is built outside the timed part.
func benchSends(b *testing.B, send func(ctx context.Context, c *Client, i int) error) {
	opts := startBenchServer(b, false, 0)
	var failed atomic.Int64
	opts.Conns = 1
	opts.OnError = func(*SendError) { failed.Add(1) }
	c := NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	for i := range 512 { // dial the connection and grow the buffers
		if err := send(ctx, c, i); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		if err := send(ctx, c, i); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}
