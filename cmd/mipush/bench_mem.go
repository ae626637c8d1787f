package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mipush-go/mipush"
)

// memoryCmd sends cfg.n async messages with the default options, each
// built just before it is sent as an application would, and reports this
// process's resident memory along the way and at its peak (VmHWM).
func memoryCmd(ctx context.Context, cfg benchConfig, h2 bool, stdout, stderr io.Writer) error {
	srv, err := startServers(cfg.inProcess, cfg.rtt, cfg.srvProfile)
	if err != nil {
		return err
	}
	defer srv.close()
	ep, proto := srv.h1, "h1"
	if h2 {
		ep, proto = srv.h2, "h2"
	}
	var ok, failed atomic.Int64
	opts := libraryOptions(ep, 0, 0)
	opts.OnError = func(*mipush.SendError) { failed.Add(1) }
	if cfg.track {
		opts.OnSuccess = func(*mipush.SendResult) { ok.Add(1) }
	}
	c := mipush.NewClient(opts)
	defer c.Close()

	fmt.Fprintf(stdout, "mipush bench -mem: %d async sends, %s, default options, RTT %v, OnSuccess %v\n",
		cfg.n, proto, cfg.rtt, cfg.track)
	fmt.Fprintf(stdout, "%10s  %10s  %10s  %10s  %10s\n", "sent", "VmRSS", "VmHWM", "heap in use", "goroutines")
	report := func(sent int) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st := procStatus()
		fmt.Fprintf(stdout, "%10d  %10s  %10s  %10s  %10d\n", sent, st["VmRSS"], st["VmHWM"],
			mib(ms.HeapInuse), runtime.NumGoroutine())
	}
	report(0)
	start := time.Now()
	step := max(cfg.n/10, 1)
	for i := range cfg.n {
		id := strconv.Itoa(i)
		msg := &mipush.Message{
			RestrictedPackageName: "com.example.bench",
			Title:                 "Your order has shipped",
			Description:           "Order " + id + " left our warehouse and arrives on Friday.",
			Payload:               `{"type":"order_shipped","order_id":"` + id + `"}`,
			NotifyType:            mipush.NotifyDefaultAll,
		}
		if err := c.PushToRegIDAsync(ctx, []string{"regid-" + id}, msg); err != nil {
			return err
		}
		if (i+1)%step == 0 {
			report(i + 1)
		}
	}
	if err := c.Flush(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	report(cfg.n)
	fmt.Fprintf(stdout, "%d sends in %v (%.0f msgs/s), %d failed; peak RSS of this process (VmHWM): %s\n",
		cfg.n, elapsed.Round(time.Millisecond), float64(cfg.n)/elapsed.Seconds(), failed.Load(), procStatus()["VmHWM"])
	if failed.Load() > 0 {
		return fmt.Errorf("%d sends failed", failed.Load())
	}
	return nil
}

// procStatus returns the memory fields of /proc/self/status ("VmRSS",
// "VmHWM", ...) as written there, e.g. "12345 kB".
func procStatus() map[string]string {
	out := make(map[string]string)
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.HasPrefix(k, "Vm") {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// mib formats a byte count in MiB.
func mib(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }
