package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by a send on a client that is closed or closing
// (mipush.ErrClosed).
var ErrClosed = errors.New("mipush: client closed")

// Admission is the bound on accepted sends (MaxPending) and the waits
// that hang on it: a send waiting for room, Flush and Close waiting for
// the sends to end.
//
// Its lock, idleMu, is a leaf: it guards idle (idleWaited is its
// lock-free hint) and is held for a few field updates only.
type Admission struct {
	max     int64
	sem     chan struct{} // one token per accepted send whose outcome is not decided
	closing chan struct{} // closed when Close starts
	disp    *Dispatcher

	// Active counts every accepted call (sync and async sends, each
	// message of a batch, management calls) not yet ended: a sync call
	// ends at its outcome, an async one once its callback has returned.
	// Metrics.Pending reports it; Close waits for it to drop to zero.
	// AsyncPending counts the async ones among them; Flush waits for it.
	Active       atomic.Int64
	AsyncPending atomic.Int64

	idleMu sync.Mutex
	idle   chan struct{} // closed when AsyncPending or Active drops to zero
	// idleWaited is set while idle exists: someone waits on it.
	idleWaited atomic.Bool
}

// Init sets the bound, max sends, and the dispatcher whose backlog of
// outcomes holds acceptance back.
func (a *Admission) Init(max int, disp *Dispatcher) {
	a.max = int64(max)
	a.sem = make(chan struct{}, max)
	a.closing = make(chan struct{})
	a.disp = disp
}

// Close makes every wait for a token end with ErrClosed.
func (a *Admission) Close() { close(a.closing) }

// AsyncEnded ends an accepted async call whose token was released
// (Release(false): its outcome is decided) once its callback, if any,
// has returned.
func (a *Admission) AsyncEnded() {
	a.AsyncPending.Add(-1)
	a.Active.Add(-1)
	a.Wake()
}

// Acquire takes a token for one accepted send. Tokens are held only by
// sends whose outcome is not yet decided, never by a callback, so a send
// from a callback finds room as soon as any send in flight ends. While
// MaxPending outcomes wait for callbacks, Acquire waits for that backlog
// to shrink first (see Dispatcher.Unblock).
func (a *Admission) Acquire(ctx context.Context) error {
	if a.disp.Queued() >= a.max {
		if err := a.waitBacklog(ctx); err != nil {
			return err
		}
	}
	select {
	case a.sem <- struct{}{}:
		return nil
	default:
	}
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-a.closing:
		return ErrClosed
	}
}

// waitBacklog waits while MaxPending outcomes wait for their callbacks.
func (a *Admission) waitBacklog(ctx context.Context) error {
	d := a.disp
	d.WaitRoom(true)
	defer d.WaitRoom(false)
	for {
		ch := a.idleChan()
		if d.Queued() < a.max {
			return nil
		}
		if d.OnCallback() {
			d.Unblock()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-a.closing:
			return ErrClosed
		}
	}
}

// Release returns a token; finished reports that an accepted send ended.
func (a *Admission) Release(finished bool) {
	<-a.sem
	if finished {
		a.Active.Add(-1)
		a.Wake()
	}
}

// Wake wakes the waits of Flush and Close when what they wait for may
// have come: no sends (or no async sends) left but callbacks that handed
// delivery on, which may be the waiters themselves.
func (a *Admission) Wake() {
	if !a.idleWaited.Load() {
		return // nobody waits: the common case costs one load
	}
	o := a.disp.Overlapping()
	if a.Active.Load() <= o || a.AsyncPending.Load() <= o {
		a.Signal()
	}
}

// Signal wakes every wait at once; each checks again what it waits for.
func (a *Admission) Signal() {
	a.idleMu.Lock()
	if a.idle != nil {
		close(a.idle)
		a.idle = nil
		a.idleWaited.Store(false)
	}
	a.idleMu.Unlock()
}

func (a *Admission) idleChan() <-chan struct{} {
	a.idleMu.Lock()
	defer a.idleMu.Unlock()
	if a.idle == nil {
		a.idle = make(chan struct{})
		a.idleWaited.Store(true)
	}
	return a.idle
}

// WaitZero waits until n drops to zero, or ctx ends. Called from a
// callback it waits only until n drops to the callbacks that handed
// delivery on (this one among them) and hands delivery on itself, so that
// it never waits for itself.
func (a *Admission) WaitZero(ctx context.Context, n *atomic.Int64) error {
	d := a.disp
	inCallback := d.OnCallback()
	for {
		ch := a.idleChan()
		floor := int64(0)
		if inCallback {
			d.Unblock()
			floor = d.Overlapping()
		}
		if n.Load() <= floor {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
