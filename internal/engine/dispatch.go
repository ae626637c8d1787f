package engine

import (
	"context"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
)

// Dispatcher runs the callbacks (OnInvalidTargets, OnError, OnSuccess) on
// a goroutine of its own, in the order outcomes are decided, so that a
// slow callback never stalls a connection's reader and callbacks run one
// at a time. Besides the outcomes of async sends, its queue takes the
// invalid targets of blocking sends (the root's hook jobs), so that
// OnInvalidTargets never runs on two goroutines at once either. What an
// item is and what its callbacks are is the Deliverer's business.
//
// A callback may call the Client, and a call that waits (Flush, Close,
// Shutdown, a send held back because MaxPending outcomes wait for
// callbacks) may be waiting for outcomes that only the delivering
// goroutine can deliver. Such a wait, when it runs inside a callback
// (OnCallback: the caller's stack holds runCallback's frame), hands
// delivery on (Unblock): the goroutine running the callback stops being
// the delivering one, a new goroutine takes the queue, and the old one
// ends when its callback returns. Delivery so never nests on one stack,
// and a chain of callbacks that each wait costs one goroutine each.
//
// Lock order: d.mu is a leaf; no other lock is taken while it is held,
// and it is never held while a callback runs.
type Dispatcher struct {
	to         Deliverer
	maxBacklog int64 // the backlog at which Room is owed once it shrinks

	mu       sync.Mutex // guards the fields up to wake
	queue    []any      // outcomes not yet delivered, oldest at head
	head     int
	gen      uint64 // which goroutine delivers; bumped at each hand-off
	busy     bool   // the delivering goroutine is running a callback
	stopping bool   // end once the queue is empty
	ended    bool   // the delivering goroutine ended after stopping; Push refuses

	wake chan struct{} // capacity 1: the queue grew, or stopping was set
	done chan struct{} // closed when the delivering goroutine ends after stopping

	queued      atomic.Int64 // outcomes in queue, for the backlog bound
	overlapping atomic.Int64 // callbacks running on goroutines that handed delivery on
	roomWaiters atomic.Int32 // sends waiting for the backlog to shrink
	running     atomic.Int32 // callbacks running now, handed on or not

	callbackEntry uintptr // runCallback's entry address, looked for by OnCallback
}

// Deliverer is the root's side of the dispatcher: what to do with an
// item, and whom to tell when waits may end.
type Deliverer interface {
	// Deliver runs the callbacks of item; it recovers their panics.
	Deliver(item any)
	// Delivered ends item once its callbacks have returned.
	Delivered(item any)
	// Room says the backlog dropped below its bound while sends wait
	// for room (see WaitRoom).
	Room()
	// HandedOn says delivery moved to a new goroutine: waits of Flush
	// and Close may now be over (see Overlapping).
	HandedOn()
}

// Start starts the delivering goroutine. maxBacklog is the backlog
// (Queued) at which sends wait for room.
func (d *Dispatcher) Start(to Deliverer, maxBacklog int) {
	d.to = to
	d.maxBacklog = int64(maxBacklog)
	d.callbackEntry = reflect.ValueOf(runCallback).Pointer()
	d.wake = make(chan struct{}, 1)
	d.done = make(chan struct{})
	go d.run(0)
}

// Push hands an async outcome, or a blocking send's hook job, to the
// dispatcher; it never blocks for long. It reports false if the
// dispatcher has ended (the client is closed): only a hook job can come
// that late, as Close waits for every async outcome first.
func (d *Dispatcher) Push(item any) bool {
	d.mu.Lock()
	if d.ended {
		d.mu.Unlock()
		return false
	}
	d.queue = append(d.queue, item)
	d.mu.Unlock()
	d.queued.Add(1)
	d.signal()
	return true
}

func (d *Dispatcher) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run delivers outcomes while it is the delivering goroutine (generation
// gen), one at a time, in order.
func (d *Dispatcher) run(gen uint64) {
	for {
		d.mu.Lock()
		for d.head == len(d.queue) {
			if d.stopping {
				d.ended = true
				d.mu.Unlock()
				close(d.done)
				return
			}
			d.mu.Unlock()
			<-d.wake
			d.mu.Lock()
		}
		c := d.queue[d.head]
		d.queue[d.head] = nil
		d.head++
		if d.head == len(d.queue) {
			d.queue, d.head = d.queue[:0], 0
		}
		d.busy = true
		d.mu.Unlock()
		if d.queued.Add(-1) < d.maxBacklog && d.roomWaiters.Load() > 0 {
			d.to.Room()
		}

		runCallback(d, c)

		d.mu.Lock()
		handedOn := d.gen != gen
		if !handedOn {
			d.busy = false
		}
		d.mu.Unlock()
		if handedOn {
			// Another goroutine delivers now; this one only reports its
			// own outcome and ends.
			d.overlapping.Add(-1)
			d.to.Delivered(c)
			return
		}
		d.to.Delivered(c)
	}
}

// runCallback runs the callbacks of item. It is not inlined, so that
// OnCallback finds its frame.
//
//go:noinline
func runCallback(d *Dispatcher, item any) {
	d.running.Add(1)
	defer d.running.Add(-1)
	d.to.Deliver(item)
}

// maxCallbackFrames bounds the frames OnCallback looks through: a client
// call nested deeper than this inside a callback is taken for one from
// another goroutine.
const maxCallbackFrames = 256

// OnCallback reports whether the caller runs inside a callback: whether
// runCallback is on its stack. It walks the stack only while a callback
// runs, and at most maxCallbackFrames frames, so the common path costs
// one atomic load.
func (d *Dispatcher) OnCallback() bool {
	if d.running.Load() == 0 {
		return false
	}
	var pcs [maxCallbackFrames]uintptr
	n := runtime.Callers(2, pcs[:])
	for _, pc := range pcs[:n] {
		if f := runtime.FuncForPC(pc - 1); f != nil && f.Entry() == d.callbackEntry {
			return true
		}
	}
	return false
}

// Unblock is called by a wait inside a callback that may depend on
// outcomes not yet delivered: delivery of the outcomes after the running
// callback moves to a new goroutine.
func (d *Dispatcher) Unblock() {
	d.mu.Lock()
	if !d.busy {
		d.mu.Unlock()
		return
	}
	d.busy = false
	d.gen++
	gen := d.gen
	d.overlapping.Add(1)
	d.mu.Unlock()
	go d.run(gen)
	d.to.HandedOn()
}

// Shutdown makes the dispatcher end once its queue is empty and waits for
// that, or for ctx. Callbacks that were handed on may still be running.
func (d *Dispatcher) Shutdown(ctx context.Context) {
	d.mu.Lock()
	d.stopping = true
	d.mu.Unlock()
	d.signal()
	select {
	case <-d.done:
	case <-ctx.Done():
	}
}

// Queued returns the outcomes waiting for delivery.
func (d *Dispatcher) Queued() int64 { return d.queued.Load() }

// Overlapping returns the callbacks running on goroutines that handed
// delivery on: waits that would otherwise wait for themselves stop there.
func (d *Dispatcher) Overlapping() int64 { return d.overlapping.Load() }

// WaitRoom counts a send that starts (waiting true) or stops waiting for
// the backlog to shrink: while one waits, the delivering goroutine calls
// Room as the backlog drops below its bound.
func (d *Dispatcher) WaitRoom(waiting bool) {
	if waiting {
		d.roomWaiters.Add(1)
	} else {
		d.roomWaiters.Add(-1)
	}
}
