package mipushtest

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatencyProxyAddsRTT(t *testing.T) {
	const rtt = 40 * time.Millisecond
	s := newTestServer(t, Options{RTT: rtt})
	require.NotEqual(t, s.ln.Addr().String(), s.Host(), "the host is the proxy's")
	c := dialRaw(t, s) // the handshake itself takes round trips

	for range 3 {
		start := time.Now()
		c.write(pipelined(1))
		_, r, err := c.read()
		require.NoError(t, err)
		require.Equal(t, "ok", r.Result)
		assert.GreaterOrEqual(t, time.Since(start), rtt)
	}

	// A pipelined burst shares one round trip per request, not one each:
	// only the lower bound is asserted, the rest is logged.
	start := time.Now()
	c.write(pipelined(50))
	for range 50 {
		_, _, err := c.read()
		require.NoError(t, err)
	}
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, rtt)
	t.Logf("50 pipelined requests through a %v RTT took %v", rtt, elapsed)
}

func TestLatencyProxyHalfClose(t *testing.T) {
	s := newTestServer(t, Options{RTT: 10 * time.Millisecond})
	s.SetCloseAfter(2)
	c := dialRaw(t, s)
	c.write(pipelined(5))
	for i := range 2 {
		_, r, err := c.read()
		require.NoError(t, err, "answer %d", i)
		require.Equal(t, "ok", r.Result)
	}
	_, _, err := c.read()
	require.Error(t, err, "the graceful close reaches the client through the proxy")
	assert.Len(t, s.Requests(), 2)
}

func TestLatencyProxyClose(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer backend.Close()
	p, err := NewLatencyProxy(backend.Addr().String(), time.Millisecond)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer conn.Close()
	b, err := backend.Accept()
	require.NoError(t, err)
	defer b.Close()
	_, err = conn.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = b.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	_, err = conn.Read(buf)
	assert.Error(t, err, "Close closes the connections through the proxy")
}

func TestInMemoryDialerSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(Options{InMemory: true, HTTP2: true})
		defer s.Close()
		assert.Equal(t, InMemoryHost, s.Host())
		s.SetDelay(10 * time.Second)
		for _, h2 := range []bool{false, true} {
			tr := &http.Transport{TLSClientConfig: s.ClientTLSConfig(), DialContext: s.DialContext, ForceAttemptHTTP2: h2}
			c := &http.Client{Transport: tr}
			start := time.Now()
			resp, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1"))
			assert.Equal(t, "ok", r.Result)
			assert.Equal(t, map[bool]int{false: 1, true: 2}[h2], resp.ProtoMajor)
			assert.Equal(t, 10*time.Second, time.Since(start), "the fake clock ran the delay exactly")

			// A client timeout shorter than the delay fires on the fake clock.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/v3/message/regid", nil)
			require.NoError(t, err)
			_, err = c.Do(req)
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded)
			tr.CloseIdleConnections()
		}
		assert.Len(t, s.Requests(), 4)
	})
}

func TestInMemoryDialerWithListener(t *testing.T) {
	s := newTestServer(t, Options{})
	nc, err := s.DialContext(t.Context(), "tcp", "ignored")
	require.NoError(t, err)
	nc.Close()
	s.Close()
	_, err = s.DialContext(t.Context(), "tcp", "ignored")
	require.Error(t, err, "a closed server cannot be dialled")
}

func TestH1Stall(t *testing.T) {
	s := newTestServer(t, Options{})
	s.SetStall(true)
	c := dialRaw(t, s)
	c.write(pipelined(2))
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, _, err := c.read()
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Len(t, s.Requests(), 1, "the stalled request was processed, the next never read")
}

func TestDropRate(t *testing.T) {
	s := newTestServer(t, Options{})
	s.SetDropRate(1, DropUnprocessed)
	c := dialRaw(t, s)
	c.write(pipelined(1))
	_, _, err := c.read()
	require.Error(t, err)
	assert.Zero(t, s.Count())
	s.SetDropRate(0, DropUnprocessed)
	c = dialRaw(t, s)
	for i := range 3 {
		c.write(pipelined(1))
		_, r, err := c.read()
		require.NoError(t, err, strconv.Itoa(i))
		require.Equal(t, "ok", r.Result)
	}
	conns := s.ConnStats()
	require.Len(t, conns, 2)
	assert.Equal(t, int64(1), conns[0].Requests)
	assert.Equal(t, int64(0), conns[0].Answered)
	assert.Equal(t, int64(3), conns[1].Answered)
}
