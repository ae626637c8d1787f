package mipushtest

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawClient is a hand-written HTTP/1.1 client over one TLS connection, to
// pipeline requests the way net/http never does.
type rawClient struct {
	t    testing.TB
	conn *tls.Conn
	br   *bufio.Reader
}

func dialRaw(t testing.TB, s *Server) *rawClient {
	t.Helper()
	cfg := s.ClientTLSConfig()
	cfg.NextProtos = []string{"http/1.1"}
	var conn *tls.Conn
	if s.ln == nil {
		nc, err := s.DialContext(t.Context(), "tcp", s.Host())
		require.NoError(t, err)
		conn = tls.Client(nc, cfg)
		require.NoError(t, conn.Handshake())
	} else {
		var err error
		conn, err = tls.Dial("tcp", s.Host(), cfg)
		require.NoError(t, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn, br: bufio.NewReader(conn)}
}

// rawRequest encodes one POST request.
func rawRequest(path, secret string, form url.Values) []byte {
	body := form.Encode()
	b := []byte("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n")
	if secret != "" {
		b = append(b, "Authorization: key="+secret+"\r\n"...)
	}
	b = append(b, "Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n"...)
	b = append(b, "Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"...)
	return append(b, body...)
}

// write writes bytes in one go.
func (c *rawClient) write(b []byte) {
	c.t.Helper()
	_, err := c.conn.Write(b)
	require.NoError(c.t, err)
}

// read reads one response and decodes its JSON body.
func (c *rawClient) read() (*http.Response, reply, error) {
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return nil, reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, reply{}, err
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		return resp, reply{}, err
	}
	return resp, r, nil
}

// pipelined returns n send requests whose single regid is "r<i>".
func pipelined(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, rawRequest("/v3/message/regid", "sec", validSend("r"+strconv.Itoa(i)))...)
	}
	return b
}

func TestH1PipelinedInOrder(t *testing.T) {
	s := newTestServer(t, Options{})
	c := dialRaw(t, s)
	const n = 200
	c.write(pipelined(n))
	ids := make(map[string]bool)
	for i := range n {
		resp, r, err := c.read()
		require.NoError(t, err, "response %d", i)
		require.Equal(t, 200, resp.StatusCode)
		require.Equal(t, "ok", r.Result)
		require.Equal(t, "Received push messages for 1 REGID", r.Info)
		id := r.Data["id"].(string)
		require.False(t, ids[id], "duplicate id %s", id)
		ids[id] = true
	}
	reqs := s.Requests()
	require.Len(t, reqs, n)
	for i, r := range reqs {
		assert.Equal(t, []string{"r" + strconv.Itoa(i)}, r.Targets)
	}
	st := s.Stats()
	assert.Equal(t, 1, st.Conns)
	assert.Greater(t, st.MaxInFlight, int64(1), "a pipelined burst is in flight at once")
}

// TestH1PipelinedInOrderWithDelay checks that answers keep the order of the
// requests when delays differ.
func TestH1PipelinedInOrderWithDelay(t *testing.T) {
	s := newTestServer(t, Options{})
	s.SetDelayFunc(func(r *Request) time.Duration {
		if r.Targets[0] == "r0" {
			return 30 * time.Millisecond
		}
		return 0
	})
	c := dialRaw(t, s)
	c.write(pipelined(5))
	reqs := func() []*Request { return s.Requests() }
	for i := range 5 {
		_, r, err := c.read()
		require.NoError(t, err)
		require.Equal(t, "ok", r.Result)
		assert.Equal(t, reqs()[i].MsgID, r.Data["id"], "answer %d in order", i)
	}
}

// TestH1CloseAfterN sends more requests than the server answers before it
// closes: every answer up to the close must arrive intact (a server that
// closed with unread requests would reset the connection and could destroy
// them), and the requests after it must not be processed.
func TestH1CloseAfterN(t *testing.T) {
	s := newTestServer(t, Options{})
	const n, sent = 450, 500
	s.SetCloseAfter(n)
	c := dialRaw(t, s)
	go c.conn.Write(pipelined(sent)) // may fail once the server closes
	for i := range n {
		resp, r, err := c.read()
		require.NoError(t, err, "response %d", i)
		require.Equal(t, "ok", r.Result)
		assert.Equal(t, i == n-1, resp.Close, "Connection: close on answer %d", i)
	}
	_, err := c.br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "close_notify then EOF after the last answer")
	require.Len(t, s.Requests(), n, "requests after the close are not processed")
	for i, r := range s.Requests() {
		assert.Equal(t, []string{"r" + strconv.Itoa(i)}, r.Targets)
	}
}

