package redislimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/redislimit"
)

// driver asks a set of Limiters for turns of one app as fast as they give
// them, from several goroutines each, and counts the turns and the waits.
type driver struct {
	stop chan struct{}
	wg   sync.WaitGroup
	per  []*driven
}

// driven is what one Limiter of a driver gave.
type driven struct {
	turns atomic.Int64
	mu    sync.Mutex
	waits map[int]int64 // histogram, by waitBucket
}

// drive starts goroutines callers per Limiter, each waiting for one turn
// of app after another.
func drive(lims []*redislimit.Limiter, app string, callers int) *driver {
	d := &driver{stop: make(chan struct{})}
	for _, l := range lims {
		p := &driven{waits: make(map[int]int64)}
		d.per = append(d.per, p)
		for range callers {
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() {
					<-d.stop
					cancel()
				}()
				for ctx.Err() == nil {
					start := time.Now()
					if l.Wait(ctx, app, 1) != nil {
						continue
					}
					b := waitBucket(time.Since(start))
					p.turns.Add(1)
					p.mu.Lock()
					p.waits[b]++
					p.mu.Unlock()
				}
			}()
		}
	}
	return d
}

// close stops the callers.
func (d *driver) close() {
	close(d.stop)
	d.wg.Wait()
}

// counts returns the turns of each Limiter so far and their total.
func (d *driver) counts() ([]int64, int64) {
	var total int64
	out := make([]int64, len(d.per))
	for i, p := range d.per {
		out[i] = p.turns.Load()
		total += out[i]
	}
	return out, total
}

// resetWaits forgets the waits recorded so far.
func (d *driver) resetWaits() {
	for _, p := range d.per {
		p.mu.Lock()
		clear(p.waits)
		p.mu.Unlock()
	}
}

// quantile returns the q-quantile of the waits recorded since the last
// reset, across the Limiters.
func (d *driver) quantile(q float64) time.Duration {
	all := make(map[int]int64)
	for _, p := range d.per {
		p.mu.Lock()
		for b, n := range p.waits {
			all[b] += n
		}
		p.mu.Unlock()
	}
	return quantileOf(all, q)
}

// window counts the turns of each Limiter over d, after the ones before.
func (d *driver) window(span time.Duration) (per []int64, total int64, took time.Duration) {
	before, _ := d.counts()
	start := time.Now()
	time.Sleep(span) // the callers run freely; nothing waits on this
	after, _ := d.counts()
	took = time.Since(start)
	per = make([]int64, len(after))
	for i := range after {
		per[i] = after[i] - before[i]
		total += per[i]
	}
	return per, total, took
}
