package h1conn

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mipush-go/mipush/internal/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// outcome is what one exchange was completed with.
type outcome struct {
	calls  int
	status int
	body   string
	header []wire.Header
	err    error
}

// tracker makes exchanges and records every Done call, so that tests can
// check each exchange was completed exactly once and with what.
type tracker struct {
	mu     sync.Mutex
	exs    []*wire.Exchange
	outs   []outcome
	onDone func(i int) // called from Done, after recording; may be nil
	done   chan int    // index of each completion, in order
}

func newTracker(capacity int) *tracker {
	return &tracker{done: make(chan int, 2*capacity+16)}
}

// add makes exchange number len(exs), a POST to /n/<i> with body "i=<i>".
func (tr *tracker) add() *wire.Exchange {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	i := len(tr.exs)
	ex := &wire.Exchange{
		Req: wire.Request{
			Method: "POST",
			Path:   fmt.Sprintf("/n/%d", i),
			Auth:   "key=secret",
			Body:   []byte(fmt.Sprintf("i=%d", i)),
		},
		Value: i,
		Done:  tr.complete,
	}
	tr.exs = append(tr.exs, ex)
	tr.outs = append(tr.outs, outcome{})
	return ex
}

func (tr *tracker) complete(ex *wire.Exchange, resp *wire.Response, err error) {
	i := ex.Value.(int)
	tr.mu.Lock()
	o := &tr.outs[i]
	o.calls++
	if resp != nil {
		o.status = resp.Status
		o.body = string(resp.Body) // Body is only valid during Done
		o.header = resp.Header
	}
	o.err = err
	f := tr.onDone
	tr.mu.Unlock()
	if f != nil {
		f(i)
	}
	tr.done <- i
}

// get returns the outcome of exchange i.
func (tr *tracker) get(i int) outcome {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.outs[i]
}

// wait waits for n completions.
func (tr *tracker) wait(t *testing.T, n int) {
	t.Helper()
	for k := 0; k < n; k++ {
		select {
		case <-tr.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d exchanges completed", k, n)
		}
	}
}

// harness is a Conn over one end of a net.Pipe, and a fake server on the
// other end.
type harness struct {
	c       *Conn
	queue   chan *wire.Exchange
	peer    *peer
	closed  chan error // OnClose's argument
	tr      *tracker
	onClose int // OnClose calls
	mu      sync.Mutex
}

// newHarness starts a Conn; cfg.Queue and cfg.OnClose are filled in.
func newHarness(t *testing.T, cfg wire.Config) *harness {
	t.Helper()
	client, server := net.Pipe()
	h := &harness{
		queue:  make(chan *wire.Exchange, 4096),
		peer:   newPeer(server),
		closed: make(chan error, 2),
		tr:     newTracker(4096),
	}
	if cfg.Authority == "" {
		cfg.Authority = "api.example"
	}
	cfg.Queue = h.queue
	cfg.OnClose = func(err error) {
		h.mu.Lock()
		h.onClose++
		h.mu.Unlock()
		h.closed <- err
	}
	h.c = New(client, cfg)
	t.Cleanup(func() {
		h.c.Close()
		server.Close()
		<-h.c.Done()
	})
	return h
}

// send queues n new exchanges.
func (h *harness) send(n int) {
	for k := 0; k < n; k++ {
		h.queue <- h.tr.add()
	}
}

// finished waits for the connection to finish and returns OnClose's
// argument, checking OnClose ran exactly once and before Done closed.
func (h *harness) finished(t *testing.T) error {
	t.Helper()
	select {
	case <-h.c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection did not finish")
	}
	var err error
	select {
	case err = <-h.closed:
	default:
		t.Fatal("Done closed before OnClose was called")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Equal(t, 1, h.onClose, "OnClose calls")
	require.Zero(t, h.c.InFlight())
	return err
}

// peer is a hand-written HTTP/1.1 server end: it reads requests with
// net/http's parser and writes whatever raw bytes a test asks for.
type peer struct {
	nc net.Conn
	br *bufio.Reader
}

func newPeer(nc net.Conn) *peer { return &peer{nc: nc, br: bufio.NewReader(nc)} }

// read reads one request and its body.
func (p *peer) read() (*http.Request, string, error) {
	req, err := http.ReadRequest(p.br)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(req.Body)
	return req, string(b), err
}

// serve answers requests one by one with answer's response, until reading
// fails.
func (p *peer) serve(answer func(i int, req *http.Request, body string) string) {
	for i := 0; ; i++ {
		req, body, err := p.read()
		if err != nil {
			return
		}
		if _, err := io.WriteString(p.nc, answer(i, req, body)); err != nil {
			return
		}
	}
}

// echoAllAtOnce reads n requests and answers them all with echo in one
// write, so the client reads many responses from one read.
func (p *peer) echoAllAtOnce(n int) {
	var all bytes.Buffer
	for i := 0; i < n; i++ {
		req, body, err := p.read()
		if err != nil {
			return
		}
		all.WriteString(echo(i, req, body))
	}
	p.nc.Write(all.Bytes())
}

// ok builds a 200 response whose body is body.
func ok(body string, extra ...string) string {
	return build("HTTP/1.1 200 OK", body, extra...)
}

// build builds a response with a Content-Length.
func build(status, body string, extra ...string) string {
	var b strings.Builder
	b.WriteString(status + "\r\n")
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.String()
}

// echo answers each request with its own path and body, so a test can see
// responses were matched to the right requests.
func echo(_ int, req *http.Request, body string) string {
	return ok(req.URL.Path + " " + body)
}

// wantEcho is the body echo answers exchange i with.
func wantEcho(i int) string { return fmt.Sprintf("/n/%d i=%d", i, i) }
