package h1conn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/wire"
)

// requireEchoes checks exchanges [from, to) got their own echoed response.
func requireEchoes(t *testing.T, tr *tracker, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		o := tr.get(i)
		require.Equal(t, 1, o.calls, "exchange %d", i)
		require.NoError(t, o.err, "exchange %d", i)
		require.Equal(t, 200, o.status, "exchange %d", i)
		require.Equal(t, wantEcho(i), o.body, "exchange %d", i)
	}
}

// requireFailed checks exchanges [from, to) failed once with an *wire.Error
// wrapping target and with the given NotProcessed.
func requireFailed(t *testing.T, tr *tracker, from, to int, target error, notProcessed bool) {
	t.Helper()
	for i := from; i < to; i++ {
		o := tr.get(i)
		require.Equal(t, 1, o.calls, "exchange %d", i)
		var we *wire.Error
		require.ErrorAs(t, o.err, &we, "exchange %d", i)
		require.ErrorIs(t, o.err, target, "exchange %d", i)
		require.Equal(t, notProcessed, we.NotProcessed, "exchange %d: NotProcessed; err: %v", i, o.err)
	}
}

func TestPipelineManyEchoedInOrder(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 16})
	// The peer answers everything it has read so far in one write, so
	// the client sees many responses coalesced in a read.
	go func() {
		var out bytes.Buffer
		for {
			req, body, err := h.peer.read()
			if err != nil {
				return
			}
			out.WriteString(echo(0, req, body))
			if h.peer.br.Buffered() > 0 {
				continue // more requests already here: answer them together
			}
			if _, err := h.peer.nc.Write(out.Bytes()); err != nil {
				return
			}
			out.Reset()
		}
	}()
	const n = 2000
	h.send(n)
	h.tr.wait(t, n)
	requireEchoes(t, h.tr, 0, n)
	require.Zero(t, h.c.InFlight())
	h.c.Retire()
	require.NoError(t, h.finished(t))
}

func TestRequestBytes(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4, Authority: "api.xmpush.example:443", UserAgent: "mipush-go/test"})
	got := make(chan string, 1)
	go func() {
		// Two requests are written back to back: read both raw.
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for !strings.Contains(b.String(), "GET") || !strings.HasSuffix(b.String(), "\r\n\r\n") {
			n, err := h.peer.nc.Read(buf)
			if err != nil {
				break
			}
			b.Write(buf[:n])
		}
		got <- b.String()
		io.WriteString(h.peer.nc, ok("a")+ok("b"))
	}()
	post := h.tr.add()
	post.Req.Header = []wire.Header{{Name: "x-push-trace", Value: "t1"}}
	get := h.tr.add()
	get.Req = wire.Request{Method: "GET", Path: "/v1/trace/message/status?msg_id=abc", Auth: "key=secret"}
	h.queue <- post
	h.queue <- get
	h.tr.wait(t, 2)
	const want = "POST /n/0 HTTP/1.1\r\n" +
		"Host: api.xmpush.example:443\r\n" +
		"Authorization: key=secret\r\n" +
		"Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n" +
		"Content-Length: 3\r\n" +
		"User-Agent: mipush-go/test\r\n" +
		"x-push-trace: t1\r\n" +
		"\r\n" +
		"i=0" +
		"GET /v1/trace/message/status?msg_id=abc HTTP/1.1\r\n" +
		"Host: api.xmpush.example:443\r\n" +
		"Authorization: key=secret\r\n" +
		"Content-Type: application/x-www-form-urlencoded;charset=UTF-8\r\n" +
		"User-Agent: mipush-go/test\r\n" +
		"\r\n"
	require.Equal(t, want, <-got)
	require.Equal(t, "a", h.tr.get(0).body)
	require.Equal(t, "b", h.tr.get(1).body)
}

