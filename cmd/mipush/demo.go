package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// demoCmd starts the fake server in-process and sends through the client.
func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	n := fs.Int("n", 10000, "number of async sends")
	perSend := fs.Int("regids", 1, "regids per send")
	conns := fs.Int("conns", 1, "connections in the client's pool")
	h1 := fs.Bool("http1", false, "make the fake server speak HTTP/1.1 only (default: h2)")
	badEvery := fs.Int("bad-every", 1000, "make every Nth send's first regid invalid (0: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *n < 0 || *perSend < 1 || *perSend > mipush.MaxTargets || *conns < 1 {
		fmt.Fprintln(stderr, "mipush demo: -n must be ≥ 0, -regids 1..1000, -conns ≥ 1")
		return 2
	}

	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: !*h1, NoRecording: true})
	defer srv.Close()
	if *badEvery > 0 {
		srv.FailTarget("invalid-0", mipushtest.ErrorAnswer(20301, "No valid targets!"))
	}

	var ok, failed atomic.Int64
	var mu sync.Mutex
	var firstIDs []string
	var firstErr error
	client := mipush.NewClient(mipush.Options{
		AppSecret: "demo-secret",
		Host:      srv.Host(),
		TLSConfig: srv.ClientTLSConfig(),
		Conns:     *conns,
		OnSuccess: func(r *mipush.SendResult) {
			if ok.Add(1) <= 3 {
				mu.Lock()
				firstIDs = append(firstIDs, r.Result.ID)
				mu.Unlock()
			}
		},
		OnError: func(e *mipush.SendError) {
			if failed.Add(1) == 1 {
				mu.Lock()
				firstErr = e
				mu.Unlock()
			}
		},
	})

	fmt.Fprintf(stdout, "fake MiPush server at %s (%s); sending %d messages, %d regid(s) each, over %d connection(s)\n",
		srv.Host(), map[bool]string{true: "HTTP/1.1", false: "HTTP/2"}[*h1], *n, *perSend, *conns)
	start := time.Now()
	sent := 0
	regids := make([]string, *perSend)
	for i := 0; i < *n; i++ {
		for j := range regids {
			regids[j] = "regid-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
		}
		if *badEvery > 0 && i%*badEvery == 0 {
			regids[0] = "invalid-0"
		}
		ids := append([]string(nil), regids...)
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
	if err := client.Close(); err != nil {
		fmt.Fprintln(stderr, "mipush demo: close:", err)
	}
	elapsed := time.Since(start)

	fmt.Fprintf(stdout, "sent %d  ok %d  failed %d  in %v (%.0f msgs/s)\n",
		sent, ok.Load(), failed.Load(), elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds())
	fmt.Fprintf(stdout, "server received %d requests on %d connection(s), at most %d in flight on one\n",
		srv.Stats().Requests, srv.Stats().Conns, srv.Stats().MaxInFlight)
	for _, id := range firstIDs {
		fmt.Fprintln(stdout, "  ok: message id", id)
	}
	if firstErr != nil {
		fmt.Fprintln(stdout, "  failed (expected, an invalid regid):", firstErr)
	}
	if int64(sent) != ok.Load()+failed.Load() {
		fmt.Fprintln(stderr, "mipush demo: outcomes do not add up")
		return 1
	}
	return 0
}
