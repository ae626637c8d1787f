package mipushtest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// reply is a decoded MiPush answer.
type reply struct {
	Result      string         `json:"result"`
	TraceID     string         `json:"trace_id"`
	Code        int            `json:"code"`
	Reason      string         `json:"reason"`
	Description string         `json:"description"`
	Info        string         `json:"info"`
	Data        map[string]any `json:"data"`
}

// newTestServer starts a server closed at the end of the test.
func newTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// newHTTPClient returns a plain net/http client for s that uses h2 when
// h2 is true, closed at the end of the test.
func newHTTPClient(t testing.TB, s *Server, h2 bool) *http.Client {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: s.ClientTLSConfig(), ForceAttemptHTTP2: h2}
	if s.ln == nil {
		tr.DialContext = s.DialContext
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// do sends one request and decodes the answer.
func do(t testing.TB, c *http.Client, s *Server, method, path, secret string, form url.Values) (*http.Response, reply) {
	t.Helper()
	var body io.Reader
	u := s.URL() + path
	if method == http.MethodGet {
		if len(form) > 0 {
			u += "?" + form.Encode()
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	require.NoError(t, err)
	if secret != "" {
		req.Header.Set("Authorization", "key="+secret)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var r reply
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &r), "body %s", raw)
	}
	return resp, r
}

// validSend is the form of a valid regid send.
func validSend(regids string) url.Values {
	return url.Values{
		"registration_id":         {regids},
		"title":                   {"Hello"},
		"description":             {"World"},
		"payload":                 {"p"},
		"restricted_package_name": {"com.example.app"},
	}
}

func TestSendBothProtocols(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: h2})
			c := newHTTPClient(t, s, h2)
			resp, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1,r2"))
			require.Equal(t, http.StatusOK, resp.StatusCode)
			wantProto := map[bool]int{false: 1, true: 2}[h2]
			assert.Equal(t, wantProto, resp.ProtoMajor)
			assert.Equal(t, "ok", r.Result)
			assert.Equal(t, 0, r.Code)
			assert.Equal(t, "成功", r.Description)
			assert.Equal(t, "Received push messages for 2 REGID", r.Info)
			assert.True(t, strings.HasPrefix(r.TraceID, "Xlm"), r.TraceID)
			id, _ := r.Data["id"].(string)
			assert.True(t, strings.HasPrefix(id, "slm"), id)

			reqs := s.Requests()
			require.Len(t, reqs, 1)
			got := reqs[0]
			assert.Equal(t, "POST", got.Method)
			assert.Equal(t, "/v3/message/regid", got.Path)
			assert.Equal(t, map[bool]string{false: "h1", true: "h2"}[h2], got.Proto)
			assert.Equal(t, "key=sec", got.Authorization)
			assert.Equal(t, "sec", got.Secret)
			assert.Equal(t, []string{"r1", "r2"}, got.Targets)
			assert.Equal(t, "registration_id", got.TargetParam)
			assert.Equal(t, "Hello", got.Form.Get("title"))
			assert.Equal(t, id, got.MsgID)
			assert.Equal(t, 200, got.Status)
			assert.Equal(t, int64(1), got.Seq)
			assert.Equal(t, 1, got.Conn)
			assert.Equal(t, "key=sec", got.Header.Get("Authorization"))
			assert.Equal(t, validSend("r1,r2").Encode(), string(got.Body))
			assert.Equal(t, int64(1), s.Count())
		})
	}
}

func TestClientTLSConfig(t *testing.T) {
	s := newTestServer(t, Options{DNSNames: []string{"push.test"}})
	cfg := s.ClientTLSConfig()
	assert.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	assert.Empty(t, cfg.NextProtos)
	assert.NotEmpty(t, cfg.ServerName)
	assert.Contains(t, string(s.CACertPEM()), "BEGIN CERTIFICATE")
	assert.True(t, s.CACert().IsCA)
	for _, name := range []string{"127.0.0.1", "localhost", "push.test"} {
		cfg := s.ClientTLSConfig()
		cfg.ServerName = name
		conn, err := tls.Dial("tcp", s.Host(), cfg)
		require.NoError(t, err, name)
		assert.Empty(t, conn.ConnectionState().NegotiatedProtocol, "no ALPN asked")
		conn.Close()
	}
	// An HTTP/1.1-only server does not offer h2.
	cfg = s.ClientTLSConfig()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	conn, err := tls.Dial("tcp", s.Host(), cfg)
	require.NoError(t, err)
	assert.Equal(t, "http/1.1", conn.ConnectionState().NegotiatedProtocol)
	conn.Close()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
