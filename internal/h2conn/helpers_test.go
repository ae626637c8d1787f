//lint:file-ignore SA1019 x/net's http2.Server is deprecated in favour of net/http, but it is a second, independent HTTP/2 implementation served over any net.Conn, which is what these tests need.

package h2conn

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// outcome is what Exchange.Done reported, copied out of the callback.
type outcome struct {
	ex     *wire.Exchange
	status int
	body   string
	header []wire.Header
	err    error
}

// calls counts Done calls per exchange; stored in Exchange.Value.
type calls struct{ n atomic.Int32 }

// newEx returns a POST exchange that reports its outcome on out, which
// must have room: Done must not block.
func newEx(path, body string, out chan<- outcome) *wire.Exchange {
	return &wire.Exchange{
		Req: wire.Request{
			Method: "POST",
			Path:   path,
			Auth:   "key=secret",
			Body:   []byte(body),
		},
		Value: new(calls),
		Done: func(ex *wire.Exchange, resp *wire.Response, err error) {
			ex.Value.(*calls).n.Add(1)
			o := outcome{ex: ex, err: err}
			if resp != nil {
				o.status = resp.Status
				o.body = string(resp.Body) // Body is only valid during Done
				o.header = resp.Header
			}
			out <- o
		},
	}
}

// wireErr returns err as a *wire.Error, failing the test if it is not one.
func wireErr(t testing.TB, err error) *wire.Error {
	t.Helper()
	var we *wire.Error
	require.ErrorAs(t, err, &we)
	return we
}

// testConfig is the Config the tests start from.
func testConfig(q chan *wire.Exchange, closed chan error) wire.Config {
	return wire.Config{
		Queue:     q,
		Window:    100,
		Authority: "push.example",
		UserAgent: "h2conn-test",
		MaxBody:   1 << 20,
		OnClose:   func(err error) { closed <- err },
	}
}

// xfix is a Conn talking to golang.org/x/net/http2's server over net.Pipe.
type xfix struct {
	c      *Conn
	q      chan *wire.Exchange
	out    chan outcome
	closed chan error
}

func startX(t *testing.T, srv *http2.Server, h http.HandlerFunc, edit func(*wire.Config)) *xfix {
	t.Helper()
	cli, srvc := net.Pipe()
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.ServeConn(srvc, &http2.ServeConnOpts{Handler: h})
	}()
	f := &xfix{
		q:      make(chan *wire.Exchange, 1024),
		out:    make(chan outcome, 1024),
		closed: make(chan error, 1),
	}
	cfg := testConfig(f.q, f.closed)
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(context.Background(), cli, cfg)
	require.NoError(t, err)
	f.c = c
	t.Cleanup(func() {
		c.Close()
		<-c.Done()
		srvc.Close()
		<-served
	})
	return f
}

// peer is a minimal HTTP/2 server written with the raw Framer, for precise
// control over what the connection receives.
type peer struct {
	nc net.Conn

	wmu  sync.Mutex
	fr   *http2.Framer // writes; reads happen only in readLoop
	henc *hpack.Encoder
	hbuf bytes.Buffer

	reqs     chan peerReq
	events   chan any
	readDone chan struct{}

	seenMu sync.Mutex
	seen   map[string]uint32 // x-seq request header -> stream id, at HEADERS

	// budget limits how many more frames readLoop reads (negative: no
	// limit); resume wakes it once the budget is raised.
	budget atomic.Int64
	resume chan struct{}
}

// peerReq is a complete request as the peer received it.
type peerReq struct {
	ID     uint32
	Header map[string]string
	Body   []byte
}

// Frames other than requests, as the peer received them.
type (
	rstEvent struct {
		ID   uint32
		Code http2.ErrCode
	}
	goAwayEvent struct {
		Last uint32
		Code http2.ErrCode
	}
	pingEvent struct {
		Ack  bool
		Data [8]byte
	}
	settingsEvent struct{ Ack bool }
	dataEvent     struct {
		ID  uint32
		N   int
		End bool
	}
)

// newPeer starts a peer on one end of a pipe and returns the other end for
// the client. It reads the client preface and sends settings in the
// background; the client's New completes the handshake.
func newPeer(t testing.TB, settings ...http2.Setting) (*peer, net.Conn) {
	cli, srv := net.Pipe()
	p := &peer{
		nc:       srv,
		reqs:     make(chan peerReq, 4096),
		events:   make(chan any, 4096),
		readDone: make(chan struct{}),
		resume:   make(chan struct{}, 1),
		seen:     map[string]uint32{},
	}
	p.budget.Store(-1)
	p.fr = http2.NewFramer(srv, nil)
	p.henc = hpack.NewEncoder(&p.hbuf)
	go p.readLoop()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		p.wmu.Lock()
		defer p.wmu.Unlock()
		p.fr.WriteSettings(settings...)
	}()
	t.Cleanup(func() {
		p.nc.Close()
		<-wrote
		<-p.readDone
	})
	return p, cli
}

