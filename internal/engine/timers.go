package engine

import (
	"sync"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Timers hold the requests that wait for a retry. Whoever removes a
// request from the map owns it: its timer, or Cancel.
//
// Its lock, mu, is a leaf, held for a few map updates only.
type Timers struct {
	mu      sync.Mutex
	waiting map[*wire.Exchange]*time.Timer // nil once cancelled
}

// Init prepares t for use.
func (t *Timers) Init() { t.waiting = make(map[*wire.Exchange]*time.Timer) }

// After resets ex and runs then after d, unless Cancel takes ex first. It
// reports false, doing nothing, once Cancel has run: the caller keeps ex.
// ex is reset at once, so that a sync caller whose ctx ends during the
// wait can withdraw it: it has no request on the wire.
func (t *Timers) After(ex *wire.Exchange, d time.Duration, then func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waiting == nil {
		return false
	}
	ex.Reset()
	t.waiting[ex] = time.AfterFunc(d, func() {
		t.mu.Lock()
		_, mine := t.waiting[ex]
		delete(t.waiting, ex)
		t.mu.Unlock()
		if mine {
			then()
		}
	})
	return true
}

// Cancel stops every timer and returns the requests that waited, now the
// caller's; After refuses from then on.
func (t *Timers) Cancel() []*wire.Exchange {
	t.mu.Lock()
	waiting := t.waiting
	t.waiting = nil
	t.mu.Unlock()
	exs := make([]*wire.Exchange, 0, len(waiting))
	for ex, tm := range waiting {
		tm.Stop()
		exs = append(exs, ex)
	}
	return exs
}
