package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

const demoAbout = `
Start the embedded fake MiPush server in this process, send -n messages
through the real client asynchronously, and print what happened: how many
were sent, accepted and failed, a few results, and the throughput. Every
-bad-every-th send goes to an invalid regid, to show a failure. No account
and no network are needed.
`

// demoCmd starts the fake server in-process and sends through the client.
func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", "[flags]", demoAbout, stderr)
	n := fs.Int("n", 10000, "number of async sends")
	perSend := fs.Int("regids", 1, "regids per send, 1 to 1000")
	conns := fs.Int("conns", 1, "connections in the client's pool")
	h1 := fs.Bool("http1", false, "make the fake server speak HTTP/1.1 only (default: HTTP/2)")
	badEvery := fs.Int("bad-every", 1000, "make every Nth send go to an invalid regid (0: none)")
	if code, ok := fs.parse(args, stdout, 0); !ok {
		return code
	}
	if *n < 0 || *perSend < 1 || *perSend > mipush.MaxTargets || *conns < 1 || *badEvery < 0 {
		return fail(stderr, "demo", usagef("-n and -bad-every must not be negative, -regids must be 1 to 1000, -conns at least 1"))
	}

	const streams = 250 // the fake server's HTTP/2 stream limit, as Go servers default to
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: !*h1, NoRecording: true, MaxConcurrentStreams: streams})
	defer srv.Close()
	const invalid = "invalid-regid"
	srv.FailTarget(invalid, mipushtest.ErrorAnswer(20301, "No valid targets!"))

	var out demoOutcomes
	client := mipush.NewClient(mipush.Options{
		AppSecret: "demo-secret",
		Host:      srv.Host(),
		TLSConfig: srv.ClientTLSConfig(),
		Conns:     *conns,
		OnSuccess: out.success,
		OnError:   out.failure,
	})

	proto := "HTTP/2"
	if *h1 {
		proto = "HTTP/1.1"
	}
	fmt.Fprintf(stdout, "fake MiPush server at %s (%s, in this process)\n", srv.Host(), proto)
	fmt.Fprintf(stdout, "sending %d messages asynchronously, %d regid(s) each, Conns %d\n", *n, *perSend, *conns)

	start := time.Now()
	sent := 0
	for i := range *n {
		ids := make([]string, *perSend)
		for j := range ids {
			ids[j] = "regid-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
		}
		if *badEvery > 0 && i%*badEvery == *badEvery-1 {
			ids[0] = invalid
		}
		msg := &mipush.Message{
			RestrictedPackageName: "com.example.demo",
			Title:                 "Demo",
			Description:           "Message " + strconv.Itoa(i),
			Payload:               `{"n":` + strconv.Itoa(i) + `}`,
		}
		if err := client.PushToRegIDAsync(ctx, ids, msg); err != nil {
			fmt.Fprintln(stderr, "mipush demo: stopped:", err)
			break
		}
		sent++
	}
	// Close flushes: every outcome has been reported when it returns.
	if err := client.Close(); err != nil {
		fmt.Fprintln(stderr, "mipush demo: close:", err)
	}
	elapsed := time.Since(start)

	ok, failed, ids, firstErr := out.get()
	fmt.Fprintf(stdout, "sent %d  ok %d  failed %d  in %v (%.0f msgs/s)\n",
		sent, ok, failed, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds())
	st := srv.Stats()
	fmt.Fprintf(stdout, "the server answered %d requests on %d connection(s), at most %d in flight on one\n",
		st.Requests, st.Conns, st.MaxInFlight)
	if !*h1 && st.Conns > *conns {
		fmt.Fprintf(stdout, "  (more than Conns: the server allows %d streams per connection, fewer than the window of %d)\n",
			streams, mipush.DefaultWindow)
	}
	for _, id := range ids {
		fmt.Fprintln(stdout, "  ok:     message id", id)
	}
	if firstErr != nil {
		fmt.Fprintln(stdout, "  failed:", firstErr, "(expected: an invalid regid)")
	}
	if sent != ok+failed {
		fmt.Fprintf(stderr, "mipush demo: %d sends but %d outcomes\n", sent, ok+failed)
		return exitFailed
	}
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return exitOK
}

// demoOutcomes counts the outcomes of the demo's sends and keeps a few.
type demoOutcomes struct {
	mu       sync.Mutex
	ok       int
	failed   int
	firstIDs []string // the message ids of the first three successes
	firstErr error
}

// success is the client's OnSuccess.
func (o *demoOutcomes) success(r *mipush.SendResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ok++
	if len(o.firstIDs) < 3 {
		o.firstIDs = append(o.firstIDs, r.Result.ID)
	}
}

// failure is the client's OnError.
func (o *demoOutcomes) failure(e *mipush.SendError) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	if o.firstErr == nil {
		o.firstErr = e
	}
}

// get returns the counts, the first message ids and the first error.
func (o *demoOutcomes) get() (ok, failed int, ids []string, firstErr error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ok, o.failed, o.firstIDs, o.firstErr
}
