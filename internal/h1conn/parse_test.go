package h1conn

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/wire"
)

func newParser(s string, maxBody int) *parser {
	return &parser{br: bufio.NewReaderSize(strings.NewReader(s), bufSize), maxBody: maxBody}
}

func TestParseFraming(t *testing.T) {
	for _, tc := range []struct {
		name, raw       string
		status          int
		body            string
		close, untilEOF bool
	}{
		{"keep-alive", ok("x"), 200, "x", false, false},
		{"close", build("HTTP/1.1 200 OK", "x", "Connection: close"), 200, "x", true, false},
		{"close among tokens", build("HTTP/1.1 200 OK", "x", "Connection: upgrade ,  CLOSE"), 200, "x", true, false},
		{"1.0 default", build("HTTP/1.0 200 OK", "x"), 200, "x", true, false},
		{"1.0 keep-alive", build("HTTP/1.0 200 OK", "x", "Connection: Keep-Alive"), 200, "x", false, false},
		{"until EOF", "HTTP/1.1 200 OK\r\n\r\nrest of it", 200, "rest of it", false, true},
		{"no body for 304 even at EOF", "HTTP/1.1 304 Not Modified\r\n\r\n", 304, "", false, false},
		{"status below 100 has a body", "HTTP/1.1 099 odd\r\nContent-Length: 1\r\n\r\nz", 99, "z", false, false},
		{"minor version 9", "HTTP/1.9 201 Created\r\nContent-Length: 0\r\n\r\n", 201, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newParser(tc.raw, 100).next()
			require.NoError(t, err)
			assert.Equal(t, tc.status, r.status)
			assert.Equal(t, tc.body, string(r.body))
			assert.Equal(t, tc.close, r.close, "close")
			assert.Equal(t, tc.untilEOF, r.untilEOF, "untilEOF")
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("a", maxHeaderBytes)
	for _, tc := range []struct {
		name, raw string
		want      error
	}{
		{"empty", "", io.EOF},
		{"cut in status line", "HTTP/1.1 20", io.ErrUnexpectedEOF},
		{"cut in headers", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n", io.ErrUnexpectedEOF},
		{"cut in body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", io.ErrUnexpectedEOF},
		{"cut in chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", io.ErrUnexpectedEOF},
		{"cut before trailers end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", io.ErrUnexpectedEOF},
		{"HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n", wire.ErrMalformed},
		{"lower-case protocol", "http/1.1 200 OK\r\n\r\n", wire.ErrMalformed},
		{"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", wire.ErrMalformed},
		{"letters in status", "HTTP/1.1 2OO OK\r\n\r\n", wire.ErrMalformed},
		{"no space after status", "HTTP/1.1 200OK\r\n\r\n", wire.ErrMalformed},
		{"garbage", "SSH-2.0-OpenSSH\r\n", wire.ErrMalformed},
		{"header without colon", "HTTP/1.1 200 OK\r\nContent-Length 1\r\n\r\n", wire.ErrMalformed},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", wire.ErrMalformed},
		{"empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", wire.ErrMalformed},
		{"folded line", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n", wire.ErrMalformed},
		{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", wire.ErrMalformed},
		{"empty length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", wire.ErrMalformed},
		{"conflicting lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", wire.ErrMalformed},
		{"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", wire.ErrMalformed},
		{"two codings", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", wire.ErrMalformed},
		{"chunked in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", wire.ErrMalformed},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", wire.ErrMalformed},
		{"huge chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", wire.ErrMalformed},
		{"chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", wire.ErrMalformed},
		{"long chunk line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + long + "\r\n", wire.ErrMalformed},
		{"bad trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n", wire.ErrMalformed},
		{"101", "HTTP/1.1 101 Switching Protocols\r\n\r\n", wire.ErrMalformed},
		{"header too large", "HTTP/1.1 200 OK\r\nX: " + long + "\r\n\r\n", wire.ErrMalformed},
		{"many headers too large", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: "+strings.Repeat("b", 1000)+"\r\n", 70) + "\r\n", wire.ErrMalformed},
		{"length over cap", "HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", wire.ErrBodyTooLarge},
		{"absurd length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", wire.ErrBodyTooLarge},
		{"chunks over cap", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n" + strings.Repeat("a", 50) + "\r\n33\r\n", wire.ErrBodyTooLarge},
		{"EOF body over cap", "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("a", 101), wire.ErrBodyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newParser(tc.raw, 100).next()
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestParseHeaders(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\n" +
		"X-Push-Host-List: a.example, b.example\r\n" +
		"x-pushy: not ours\r\n" +
		"Retry-After:   120\t\r\n" +
		"X-PUSH-Trace-Id:t-1\r\n" +
		"Server: whatever\r\n" +
		"Content-Length: 0\r\n\r\n"
	r, err := newParser(raw, 100).next()
	require.NoError(t, err)
	require.Equal(t, []wire.Header{
		{Name: "x-push-host-list", Value: "a.example, b.example"},
		{Name: "retry-after", Value: "120"},
		{Name: "x-push-trace-id", Value: "t-1"},
	}, r.header)
}

func TestParseManyResponsesReusesBuffer(t *testing.T) {
	var stream strings.Builder
	for i := 0; i < 100; i++ {
		stream.WriteString(ok(`{"result":"ok","code":0}`))
		stream.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n")
	}
	s := stream.String()
	p := newParser("", 1<<20)
	src := strings.NewReader(s)
	allocs := testing.AllocsPerRun(20, func() {
		src.Reset(s)
		p.br.Reset(src)
		for i := 0; i < 200; i++ {
			if _, err := p.next(); err != nil {
				t.Fatal(err)
			}
		}
	})
	require.Zero(t, allocs, "parsing allocates once warm")
}

// FuzzReadResponse checks the parser never panics, and that whatever it
// accepts net/http reads the same way (when net/http accepts it too: the
// parser is deliberately stricter in places, as with folded lines or
// Transfer-Encoding in HTTP/1.0).
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		ok("hello"),
		ok("a") + ok("bc"),
		"HTTP/1.1 100 Continue\r\n\r\n" + ok("x"),
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n" + ok("after"),
		"HTTP/1.0 200 OK\r\n\r\nuntil eof",
		"HTTP/1.1 503 \r\nRetry-After: 1\r\nX-Push-A: b\r\ncontent-length:2\r\n\r\nno",
		"HTTP/1.1 200 OK\nContent-Length: 1\n\nz",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &parser{br: bufio.NewReaderSize(bytes.NewReader(data), bufSize), maxBody: 1 << 16}
		hr := bufio.NewReader(bytes.NewReader(data))
		for k := 0; k < 4; k++ {
			r, err := p.next()
			if err != nil {
				return
			}
			var resp *http.Response
			for {
				resp, err = http.ReadResponse(hr, nil)
				if err != nil {
					return
				}
				if resp.StatusCode < 100 || resp.StatusCode >= 200 {
					break
				}
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				return
			}
			require.Equal(t, resp.StatusCode, r.status, "status of response %d", k)
			require.Equal(t, string(body), string(r.body), "body of response %d", k)
			if r.untilEOF {
				return
			}
		}
	})
}
