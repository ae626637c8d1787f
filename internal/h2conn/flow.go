package h2conn

import (
	"fmt"

	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// applySettings applies the server's SETTINGS.
func (c *Conn) applySettings(f *http2.SettingsFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range f.NumSettings() {
		s := f.Setting(i)
		if err := s.Valid(); err != nil {
			code := http2.ErrCodeProtocol
			if ce, ok := err.(http2.ConnectionError); ok {
				code = http2.ErrCode(ce)
			}
			return connError(code, "invalid setting %v: %v", s, err)
		}
		switch s.ID {
		case http2.SettingMaxConcurrentStreams:
			c.peer.maxStreams = s.Val
		case http2.SettingInitialWindowSize:
			// The change applies to every open stream's window, which may
			// go negative.
			delta := int64(s.Val) - c.peer.initialWindow
			for _, st := range c.streams {
				st.sendWindow += delta
				if st.sendWindow > maxWindow {
					return connError(http2.ErrCodeFlowControl, "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window")
				}
			}
			c.peer.initialWindow = int64(s.Val)
		case http2.SettingMaxFrameSize:
			c.peer.maxFrame = s.Val
		case http2.SettingHeaderTableSize:
			c.peer.tableSize = s.Val
			c.peer.tableChanged = true
		}
	}
	return nil
}

// onSettings applies SETTINGS and queues the acknowledgement.
func (c *Conn) onSettings(f *http2.SettingsFrame) error {
	if err := c.applySettings(f); err != nil {
		return err
	}
	c.mu.Lock()
	c.ctl.settingsAcks++
	n := c.ctl.settingsAcks
	c.mu.Unlock()
	if n > maxQueuedAcks {
		return connError(http2.ErrCodeEnhanceYourCalm, "too many unacknowledged SETTINGS")
	}
	c.wakeWriter()
	return nil
}

// onPing queues the PING acknowledgement.
func (c *Conn) onPing(f *http2.PingFrame) error {
	c.mu.Lock()
	c.ctl.pings = append(c.ctl.pings, f.Data)
	n := len(c.ctl.pings)
	c.mu.Unlock()
	if n > maxQueuedAcks {
		return connError(http2.ErrCodeEnhanceYourCalm, "too many unanswered PINGs")
	}
	c.wakeWriter()
	return nil
}

// onWindowUpdate adds send credit to the connection or a stream.
func (c *Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	if f.StreamID == 0 {
		c.sendWindow += int64(f.Increment)
		over := c.sendWindow > maxWindow
		c.mu.Unlock()
		if over {
			return connError(http2.ErrCodeFlowControl, "WINDOW_UPDATE overflows the connection window")
		}
		c.wakeWriter()
		return nil
	}
	s := c.streams[f.StreamID]
	if s == nil {
		c.mu.Unlock()
		return nil
	}
	s.sendWindow += int64(f.Increment)
	if s.sendWindow > maxWindow {
		c.removeLocked(s)
		c.queueResetLocked(s.id, http2.ErrCodeFlowControl)
		c.mu.Unlock()
		c.wakeWriter()
		c.complete(s, nil, &wire.Error{Err: fmt.Errorf("%w: stream %d: WINDOW_UPDATE overflows the window", wire.ErrMalformed, s.id)})
		return nil
	}
	c.mu.Unlock()
	c.wakeWriter()
	return nil
}
