package main

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush"
)

// benchSecret is the app secret every bench client sends.
const benchSecret = "bench-secret"

// syncCallers is how many goroutines the blocking rows send from.
const syncCallers = 64

// warmSends is how many sends warm a client up before it is measured: its
// connections are dialled and its buffers grown.
const warmSends = 512

// benchSend is one message of the bench, built before any measurement starts.
type benchSend struct {
	regIDs []string
	msg    mipush.Message
}

// buildSends returns n one-regid sends of a typical notification, each
// with its own regid and text.
func buildSends(n int, prefix string) []benchSend {
	s := make([]benchSend, n)
	for i := range s {
		id := strconv.Itoa(i)
		s[i] = benchSend{
			regIDs: []string{prefix + "regid-" + id},
			msg: mipush.Message{
				RestrictedPackageName: "com.example.bench",
				Title:                 "Your order has shipped",
				Description:           "Order " + id + " left our warehouse and arrives on Friday.",
				Payload:               `{"type":"order_shipped","order_id":"` + id + `","url":"https://shop.example.com/orders/` + id + `"}`,
				NotifyType:            mipush.NotifyDefaultAll,
			},
		}
	}
	return s
}

// outcomes counts the outcomes of a run and records each one's latency.
type outcomes struct {
	lat    *latencies
	index  map[*mipush.Message]int // nil: latency not tracked
	ok     atomic.Int64
	failed atomic.Int64
	mu     sync.Mutex
	first  error
}

func newOutcomes(sends []benchSend, track bool) *outcomes {
	o := &outcomes{lat: newLatencies(len(sends))}
	if track {
		o.index = make(map[*mipush.Message]int, len(sends))
		for i := range sends {
			o.index[&sends[i].msg] = i
		}
	}
	return o
}

// succeeded records the success of msg (warm-up messages are not indexed).
func (o *outcomes) succeeded(msg *mipush.Message) {
	if i, ok := o.index[msg]; ok {
		o.lat.end(i)
		o.ok.Add(1)
	}
}

// fail records a failure; the first is kept for the report.
func (o *outcomes) fail(err error) {
	if o.failed.Add(1) == 1 {
		o.mu.Lock()
		o.first = err
		o.mu.Unlock()
	}
}

// err returns the first failure, described, or nil.
func (o *outcomes) err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.first == nil {
		return nil
	}
	return fmt.Errorf("%d sends failed, the first with: %w", o.failed.Load(), o.first)
}

// libraryOptions returns the client options of a library row.
func libraryOptions(ep benchEndpoint, conns, window int) mipush.Options {
	return mipush.Options{
		AppSecret: benchSecret,
		Host:      ep.host,
		TLSConfig: ep.tls,
		Conns:     conns,
		Window:    window,
	}
}

// runAsync sends every message with PushToRegIDAsync, as fast as the
// client accepts them, and waits for every outcome. With track, OnSuccess
// records each latency; without, only OnError is set, the leanest use.
func runAsync(ctx context.Context, ep benchEndpoint, conns, window int, sends []benchSend, track bool) (sample, error) {
	// A full window on every connection: connections the pool opens under
	// load are then open before the measurement, as in a client that has
	// been sending for a while.
	warm := max(warmSends, cmp.Or(conns, mipush.DefaultConns)*cmp.Or(window, mipush.DefaultWindow))
	return runAsyncWith(ctx, ep, libraryOptions(ep, conns, window), warm, 0, sends, track)
}

// runLimited is runAsync with default options under a request-rate limit
// of limit per second, with or without batching; offered, if positive, is
// the rate at which messages are sent.
func runLimited(ctx context.Context, ep benchEndpoint, limit float64, batch bool, offered float64, sends []benchSend, track bool) (sample, error) {
	opts := libraryOptions(ep, 0, 0)
	opts.RateLimit = limit
	opts.Batch.Enabled = batch
	// Enough to dial and to spend the limit's burst (a tenth of a
	// second's requests) twice over, so the run is measured at the limit.
	warm := max(200, int(limit/5))
	if batch {
		warm *= mipush.DefaultBatchMessages
	}
	return runAsyncWith(ctx, ep, opts, warm, offered, sends, track)
}

// runAsyncWith is runAsync with opts, warm warm-up sends and, if offered
// is positive, sends paced at offered per second.
func runAsyncWith(ctx context.Context, ep benchEndpoint, opts mipush.Options, warm int, offered float64, sends []benchSend, track bool) (sample, error) {
	o := newOutcomes(sends, track)
	opts.OnError = func(e *mipush.SendError) { o.fail(e) }
	if track {
		opts.OnSuccess = func(r *mipush.SendResult) { o.succeeded(r.Message) }
	}
	c := mipush.NewClient(opts)
	defer c.Close()
	for _, w := range buildSends(warm, "warm-") {
		if err := c.PushToRegIDAsync(ctx, w.regIDs, &w.msg); err != nil {
			return sample{}, err
		}
	}
	if err := c.Flush(ctx); err != nil {
		return sample{}, err
	}
	if err := o.err(); err != nil {
		return sample{}, fmt.Errorf("warming up: %w", err)
	}

	m := startMeter(ep)
	t0 := time.Now()
	for i := range sends {
		if offered > 0 {
			if ahead := time.Until(t0.Add(time.Duration(float64(i) / offered * float64(time.Second)))); ahead > time.Millisecond {
				time.Sleep(ahead)
			}
		}
		o.lat.begin(i)
		if err := c.PushToRegIDAsync(ctx, sends[i].regIDs, &sends[i].msg); err != nil {
			return sample{}, err
		}
	}
	if err := c.Flush(ctx); err != nil {
		return sample{}, err
	}
	s := m.stop(len(sends))
	s.failed = int(o.failed.Load())
	if track {
		o.lat.percentiles(&s)
	}
	return s, o.err()
}

// runBlocking sends every message from syncCallers goroutines, each
// sending one message at a time with do, and records each latency.
func runBlocking(ctx context.Context, ep benchEndpoint, sends []benchSend, warm func() error, do func(*benchSend) error) (sample, error) {
	o := newOutcomes(sends, false)
	if err := warm(); err != nil {
		return sample{}, fmt.Errorf("warming up: %w", err)
	}
	m := startMeter(ep)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range syncCallers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(sends) {
					return
				}
				o.lat.begin(i)
				if err := do(&sends[i]); err != nil {
					o.fail(err)
					continue
				}
				o.lat.end(i)
			}
		})
	}
	wg.Wait()
	s := m.stop(len(sends))
	if err := ctx.Err(); err != nil {
		return s, err
	}
	s.failed = int(o.failed.Load())
	o.lat.percentiles(&s)
	return s, o.err()
}

// runSync sends every message with PushToRegID from syncCallers
// goroutines, with the default options.
func runSync(ctx context.Context, ep benchEndpoint, window int, sends []benchSend) (sample, error) {
	c := mipush.NewClient(libraryOptions(ep, 0, window))
	defer c.Close()
	warm := func() error {
		return runParallel(buildSends(warmSends, "warm-"), func(w *benchSend) error {
			_, err := c.PushToRegID(ctx, w.regIDs, &w.msg)
			return err
		})
	}
	return runBlocking(ctx, ep, sends, warm, func(s *benchSend) error {
		_, err := c.PushToRegID(ctx, s.regIDs, &s.msg)
		return err
	})
}

// runParallel runs do for every send from syncCallers goroutines and returns
// the first error.
func runParallel(sends []benchSend, do func(*benchSend) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, syncCallers)
	for g := range syncCallers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(sends) || errs[g] != nil {
					return
				}
				errs[g] = do(&sends[i])
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
