package h2conn

import (
	"time"

	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// Timeouts use one timer per connection, armed for the earliest deadline.
// Deadlines are set when HEADERS are written, so they grow in write order,
// and the open streams are kept on a list in that order: the head of the
// list always holds the earliest deadline, however out of order streams
// complete. The timer belongs to the writer goroutine, which also sends the
// RST_STREAM frames.

// expire fails every stream whose deadline has passed, resets it with
// RST_STREAM(CANCEL), and re-arms the timer for the next deadline.
func (c *Conn) expire() error {
	c.timerSet = false
	now := time.Now()
	c.mu.Lock()
	for s := c.oldest; s != nil && !s.deadline.After(now); s = c.oldest {
		c.removeLocked(s)
		c.expired = append(c.expired, s)
	}
	if s := c.oldest; s != nil {
		c.timer.Reset(s.deadline.Sub(now))
		c.timerSet = true
	}
	c.mu.Unlock()

	var err error
	for i, s := range c.expired {
		if err == nil {
			err = c.fr.WriteRSTStream(s.id, http2.ErrCodeCancel)
		}
		c.complete(s, nil, &wire.Error{Err: wire.ErrTimeout})
		c.expired[i] = nil
	}
	c.expired = c.expired[:0]
	return err
}
