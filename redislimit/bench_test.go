package redislimit_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/redislimit"
)

// BenchmarkWait is the cost of one request's turn: with the in-process
// token bucket that Options.RateLimit uses, and with the Redis Limiter
// reserving in batches (the default MaxBatch at quotas of 320/s and more)
// or asking Redis for every request. The limits are set far above the
// benchmark's speed, so the figures are the limiter's overhead, not its
// pacing. roundtrips/op counts the Redis scripts run per request.
func BenchmarkWait(b *testing.B) {
	ctx := context.Background()
	app := mipush.AppDigest("bench-secret")
	b.Run("local", func(b *testing.B) {
		l := rate.NewLimiter(1e9, 1e6)
		b.ReportAllocs()
		for b.Loop() {
			if err := l.WaitN(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, batch := range []int{redislimit.DefaultMaxBatch, 1} {
		name := "redis/batch=1"
		if batch > 1 {
			name = "redis/batch=32"
		}
		b.Run(name, func(b *testing.B) {
			r := startRedis(b)
			rdb := r.client(b)
			l, err := redislimit.New(rdb, redislimit.Options{Rate: 1e7, Burst: 1e5, MaxBatch: batch})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			before := evalCalls(b, rdb)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := l.Wait(ctx, app, 1); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(evalCalls(b, rdb)-before)/float64(n), "roundtrips/op")
			if !l.Shared() {
				b.Fatal("the Limiter fell back to its local limit")
			}
		})
	}
}

// BenchmarkWaitAt3000 paces one instance at 3000 requests per second, an
// app's highest quota, and reports the CPU time the process spends per
// request (cpu-ns/op; the limiter and, for Redis, its client and the
// redis-server started for the test, if any, are on the same machine but
// only this process is counted), beside the wall time, which is the pace.
func BenchmarkWaitAt3000(b *testing.B) {
	ctx := context.Background()
	app := mipush.AppDigest("bench-secret")
	run := func(b *testing.B, wait func() error) {
		cpu0 := cpuTime()
		n := 0
		for b.Loop() {
			if err := wait(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
	}
	b.Run("local", func(b *testing.B) {
		l := rate.NewLimiter(3000, 300)
		l.AllowN(time.Now(), 300) // start with an empty bucket
		run(b, func() error { return l.WaitN(ctx, 1) })
	})
	b.Run("redis", func(b *testing.B) {
		r := startRedis(b)
		r.flush(b)
		l, err := redislimit.New(r.client(b), redislimit.Options{Rate: 3000})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		run(b, func() error { return l.Wait(ctx, app, 1) })
	})
}

// cpuTime is the CPU time (user and system) of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
