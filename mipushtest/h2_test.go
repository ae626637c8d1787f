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

// next reads the next frame that is not a SETTINGS, acknowledging the
// server's SETTINGS, whose values it returns in settings.
func (c *h2Client) next(settings map[http2.SettingID]uint32) http2.Frame {
	c.t.Helper()
	for {
		f, err := c.fr.ReadFrame()
		require.NoError(c.t, err)
		sf, ok := f.(*http2.SettingsFrame)
		if !ok {
			return f
		}
		if !sf.IsAck() {
			sf.ForeachSetting(func(s http2.Setting) error {
				if settings != nil {
					settings[s.ID] = s.Val
				}
				return nil
			})
			require.NoError(c.t, c.fr.WriteSettingsAck())
		}
	}
}

// answers reads frames until the streams in ids have ended, and returns
// each stream's status and body, and the order they ended in.
func (c *h2Client) answers(ids ...uint32) (map[uint32]string, map[uint32][]byte, []uint32) {
	c.t.Helper()
	status := make(map[uint32]string)
	bodies := make(map[uint32][]byte)
	var order []uint32
	want := make(map[uint32]bool)
	for _, id := range ids {
		want[id] = true
	}
	dec := hpack.NewDecoder(4096, nil)
	for len(order) < len(ids) {
		switch f := c.next(nil).(type) {
		case *http2.HeadersFrame:
			fields, err := dec.DecodeFull(f.HeaderBlockFragment())
			require.NoError(c.t, err)
			for _, hf := range fields {
				if hf.Name == ":status" {
					status[f.StreamID] = hf.Value
				}
			}
			if f.StreamEnded() && want[f.StreamID] {
				order = append(order, f.StreamID)
			}
		case *http2.DataFrame:
			bodies[f.StreamID] = append(bodies[f.StreamID], f.Data()...)
			if f.StreamEnded() && want[f.StreamID] {
				order = append(order, f.StreamID)
			}
		case *http2.RSTStreamFrame:
			c.t.Fatalf("stream %d reset: %v", f.StreamID, f.ErrCode)
		case *http2.GoAwayFrame:
			c.t.Fatalf("GOAWAY %v", f.ErrCode)
		}
	}
	return status, bodies, order
}

func TestH2RefusesStreamsBeyondMax(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true, MaxConcurrentStreams: 1})
	s.SetHook(func(r *Request) *Answer {
		if r.Form.Get("registration_id") == "stall" {
			return &Answer{Action: Stall}
		}
		return nil
	})
	c := dialH2(t, s)
	settings := make(map[http2.SettingID]uint32)
	stalled := c.send("/v3/message/regid", validSend("stall").Encode())
	refused := c.send("/v3/message/regid", validSend("r1").Encode())
	for {
		f := c.next(settings)
		if rst, ok := f.(*http2.RSTStreamFrame); ok {
			assert.Equal(t, refused, rst.StreamID)
			assert.Equal(t, http2.ErrCodeRefusedStream, rst.ErrCode)
			break
		}
		if h, ok := f.(*http2.HeadersFrame); ok {
			t.Fatalf("stream %d answered", h.StreamID)
		}
	}
	assert.Equal(t, uint32(1), settings[http2.SettingMaxConcurrentStreams])
	require.Len(t, s.Requests(), 1, "the refused stream was not processed")

	// Once the stalled stream is reset, a new stream is served. The PING
	// is answered after the server has handled the RST_STREAM before it.
	require.NoError(t, c.fr.WriteRSTStream(stalled, http2.ErrCodeCancel))
	require.NoError(t, c.fr.WritePing(false, [8]byte{1}))
	for {
		if p, ok := c.next(nil).(*http2.PingFrame); ok && p.IsAck() {
			break
		}
	}
	id := c.send("/v3/message/regid", validSend("r2").Encode())
	st, _, _ := c.answers(id)
	assert.Equal(t, "200", st[id])
	assert.Len(t, s.Requests(), 2)
}

func TestH2StallDoesNotBlockOtherStreams(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetHook(func(r *Request) *Answer {
		if r.Form.Get("registration_id") == "stall" {
			return &Answer{Action: Stall}
		}
		return nil
	})
	c := dialH2(t, s)
	c.send("/v3/message/regid", validSend("stall").Encode())
	id := c.send("/v3/message/regid", validSend("r1").Encode())
	st, body, _ := c.answers(id)
	assert.Equal(t, "200", st[id])
	assert.Contains(t, string(body[id]), `"result":"ok"`)
	assert.EqualValues(t, 2, s.Stats().MaxInFlight)
}

