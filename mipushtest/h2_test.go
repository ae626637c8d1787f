package mipushtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
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

	lastBlock []byte // the header block readHead read last
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
			// Not checked: a server that has just sent GOAWAY and hung up
			// fails this write, and the GOAWAY is still there to read.
			c.fr.WriteSettingsAck()
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

// h2BenchClient is a lean HTTP/2 client for benchmarks: it writes
// pre-encoded requests and reads answers by frame header only, so that the
// benchmark measures the server rather than the client.
type h2BenchClient struct {
	conn  *tls.Conn
	br    *bufio.Reader
	bw    *bufio.Writer
	fr    *http2.Framer // writes to bw
	first []byte        // the header block of the first request
	block []byte        // the header block of every later request
	body  []byte
	hdr   [9]byte // a frame header read; here, as it would escape
}

// dialH2Bench connects to s, exchanges SETTINGS and opens the client's
// windows wide, so that the server never waits for WINDOW_UPDATE.
func dialH2Bench(b *testing.B, s *Server) *h2BenchClient {
	b.Helper()
	cfg := s.ClientTLSConfig()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", s.Host(), cfg)
	require.NoError(b, err)
	b.Cleanup(func() { conn.Close() })
	c := &h2BenchClient{
		conn: conn,
		br:   bufio.NewReaderSize(conn, 64<<10),
		bw:   bufio.NewWriterSize(conn, 64<<10),
		body: []byte(validSend("r1").Encode()),
	}
	c.fr = http2.NewFramer(c.bw, nil)
	// The request's header block, as a client with a dynamic table sends
	// it: literals the first time, table references afterwards.
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	for i := range 2 {
		hbuf.Reset()
		for _, f := range [][2]string{
			{":method", "POST"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", "/v3/message/regid"},
			{"authorization", "key=sec"}, {"content-type", "application/x-www-form-urlencoded"},
			{"content-length", strconv.Itoa(len(c.body))},
		} {
			require.NoError(b, enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
		}
		if i == 0 {
			c.first = bytes.Clone(hbuf.Bytes())
		} else {
			c.block = bytes.Clone(hbuf.Bytes())
		}
	}
	c.bw.WriteString(http2.ClientPreface)
	require.NoError(b, c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30}))
	require.NoError(b, c.fr.WriteWindowUpdate(0, 1<<30))
	require.NoError(b, c.bw.Flush())
	// The server's SETTINGS come first; acknowledge them.
	rfr := http2.NewFramer(nil, c.br)
	f, err := rfr.ReadFrame()
	require.NoError(b, err)
	sf, ok := f.(*http2.SettingsFrame)
	require.True(b, ok && !sf.IsAck(), "%v", f)
	require.NoError(b, c.fr.WriteSettingsAck())
	require.NoError(b, c.bw.Flush())
	return c
}

// write buffers the i-th request (i from 0) on stream 2i+1.
func (c *h2BenchClient) write(i int) error {
	block := c.block
	if i == 0 {
		block = c.first
	}
	id := uint32(2*i + 1)
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndHeaders: true}); err != nil {
		return err
	}
	return c.fr.WriteData(id, true, c.body)
}

// readAnswer reads frames until a stream ends, and checks that its answer
// began with ":status: 200" (static table index 8).
func (c *h2BenchClient) readAnswer() error {
	hdr := c.hdr[:]
	for {
		if _, err := io.ReadFull(c.br, hdr); err != nil {
			return err
		}
		n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
		typ, flags := http2.FrameType(hdr[3]), http2.Flags(hdr[4])
		if typ == http2.FrameHeaders {
			first, err := c.br.Peek(1)
			if err != nil {
				return err
			}
			if first[0] != 0x88 {
				return fmt.Errorf("answer's header block starts with %#x, not :status 200", first[0])
			}
		}
		if typ == http2.FrameRSTStream || typ == http2.FrameGoAway {
			return fmt.Errorf("server sent %v", typ)
		}
		if _, err := c.br.Discard(n); err != nil {
			return err
		}
		if (typ == http2.FrameData || typ == http2.FrameHeaders) && flags.Has(http2.FlagDataEndStream) {
			return nil
		}
	}
}

