// Package engine is the mechanism under package mipush's sends: the
// engine's part of a call and who owns it at each stage (call.go);
// accepting a call and carrying its attempts, with the transport rules
// (re-queue what the server surely did not process, retry within
// MaxAttempts and the budget, RetryMaybeProcessed; sender.go); pacing
// per app: the pause after "too frequent" answers and the Limiter's turn
// (pace.go); admission (the MaxPending bound and the waits of Flush and
// Close, admit.go); routing and a pool of connections per host, with their
// shared queue, ConnMaxAge recycling and the QueueTimeout sweep
// (pools.go, pool.go, pool_grow.go); dialling: TLS, proxies, handshakes
// (dial.go, proxy.go); the failover host list (hosts.go); backoff, the
// retry budget and the per-app throttle (backoff.go); the retry timers
// (timers.go); and the callback goroutine with its hand-over rule
// (dispatch.go).
//
// It never imports package mipush: it knows requests as Call values
// and calls back into the client only through the small interfaces it
// declares: Judge (the gate before a write, what an answer means, the
// single outcome), Host (the client's side of its pools) and Deliverer
// (the callbacks). What an answer means (codes, stops, splits) is the
// root's.
//
// Locks, and the order they are taken in (a lock is only taken while
// holding those before it; none is taken while holding one after it):
//
//	Pools.mu      guards the map of pools and the retired ones
//	              (Counts holds it while it visits the pools)
//	HostList.mu   the failover host list (Pools.mu is held when a route
//	              checks that its host is still listed)
//	Pool.connsMu  guards a pool's conns
//
// and leaves, held with no other lock and only for a few field updates:
//
//	Pool.mu (RW)  a pool's closed and retired: Enqueue and the opening of
//	              grown slots (read) against shutdown and retirement
//	              (write); a queued call never blocks
//	Timers.mu     the retry timers
//	Admission     its idle channel
//	Dispatcher.mu its queue and hand-off state
//
// No lock is held across network I/O (dialling, the TLS and HTTP/2
// handshakes, reads and writes), nor while the client's code runs (Judge,
// Deliverer, the Turn of a retry, Host): the one exception is
// Host.Closed, an atomic load, asked under Pools.mu.
package engine

// DefaultHost is the message host for China: the host of the failover
// list that never leaves it (mipush.ProductionHost).
const DefaultHost = "api.xmpush.xiaomi.com"
