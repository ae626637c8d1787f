package mipush

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mipush-go/mipush/mipushtest"
)

// The client benchmarks run the fake server in a child process (this test
// binary, running TestBenchServerProcess), so that allocs/op and the CPU
// profile are the client's alone. One op is one message.
//
//	go test -run '^$' -bench . -benchtime 20000x

// benchServerEnv, set in a child's environment, makes
// TestBenchServerProcess serve: "h1" or "h2", a space, and the RTT.
const benchServerEnv = "MIPUSH_BENCH_SERVER"

// benchServer is what the server process reports on its first line.
type benchServer struct {
	Host string `json:"host"`
	CA   []byte `json:"ca"`
}

// TestBenchServerProcess is not a test: in a child started by
// startBenchServer it serves a fake server until its stdin ends.
func TestBenchServerProcess(t *testing.T) {
	spec := os.Getenv(benchServerEnv)
	if spec == "" {
		t.Skip("only runs as the benchmarks' server process")
	}
	var proto string
	var rtt time.Duration
	if p, d, ok := strings.Cut(spec, " "); ok {
		proto = p
		rtt, _ = time.ParseDuration(d)
	}
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: proto == "h2", NoRecording: true, RTT: rtt})
	defer srv.Close()
	line, err := json.Marshal(benchServer{Host: srv.Host(), CA: srv.CACertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(append(line, '\n'))
	io.Copy(io.Discard, os.Stdin)
}

// startBenchServer starts a fake server in a child process and returns the
// client options that reach it.
func startBenchServer(b *testing.B, h2 bool, rtt time.Duration) Options {
	b.Helper()
	proto := "h1"
	if h2 {
		proto = "h2"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServerProcess$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+proto+" "+rtt.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		b.Fatal("reading from the server process:", err)
	}
	var info benchServer
	if err := json.Unmarshal(line, &info); err != nil {
		b.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(info.CA)
	return Options{
		AppSecret: "bench-secret",
		Host:      info.Host,
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"},
	}
}

// BenchmarkEncodeSend measures validating and encoding a typical message
// for one regid, as every send does before it is queued.
func BenchmarkEncodeSend(b *testing.B) {
	m := benchMessage()
	t := Target{Kind: TargetRegID, IDs: []string{"regid-0123456789abcdef"}}
	e := &pipeline{} // encodeBody needs only its scratch pool
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.encodeBody(t, m, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSuccessBody is the answer to a successful send.
const benchSuccessBody = `{"result":"ok","trace_id":"Xlm52b42166479573148ml","code":0,"data":{"id":"alm52b42166479573150Rf"},"description":"成功","info":"Received push messages for 1 REGID"}`

// BenchmarkDecodeSendResult measures decoding the answer to a send.
func BenchmarkDecodeSendResult(b *testing.B) {
	body := []byte(benchSuccessBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSendResult(200, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPushToRegID measures one blocking send at a time: the round
// trip on loopback plus the client's work.
func BenchmarkPushToRegID(b *testing.B) {
	for _, h2 := range []bool{false, true} {
		b.Run(protoName(h2), func(b *testing.B) {
			c := NewClient(startBenchServer(b, h2, 0))
			defer c.Close()
			m := benchMessage()
			ids := []string{"regid-0123456789abcdef"}
			ctx := context.Background()
			if _, err := c.PushToRegID(ctx, ids, m); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.PushToRegID(ctx, ids, m); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkPushToRegIDAsync measures async throughput: b.N sends of an
// already-built message, then a Flush, on each protocol with 1 and 4
// connections, at RTT 0 and 20 ms. Only OnError is set, so allocs/op is
// the whole cost of a fire-and-forget send, encoding included.
func BenchmarkPushToRegIDAsync(b *testing.B) {
	for _, rtt := range []time.Duration{0, 20 * time.Millisecond} {
		for _, h2 := range []bool{false, true} {
			for _, conns := range []int{1, 4} {
				name := protoName(h2) + "/conns=" + strconv.Itoa(conns) + "/rtt=" + rtt.String()
				b.Run(name, func(b *testing.B) { benchAsync(b, h2, conns, rtt) })
			}
		}
	}
}

func benchAsync(b *testing.B, h2 bool, conns int, rtt time.Duration, set ...func(*Options)) {
	opts := startBenchServer(b, h2, rtt)
	var failed atomic.Int64
	opts.Conns = conns
	opts.OnError = func(*SendError) { failed.Add(1) }
	for _, f := range set {
		f(&opts)
	}
	c := NewClient(opts)
	defer c.Close()
	m := benchMessage()
	ids := []string{"regid-0123456789abcdef"}
	ctx := context.Background()
	for range 512 { // dial every connection and grow the buffers
		if err := c.PushToRegIDAsync(ctx, ids, m); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if err := c.PushToRegIDAsync(ctx, ids, m); err != nil {
			b.Fatal(err)
		}
	}
	endAsyncRun(ctx, b, c, cpu0, &failed)
}

// endAsyncRun ends the timed part of an async benchmark begun at cpu0:
// it waits for every outcome, fails the benchmark if any send failed, and
// reports the client's CPU time and the rate per message.
func endAsyncRun(ctx context.Context, b *testing.B, c *Client, cpu0 time.Duration, failed *atomic.Int64) {
	b.Helper()
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func protoName(h2 bool) string {
	if h2 {
		return "h2"
	}
	return "h1"
}