// BenchmarkH2Lean measures the server's HTTP/2 cost per request: tiny sends
// on one connection, up to 128 streams in flight, recording off.
func BenchmarkH2Lean(b *testing.B) {
	s := NewServer(Options{HTTP2: true, NoRecording: true})
	defer s.Close()
	c := dialH2Bench(b, s)
	const window = 128
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	b.ReportAllocs()
	b.ResetTimer()

	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() {
		for range b.N {
			if err := c.readAnswer(); err != nil {
				readErr = err
				c.conn.Close()
				return
			}
			credits <- struct{}{}
		}
	})
	for i := range b.N {
		<-credits
		if c.write(i) != nil {
			break
		}
		if len(credits) == 0 || i == b.N-1 {
			if c.bw.Flush() != nil {
				break
			}
		}
	}
	wg.Wait()
	b.StopTimer()
	if readErr != nil {
		b.Fatal(readErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// postFields returns the header fields of a POST to path with a body of n
// bytes, followed by extra.
func postFields(path string, n int, extra ...[2]string) [][2]string {
	return append([][2]string{
		{":method", "POST"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", path},
		{"authorization", "key=sec"}, {"content-type", "application/x-www-form-urlencoded"},
		{"content-length", strconv.Itoa(n)},
	}, extra...)
}

// encode HPACK-encodes fields with the client's encoder, whose dynamic
// table the server's decoder must follow, and returns a copy of the block.
func (c *h2Client) encode(fields [][2]string) []byte {
	c.t.Helper()
	c.hbuf.Reset()
	for _, f := range fields {
		require.NoError(c.t, c.hpack.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	return bytes.Clone(c.hbuf.Bytes())
}

// writeBlock writes a header block on stream id: a HEADERS frame and as
// many CONTINUATION frames as fragments of at most size bytes take.
func (c *h2Client) writeBlock(id uint32, block []byte, size int, endStream bool) {
	c.t.Helper()
	frag := block[:min(size, len(block))]
	block = block[len(frag):]
	require.NoError(c.t, c.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: id, BlockFragment: frag, EndStream: endStream, EndHeaders: len(block) == 0,
	}))
	for len(block) > 0 {
		frag = block[:min(size, len(block))]
		block = block[len(frag):]
		require.NoError(c.t, c.fr.WriteContinuation(id, len(block) == 0, frag))
	}
}

// sendBlock sends a POST of a valid send whose header block holds fields
// (see postFields), in fragments of at most size bytes, and returns the
// stream id.
func (c *h2Client) sendBlock(size int, extra ...[2]string) uint32 {
	c.t.Helper()
	body := validSend("r1").Encode()
	id := c.nextID
	c.nextID += 2
	c.writeBlock(id, c.encode(postFields("/v3/message/regid", len(body), extra...)), size, false)
	require.NoError(c.t, c.fr.WriteData(id, true, []byte(body)))
	return id
}

// failure reads frames up to an RST_STREAM or GOAWAY, and returns it.
func (c *h2Client) failure() http2.Frame {
	c.t.Helper()
	// Fail rather than hang if the server waits for more.
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	defer c.conn.SetReadDeadline(time.Time{})
	for {
		switch f := c.next(nil).(type) {
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			return f
		case *http2.HeadersFrame:
			c.t.Fatalf("stream %d answered", f.StreamID)
		}
	}
}

// readHead reads frames until stream id has ended and returns its header
// fields, decoded with dec, and its body. It keeps the answer's header
// block in c.lastBlock.
func (c *h2Client) readHead(dec *hpack.Decoder, id uint32) (map[string]string, []byte) {
	c.t.Helper()
	fields := make(map[string]string)
	var body []byte
	for {
		f := c.next(nil)
		var frag []byte
		switch f := f.(type) {
		case *http2.HeadersFrame:
			frag = f.HeaderBlockFragment()
			c.lastBlock = append(c.lastBlock[:0], frag...)
		case *http2.ContinuationFrame:
			frag = f.HeaderBlockFragment()
			c.lastBlock = append(c.lastBlock, frag...)
		case *http2.DataFrame:
			body = append(body, f.Data()...)
		case *http2.RSTStreamFrame, *http2.GoAwayFrame:
			c.t.Fatalf("unexpected %v", f)
		}
		if frag != nil {
			hfs, err := dec.DecodeFull(frag)
			require.NoError(c.t, err)
			for _, hf := range hfs {
				fields[hf.Name] = hf.Value
			}
		}
		if f.Header().StreamID == id && f.Header().Flags.Has(http2.FlagDataEndStream) &&
			(f.Header().Type == http2.FrameData || f.Header().Type == http2.FrameHeaders) {
			return fields, body
		}
	}
}

func TestH2HeaderBlockInContinuations(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	c := dialH2(t, s)
	dec := hpack.NewDecoder(4096, nil)
	// One-byte fragments cut every string and integer of the block; the
	// second block refers to the dynamic table entries of the first.
	for i, size := range []int{1, 3, 1 << 14} {
		value := "value " + strconv.Itoa(i)
		id := c.sendBlock(size, [2]string{"x-custom", value})
		fields, body := c.readHead(dec, id)
		require.Equal(t, "200", fields[":status"], "%s", body)
		require.Len(t, s.Requests(), i+1)
		r := s.Requests()[i]
		assert.Equal(t, "/v3/message/regid", r.Path)
		assert.Equal(t, "key=sec", r.Authorization)
		assert.Equal(t, value, r.Header.Get("X-Custom"))
		assert.Equal(t, []string{"r1"}, r.Targets)
	}
}

func TestH2Trailers(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	c := dialH2(t, s)
	dec := hpack.NewDecoder(4096, nil)
	body := validSend("r1").Encode()

	// Trailers end the request.
	c.writeBlock(1, c.encode(postFields("/v3/message/regid", len(body))), 1<<14, false)
	require.NoError(t, c.fr.WriteData(1, false, []byte(body)))
	c.writeBlock(1, c.encode([][2]string{{"x-trailer", "t"}}), 1<<14, true)
	fields, _ := c.readHead(dec, 1)
	assert.Equal(t, "200", fields[":status"])

	// Trailers that do not end the stream are a stream error.
	c.writeBlock(3, c.encode(postFields("/v3/message/regid", len(body))), 1<<14, false)
	c.writeBlock(3, c.encode([][2]string{{"x-trailer", "t"}}), 1<<14, false)
	rst, ok := c.failure().(*http2.RSTStreamFrame)
	require.True(t, ok)
	assert.Equal(t, uint32(3), rst.StreamID)
	assert.Equal(t, http2.ErrCodeProtocol, rst.ErrCode)
	assert.Len(t, s.Requests(), 1)
}

func TestH2MalformedHeaderBlocks(t *testing.T) {
	pseudos := postFields("/v3/message/regid", 10)[:4]
	regular := postFields("/v3/message/regid", 10)[4:]
	cat := func(parts ...[][2]string) [][2]string {
		var fields [][2]string
		for _, p := range parts {
			fields = append(fields, p...)
		}
		return fields
	}
	// Stream errors: the stream is reset and the connection goes on,
	// its HPACK state intact.
	for name, fields := range map[string][][2]string{
		"unknown pseudo-header":       cat(pseudos, [][2]string{{":foo", "x"}}, regular),
		"repeated pseudo-header":      cat(pseudos, [][2]string{{":path", "/v3/message/regid"}}, regular),
		"pseudo-header after regular": cat(pseudos[:3], regular, pseudos[3:]),
		"response pseudo-header":      cat([][2]string{{":status", "200"}}, pseudos, regular),
		"upper-case name":             cat(pseudos, regular, [][2]string{{"X-Custom", "v"}}),
		"empty name":                  cat(pseudos, regular, [][2]string{{"", "v"}}),
		"control byte in value":       cat(pseudos, regular, [][2]string{{"x-custom", "a\x01b"}}),
	} {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: true})
			c := dialH2(t, s)
			c.writeBlock(1, c.encode(fields), 1<<14, true)
			rst, ok := c.failure().(*http2.RSTStreamFrame)
			require.True(t, ok)
			assert.Equal(t, uint32(1), rst.StreamID)
			assert.Equal(t, http2.ErrCodeProtocol, rst.ErrCode)
			c.nextID = 3
			id := c.sendBlock(1 << 14)
			fields, _ := c.readHead(hpack.NewDecoder(4096, nil), id)
			assert.Equal(t, "200", fields[":status"])
			assert.Len(t, s.Requests(), 1)
		})
	}

	// Connection errors: GOAWAY.
	for _, tc := range []struct {
		name  string
		write func(c *h2Client)
		code  http2.ErrCode
	}{
		{"CONTINUATION after a malformed field", func(c *h2Client) {
			block := c.encode(cat([][2]string{{"X-Bad", "v"}}, pseudos, regular))
			c.writeBlock(1, block, len(block)/2, true)
		}, http2.ErrCodeProtocol},
		{"CONTINUATION of another stream", func(c *h2Client) {
			block := c.encode(cat(pseudos, regular))
			require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:3]}))
			require.NoError(t, c.fr.WriteContinuation(3, true, block[3:]))
		}, http2.ErrCodeProtocol},
		{"undecodable block", func(c *h2Client) {
			c.writeBlock(1, []byte{0x80}, 1<<14, true) // index 0
		}, http2.ErrCodeCompression},
		{"block cut short", func(c *h2Client) {
			block := c.encode(cat(pseudos, regular))
			c.writeBlock(1, block[:len(block)-1], 1<<14, true)
		}, http2.ErrCodeCompression},
		{"string over the limit", func(c *h2Client) {
			// A literal field "x" whose value's length says 32 MiB
			// (127 + 0x01 + 0x7f<<7 + 0x7f<<14 + 0x0f<<21): refused
			// at once, without waiting for the rest of the block.
			require.NoError(t, c.fr.WriteHeaders(http2.HeadersFrameParam{
				StreamID: 1, BlockFragment: []byte{0x00, 0x01, 'x', 0x7f, 0x81, 0xff, 0xff, 0x0f},
			}))
		}, http2.ErrCodeCompression},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: true})
			c := dialH2(t, s)
			tc.write(c)
			ga, ok := c.failure().(*http2.GoAwayFrame)
			require.True(t, ok)
			assert.Equal(t, tc.code, ga.ErrCode)
			assert.Empty(t, s.Requests())
		})
	}
}

