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
			benchSends(b, nil, func(ctx context.Context, c *Client, i int) error {
				return c.PushToRegIDAsync(ctx, ids, m)
			})
		})
	}
}

// BenchmarkSendValue measures what a per-send value costs: an async send
// of one regid by PushToRegIDAsync, by SendAsync without a value and with
// a pointer as its value, and (the caller's cost, not the client's) with
// an int, which Go boxes in an allocation of its own above 255. The
// invalid-targets row sets Options.OnInvalidTargets too: a success
// without bad regids must cost nothing more.
//
//	go test -run '^$' -bench SendValue -benchtime 20000x
func BenchmarkSendValue(b *testing.B) {
	m := benchMessage()
	ids := []string{"regid-0123456789abcdef"}
	target := Target{Kind: TargetRegID, IDs: ids}
	rows := make([]int, 1024) // the caller's records
	b.Run("PushToRegIDAsync", func(b *testing.B) {
		benchSends(b, nil, func(ctx context.Context, c *Client, i int) error {
			return c.PushToRegIDAsync(ctx, ids, m)
		})
	})
	b.Run("PushToRegIDAsync/OnInvalidTargets", func(b *testing.B) {
		set := func(o *Options) { o.OnInvalidTargets = func(*InvalidTargets) {} }
		benchSends(b, set, func(ctx context.Context, c *Client, i int) error {
			return c.PushToRegIDAsync(ctx, ids, m)
		})
	})
	b.Run("SendAsync/value=nil", func(b *testing.B) {
		benchSends(b, nil, func(ctx context.Context, c *Client, i int) error {
			return c.SendAsync(ctx, Send{Target: target, Message: m})
		})
	})
	b.Run("SendAsync/value=pointer", func(b *testing.B) {
		benchSends(b, nil, func(ctx context.Context, c *Client, i int) error {
			return c.SendAsync(ctx, Send{Target: target, Message: m, Value: &rows[i%len(rows)]})
		})
	})
	b.Run("SendAsync/value=int", func(b *testing.B) {
		benchSends(b, nil, func(ctx context.Context, c *Client, i int) error {
			return c.SendAsync(ctx, Send{Target: target, Message: m, Value: 1000 + i})
		})
	})
}

// benchSends runs b.N async sends made by send on one HTTP/1.1 connection
// at RTT 0 with only OnError set, then a Flush, and reports client CPU per
// send beside allocs/op. The message is built outside the timed part.
func benchSends(b *testing.B, set func(*Options), send func(ctx context.Context, c *Client, i int) error) {
	opts := startBenchServer(b, false, 0)
	var failed atomic.Int64
	opts.Conns = 1
	opts.OnError = func(*SendError) { failed.Add(1) }
	if set != nil {
		set(&opts)
	}
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
	endAsyncRun(ctx, b, c, cpu0, &failed)
}
