package h2conn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// TestRandomFaults drives a connection through random responses, resets,
// timeouts and one random fault (GOAWAY, a dropped connection, Close,
// Retire), then checks that every exchange taken was completed exactly
// once, and that no exchange the server saw was reported NotProcessed
// unless the server said so.
func TestRandomFaults(t *testing.T) {
	for seed := range uint64(60) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { randomFaults(t, seed) })
		})
	}
}

// What the peer did with a request.
type action int

const (
	unanswered action = iota
	answered
	refused
	reset
)

func randomFaults(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	const n = 80
	window := 1 + rng.IntN(12)
	f := startPeer(t, func(c *wire.Config) {
		c.Window = window
		c.Timeout = 10 * time.Second
	})

	exs := make([]*wire.Exchange, n)
	for i := range exs {
		seq := strconv.Itoa(i)
		exs[i] = newEx("/p", "m-"+seq, f.out)
		exs[i].Req.Header = []wire.Header{{Name: "x-seq", Value: seq}}
		f.q <- exs[i]
	}

	did := map[string]action{} // by x-seq
	status := map[string]int{} // by x-seq, when answered
	var held []peerReq
	received := 0
	answer := func(r peerReq) {
		seq := r.Header["x-seq"]
		switch k := rng.IntN(10); {
		case k < 6:
			st := 200 + 300*rng.IntN(2)
			status[seq] = st
			did[seq] = answered
			f.p.respond(r.ID, strconv.Itoa(st), "re:"+string(r.Body))
		case k < 8:
			did[seq] = refused
			f.p.rst(r.ID, http2.ErrCodeRefusedStream)
		default:
			did[seq] = reset
			f.p.rst(r.ID, http2.ErrCodeInternal)
		}
	}
	pick := func() peerReq {
		i := rng.IntN(len(held))
		r := held[i]
		held = slices.Delete(held, i, i+1)
		return r
	}

	faultAt := rng.IntN(n)
	for step := 0; step < faultAt && (received < n || len(held) > 0); step++ {
		// Read a new request only when the client surely has one to send:
		// it has room in its window and exchanges left in the queue.
		if len(held) > 0 && (received == n || len(held) >= window || rng.IntN(2) == 0) {
			answer(pick())
			continue
		}
		held = append(held, f.p.nextReq(t))
		received++
	}

	var last uint32 = 1<<31 - 1
	fault := rng.IntN(4)
	switch fault {
	case 0: // GOAWAY, then answer some of the streams it kept
		last = 0
		if len(held) > 0 {
			last = held[rng.IntN(len(held))].ID
		}
		code := http2.ErrCodeNo
		if rng.IntN(2) == 0 {
			code = http2.ErrCodeInternal
		}
		f.p.goAway(last, code)
		for len(held) > 0 {
			r := pick()
			if r.ID <= last && rng.IntN(3) > 0 {
				answer(r)
			}
		}
	case 1: // the server vanishes
		f.p.nc.Close()
	case 2: // the client gives up
		f.c.Close()
	case 3: // the client retires; some streams are answered, some time out
		f.c.Retire()
		for len(held) > 0 {
			if r := pick(); rng.IntN(2) == 0 {
				answer(r)
			}
		}
	}
	<-f.c.Done()
	require.Len(t, f.closed, 1, "OnClose called once")
	assert.Equal(t, 0, f.c.InFlight())

	// Every exchange was completed exactly once, or never taken.
	outs := map[string]outcome{}
	for len(f.out) > 0 {
		o := <-f.out
		outs[o.ex.Req.Header[0].Value] = o
	}
	assert.Equal(t, n, len(outs)+len(f.q), "completed + still queued")
	for _, ex := range exs {
		c := ex.Value.(*calls).n.Load()
		assert.LessOrEqual(t, c, int32(1))
		_, ok := outs[ex.Req.Header[0].Value]
		assert.Equal(t, ok, c == 1)
	}

	var stats [4]int
	for _, o := range outs {
		switch {
		case o.err == nil:
			stats[0]++
		case wireErr(t, o.err).NotProcessed:
			stats[1]++
		case errors.Is(o.err, wire.ErrTimeout):
			stats[2]++
		default:
			stats[3]++
		}
	}
	t.Logf("window %d, fault %d at %d: %d ok, %d not processed, %d timed out, %d maybe processed, %d queued",
		window, fault, faultAt, stats[0], stats[1], stats[2], stats[3], len(f.q))

	for seq, o := range outs {
		switch did[seq] {
		case answered:
			if assert.NoError(t, o.err, seq) {
				assert.Equal(t, status[seq], o.status)
				assert.Equal(t, "re:m-"+seq, o.body)
			}
			continue
		case refused:
			assert.True(t, wireErr(t, o.err).NotProcessed, seq)
			continue
		case reset:
			assert.False(t, wireErr(t, o.err).NotProcessed, seq)
			continue
		}
		we := wireErr(t, o.err)
		if we.NotProcessed && f.p.sawSeq(seq) {
			// Only a GOAWAY may disown a request the server saw.
			id := f.p.seenID(seq)
			assert.Greater(t, id, last, "seq %s (stream %d) seen by the server but reported not processed: %v", seq, id, o.err)
		}
	}
}
