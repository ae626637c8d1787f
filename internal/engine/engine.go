// Package engine is the mechanism under package mipush's sends:
// admission (the MaxPending bound and the waits of Flush and Close,
// admit.go); routing and a pool of connections per host, with their
// shared queue, ConnMaxAge recycling and the QueueTimeout sweep
// (pools.go, pool.go, pool_grow.go); dialling: TLS, proxies, handshakes
// (dial.go, proxy.go); the failover host list (hosts.go); backoff, the
// retry budget and the per-app throttle (backoff.go); the retry timers
// (timers.go); and the callback goroutine with its hand-over rule
// (dispatch.go).
//
// It never imports package mipush: it knows requests as wire.Exchange
// values and calls back into the client only through the small
// interfaces it declares (PoolHost, Deliverer). What an answer means
// (codes, stops, splits) is the root's.
package engine

// DefaultHost is the message host for China: the host of the failover
// list that never leaves it (mipush.ProductionHost).
const DefaultHost = "api.xmpush.xiaomi.com"
