package mipushtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client is a hand-driven HTTP/2 client connection, to observe frames.
type h2Client struct {
	t      testing.TB
	conn   *tls.Conn
	fr     *http2.Framer
	hbuf   bytes.Buffer
	hpack  *hpack.Encoder
	nextID uint32
}

func dialH2(t testing.TB, s *Server) *h2Client {
	t.Helper()
	cfg := s.ClientTLSConfig()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", s.Host(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.Equal(t, "h2", conn.ConnectionState().NegotiatedProtocol)
	_, err = conn.Write([]byte(http2.ClientPreface))
	require.NoError(t, err)
	c := &h2Client{t: t, conn: conn, fr: http2.NewFramer(conn, conn), nextID: 1}
	c.hpack = hpack.NewEncoder(&c.hbuf)
	require.NoError(t, c.fr.WriteSettings())
	return c
}

// send writes a whole POST request on a new stream and returns its id.
func (c *h2Client) send(path, body string) uint32 {
	c.t.Helper()
	id := c.nextID
	c.nextID += 2
	c.hbuf.Reset()
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path},
		{"authorization", "key=sec"}, {"content-type", "application/x-www-form-urlencoded"},
		{"content-length", strconv.Itoa(len(body))},
	} {
		require.NoError(c.t, c.hpack.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	require.NoError(c.t, c.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true,
	}))
	require.NoError(c.t, c.fr.WriteData(id, true, []byte(body)))
	return id
}

func TestH2GoAwayAfterN(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetCloseAfter(1)
	c := dialH2(t, s)
	id := c.send("/v3/message/regid", validSend("r1").Encode())

	var goAway *http2.GoAwayFrame
	ended := false
	for goAway == nil || !ended {
		f, err := c.fr.ReadFrame()
		require.NoError(t, err)
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			goAway = f
		case *http2.DataFrame:
			if f.StreamID == id && f.StreamEnded() {
				ended = true
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				require.NoError(t, c.fr.WriteSettingsAck())
			}
		}
	}
	assert.Equal(t, http2.ErrCodeNo, goAway.ErrCode)
	assert.Equal(t, id, goAway.LastStreamID)

	// A stream above the last stream id is not processed. The PING is
	// answered after the server has handled the HEADERS before it.
	c.send("/v3/message/regid", validSend("r2").Encode())
	require.NoError(t, c.fr.WritePing(false, [8]byte{1}))
	for {
		f, err := c.fr.ReadFrame()
		require.NoError(t, err)
		if p, ok := f.(*http2.PingFrame); ok && p.IsAck() {
			break
		}
		if h, ok := f.(*http2.HeadersFrame); ok {
			t.Fatalf("stream %d answered after GOAWAY", h.StreamID)
		}
	}
	require.Len(t, s.Requests(), 1)
	assert.Equal(t, []string{"r1"}, s.Requests()[0].Targets)
}

func TestH2CloseAfterWithNetHTTP(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetCloseAfter(2)
	c := newHTTPClient(t, s, true)
	for i := range 6 {
		resp, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r"+strconv.Itoa(i)))
		require.Equal(t, 2, resp.ProtoMajor)
		require.Equal(t, "ok", r.Result, "request %d", i)
	}
	assert.EqualValues(t, 6, s.Count())
	conns := s.ConnStats()
	assert.GreaterOrEqual(t, len(conns), 3, "a connection serves at most 2 answers")
	for _, cs := range conns {
		assert.Equal(t, "h2", cs.Proto)
		assert.LessOrEqual(t, cs.Answered, int64(2))
	}
}

func TestH2Multiplexed(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetDelay(50 * time.Millisecond)
	c := newHTTPClient(t, s, true)
	// One request first, so that every later one shares its connection.
	do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r0"))
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r"+strconv.Itoa(i+1)))
			assert.Equal(t, "ok", r.Result)
		})
	}
	wg.Wait()
	st := s.Stats()
	assert.Equal(t, 1, st.Conns)
	assert.Greater(t, st.MaxInFlight, int64(1), "streams were handled concurrently")
}

func TestH2Drop(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetDropAfter(1, DropProcessed)
	c := newHTTPClient(t, s, true)
	_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1"))
	require.Equal(t, "ok", r.Result)
	req, err := http.NewRequest(http.MethodPost, s.URL()+"/v3/message/regid", strings.NewReader(validSend("r2").Encode()))
	require.NoError(t, err)
	req.Header.Set("Authorization", "key=sec")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.GetBody = nil // not retryable: the drop must surface
	_, err = c.Transport.RoundTrip(req)
	require.Error(t, err)
	require.Len(t, s.Requests(), 2, "the dropped request was processed")
	assert.Equal(t, 0, s.Requests()[1].Status)
}

func TestH2Stall(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetStall(true)
	c := newHTTPClient(t, s, true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/v3/message/regid", strings.NewReader(validSend("r1").Encode()))
	require.NoError(t, err)
	req.Header.Set("Authorization", "key=sec")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = c.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, s.Requests(), 1)
}

func TestH1AcceptedByH2Server(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	c := dialRaw(t, s)
	require.Equal(t, "http/1.1", c.conn.ConnectionState().NegotiatedProtocol)
	c.write(pipelined(3))
	for range 3 {
		_, r, err := c.read()
		require.NoError(t, err)
		require.Equal(t, "ok", r.Result)
	}
	assert.Equal(t, "h1", s.Requests()[0].Proto)
}
