// Package engine is the mechanism under package mipush's sends: the
// engine's part of a call and who owns it at each stage (call.go);
// accepting a call and carrying its attempts, with the transport rules
// (re-queue what the server surely did not process, retry within
// MaxAttempts and the budget, RetryMaybeProcessed; sender.go);
// admission (the MaxPending bound and the waits of Flush and Close,
// admit.go); routing and a pool of connections per host, with their
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
package engine

// DefaultHost is the message host for China: the host of the failover
// list that never leaves it (mipush.ProductionHost).
const DefaultHost = "api.xmpush.xiaomi.com"