// bigHeaderBlock returns a request header block whose fields take more
// than the header list limit: after the first field "x-big" (in the
// dynamic table from then on), each repeat of it is one byte. It returns
// how many of the repeats fit under the limit.
func bigHeaderBlock(c *h2Client, n int) ([]byte, int) {
	big := [2]string{"x-big", strings.Repeat("b", 3000)}
	fields := postFields("/v3/message/regid", len(validSend("r1").Encode()))
	var size uint32
	for _, f := range fields {
		size += hpack.HeaderField{Name: f[0], Value: f[1]}.Size()
	}
	for range n {
		fields = append(fields, big)
	}
	bigSize := hpack.HeaderField{Name: big[0], Value: big[1]}.Size()
	return c.encode(fields), int((h2MaxHeaderListSize - size) / bigSize)
}

func TestH2HeaderListLimit(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	c := dialH2(t, s)
	const n = 6000
	block, fit := bigHeaderBlock(c, n)
	require.Less(t, fit, n)
	require.Less(t, len(block), 1<<14, "the block fits one frame")

	// Fields past the limit are dropped; the request is served.
	c.writeBlock(1, block, 1<<14, false)
	require.NoError(t, c.fr.WriteData(1, true, []byte(validSend("r1").Encode())))
	fields, body := c.readHead(hpack.NewDecoder(4096, nil), 1)
	require.Equal(t, "200", fields[":status"], "%s", body)
	require.Len(t, s.Requests(), 1)
	assert.Len(t, s.Requests()[0].Header["X-Big"], fit)

	// A CONTINUATION after the limit ends the connection.
	block, _ = bigHeaderBlock(c, n)
	c.writeBlock(3, block, len(block)-1, false)
	ga, ok := c.failure().(*http2.GoAwayFrame)
	require.True(t, ok)
	assert.Equal(t, http2.ErrCodeProtocol, ga.ErrCode)
	assert.Len(t, s.Requests(), 1)
}

