package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// A row is one client configuration the bench measures.
type row struct {
	name  string // its -rows name
	label string // its label in the table
	kind  rowKind
	h2    bool
	conns int // library async rows
	// Rate-limited rows: batching on, and the rate messages are offered
	// at (0: as fast as the client accepts them).
	batch   bool
	offered float64
}

type rowKind int

const (
	rowAsync   rowKind = iota // the library's async path
	rowSync                   // the library's blocking path, syncCallers goroutines
	rowNaive                  // net/http, one form POST per call, syncCallers goroutines
	rowRaw                    // pre-encoded requests back to back on one connection
	rowLimited                // the library's async path under a request-rate limit
)

// library reports whether the row measures the library.
func (r row) library() bool { return r.kind == rowAsync || r.kind == rowSync }

// allRows are the rows of the table, in its order.
var allRows = []row{
	{name: "async-h1-1", label: "library async, h1, 1 conn", kind: rowAsync, conns: 1},
	{name: "async-h1-4", label: "library async, h1, 4 conns", kind: rowAsync, conns: 4},
	{name: "async-h2-1", label: "library async, h2, 1 conn", kind: rowAsync, h2: true, conns: 1},
	{name: "async-h2-4", label: "library async, h2, 4 conns", kind: rowAsync, h2: true, conns: 4},
	{name: "async-h1-default", label: "library async, h1, default options", kind: rowAsync},
	{name: "async-h2-default", label: "library async, h2, default options", kind: rowAsync, h2: true},
	{name: "sync-h1", label: "library sync, h1, 64 goroutines", kind: rowSync},
	{name: "sync-h2", label: "library sync, h2, 64 goroutines", kind: rowSync, h2: true},
	{name: "naive-h1", label: "naive net/http, h1, 64 goroutines", kind: rowNaive},
	{name: "naive-h2", label: "naive net/http, h2, 64 goroutines", kind: rowNaive, h2: true},
	{name: "raw-h1", label: "raw limit, h1, 1 conn", kind: rowRaw},
	{name: "limit-h1-off", label: "library async, h1, rate limit, batching off", kind: rowLimited},
	{name: "limit-h1-on", label: "library async, h1, rate limit, batching on", kind: rowLimited, batch: true},
	{name: "limit-h1-on-20k", label: "library async, h1, rate limit, batching on, 20,000/s offered", kind: rowLimited, batch: true, offered: 20000},
	{name: "limit-h2-off", label: "library async, h2, rate limit, batching off", kind: rowLimited, h2: true},
	{name: "limit-h2-on", label: "library async, h2, rate limit, batching on", kind: rowLimited, h2: true, batch: true},
	{name: "limit-h2-on-20k", label: "library async, h2, rate limit, batching on, 20,000/s offered", kind: rowLimited, h2: true, batch: true, offered: 20000},
}

// limitedOffDivisor shrinks the batching-off rate-limited row: at the rate
// limit, n sends would take n milliseconds.
const limitedOffDivisor = 20

// benchConfig is what the flags of "mipush bench" select.
type benchConfig struct {
	n          int
	runs       int
	rtt        time.Duration
	rows       []row
	inProcess  bool
	track      bool
	window     int
	profile    string
	srvProfile string
	limit      float64 // requests per second of the rate-limited rows
}

