package h2conn

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// collect reads n outcomes, keyed by the request body.
func collect(t testing.TB, out <-chan outcome, n int) map[string]outcome {
	t.Helper()
	m := make(map[string]outcome, n)
	for range n {
		o := <-out
		m[string(o.ex.Req.Body)] = o
	}
	return m
}

// reqs reads n requests from the peer, keyed by body.
func (p *peer) nextReqs(t testing.TB, n int) map[string]peerReq {
	t.Helper()
	m := make(map[string]peerReq, n)
	for range n {
		r := p.nextReq(t)
		m[string(r.Body)] = r
	}
	return m
}

// TestGoAwayLastStream: streams above the GOAWAY's last stream id fail
// NotProcessed at once; those at or below it still get their responses; the
// connection then closes cleanly.
func TestGoAwayLastStream(t *testing.T) {
	f := startPeer(t, nil)
	f.send(5, "m") // streams 1, 3, 5, 7, 9
	reqs := f.p.nextReqs(t, 5)
	require.Equal(t, uint32(1), reqs["m-0"].ID)
	require.Equal(t, uint32(9), reqs["m-4"].ID)

	require.NoError(t, f.p.goAway(5, http2.ErrCodeNo))
	refused := collect(t, f.out, 2)
	for _, body := range []string{"m-3", "m-4"} {
		o, ok := refused[body]
		require.True(t, ok, body)
		we := wireErr(t, o.err)
		assert.True(t, we.NotProcessed)
		var ga *GoAwayError
		require.ErrorAs(t, o.err, &ga)
		assert.Equal(t, uint32(5), ga.LastStreamID)
		assert.Equal(t, http2.ErrCodeNo, ga.Code)
	}

	// Queued after the GOAWAY: not taken, or, if the writer's receive
	// raced with the GOAWAY, failed NotProcessed without being sent.
	late := newEx("/late", "late", f.out)
	f.q <- late

	for _, body := range []string{"m-0", "m-1", "m-2"} {
		require.NoError(t, f.p.respond(reqs[body].ID, "200", "ok:"+body))
	}
	<-f.c.Done()
	assert.NoError(t, <-f.closed)
	done := collect(t, f.out, len(f.out))
	for _, body := range []string{"m-0", "m-1", "m-2"} {
		require.NoError(t, done[body].err)
		assert.Equal(t, "ok:"+body, done[body].body)
	}
	if o, taken := done["late"]; taken {
		assert.True(t, wireErr(t, o.err).NotProcessed)
		assert.Len(t, done, 4)
	} else {
		assert.Same(t, late, <-f.q)
		assert.Len(t, done, 3)
	}
	assert.Equal(t, 0, f.c.InFlight())
	_, ok := <-f.p.reqs
	assert.False(t, ok, "the late exchange reached the server")
}

// TestGoAwayError: a GOAWAY with an error code ends the connection with a
// *GoAwayError once the streams it kept are done.
func TestGoAwayError(t *testing.T) {
	f := startPeer(t, nil)
	f.send(2, "m")
	reqs := f.p.nextReqs(t, 2)
	require.NoError(t, f.p.goAway(1, http2.ErrCodeEnhanceYourCalm))
	o := <-f.out
	assert.Equal(t, "m-1", string(o.ex.Req.Body))
	assert.True(t, wireErr(t, o.err).NotProcessed)

	require.NoError(t, f.p.respond(reqs["m-0"].ID, "200", "ok"))
	o = <-f.out
	require.NoError(t, o.err)
	<-f.c.Done()
	var ga *GoAwayError
	require.ErrorAs(t, <-f.closed, &ga)
	assert.Equal(t, http2.ErrCodeEnhanceYourCalm, ga.Code)
}

// TestRSTStream: REFUSED_STREAM means not processed; any other code means
// maybe processed. The connection and its other streams are unaffected.
func TestRSTStream(t *testing.T) {
	f := startPeer(t, nil)
	f.send(3, "m")
	reqs := f.p.nextReqs(t, 3)

	require.NoError(t, f.p.rst(reqs["m-0"].ID, http2.ErrCodeRefusedStream))
	o := <-f.out
	we := wireErr(t, o.err)
	assert.True(t, we.NotProcessed)
	var re *ResetError
	require.ErrorAs(t, o.err, &re)
	assert.Equal(t, http2.ErrCodeRefusedStream, re.Code)

	require.NoError(t, f.p.rst(reqs["m-1"].ID, http2.ErrCodeInternal))
	o = <-f.out
	we = wireErr(t, o.err)
	assert.False(t, we.NotProcessed)
	assert.Contains(t, o.err.Error(), "INTERNAL_ERROR")

	require.NoError(t, f.p.respond(reqs["m-2"].ID, "200", "fine"))
	o = <-f.out
	require.NoError(t, o.err)
	assert.Equal(t, "fine", o.body)

	f.send(1, "after")
	r := f.p.nextReq(t)
	require.NoError(t, f.p.respond(r.ID, "200", "again"))
	require.NoError(t, (<-f.out).err)
}

// TestConnectionDrop: the server vanishes with a request outstanding. The
// request was written, so it may have been processed.
func TestConnectionDrop(t *testing.T) {
	f := startPeer(t, nil)
	f.send(2, "m")
	reqs := f.p.nextReqs(t, 2)
	// Half a response, then nothing.
	require.NoError(t, f.p.headers(reqs["m-0"].ID, false, ":status", "200"))
	require.NoError(t, f.p.data(reqs["m-0"].ID, false, []byte("partial")))
	f.p.nc.Close()

	for range 2 {
		o := <-f.out
		we := wireErr(t, o.err)
		assert.False(t, we.NotProcessed)
		assert.ErrorIs(t, o.err, wire.ErrConnClosed)
	}
	<-f.c.Done()
	err := <-f.closed
	require.Error(t, err)
	assert.NotErrorIs(t, err, wire.ErrConnClosed, "a read error, not our Close")
}