func TestInvalidRequestNotWritten(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go h.peer.serve(echo)
	bad := []wire.Request{
		{Method: "POST", Path: "/a", Auth: "key=x\r\nX-Evil: 1"},
		{Method: "POST", Path: "/a b"},
		{Method: "POST", Path: "a"},
		{Method: "DELETE", Path: "/a"},
		{Method: "GET", Path: "/a", Body: []byte("x")},
		{Method: "POST", Path: "/a", Header: []wire.Header{{Name: "bad name", Value: "v"}}},
		{Method: "POST", Path: "/a", Header: []wire.Header{{Name: "x", Value: "v\n"}}},
	}
	for _, r := range bad {
		ex := h.tr.add()
		ex.Req = r
		h.queue <- ex
	}
	h.send(1) // a good one after them still goes through
	h.tr.wait(t, len(bad)+1)
	for i := range bad {
		o := h.tr.get(i)
		require.Equal(t, 1, o.calls)
		var we *wire.Error
		require.ErrorAs(t, o.err, &we, "request %d", i)
		require.True(t, we.NotProcessed, "request %d", i)
	}
	// The peer answers by echoing: had anything of the bad ones been
	// written, the good one would not get its own answer.
	requireEchoes(t, h.tr, len(bad), len(bad)+1)
}

func TestWindowBoundsRequestsInFlight(t *testing.T) {
	for _, window := range []int{1, 3} {
		t.Run(fmt.Sprint("window=", window), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, wire.Config{Window: window})
				var received atomic.Int64
				reqs := make(chan *http.Request, 100)
				go func() {
					for {
						req, _, err := h.peer.read()
						if err != nil {
							return
						}
						received.Add(1)
						reqs <- req
					}
				}()
				const n = 10
				h.send(n)
				answered := 0
				for answered < n {
					synctest.Wait()
					// Everything the client was willing to write has
					// been read: exactly a window's worth beyond what
					// was answered.
					require.Equal(t, int64(min(answered+window, n)), received.Load(), "after %d answered", answered)
					require.Equal(t, min(window, n-answered), h.c.InFlight())
					req := <-reqs
					_, err := io.WriteString(h.peer.nc, ok(req.URL.Path))
					require.NoError(t, err)
					answered++
				}
				h.tr.wait(t, n)
				for i := 0; i < n; i++ {
					require.Equal(t, fmt.Sprintf("/n/%d", i), h.tr.get(i).body)
				}
			})
		})
	}
}

func TestResponsesSplitByteByByte(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 8})
	go func() {
		for {
			req, body, err := h.peer.read()
			if err != nil {
				return
			}
			// An interim response and a chunked one, a byte per write.
			raw := "HTTP/1.1 100 Continue\r\n\r\n" +
				"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Push-Id: " + body + "\r\n\r\n" +
				fmt.Sprintf("%x;ext=1\r\n%s\r\n0\r\nTrailer: x\r\n\r\n", len(req.URL.Path), req.URL.Path)
			for i := 0; i < len(raw); i++ {
				if _, err := h.peer.nc.Write([]byte{raw[i]}); err != nil {
					return
				}
			}
		}
	}()
	const n = 20
	h.send(n)
	h.tr.wait(t, n)
	for i := 0; i < n; i++ {
		o := h.tr.get(i)
		require.NoError(t, o.err)
		require.Equal(t, fmt.Sprintf("/n/%d", i), o.body)
		require.Equal(t, []wire.Header{{Name: "x-push-id", Value: fmt.Sprintf("i=%d", i)}}, o.header)
	}
}

func TestResponsesCoalescedInOneWrite(t *testing.T) {
	const n = 50
	h := newHarness(t, wire.Config{Window: n})
	go h.peer.echoAllAtOnce(n)
	h.send(n)
	h.tr.wait(t, n)
	requireEchoes(t, h.tr, 0, n)
}

// TestResponseShapes runs one response of each shape through a connection,
// each followed by the next, so framing errors would show as wrong bodies.
func TestResponseShapes(t *testing.T) {
	cases := []struct {
		name, raw, body string
		status          int
		header          []wire.Header
	}{
		{"plain", ok("hello"), "hello", 200, nil},
		{"empty reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nhi", "hi", 200, nil},
		{"error status", build("HTTP/1.1 503 Service Unavailable", "busy", "Retry-After: 3"), "busy", 503, []wire.Header{{Name: "retry-after", Value: "3"}}},
		{"header case and spaces", "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:\t 3 \r\nX-PUSH-Host-List:  a,b \r\n\r\nabc", "abc", 200, []wire.Header{{Name: "x-push-host-list", Value: "a,b"}}},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nA; name=val\r\n0123456789\r\n0\r\n\r\n", "abc0123456789", 200, nil},
		{"chunked with trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n", "ok", 200, nil},
		{"100 continue skipped", "HTTP/1.1 100 Continue\r\n\r\n" + ok("after"), "after", 200, nil},
		{"103 early hints skipped", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n" + ok("x"), "x", 200, nil},
		{"204 ignores Content-Length", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "", 204, nil},
		{"304", "HTTP/1.1 304 Not Modified\r\n\r\n", "", 304, nil},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nold", "old", 200, nil},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nlf", "lf", 200, nil},
		{"duplicate equal Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", "ok", 200, nil},
		{"chunked beats Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", "z", 200, nil},
	}
	h := newHarness(t, wire.Config{Window: 1})
	go h.peer.serve(func(i int, _ *http.Request, _ string) string { return cases[i].raw })
	h.send(len(cases))
	h.tr.wait(t, len(cases))
	for i, tc := range cases {
		o := h.tr.get(i)
		require.NoError(t, o.err, tc.name)
		assert.Equal(t, tc.status, o.status, tc.name)
		assert.Equal(t, tc.body, o.body, tc.name)
		assert.Equal(t, tc.header, o.header, tc.name)
	}
}

