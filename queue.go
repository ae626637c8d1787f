package mipush

import (
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// queueExpired reports whether c has waited for a connection longer than
// QueueTimeout.
func (e *pipeline) queueExpired(c *call) bool {
	return time.Since(c.queued) > e.s.QueueTimeout
}

// watchQueue fails the sends that wait in the pool's queue past
// QueueTimeout. Connections check the bound as they take requests, but a
// pool whose connections take nothing (none could be dialled, the server
// allows no stream, or they are stuck) or take slowly would leave sends
// waiting. Every quarter of QueueTimeout it sweeps the queue, so a send
// fails within 1.25 × QueueTimeout of being queued; entries that have not
// expired go back, in their order.
func (p *pool) watchQueue() {
	defer p.slots.Done()
	tick := time.NewTicker(max(p.e.s.QueueTimeout/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-p.ctx.Done():
			return
		}
		for range len(p.queue) {
			var ex *wire.Exchange
			select {
			case ex = <-p.queue:
			default:
			}
			if ex == nil {
				break
			}
			if p.e.queueExpired(ex.Value.(*call)) {
				ex.Take() // the gate fails it (or it was withdrawn)
				continue
			}
			p.queue <- ex // never blocks: every entry holds a MaxPending token
		}
	}
}
