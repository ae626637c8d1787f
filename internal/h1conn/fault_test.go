package h1conn

import (
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/wire"
)

// TestExactlyOnceUnderRandomFaults runs many short connections against a
// peer that misbehaves at random (closes, resets framing, sends garbage,
// stops answering, stops reading), with random Close and Retire calls,
// some from Done callbacks, some withdrawn exchanges and sometimes a short
// timeout. Whatever happens, every exchange the connection took must be
// completed exactly once, the others must stay untouched in the queue, and
// OnClose must run once.
func TestExactlyOnceUnderRandomFaults(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	for it := 0; it < iterations; it++ {
		runFaultIteration(t, rand.New(rand.NewPCG(seed, uint64(it))), seed^uint64(it))
		if t.Failed() {
			t.Fatalf("failed at iteration %d (seed %d)", it, seed)
		}
	}
}

func runFaultIteration(t *testing.T, rng *rand.Rand, peerSeed uint64) {
	client, server := net.Pipe()
	n := 1 + rng.IntN(40)
	queue := make(chan *wire.Exchange, n)
	tr := newTracker(n)
	var onClose atomic.Int32
	cfg := wire.Config{
		Queue:     queue,
		Window:    1 + rng.IntN(8),
		Authority: "x",
		MaxBody:   64,
		OnClose:   func(error) { onClose.Add(1) },
	}
	if rng.IntN(4) == 0 {
		cfg.Timeout = time.Duration(1+rng.IntN(20)) * time.Millisecond
	}
	c := New(client, cfg)

	// A Done callback may close or retire the connection.
	actAt, act := rng.IntN(n+1), rng.IntN(3)
	tr.onDone = func(i int) {
		if i == actAt {
			switch act {
			case 0:
				c.Close()
			case 1:
				c.Retire()
			}
		}
	}

	peerDone, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(peerDone)
		defer server.Close()
		misbehave(newPeer(server), rand.New(rand.NewPCG(peerSeed, 1)), quit)
	}()

	withdrawn := make([]bool, n)
	for i := 0; i < n; i++ {
		ex := tr.add()
		if rng.IntN(10) == 0 && ex.Withdraw() {
			withdrawn[i] = true
		}
		queue <- ex
	}
	if rng.IntN(4) == 0 {
		close(queue)
	}

	// End the connection one way or another, at a random moment.
	select {
	case <-peerDone:
	case <-c.Done():
	case <-time.After(time.Duration(rng.IntN(3000)) * time.Microsecond):
	}
	if rng.IntN(2) == 0 {
		c.Retire()
	}
	select {
	case <-c.Done():
	case <-time.After(time.Duration(rng.IntN(3000)) * time.Microsecond):
		c.Close()
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection did not finish after Close")
	}
	close(quit)
	server.Close()
	<-peerDone

	left := map[int]bool{}
	for len(queue) > 0 {
		ex, ok := <-queue
		if !ok {
			break
		}
		left[ex.Value.(int)] = true
	}
	require.EqualValues(t, 1, onClose.Load(), "OnClose calls")
	require.Zero(t, c.InFlight())
	for i := 0; i < n; i++ {
		o := tr.get(i)
		switch {
		case withdrawn[i] || left[i]:
			require.Zero(t, o.calls, "exchange %d was not taken", i)
		default:
			require.Equal(t, 1, o.calls, "exchange %d", i)
			if o.err != nil {
				var we *wire.Error
				require.ErrorAs(t, o.err, &we)
			} else {
				require.Equal(t, wantEcho(i), o.body)
			}
		}
	}
}

// misbehave serves requests with a random mix of good answers and faults.
// It returns when told to quit or when the connection fails.
func misbehave(p *peer, rng *rand.Rand, quit <-chan struct{}) {
	for {
		req, body, err := p.read()
		if err != nil {
			return
		}
		good := echo(0, req, body)
		var werr error
		switch rng.IntN(12) {
		case 0: // answer, then close as announced
			io.WriteString(p.nc, ok(req.URL.Path+" "+body, "Connection: close"))
			return
		case 1: // drop the connection
			return
		case 2: // half an answer, then drop
			io.WriteString(p.nc, good[:rng.IntN(len(good))])
			return
		case 3: // garbage
			_, werr = io.WriteString(p.nc, "HTTP/1.1 whatever\r\n\r\n")
		case 4: // stop answering, keep reading
			for {
				if _, _, err := p.read(); err != nil {
					return
				}
			}
		case 5: // stop reading altogether, but stay connected
			<-quit
			return
		case 6: // a byte at a time, after an interim response
			raw := "HTTP/1.1 100 Continue\r\n\r\n" + good
			for i := 0; i < len(raw) && werr == nil; i++ {
				_, werr = p.nc.Write([]byte{raw[i]})
			}
		case 7: // too large a body
			_, werr = io.WriteString(p.nc, ok(string(make([]byte, 100))))
		default:
			_, werr = io.WriteString(p.nc, good)
		}
		if werr != nil {
			return
		}
	}
}
