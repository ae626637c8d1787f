package h2conn

import (
	"fmt"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// healthLoop watches a connection for silence: when no frame arrived for
// cfg.PingIdle it sends a PING, and if still nothing arrives within
// cfg.PingTimeout the connection is dead (a NAT dropped it, the peer
// vanished) and is closed, so its streams fail now rather than at their
// timeouts and no new request is sent into the void.
func (c *Conn) healthLoop() {
	defer close(c.healthDone)
	t := time.NewTimer(c.cfg.PingIdle)
	defer t.Stop()
	seen := c.framesRead.Load()
	for {
		select {
		case <-c.dead:
			return
		case <-t.C:
		}
		if n := c.framesRead.Load(); n != seen {
			seen = n
			t.Reset(c.cfg.PingIdle)
			continue
		}
		c.mu.Lock()
		c.ctl.ping = true
		c.mu.Unlock()
		c.wakeWriter()
		t.Reset(c.cfg.PingTimeout)
		select {
		case <-c.dead:
			return
		case <-t.C:
		}
		if c.framesRead.Load() == seen {
			c.shutdown(fmt.Errorf("h2conn: %w: no answer to PING within %v", wire.ErrTimeout, c.cfg.PingTimeout))
			return
		}
		seen = c.framesRead.Load()
		t.Reset(c.cfg.PingIdle)
	}
}
