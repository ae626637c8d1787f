package mipush

import (
	"context"
	"runtime"
	"sync/atomic"
)

// dispatcher runs the OnError and OnSuccess callbacks on one goroutine of
// its own, in the order outcomes are decided, so that a slow callback never
// stalls a connection's reader.
//
// A callback may call the Client: a send that finds the window full, Flush
// and Close would then wait for outcomes that only this goroutine can
// deliver, so when they run on it they deliver queued outcomes themselves
// while they wait ("helping") and do not wait for the callbacks they were
// called from.
type dispatcher struct {
	e       *engine
	queue   chan *call
	stop    chan struct{}
	done    chan struct{}
	gid     atomic.Uint64 // the dispatcher goroutine's id
	nest    atomic.Int64  // callbacks running on the dispatcher goroutine
	helpers atomic.Int32  // waits on the dispatcher goroutine that need every decrement signalled
}

func (d *dispatcher) start(e *engine, capacity int) {
	d.e = e
	// Never full: it holds only async calls, and at most MaxPending exist.
	d.queue = make(chan *call, capacity)
	d.stop = make(chan struct{})
	d.done = make(chan struct{})
	go d.run()
}

func (d *dispatcher) run() {
	defer close(d.done)
	d.gid.Store(goroutineID())
	for {
		select {
		case c := <-d.queue:
			d.deliver(c)
		case <-d.stop:
			for {
				select {
				case c := <-d.queue:
					d.deliver(c)
				default:
					return
				}
			}
		}
	}
}

// push hands an async outcome to the dispatcher; it never blocks.
func (d *dispatcher) push(c *call) { d.queue <- c }

// deliver runs c's callback and then reports c as finished.
func (d *dispatcher) deliver(c *call) {
	d.nest.Add(1)
	if c.err != nil {
		d.e.s.OnError(&SendError{Message: c.msg, Target: c.target, Err: c.err, Attempts: c.tries(), JobKey: c.jobKey, Batched: c.batched})
	} else {
		d.e.s.OnSuccess(&SendResult{Message: c.msg, Target: c.target, Result: c.res, Attempts: c.tries(), JobKey: c.jobKey, Batched: c.batched})
	}
	d.nest.Add(-1)
	d.e.reported(c)
}

// depth is how many callbacks are running on the dispatcher goroutine.
func (d *dispatcher) depth() int64 { return d.nest.Load() }

// onDispatcher reports whether the caller runs inside a callback on the
// dispatcher goroutine. The goroutine id is looked up only while a callback
// is running, so the common path costs one atomic load.
func (d *dispatcher) onDispatcher() bool {
	return d.nest.Load() > 0 && goroutineID() == d.gid.Load()
}

// helpUntil delivers queued outcomes on the dispatcher goroutine until
// ready reports true or ctx ends.
func (d *dispatcher) helpUntil(ctx context.Context, ready func() bool) error {
	d.helpers.Add(1)
	defer d.helpers.Add(-1)
	for {
		if ready() {
			return nil
		}
		wake := d.e.idleChan()
		if ready() {
			return nil
		}
		select {
		case c := <-d.queue:
			d.deliver(c)
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// shutdown stops the dispatcher once the queue is drained. It waits for
// the goroutine to exit unless it is called from it.
func (d *dispatcher) shutdown() {
	close(d.stop)
	if !d.onDispatcher() {
		<-d.done
	}
}

// goroutineID returns the current goroutine's id, parsed from the header
// of its stack trace ("goroutine 42 [running]:"). Go offers no cheaper
// identity, and only re-entrant calls from callbacks need it.
func goroutineID() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	const prefix = "goroutine "
	var id uint64
	for _, ch := range buf[len(prefix):n] {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + uint64(ch-'0')
	}
	return id
}
