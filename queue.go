package mipush

import "time"

// queueExpired reports whether c has waited for a connection longer than
// QueueTimeout.
func (e *pipeline) queueExpired(c *call) bool {
	return time.Since(c.queued) > e.s.QueueTimeout
}