// answerVariants are answers of different header fields, for a hook to
// cycle through: the server keeps the header blocks of repeated answers.
func answerVariants() []*Answer {
	return []*Answer{
		nil, // the normal answer
		StatusAnswer(http.StatusServiceUnavailable),
		{Body: []byte("plain"), ContentType: "text/plain"},
		{Body: []byte("x"), Status: 299, Header: http.Header{"Retry-After": {"3"}}},
		{Code: 20301, Reason: "bad", Header: http.Header{"X-Push-Extra": {"a"}}},
		{Body: []byte("plain, longer"), ContentType: "text/plain"}, // 2 but its length
		{Body: []byte("y"), Status: 299},                           // 3 but its fields
		{Body: []byte("plain"), ContentType: "text/html"},          // 2 but its type
		{Body: []byte("y"), Status: 298},                           // 6 but its status
	}
}

// variantHook answers with answerVariants()[i] for "registration_id=v<i>".
func variantHook(r *Request) *Answer {
	v := answerVariants()
	if i, err := strconv.Atoi(strings.TrimPrefix(r.Form.Get("registration_id"), "v")); err == nil && i < len(v) {
		return v[i]
	}
	return nil
}

// checkHead checks the decoded header fields of an answer against its body
// and the variant it came from.
func checkHead(t *testing.T, variant int, fields map[string]string, body []byte) {
	t.Helper()
	want := map[int][2]string{
		0: {"200", "application/json;charset=UTF-8"},
		1: {"503", ""},
		2: {"200", "text/plain"},
		3: {"299", "application/json;charset=UTF-8"},
		4: {"200", "application/json;charset=UTF-8"},
		5: {"200", "text/plain"},
		6: {"299", "application/json;charset=UTF-8"},
		7: {"200", "text/html"},
		8: {"298", "application/json;charset=UTF-8"},
	}[variant]
	assert.Equal(t, want[0], fields[":status"], "variant %d", variant)
	if want[1] != "" {
		assert.Equal(t, want[1], fields["content-type"], "variant %d", variant)
	}
	assert.Equal(t, strconv.Itoa(len(body)), fields["content-length"], "variant %d", variant)
	assert.Equal(t, map[int]string{3: "3"}[variant], fields["retry-after"], "variant %d", variant)
	assert.Equal(t, map[int]string{4: "a"}[variant], fields["x-push-extra"], "variant %d", variant)
}