func TestConnectionCloseMidPipeline(t *testing.T) {
	for _, closing := range []string{
		"Connection: close",
		"Connection: keep-alive, Close",
	} {
		t.Run(closing, func(t *testing.T) {
			h := newHarness(t, wire.Config{Window: 8})
			const n = 6
			go func() {
				var answers bytes.Buffer
				for i := 0; i < n; i++ {
					req, body, err := h.peer.read()
					if err != nil {
						return
					}
					switch {
					case i < 2:
						answers.WriteString(echo(i, req, body))
					case i == 2:
						answers.WriteString(ok(wantEcho(i), closing))
					}
				}
				// Answer the first three, then close gracefully, as a
				// server does after a "Connection: close" response.
				h.peer.nc.Write(answers.Bytes())
				h.peer.nc.Close()
			}()
			h.send(n)
			h.tr.wait(t, n)
			requireEchoes(t, h.tr, 0, 3)
			requireFailed(t, h.tr, 3, n, wire.ErrConnClosed, true)
			require.ErrorIs(t, h.finished(t), wire.ErrConnClosed)
			// Nothing more is taken from the queue.
			h.send(1)
			require.Len(t, h.queue, 1)
		})
	}
}

func TestHTTP10WithoutKeepAliveCloses(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go func() {
		for i := 0; i < 3; i++ {
			if _, _, err := h.peer.read(); err != nil {
				return
			}
		}
		io.WriteString(h.peer.nc, build("HTTP/1.0 200 OK", wantEcho(0)))
		h.peer.nc.Close()
	}()
	h.send(3)
	h.tr.wait(t, 3)
	requireEchoes(t, h.tr, 0, 1)
	requireFailed(t, h.tr, 1, 3, wire.ErrConnClosed, true)
	require.Error(t, h.finished(t))
}

func TestBodyUntilEOF(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go func() {
		for i := 0; i < 2; i++ {
			if _, _, err := h.peer.read(); err != nil {
				return
			}
		}
		io.WriteString(h.peer.nc, "HTTP/1.1 200 OK\r\n\r\nto the end")
		h.peer.nc.Close()
	}()
	h.send(2)
	h.tr.wait(t, 2)
	o := h.tr.get(0)
	require.NoError(t, o.err)
	require.Equal(t, "to the end", o.body)
	// No "Connection: close" was promised: the second may have been
	// processed.
	requireFailed(t, h.tr, 1, 2, wire.ErrConnClosed, false)
	require.ErrorIs(t, h.finished(t), wire.ErrConnClosed)
}

func TestPeerClosesMidPipeline(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go func() {
		for i := 0; i < 4; i++ {
			if _, _, err := h.peer.read(); err != nil {
				return
			}
		}
		// One answer, half of another, and the connection drops.
		io.WriteString(h.peer.nc, ok(wantEcho(0))+"HTTP/1.1 200 OK\r\nContent-Len")
		h.peer.nc.Close()
	}()
	h.send(4)
	h.tr.wait(t, 4)
	requireEchoes(t, h.tr, 0, 1)
	requireFailed(t, h.tr, 1, 4, wire.ErrConnClosed, false)
	require.ErrorIs(t, h.tr.get(1).err, io.ErrUnexpectedEOF)
	require.ErrorIs(t, h.finished(t), wire.ErrConnClosed)
}