func (p *peer) readLoop() {
	defer close(p.readDone)
	defer close(p.events)
	defer close(p.reqs)
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(p.nc, preface); err != nil || string(preface) != http2.ClientPreface {
		p.nc.Close()
		return
	}
	fr := http2.NewFramer(nil, p.nc)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.MaxHeaderListSize = 1 << 20
	open := map[uint32]*peerReq{}
	for {
		for p.budget.Load() == 0 {
			<-p.resume
		}
		if p.budget.Load() > 0 {
			p.budget.Add(-1)
		}
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			r := &peerReq{ID: f.StreamID, Header: map[string]string{}}
			for _, hf := range f.Fields {
				r.Header[hf.Name] = hf.Value
			}
			if seq, ok := r.Header["x-seq"]; ok {
				p.seenMu.Lock()
				p.seen[seq] = f.StreamID
				p.seenMu.Unlock()
			}
			if f.StreamEnded() {
				p.reqs <- *r
			} else {
				open[f.StreamID] = r
			}
		case *http2.DataFrame:
			p.events <- dataEvent{f.StreamID, len(f.Data()), f.StreamEnded()}
			r := open[f.StreamID]
			if r == nil {
				continue
			}
			r.Body = append(r.Body, f.Data()...)
			if f.StreamEnded() {
				delete(open, f.StreamID)
				p.reqs <- *r
			}
		case *http2.RSTStreamFrame:
			delete(open, f.StreamID)
			p.events <- rstEvent{f.StreamID, f.ErrCode}
		case *http2.GoAwayFrame:
			p.events <- goAwayEvent{f.LastStreamID, f.ErrCode}
		case *http2.PingFrame:
			p.events <- pingEvent{f.IsAck(), f.Data}
		case *http2.SettingsFrame:
			p.events <- settingsEvent{f.IsAck()}
		}
	}
}

// sawSeq reports whether the peer read the HEADERS of the request with
// header x-seq: seq.
func (p *peer) sawSeq(seq string) bool {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	_, ok := p.seen[seq]
	return ok
}

// seenID returns the stream id of the request with header x-seq: seq.
func (p *peer) seenID(seq string) uint32 {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	return p.seen[seq]
}

// setBudget lets readLoop read n more frames (n < 0: any number).
func (p *peer) setBudget(n int64) {
	p.budget.Store(n)
	select {
	case p.resume <- struct{}{}:
	default:
	}
}

// nextReq returns the next complete request.
func (p *peer) nextReq(t testing.TB) peerReq {
	t.Helper()
	r, ok := <-p.reqs
	require.True(t, ok)
	return r
}

// autoRespond answers every request the peer receives from now on with
// "re:<body>", until the connection ends.
func (p *peer) autoRespond() {
	go func() {
		for r := range p.reqs {
			p.respond(r.ID, "200", "re:"+string(r.Body))
		}
	}()
}

// waitEvent returns the next event for which match is true, skipping others.
func waitEvent[E any](t testing.TB, p *peer, match func(E) bool) E {
	t.Helper()
	for ev := range p.events {
		if e, ok := ev.(E); ok && (match == nil || match(e)) {
			return e
		}
	}
	t.Fatal("events closed")
	panic("unreachable")
}

func (p *peer) headers(id uint32, end bool, kv ...string) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.hbuf.Reset()
	for i := 0; i < len(kv); i += 2 {
		p.henc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return p.fr.WriteHeaders(http2.HeadersFrameParam{
		StreamID: id, BlockFragment: p.hbuf.Bytes(), EndStream: end, EndHeaders: true,
	})
}

func (p *peer) data(id uint32, end bool, b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.fr.WriteData(id, end, b)
}

// respond sends a complete response.
func (p *peer) respond(id uint32, status string, body string) error {
	if body == "" {
		return p.headers(id, true, ":status", status)
	}
	if err := p.headers(id, false, ":status", status, "content-type", "application/json"); err != nil {
		return err
	}
	return p.data(id, true, []byte(body))
}

func (p *peer) rst(id uint32, code http2.ErrCode) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.fr.WriteRSTStream(id, code)
}

func (p *peer) goAway(last uint32, code http2.ErrCode) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.fr.WriteGoAway(last, code, []byte("test"))
}

func (p *peer) settings(s ...http2.Setting) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.fr.WriteSettings(s...)
}

func (p *peer) windowUpdate(id, n uint32) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.fr.WriteWindowUpdate(id, n)
}

func (p *peer) ping(data [8]byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.fr.WritePing(false, data)
}

// pfix is a Conn talking to a peer.
type pfix struct {
	p      *peer
	c      *Conn
	q      chan *wire.Exchange
	out    chan outcome
	closed chan error
}

func startPeer(t testing.TB, edit func(*wire.Config), settings ...http2.Setting) *pfix {
	t.Helper()
	p, cli := newPeer(t, settings...)
	f := &pfix{
		p:      p,
		q:      make(chan *wire.Exchange, 1024),
		out:    make(chan outcome, 1024),
		closed: make(chan error, 2), // room for a wrong second call
	}
	cfg := testConfig(f.q, f.closed)
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(context.Background(), cli, cfg)
	require.NoError(t, err)
	f.c = c
	t.Cleanup(func() {
		c.Close()
		<-c.Done()
	})
	return f
}

// send queues n exchanges with bodies "<prefix>-<i>".
func (f *pfix) send(n int, prefix string) []*wire.Exchange {
	exs := make([]*wire.Exchange, n)
	for i := range exs {
		exs[i] = newEx("/v3/message/regid", prefix+"-"+strconv.Itoa(i), f.out)
		f.q <- exs[i]
	}
	return exs
}

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