func TestH2DelaysAnswerOutOfOrder(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetDelayFunc(func(r *Request) time.Duration {
		if r.Form.Get("registration_id") == "slow" {
			return 100 * time.Millisecond
		}
		return 0
	})
	c := dialH2(t, s)
	slow := c.send("/v3/message/regid", validSend("slow").Encode())
	fast := c.send("/v3/message/regid", validSend("fast").Encode())
	start := time.Now()
	st, _, order := c.answers(slow, fast)
	assert.Equal(t, []uint32{fast, slow}, order)
	assert.Equal(t, "200", st[slow])
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)
}

func TestH2FlowControl(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	cfg := s.ClientTLSConfig()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", s.Host(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.Write([]byte(http2.ClientPreface))
	require.NoError(t, err)
	c := &h2Client{t: t, conn: conn, fr: http2.NewFramer(conn, conn), nextID: 1}
	c.hpack = hpack.NewEncoder(&c.hbuf)
	// The client's stream windows are 10 bytes.
	require.NoError(t, c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10}))

	// The server's windows: a larger connection window, streams of 1 MiB.
	settings := make(map[http2.SettingID]uint32)
	f := c.next(settings)
	wu, ok := f.(*http2.WindowUpdateFrame)
	require.True(t, ok, "%v", f)
	assert.Equal(t, uint32(0), wu.StreamID)
	assert.Equal(t, uint32(h2StreamWindow), settings[http2.SettingInitialWindowSize])

	// A 700 kB body makes the server grant more.
	big := validSend("r1")
	big.Set("description", strings.Repeat("x", 700<<10))
	body := big.Encode()
	c.hbuf.Reset()
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", "/v3/message/regid"},
		{"authorization", "key=sec"}, {"content-type", "application/x-www-form-urlencoded"},
	} {
		require.NoError(t, c.hpack.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	// A header block in HEADERS and two CONTINUATION frames.
	block := append([]byte(nil), c.hbuf.Bytes()...)
	third := len(block) / 3
	require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:third]}))
	require.NoError(t, c.fr.WriteContinuation(1, false, block[third:2*third]))
	require.NoError(t, c.fr.WriteContinuation(1, true, block[2*third:]))
	written := make(chan struct{})
	go func() {
		defer close(written)
		for b := []byte(body); len(b) > 0; {
			n := min(len(b), 16384)
			if c.fr.WriteData(1, n == len(b), b[:n]) != nil {
				return
			}
			b = b[n:]
		}
	}()

	var granted uint32
	var data []byte
	for ended := false; !ended; {
		switch f := c.next(nil).(type) {
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				granted += f.Increment
			}
		case *http2.HeadersFrame:
			require.Equal(t, uint32(1), f.StreamID)
			require.False(t, f.StreamEnded())
		case *http2.DataFrame:
			data = append(data, f.Data()...)
			ended = f.StreamEnded()
			if !ended {
				// The answer comes 10 bytes at a time, as the window allows.
				require.Len(t, data, 10)
				<-written // the Framer writes from one goroutine at a time
				require.NoError(t, c.fr.WriteWindowUpdate(1, 1000))
			}
		}
	}
	assert.GreaterOrEqual(t, granted, uint32(h2ConnWindow/2))
	assert.Contains(t, string(data), `"code":10017`, "description too long")
	require.Len(t, s.Requests(), 1)
	assert.Len(t, s.Requests()[0].Body, len(body))
}

func TestH2PingAndCloseEndsStalled(t *testing.T) {
	s := NewServer(Options{HTTP2: true})
	s.SetStall(true)
	c := dialH2(t, s)
	id := c.send("/v3/message/regid", validSend("r1").Encode())
	require.NoError(t, c.fr.WritePing(false, [8]byte{7}))
	for {
		f := c.next(nil)
		if p, ok := f.(*http2.PingFrame); ok {
			require.True(t, p.IsAck())
			assert.Equal(t, [8]byte{7}, p.Data)
			break
		}
	}
	require.Len(t, s.Requests(), 1)
	assert.Equal(t, id, uint32(1))
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end a connection with a stalled stream")
	}
	_, err := c.fr.ReadFrame()
	assert.Error(t, err)
}