func TestTCPResetMidPipeline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	queue := make(chan *wire.Exchange, 8)
	closed := make(chan error, 1)
	tr := newTracker(8)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		p := newPeer(nc)
		for i := 0; i < 3; i++ {
			if _, _, err := p.read(); err != nil {
				return
			}
		}
		nc.(*net.TCPConn).SetLinger(0) // close with a reset
		nc.Close()
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	c := New(nc, wire.Config{Queue: queue, Window: 4, Authority: "x", OnClose: func(err error) { closed <- err }})
	defer c.Close()
	for i := 0; i < 3; i++ {
		queue <- tr.add()
	}
	tr.wait(t, 3)
	<-c.Done()
	requireFailed(t, tr, 0, 3, wire.ErrConnClosed, false)
	require.Error(t, <-closed)
}

func TestMalformedStatusLine(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go func() {
		for i := 0; i < 3; i++ {
			if _, _, err := h.peer.read(); err != nil {
				return
			}
		}
		io.WriteString(h.peer.nc, ok(wantEcho(0))+"HTTP/1.1 2OO OK\r\n\r\n")
	}()
	h.send(3)
	h.tr.wait(t, 3)
	requireEchoes(t, h.tr, 0, 1)
	requireFailed(t, h.tr, 1, 2, wire.ErrMalformed, false)
	require.Contains(t, h.tr.get(1).err.Error(), `"HTTP/1.1 2OO OK"`)
	requireFailed(t, h.tr, 2, 3, wire.ErrConnClosed, false)
	require.NotErrorIs(t, h.tr.get(2).err, wire.ErrMalformed, "only the answered exchange owns the parse error")
	require.ErrorIs(t, h.finished(t), wire.ErrMalformed)
}

func TestBodyTooLarge(t *testing.T) {
	for name, raw := range map[string]string{
		"content-length": ok("0123456789A"),
		"chunked":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n6789AB\r\n0\r\n\r\n",
		"until EOF":      "HTTP/1.1 200 OK\r\n\r\n0123456789A",
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, wire.Config{Window: 4, MaxBody: 10})
			go func() {
				for i := 0; i < 2; i++ {
					if _, _, err := h.peer.read(); err != nil {
						return
					}
				}
				io.WriteString(h.peer.nc, ok("0123456789")+raw)
				h.peer.nc.Close()
			}()
			h.send(2)
			h.tr.wait(t, 2)
			require.Equal(t, "0123456789", h.tr.get(0).body, "a body at the cap is fine")
			requireFailed(t, h.tr, 1, 2, wire.ErrBodyTooLarge, false)
			require.ErrorIs(t, h.finished(t), wire.ErrBodyTooLarge)
		})
	}
}

func TestUnsolicitedResponse(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go io.WriteString(h.peer.nc, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	err := h.finished(t)
	require.ErrorIs(t, err, wire.ErrMalformed)
	require.Contains(t, err.Error(), "408")
}

func TestPeerClosesIdle(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	h.peer.nc.Close()
	err := h.finished(t)
	require.ErrorIs(t, err, wire.ErrConnClosed)
	require.ErrorIs(t, err, io.EOF)
}

func TestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, wire.Config{Window: 4, Timeout: 5 * time.Second})
		start := time.Now()
		reqs := make(chan string, 8)
		go func() {
			for {
				req, _, err := h.peer.read()
				if err != nil {
					return
				}
				reqs <- req.URL.Path
			}
		}()
		// Exchange 0 is written at 0s, and the timer armed for 5s.
		h.send(1)
		<-reqs
		// Exchanges 1 and 2 are written at 3s.
		time.Sleep(3 * time.Second)
		h.send(2)
		<-reqs
		<-reqs
		// Exchange 0 is answered in time, at 4s.
		time.Sleep(time.Second)
		io.WriteString(h.peer.nc, ok(wantEcho(0)))
		// The timer fires at 5s, finds exchange 1 not yet due, and
		// re-arms for 8s, when exchange 1 times out.
		h.tr.wait(t, 3)
		require.Equal(t, 8*time.Second, time.Since(start))
		requireEchoes(t, h.tr, 0, 1)
		requireFailed(t, h.tr, 1, 2, wire.ErrTimeout, false)
		requireFailed(t, h.tr, 2, 3, wire.ErrConnClosed, false)
		require.NotErrorIs(t, h.tr.get(2).err, wire.ErrTimeout, "only the oldest timed out")
		require.ErrorIs(t, h.finished(t), wire.ErrTimeout)
	})
}

func TestTimeoutIdleConnectionStaysUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, wire.Config{Window: 4, Timeout: time.Second})
		go h.peer.serve(echo)
		h.send(1)
		h.tr.wait(t, 1)
		time.Sleep(time.Minute) // idle: no exchange to time out
		h.send(1)
		h.tr.wait(t, 1)
		requireEchoes(t, h.tr, 0, 2)
		select {
		case <-h.c.Done():
			t.Fatal("idle connection closed")
		default:
		}
	})
}

func TestRetireWithExchangesInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, wire.Config{Window: 4})
		reqs := make(chan string, 8)
		peerDone := make(chan error, 1)
		go func() {
			for {
				req, _, err := h.peer.read()
				if err != nil {
					peerDone <- err
					return
				}
				reqs <- req.URL.Path
			}
		}()
		h.send(3)
		for i := 0; i < 3; i++ {
			<-reqs
		}
		synctest.Wait() // the writer is waiting for more
		h.c.Retire()
		h.c.Retire() // idempotent
		h.send(2)    // after Retire: must stay queued
		synctest.Wait()
		require.Equal(t, 3, h.c.InFlight())
		for i := 0; i < 3; i++ {
			io.WriteString(h.peer.nc, ok(wantEcho(i)))
		}
		h.tr.wait(t, 3)
		requireEchoes(t, h.tr, 0, 3)
		require.NoError(t, h.finished(t))
		require.ErrorIs(t, <-peerDone, io.EOF, "the client closed its end")
		require.Len(t, h.queue, 2)
	})
}

func TestRetireIdle(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	h.c.Retire()
	require.NoError(t, h.finished(t))
}

func TestQueueClosedRetires(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go h.peer.serve(echo)
	h.send(3)
	close(h.queue)
	h.tr.wait(t, 3)
	requireEchoes(t, h.tr, 0, 3)
	require.NoError(t, h.finished(t))
}

func TestCloseFromDone(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 8})
	h.tr.onDone = func(i int) {
		if i == 1 {
			h.c.Close()
			h.c.Close()
			h.c.Retire()
		}
	}
	const n = 5
	// All answers in one write: exchanges 2 to 4 have their responses
	// already read when exchange 1's Done closes the connection, and must
	// fail all the same, once.
	go h.peer.echoAllAtOnce(n)
	h.send(n)
	h.tr.wait(t, n)
	requireEchoes(t, h.tr, 0, 2)
	requireFailed(t, h.tr, 2, n, wire.ErrConnClosed, false)
	require.ErrorIs(t, h.finished(t), wire.ErrConnClosed)
}

func TestRetireFromDone(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 1})
	h.tr.onDone = func(i int) {
		if i == 0 {
			h.c.Retire()
		}
	}
	go h.peer.serve(echo)
	h.send(3)
	require.NoError(t, h.finished(t))
	// The slot freed by exchange 0's response may have let the writer
	// take exchange 1 before the Retire in exchange 0's Done; whatever
	// was taken was answered, the rest stayed queued.
	taken := 3 - len(h.queue)
	require.GreaterOrEqual(t, taken, 1)
	require.LessOrEqual(t, taken, 2)
	requireEchoes(t, h.tr, 0, taken)
	for i := taken; i < 3; i++ {
		require.Zero(t, h.tr.get(i).calls)
	}
}

func TestCloseAbortsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, wire.Config{Window: 4})
		go func() {
			for {
				if _, _, err := h.peer.read(); err != nil {
					return
				}
			}
		}()
		h.send(3)
		synctest.Wait()
		h.c.Close()
		h.tr.wait(t, 3)
		requireFailed(t, h.tr, 0, 3, wire.ErrConnClosed, false)
		require.ErrorIs(t, h.finished(t), wire.ErrConnClosed)
	})
}

func TestWithdrawnExchangeDropped(t *testing.T) {
	h := newHarness(t, wire.Config{Window: 4})
	go h.peer.serve(echo)
	var dropped atomic.Int32
	ex := h.tr.add()
	ex.Dropped = func(*wire.Exchange) { dropped.Add(1) }
	require.True(t, ex.Withdraw())
	h.queue <- ex
	h.send(1)
	h.tr.wait(t, 1)
	requireEchoes(t, h.tr, 1, 2)
	require.Zero(t, h.tr.get(0).calls)
	require.EqualValues(t, 1, dropped.Load())
}