func TestH2AnswerHeadersRepeated(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetHook(variantHook)
	c := dialH2(t, s)
	dec := hpack.NewDecoder(4096, nil)
	// Repeats, then a change of answer (new table entries move the kept
	// blocks' references), then repeats of earlier answers.
	order := []int{0, 0, 0, 1, 1, 0, 2, 2, 3, 0, 3, 4, 4, 1, 2, 0, 0, 5, 5, 2, 5, 6, 3, 6, 3, 7, 2, 7, 7, 8, 6, 8, 8}
	ask := func(variant int) {
		t.Helper()
		id := c.send("/v3/message/regid", validSend("v"+strconv.Itoa(variant)).Encode())
		fields, body := c.readHead(dec, id)
		checkHead(t, variant, fields, body)
	}
	for _, v := range order {
		ask(v)
	}

	// The client shrinks the server's table: the next block must begin
	// with the size update, and the kept blocks refer to evicted entries.
	require.NoError(t, c.fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0}))
	require.NoError(t, c.fr.WritePing(false, [8]byte{1}))
	for {
		if p, ok := c.next(nil).(*http2.PingFrame); ok && p.IsAck() {
			break
		}
	}
	dec.SetAllowedMaxDynamicTableSize(0)
	for i, v := range order {
		ask(v)
		if i == 0 {
			require.NotEmpty(t, c.lastBlock)
			assert.Equal(t, byte(0x20), c.lastBlock[0], "the block begins with a table size update to 0")
		}
	}
}

func TestH2AnswerHeadersThroughNetHTTP(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	s.SetHook(variantHook)
	c := s.Client()
	for _, v := range []int{0, 0, 1, 0, 2, 2, 3, 3, 4, 0, 4, 1, 5, 2, 5, 6, 3, 6, 7, 2, 7, 8, 6, 8} {
		req, err := http.NewRequest(http.MethodPost, s.URL()+"/v3/message/regid",
			strings.NewReader(validSend("v"+strconv.Itoa(v)).Encode()))
		require.NoError(t, err)
		req.Header.Set("Authorization", "key=sec")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 2, resp.ProtoMajor)
		fields := map[string]string{
			":status":        strconv.Itoa(resp.StatusCode),
			"content-type":   resp.Header.Get("Content-Type"),
			"content-length": strconv.FormatInt(resp.ContentLength, 10),
			"retry-after":    resp.Header.Get("Retry-After"),
			"x-push-extra":   resp.Header.Get("X-Push-Extra"),
		}
		checkHead(t, v, fields, body)
	}
	assert.Equal(t, 1, s.Stats().Conns, "one connection, one HPACK table")
}
