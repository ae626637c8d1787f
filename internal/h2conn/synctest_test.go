package h2conn

// Tests that need control over time or over exactly what reached the
// server, run in testing/synctest bubbles over net.Pipe.

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// TestTimeout: a stalled stream fails alone with ErrTimeout, exactly at
// its deadline, and is reset; the connection carries on.
func TestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startPeer(t, func(c *wire.Config) { c.Timeout = 5 * time.Second })
		start := time.Now()
		f.send(2, "m")
		reqs := f.p.nextReqs(t, 2)
		stalled := reqs["m-0"].ID

		time.Sleep(time.Second) // fake time: the deadline counts from the write
		require.NoError(t, f.p.respond(reqs["m-1"].ID, "200", "quick"))
		o := <-f.out
		require.NoError(t, o.err)
		assert.Equal(t, "quick", o.body)

		o = <-f.out
		assert.Equal(t, "m-0", string(o.ex.Req.Body))
		we := wireErr(t, o.err)
		assert.ErrorIs(t, we, wire.ErrTimeout)
		assert.False(t, we.NotProcessed)
		assert.Equal(t, 5*time.Second, time.Since(start))
		ev := waitEvent(t, f.p, func(e rstEvent) bool { return e.ID == stalled })
		assert.Equal(t, http2.ErrCodeCancel, ev.Code)

		// A late answer to the reset stream is ignored, and the next
		// exchange works.
		require.NoError(t, f.p.respond(stalled, "200", "late"))
		f.send(1, "after")
		r := f.p.nextReq(t)
		require.NoError(t, f.p.respond(r.ID, "200", "fine"))
		o = <-f.out
		require.NoError(t, o.err)
		assert.Equal(t, "fine", o.body)
		assert.Equal(t, 0, f.c.InFlight())
		select {
		case <-f.c.Done():
			t.Fatal("connection closed")
		default:
		}
	})
}

// TestTimeoutOrder: streams that complete out of order do not delay the
// timeout of an older one, and each stream gets its own deadline.
func TestTimeoutOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startPeer(t, func(c *wire.Config) { c.Timeout = 10 * time.Second })
		start := time.Now()
		f.send(1, "a")
		ra := f.p.nextReq(t)
		time.Sleep(3 * time.Second)
		f.send(1, "b")
		f.p.nextReq(t)
		time.Sleep(3 * time.Second)
		f.send(1, "c")
		f.p.nextReq(t)
		require.NoError(t, f.p.respond(ra.ID, "200", "a"))
		require.NoError(t, (<-f.out).err)

		o := <-f.out
		assert.Equal(t, "b-0", string(o.ex.Req.Body))
		assert.ErrorIs(t, o.err, wire.ErrTimeout)
		assert.Equal(t, 13*time.Second, time.Since(start))
		o = <-f.out
		assert.Equal(t, "c-0", string(o.ex.Req.Body))
		assert.ErrorIs(t, o.err, wire.ErrTimeout)
		assert.Equal(t, 16*time.Second, time.Since(start))
	})
}

// TestCloseUnwritten: on Close, an exchange whose request the server read
// may have been processed; those still stuck in our buffers or in the
// network were not.
func TestCloseUnwritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// MAX_CONCURRENT_STREAMS 0 keeps the exchanges in the queue until
		// the peer is ready to read exactly what we want.
		f := startPeer(t, nil, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 0})
		f.send(3, "m")
		synctest.Wait()
		require.Equal(t, 0, f.c.InFlight())

		// The peer's reader is blocked reading the next frame: let it read
		// that one (our SETTINGS ACK) and one more (stream 1's HEADERS).
		f.p.setBudget(1)
		require.NoError(t, f.p.settings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100}))
		synctest.Wait()
		require.Equal(t, 3, f.c.InFlight())

		f.c.Close()
		m := collect(t, f.out, 3)
		assert.False(t, wireErr(t, m["m-0"].err).NotProcessed, "its HEADERS reached the server")
		assert.True(t, wireErr(t, m["m-1"].err).NotProcessed)
		assert.True(t, wireErr(t, m["m-2"].err).NotProcessed)
		for _, o := range m {
			assert.ErrorIs(t, o.err, wire.ErrConnClosed)
		}
		<-f.c.Done()
		assert.ErrorIs(t, <-f.closed, wire.ErrConnClosed)
		assert.Equal(t, 0, f.c.InFlight())
		f.p.setBudget(-1)
	})
}