// benchCmd runs the side-by-side throughput benchmark, or, with the
// hidden first argument serveArg, serves the fake servers for one.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == serveArg {
		return serveCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("mipush bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "one-regid sends per row and run (-mem: 1000000)")
	runs := fs.Int("runs", 5, "runs of every row; the table shows medians")
	rtt := fs.Duration("rtt", 0, "round-trip time the latency proxy adds, e.g. 20ms")
	rows := fs.String("rows", "all", "comma-separated rows to run: all, or any of "+rowNames())
	inProcess := fs.Bool("inprocess", false, "run the fake servers in this process (client CPU and allocations then include the server's)")
	track := fs.Bool("onsuccess", true, "async rows: set OnSuccess to count every success and measure latency (false: OnError only, no latency)")
	window := fs.Int("window", 0, "library rows: Options.Window, requests in flight per connection (0: the default)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after this long")
	profile := fs.String("cpuprofile", "", "write this process's CPU profile to `file`")
	srvProfile := fs.String("server-cpuprofile", "", "write the server process's CPU profile to `file`")
	memProfile := fs.String("memprofile", "", "write this process's allocation profile to `file` at the end")
	limit := fs.Float64("limit", 1000, "rate-limited rows: Options.RateLimit, requests per second (the batching-off row sends n/20 messages)")
	mem := fs.Bool("mem", false, "memory mode: n async sends with default options, report the peak RSS")
	proto := fs.String("proto", "h1", "memory mode: the protocol, h1 or h2")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mipush bench [flags]

Measures, side by side against the same fake MiPush server, the library's
async and blocking paths, a naive net/http client and the raw limit of one
connection, and prints msgs/s, latency, client CPU and allocations per
message. The fake server runs in a separate process unless -inprocess.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	nSet := false
	fs.Visit(func(f *flag.Flag) { nSet = nSet || f.Name == "n" })
	if *mem && !nSet {
		*n = 1_000_000
	}
	selected, err := selectRows(*rows)
	if err == nil && (*n < 1 || *runs < 1 || *rtt < 0 || *limit <= 0) {
		err = errors.New("-n and -runs must be at least 1, -rtt not negative, -limit positive")
	}
	if err == nil && *mem && *proto != "h1" && *proto != "h2" {
		err = errors.New(`-proto must be "h1" or "h2"`)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mipush bench:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	cfg := benchConfig{n: *n, runs: *runs, rtt: *rtt, rows: selected, inProcess: *inProcess,
		track: *track, window: *window, profile: *profile, srvProfile: *srvProfile, limit: *limit}
	if *mem {
		err = memoryCmd(ctx, cfg, *proto == "h2", stdout, stderr)
	} else {
		err = runBench(ctx, cfg, stdout, stderr)
	}
	if err == nil && *memProfile != "" {
		err = writeHeapProfile(*memProfile)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mipush bench:", err)
		return 1
	}
	return 0
}

func rowNames() string {
	names := make([]string, len(allRows))
	for i, r := range allRows {
		names[i] = r.name
	}
	return strings.Join(names, ", ")
}

// selectRows parses the -rows flag.
func selectRows(spec string) ([]row, error) {
	if spec == "all" {
		return allRows, nil
	}
	want := make(map[string]bool)
	for _, name := range strings.Split(spec, ",") {
		want[strings.TrimSpace(name)] = true
	}
	var out []row
	for _, r := range allRows {
		if want[r.name] {
			out = append(out, r)
			delete(want, r.name)
		}
	}
	for name := range want {
		return nil, fmt.Errorf("unknown row %q; rows are %s", name, rowNames())
	}
	return out, nil
}

// runBench runs every selected row cfg.runs times, the rows interleaved so
// that a change in the machine's load touches them all alike, and prints
// the table of medians.
func runBench(ctx context.Context, cfg benchConfig, stdout, stderr io.Writer) error {
	srv, err := startServers(cfg.inProcess, cfg.rtt, cfg.srvProfile)
	if err != nil {
		return err
	}
	defer srv.close()
	stopProfile, err := startProfile(cfg.profile)
	if err != nil {
		return err
	}
	defer stopProfile()

	loadBefore := loadAverage()
	// results[row][run] is nil where that run failed.
	results := make([][]*sample, len(cfg.rows))
	for i := range results {
		results[i] = make([]*sample, cfg.runs)
	}
	var failures []error
	for run := range cfg.runs {
		for i, r := range cfg.rows {
			s, err := runRow(ctx, r, srv, cfg)
			if err != nil {
				err = fmt.Errorf("%s, run %d: %w", r.name, run+1, err)
				fmt.Fprintln(stderr, "mipush bench:", err)
				failures = append(failures, err)
				if ctx.Err() != nil {
					return errors.Join(failures...)
				}
				continue
			}
			fmt.Fprintf(stderr, "run %d/%d  %-12s %8.0f msgs/s  %6.1f µs/msg  %5.1f allocs/msg\n",
				run+1, cfg.runs, r.name, s.rate, s.cpu, s.allocs)
			results[i][run] = &s
		}
	}
	where := fmt.Sprintf("fake servers in a separate process (pid %d)", srv.pid)
	if cfg.inProcess {
		where = "fake servers in this process (CPU and allocations include theirs)"
	}
	fmt.Fprintf(stdout, "mipush bench: %d one-regid sends per row, RTT %v, medians of %d runs, %s\n",
		cfg.n, cfg.rtt, cfg.runs, where)
	for _, r := range cfg.rows {
		if r.kind == rowLimited {
			fmt.Fprintf(stdout, "rate-limited rows: %g requests/s, default BatchOptions; the batching-off row sends n/%d\n",
				cfg.limit, limitedOffDivisor)
			break
		}
	}
	fmt.Fprintf(stdout, "%d CPUs, GOMAXPROCS %d, load average %s before and %s after\n\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), loadBefore, loadAverage())
	printTable(stdout, cfg.rows, results)
	return errors.Join(failures...)
}

// runRow runs one row once.
func runRow(ctx context.Context, r row, srv *benchServers, cfg benchConfig) (sample, error) {
	ep := srv.h1
	if r.h2 {
		ep = srv.h2
	}
	n := cfg.n
	if r.kind == rowLimited && !r.batch {
		n = max(100, n/limitedOffDivisor)
	}
	sends := buildSends(n, "")
	switch r.kind {
	case rowLimited:
		return runLimited(ctx, ep, cfg.limit, r.batch, r.offered, sends, cfg.track)
	case rowAsync:
		return runAsync(ctx, ep, r.conns, cfg.window, sends, cfg.track)
	case rowSync:
		return runSync(ctx, ep, cfg.window, sends)
	case rowNaive:
		return runNaive(ctx, ep, sends)
	default:
		return runRaw(ctx, ep, sends)
	}
}

// startProfile starts this process's CPU profile into file, if named.
func startProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeHeapProfile writes the allocation profile to file.
func writeHeapProfile(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadAverage returns the one-minute load average, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
