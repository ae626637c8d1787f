// Package engine is the mechanism under package mipush's sends:
// admission (the MaxPending bound and the waits of Flush and Close,
// admit.go), the failover host list (hosts.go), dialling: the TLS configuration and the
// tunnel through an HTTP proxy (dial.go, proxy.go), backoff, the retry budget and the per-app throttle
// (backoff.go), and the callback goroutine with its hand-over rule
// (dispatch.go). It never imports package mipush:
// what an answer means (codes, stops, splits) is the root's, and reaches
// the engine only through the small interfaces it declares.
package engine

// DefaultHost is the message host for China: the host of the failover
// list that never leaves it (mipush.ProductionHost).
const DefaultHost = "api.xmpush.xiaomi.com"