// TestResponseHeaders: informational responses are skipped; only x-push-*
// and retry-after are kept; trailers end the stream.
func TestResponseHeaders(t *testing.T) {
	f := startPeer(t, nil)
	f.send(2, "m")
	reqs := f.p.nextReqs(t, 2)
	id := reqs["m-0"].ID
	require.NoError(t, f.p.headers(id, false, ":status", "100"))
	require.NoError(t, f.p.headers(id, false, ":status", "503", "x-push-a", "1", "retry-after", "30", "server", "x"))
	require.NoError(t, f.p.data(id, false, []byte(`{"result":`)))
	require.NoError(t, f.p.data(id, false, []byte(`"error"}`)))
	require.NoError(t, f.p.headers(id, true, "x-trailer", "t"))
	o := <-f.out
	require.NoError(t, o.err)
	assert.Equal(t, 503, o.status)
	assert.Equal(t, `{"result":"error"}`, o.body)
	assert.Equal(t, []wire.Header{{Name: "x-push-a", Value: "1"}, {Name: "retry-after", Value: "30"}}, o.header)

	// A response without :status is malformed; the stream is reset.
	id = reqs["m-1"].ID
	require.NoError(t, f.p.headers(id, true, "x-push-a", "1"))
	o = <-f.out
	assert.ErrorIs(t, o.err, wire.ErrMalformed)
	ev := waitEvent(t, f.p, func(e rstEvent) bool { return e.ID == id })
	assert.Equal(t, http2.ErrCodeProtocol, ev.Code)
}

// TestPing: the connection acknowledges PINGs with the same data.
func TestPing(t *testing.T) {
	f := startPeer(t, nil)
	data := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	require.NoError(t, f.p.ping(data))
	ev := waitEvent(t, f.p, func(e pingEvent) bool { return e.Ack })
	assert.Equal(t, data, ev.Data)
}

// TestCloseFromDone: Close and Retire may be called from inside Done.
func TestCloseFromDone(t *testing.T) {
	f := startPeer(t, nil)
	exs := f.send(3, "m")
	reqs := f.p.nextReqs(t, 3)
	inner := exs[0].Done
	exs[0].Done = func(ex *wire.Exchange, resp *wire.Response, err error) {
		f.c.Retire()
		f.c.Close()
		f.c.Close()
		inner(ex, resp, err)
	}
	require.NoError(t, f.p.respond(reqs["m-0"].ID, "200", "ok"))
	m := collect(t, f.out, 3)
	require.NoError(t, m["m-0"].err)
	for _, body := range []string{"m-1", "m-2"} {
		we := wireErr(t, m[body].err)
		assert.False(t, we.NotProcessed)
		assert.ErrorIs(t, we, wire.ErrConnClosed)
	}
	<-f.c.Done()
	assert.ErrorIs(t, <-f.closed, wire.ErrConnClosed)
	for _, ex := range exs {
		assert.Equal(t, int32(1), ex.Value.(*calls).n.Load())
	}
}

// TestRetire: in-flight exchanges finish, the connection sends GOAWAY and
// ends with OnClose(nil).
func TestRetire(t *testing.T) {
	f := startPeer(t, nil)
	f.send(2, "m")
	reqs := f.p.nextReqs(t, 2)
	f.c.Retire()
	f.c.Retire()
	// Queued after Retire: left in the queue or, if the writer's receive
	// raced with Retire, sent and answered like any other.
	late := newEx("/late", "late", f.out)
	f.q <- late
	f.p.autoRespond()

	require.NoError(t, f.p.respond(reqs["m-1"].ID, "200", "b"))
	require.NoError(t, f.p.respond(reqs["m-0"].ID, "200", "a"))
	ev := waitEvent[goAwayEvent](t, f.p, nil)
	assert.Equal(t, http2.ErrCodeNo, ev.Code)
	<-f.c.Done()
	assert.NoError(t, <-f.closed)

	m := collect(t, f.out, len(f.out))
	assert.Equal(t, "a", m["m-0"].body)
	assert.Equal(t, "b", m["m-1"].body)
	if o, taken := m["late"]; taken {
		require.NoError(t, o.err)
		assert.Equal(t, "re:late", o.body)
		assert.Len(t, m, 3)
	} else {
		assert.Same(t, late, <-f.q)
		assert.Len(t, m, 2)
	}
	f.c.Close() // after the end: harmless
}

// TestQueueClosed: a closed queue retires the connection.
func TestQueueClosed(t *testing.T) {
	f := startPeer(t, nil)
	close(f.q)
	<-f.c.Done()
	assert.NoError(t, <-f.closed)
}

// TestNewErrors: a missing queue, and a server that sends no SETTINGS.
func TestNewErrors(t *testing.T) {
	_, cli := newPeer(t)
	cli.Close()
	_, err := New(t.Context(), cli, wire.Config{})
	require.Error(t, err)

	p, cli := newPeer(t)
	ctx, cancel := contextWithCancel(t)
	cancel()
	_, err = New(ctx, cli, testConfig(make(chan *wire.Exchange), make(chan error, 1)))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ctx.Err()), "%v", err)
	_ = p
}