func TestH1DropUnprocessed(t *testing.T) {
	s := newTestServer(t, Options{})
	s.SetDropAfter(3, DropUnprocessed)
	c := dialRaw(t, s)
	c.write(pipelined(10))
	for i := range 3 {
		_, r, err := c.read()
		require.NoError(t, err, "response %d", i)
		require.Equal(t, "ok", r.Result)
	}
	_, _, err := c.read()
	require.Error(t, err)
	assert.Len(t, s.Requests(), 3)
	assert.EqualValues(t, 3, s.Count())
}

func TestH1DropProcessed(t *testing.T) {
	s := newTestServer(t, Options{})
	s.SetDropAfter(3, DropProcessed)
	c := dialRaw(t, s)
	c.write(pipelined(10))
	for i := range 3 {
		_, _, err := c.read()
		require.NoError(t, err, "response %d", i)
	}
	_, _, err := c.read()
	require.Error(t, err)
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout())
	reqs := s.Requests()
	require.Len(t, reqs, 4, "the fourth request was processed, not answered")
	assert.Equal(t, 0, reqs[3].Status)
}

func TestH1Parsing(t *testing.T) {
	s := newTestServer(t, Options{})
	body := validSend("r1").Encode()
	head := "POST /v3/message/regid HTTP/1.1\r\nHost: x\r\nAuthorization: key=sec\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\n"

	t.Run("chunked", func(t *testing.T) {
		c := dialRaw(t, s)
		half := len(body) / 2
		c.write([]byte(head + "Transfer-Encoding: chunked\r\n\r\n" +
			strconv.FormatInt(int64(half), 16) + "\r\n" + body[:half] + "\r\n" +
			strconv.FormatInt(int64(len(body)-half), 16) + "\r\n" + body[half:] + "\r\n0\r\n\r\n"))
		_, r, err := c.read()
		require.NoError(t, err)
		assert.Equal(t, "ok", r.Result, r.Reason)
	})
	t.Run("expect 100-continue", func(t *testing.T) {
		c := dialRaw(t, s)
		c.write([]byte(head + "Expect: 100-continue\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"))
		line, err := c.br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.1 100 Continue\r\n", line)
		_, err = c.br.ReadString('\n')
		require.NoError(t, err)
		c.write([]byte(body))
		_, r, err := c.read()
		require.NoError(t, err)
		assert.Equal(t, "ok", r.Result)
	})
	t.Run("HTTP/1.0 closes", func(t *testing.T) {
		c := dialRaw(t, s)
		c.write([]byte("GET /v1/channel/list HTTP/1.0\r\nAuthorization: key=sec\r\n\r\n"))
		resp, r, err := c.read()
		require.NoError(t, err)
		assert.Equal(t, "ok", r.Result)
		assert.True(t, resp.Close)
	})
	t.Run("client asks to close", func(t *testing.T) {
		before := len(s.RequestsTo("/v1/channel/list"))
		c := dialRaw(t, s)
		c.write([]byte("GET /v1/channel/list HTTP/1.1\r\nAuthorization: key=sec\r\nConnection: close\r\n\r\n" +
			"GET /v1/channel/list HTTP/1.1\r\nAuthorization: key=sec\r\n\r\n"))
		resp, _, err := c.read()
		require.NoError(t, err)
		assert.True(t, resp.Close)
		_, err = c.br.ReadByte()
		require.ErrorIs(t, err, io.EOF, "closed after the first answer")
		assert.Len(t, s.RequestsTo("/v1/channel/list"), before+1)
	})
	t.Run("malformed", func(t *testing.T) {
		for _, req := range []string{
			"NONSENSE\r\n\r\n",
			"GET / HTTP/2.0\r\n\r\n",
			"POST /v3/message/regid HTTP/1.1\r\nContent-Length: x\r\n\r\n",
			"POST /v3/message/regid HTTP/1.1\r\n folded: header\r\n\r\n",
		} {
			c := dialRaw(t, s)
			c.write([]byte(req))
			resp, r, err := c.read()
			require.NoError(t, err, req)
			assert.GreaterOrEqual(t, resp.StatusCode, 400, req)
			assert.True(t, resp.Close, req)
			assert.Equal(t, "error", r.Result)
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		c := dialRaw(t, s)
		c.write([]byte("GET /nope?a=1 HTTP/1.1\r\nAuthorization: key=sec\r\n\r\n"))
		resp, r, err := c.read()
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Equal(t, "error", r.Result)
	})
}