func TestFailureClassification(t *testing.T) {
	cause := fmt.Errorf("h1conn: %w: read: boom", wire.ErrConnClosed)
	timeout := fmt.Errorf("x: %w", wire.ErrTimeout)
	for _, tc := range []struct {
		name         string
		end          endKind
		cause        error
		oldest, sent bool
		is, isNot    error
		notProcessed bool
	}{
		{"conn sent", endConn, cause, true, true, wire.ErrConnClosed, nil, false},
		{"conn unsent", endConn, cause, false, false, wire.ErrConnClosed, nil, true},
		{"head oldest", endHead, timeout, true, true, wire.ErrTimeout, nil, false},
		{"head later", endHead, timeout, false, true, wire.ErrConnClosed, wire.ErrTimeout, false},
		{"head oldest unsent", endHead, timeout, true, false, wire.ErrConnClosed, wire.ErrTimeout, true},
		{"server close", endServerClose, cause, true, true, wire.ErrConnClosed, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := failure(tc.end, tc.cause, tc.oldest, tc.sent)
			require.ErrorIs(t, err, tc.is)
			if tc.isNot != nil {
				require.NotErrorIs(t, err, tc.isNot)
			}
			require.Equal(t, tc.notProcessed, err.NotProcessed)
		})
	}
}

// TestUnsentExchangesNotProcessed ends the connection while the writer
// holds a request it has not flushed yet: that request never reached the
// socket, so it fails NotProcessed.
func TestUnsentExchangesNotProcessed(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	queue := make(chan *wire.Exchange, 4)
	tr := newTracker(4)
	var c *Conn
	// Queued before the connection starts, so the writer finds all three
	// ready and buffers the first without flushing. Taking the second
	// (withdrawn) calls Dropped on the writer goroutine, which closes
	// the connection right there.
	queue <- tr.add()
	gone := tr.add()
	require.True(t, gone.Withdraw())
	ready := make(chan struct{})
	gone.Dropped = func(*wire.Exchange) { <-ready; c.Close() }
	queue <- gone
	queue <- tr.add()
	closed := make(chan error, 1)
	c = New(client, wire.Config{Queue: queue, Window: 4, Authority: "x", OnClose: func(err error) { closed <- err }})
	close(ready)
	tr.wait(t, 1)
	<-c.Done()
	requireFailed(t, tr, 0, 1, wire.ErrConnClosed, true)
	require.Zero(t, tr.get(1).calls)
	require.Zero(t, tr.get(2).calls)
	require.Len(t, queue, 1)
	require.ErrorIs(t, <-closed, wire.ErrConnClosed)
}

// failingWriter passes the first left bytes written through, then fails.
type failingWriter struct {
	net.Conn
	left int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= f.left {
		f.left -= len(p)
		return f.Conn.Write(p)
	}
	n, _ := f.Conn.Write(p[:f.left])
	f.left = 0
	return n, errors.New("injected write failure")
}

// TestWriteErrorDrainsResponses: after a write fails, the responses to
// requests that did go out are still read and delivered; the request cut
// short stays maybe processed, and the wait for it is bounded.
func TestWriteErrorDrainsResponses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := net.Pipe()
		defer server.Close()
		queue := make(chan *wire.Exchange, 4)
		tr := newTracker(4)
		for i := 0; i < 3; i++ {
			queue <- tr.add()
		}
		var probe bytes.Buffer
		enc := &Conn{host: "x", bw: bufio.NewWriter(&probe)}
		enc.encode(&tr.exs[0].Req)
		enc.bw.Flush()
		go newPeer(server).serve(echo)
		start := time.Now()
		closed := make(chan error, 1)
		c := New(&failingWriter{Conn: client, left: 2*probe.Len() + 10}, wire.Config{
			Queue: queue, Window: 4, Authority: "x", OnClose: func(err error) { closed <- err },
		})
		tr.wait(t, 3)
		<-c.Done()
		require.Equal(t, writeErrGrace, time.Since(start))
		requireEchoes(t, tr, 0, 2)
		requireFailed(t, tr, 2, 3, wire.ErrConnClosed, false)
		require.ErrorContains(t, tr.get(2).err, "injected write failure")
		require.ErrorContains(t, <-closed, "injected write failure")
	})
}