// drainData sums the DATA bytes the peer has received so far for id.
func drainData(p *peer, id *uint32) (n int, end bool) {
	for {
		select {
		case ev := <-p.events:
			if d, ok := ev.(dataEvent); ok {
				*id = d.ID
				n += d.N
				end = end || d.End
			}
		default:
			return n, end
		}
	}
}

// TestSendFlowControl: the writer sends no more than the server's windows
// allow, and resumes on WINDOW_UPDATE and on a SETTINGS_INITIAL_WINDOW_SIZE
// increase.
func TestSendFlowControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startPeer(t, nil, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
		body := strings.Repeat("x", 100)
		f.q <- newEx("/p", body, f.out)
		synctest.Wait()
		var id uint32
		n, end := drainData(f.p, &id)
		require.Equal(t, 10, n)
		require.False(t, end)

		require.NoError(t, f.p.windowUpdate(id, 30))
		synctest.Wait()
		n, end = drainData(f.p, &id)
		require.Equal(t, 30, n)
		require.False(t, end)

		// Raising the initial window by 60 credits the open stream too.
		require.NoError(t, f.p.settings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 70}))
		r := f.p.nextReq(t)
		assert.Equal(t, body, string(r.Body))
		synctest.Wait()
		n, end = drainData(f.p, &id)
		assert.Equal(t, 60, n)
		assert.True(t, end)
	})
}

// TestMaxFrameSize: DATA frames respect the peer's SETTINGS_MAX_FRAME_SIZE.
func TestMaxFrameSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startPeer(t, nil, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
		body := strings.Repeat("y", 40000)
		f.q <- newEx("/p", body, f.out)
		r := f.p.nextReq(t)
		assert.Equal(t, body, string(r.Body))
		var sizes []int
		for len(f.p.events) > 0 {
			if d, ok := (<-f.p.events).(dataEvent); ok {
				sizes = append(sizes, d.N)
			}
		}
		assert.Equal(t, []int{16384, 16384, 40000 - 2*16384}, sizes)
	})
}

// TestHealthCheck: a silent peer is pinged after PingIdle and the
// connection closes when the PING goes unanswered; a peer that answers
// keeps the connection.
func TestHealthCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		health := func(c *wire.Config) { c.PingIdle, c.PingTimeout = 30*time.Second, 10*time.Second }
		f := startPeer(t, health)
		start := time.Now()
		waitEvent(t, f.p, func(e pingEvent) bool { return !e.Ack })
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Second)
		err := <-f.closed
		require.ErrorIs(t, err, wire.ErrTimeout)
		assert.LessOrEqual(t, time.Since(start), 70*time.Second)

		g := startPeer(t, health)
		for range 3 {
			ev := waitEvent(t, g.p, func(e pingEvent) bool { return !e.Ack })
			g.p.wmu.Lock()
			require.NoError(t, g.p.fr.WritePing(true, ev.Data))
			g.p.wmu.Unlock()
		}
		select {
		case err := <-g.closed:
			t.Fatalf("a connection whose pings are answered closed: %v", err)
		default:
		}
		g.send(1, "alive")
		r := g.p.nextReq(t)
		require.NoError(t, g.p.respond(r.ID, "200", "ok"))
		o := <-g.out
		require.NoError(t, o.err)
	})
}

// TestTimeoutWhileWriterBlocked: a server that grants large windows and
// then stops reading blocks the writer in a write; the streams still get
// their outcome within Timeout, since a write that cannot complete within
// it closes the connection.
func TestTimeoutWhileWriterBlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := startPeer(t, func(c *wire.Config) { c.Timeout = 2 * time.Second },
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
		f.send(1, "first")
		r := f.p.nextReq(t)
		require.NoError(t, f.p.respond(r.ID, "200", "ok"))
		require.NoError(t, (<-f.out).err)

		f.p.setBudget(0) // the server reads nothing more
		start := time.Now()
		const n = 200
		f.send(n, strings.Repeat("x", 1000))
		<-f.c.Done()
		assert.LessOrEqual(t, time.Since(start), 2*time.Second, "closed within Timeout of the stalled write")
		taken := n - len(f.q)
		require.Positive(t, taken)
		require.Len(t, f.out, taken, "every exchange taken has its outcome")
		for range taken {
			o := <-f.out
			assert.ErrorIs(t, o.err, errWriteStalled)
		}
		f.p.setBudget(-1) // let the peer's reader end with the test
	})
}
