package engine

import (
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Call is the engine's part of one accepted request (a send, a management
// call, or the request of a batch), from acceptance to its single
// outcome: the exchange with the server, the pool it is routed to, and
// what its attempts so far say. Package mipush embeds it in its own call,
// which adds the message, the target, the outcome and its callbacks, and
// sets Owner to that call; Ex.Value holds the Call.
//
// Who may touch a call, stage by stage. At each stage one goroutine owns
// the call; ownership passes on with a hand-off that orders memory (a
// channel send, a CompareAndSwap, a mutex), and a field is written only
// by the owner of the stage named beside it below.
//
//   - Built: the sender's goroutine sets Ex.Req and the root's fields;
//     Pools.Route sets Pool, Failover and Ex.Req.Header. Of those only
//     the three Route sets change later (routed again, for each retry).
//   - Accepted (Sender.Accept): still the sender. It sets Start and
//     Queued and gives the call away with Pool.Enqueue. From then on the
//     sender reads only what is fixed, the atomics (Tries, Maybe) and
//     the outcome once the root says it is known; it may withdraw the
//     call with Ex.Withdraw, which wins only while no connection has
//     taken it.
//   - Queued (in a pool's queue, or on a retry timer): nobody writes it.
//     It leaves the queue through Ex.Take (a connection, or the pool's
//     shutdown) or Ex.Withdraw (its sync caller), and a retry timer
//     through Timers: whoever takes it from them owns it, its timer or
//     Sender.CancelRetries. The gate (Judge.Gate) reads Queued and
//     LastErr.
//   - On the wire: the connection owns Ex and the engine nothing of it,
//     until the connection calls Ex.Done once.
//   - Answered (Sender's done, on the connection's reader): the sole
//     owner. It updates the attempts, Maybe, the re-queues, LastErr and
//     Queued, and then either queues the call again (back to Queued:
//     every write comes before the enqueue or the timer, as another
//     goroutine may take the call at once) or hands it to Judge.Finish.
//   - Finished: the root's (see its call).
type Call struct {
	Ex       wire.Exchange
	Pool     *Pool
	Failover bool // the host was chosen by the host list
	Owner    any  // the root's call that embeds this one

	// attempts counts the attempts that reached the server. It is atomic
	// because a sync caller whose context ended reads it while the call
	// goes on.
	attempts atomic.Int32
	// maybe records that an attempt may have been processed, so that a
	// sync caller whose context ends before the retry is told so.
	maybe       atomic.Bool
	unprocessed int // re-queues of requests the server never processed

	Start time.Time // acceptance, for the Observer's latency and the host list
	// Queued is when the call last began to wait for a connection: its
	// acceptance, or its retry after an attempt that reached the server.
	// Re-queues of requests never processed keep it (see Sender.Expired).
	Queued time.Time
	// LastErr is why the last re-queued attempt was not processed, for
	// the queue-timeout error.
	LastErr error
}

// Tries returns how many attempts of c reached the server.
func (c *Call) Tries() int { return int(c.attempts.Load()) }

// SetTries sets the attempts of c: a message of a batch has had those of
// the batch's request.
func (c *Call) SetTries(n int) { c.attempts.Store(int32(n)) }

// Maybe reports whether an attempt of c may have been processed.
func (c *Call) Maybe() bool { return c.maybe.Load() }

// Route chooses the pool of c: the failover host list's pick (avoiding
// the host named, when it can), else the configured host. A pick of the
// list asks for the list when it is due (the x-push-host-list header).
func (ps *Pools) Route(c *Call, avoid string) {
	p, failover, ask := ps.pick(avoid)
	c.Pool = p
	if !failover {
		return
	}
	c.Failover = true
	if ask {
		c.Ex.Req.Header = append(c.Ex.Req.Header[:0:0], wire.Header{Name: "x-push-host-list", Value: "true"})
	} else {
		c.Ex.Req.Header = nil
	}
}

// reroute gives c, which met the retired pool p, a pool again: the host
// list's pick for a failover call, else a fresh pool for p's host.
func (ps *Pools) reroute(c *Call, p *Pool) {
	if c.Failover {
		ps.Route(c, p.Authority())
		return
	}
	c.Pool = ps.Get(p.Addr(), p.Authority())
}
