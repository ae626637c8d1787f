package redislimit_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/mipushtest"
)

// fleetTableEnv, set to 1, makes TestFleetProcesses print the full table:
// 10s windows, and fleets of 1, 2, 4, 8 and 16 senders before the faults.
const fleetTableEnv = "REDISLIMIT_FLEET_TABLE"

// sender is a sender process of the fleet test.
type sender struct {
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	logs *logBuffer
}

// startSender starts the test binary as a sender on the Redis at addr.
func startSender(t *testing.T, name, addr string, srv *mipushtest.Server, caFile string) *sender {
	cfg, err := json.Marshal(senderConfig{Redis: addr, Host: srv.Host(), CAFile: caFile, Rate: fleetLimit})
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), senderEnv+"="+string(cfg))
	s := &sender{name: name, cmd: cmd, logs: &logBuffer{}}
	cmd.Stderr = s.logs
	s.in, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s.out = bufio.NewScanner(stdout)
	s.out.Buffer(nil, 1<<20)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // if quit was not asked or not answered
		_ = cmd.Wait()
	})
	return s
}

// ask sends a command and returns the answer; a sender that does not
// answer within 30s fails the test.
func (s *sender) ask(t *testing.T, command string) senderReport {
	t.Helper()
	_, err := io.WriteString(s.in, command+"\n")
	require.NoError(t, err, "%s: %s", s.name, s.logs.String())
	got := make(chan bool, 1)
	go func() { got <- s.out.Scan() }()
	select {
	case ok := <-got:
		require.True(t, ok, "%s ended: %v\n%s", s.name, s.out.Err(), s.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not answer %q within 30s:\n%s", s.name, command, s.logs.String())
	}
	var rep senderReport
	require.NoError(t, json.Unmarshal(s.out.Bytes(), &rep))
	return rep
}

// fleetRun is the fleet of one part of the test and its figures.
type fleetRun struct {
	t       *testing.T
	r       *testRedis
	srv     *mipushtest.Server
	senders []*sender
	rdb     *redis.Client // reads Redis's counters
	table   *strings.Builder

	count0 int64
	calls0 int64
	start  time.Time
}

// begin starts the window of a row of the table.
func (f *fleetRun) begin() {
	for _, s := range f.senders {
		s.ask(f.t, "report") // forget the turns before
	}
	f.count0, f.calls0, f.start = f.srv.Count(), f.evals(), time.Now()
}

// evals is how many scripts Redis ran, -1 when it does not answer.
func (f *fleetRun) evals() int64 {
	n, err := scriptCalls(f.t.Context(), f.rdb)
	if err != nil {
		return -1
	}
	return n
}

// end ends the window of a row: it adds the row to the table and
// returns the fleet's rate in it.
func (f *fleetRun) end(row string) float64 {
	took := time.Since(f.start)
	n := f.srv.Count() - f.count0
	calls := f.evals()
	if calls >= f.calls0 {
		calls -= f.calls0 // else Redis restarted: its counters with it
	}
	var total int64
	turns := make([]int64, len(f.senders))
	hist := map[int]int64{}
	var failed, fell int
	for i, s := range f.senders {
		rep := s.ask(f.t, "report")
		turns[i] = rep.Turns
		total += rep.Turns
		for b, c := range rep.Waits {
			hist[b] += c
		}
		failed += int(rep.Failed)
		fell += strings.Count(s.logs.String(), "Redis unreachable")
	}
	shares := make([]string, len(turns))
	for i, c := range turns {
		shares[i] = fmt.Sprintf("%.1f", 100*float64(c)/float64(max(1, total)))
	}
	rate := float64(n) / took.Seconds()
	rt := "n/a"
	if calls >= 0 && n > 0 {
		rt = fmt.Sprintf("%.3f", float64(calls)/float64(n))
	}
	fmt.Fprintf(f.table, "| %-44s | %d | %5.1fs | %6.0f | %5.3f | %-28s | %7v | %5s | %d |\n",
		row, len(f.senders), took.Seconds(), rate, rate/fleetLimit, strings.Join(shares, " "),
		quantileOf(hist, 0.99).Round(time.Millisecond), rt, fell)
	assert.Zero(f.t, failed, "%s: no send failed", row)
	assert.LessOrEqual(f.t, rate, fleetLimit*1.05, "%s: the fleet holds the quota", row)
	return rate
}

// quit ends the senders.
func (f *fleetRun) quit() {
	for _, s := range f.senders {
		rep := s.ask(f.t, "quit")
		assert.Zero(f.t, rep.Failed, "%s: no send failed", s.name)
		assert.NoError(f.t, s.cmd.Wait(), s.name)
		assert.NotContains(f.t, s.logs.String(), fleetSecret)
	}
}

// quantileOf is the q-quantile of a histogram of waits.
func quantileOf(hist map[int]int64, q float64) time.Duration {
	var total int64
	buckets := make([]int, 0, len(hist))
	for b, c := range hist {
		total += c
		buckets = append(buckets, b)
	}
	slices.Sort(buckets)
	var seen int64
	for _, b := range buckets {
		seen += hist[b]
		if float64(seen) >= q*float64(total) {
			return bucketTop(b)
		}
	}
	return 0
}

// Separate processes share one limit of 2000/s through one redis-server,
// each with its own client and Redis connections, one of them 80 ms from
// Redis: the fake server counts at most 2000/s + 5% in every window,
// while Redis is paused (SIGSTOP) and resumed, restarted, and while one
// instance is cut off from it (a split brain); a quota stop answered to
// the cut-off instance reaches the others when it is back. The table of
// windows (rate, shares, p99 Wait, Redis round trips per request,
// fallbacks so far) is printed. With REDISLIMIT_FLEET_TABLE=1 the
// windows are 10s and fleets of 1, 2, 4, 8 and 16 run first.
func TestFleetProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and runs for about 30s")
	}
	r := startRedis(t)
	r.needOwn(t)
	r.flush(t)
	srv := countingServer(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, srv.CACertPEM(), 0o600))
	window, warmUp := 4*time.Second, time.Second
	full := os.Getenv(fleetTableEnv) == "1"
	if full {
		window = 10 * time.Second
	}
	table := &strings.Builder{}
	fmt.Fprintf(table, "R = %d/s, %v windows, %s\n", fleetLimit, window,
		"shares and p99 Wait from the senders' Wait calls, round trips = scripts run by Redis per request counted by the server, fell = fallbacks logged so far")
	table.WriteString("| window | senders | took | req/s | ×R | shares % | p99 Wait | RT/req | fell |\n|---|---|---|---|---|---|---|---|---|\n")
	rdb := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1, ReadTimeout: 500 * time.Millisecond})
	defer rdb.Close()
	newRun := func(n int, addr func(i int) string) *fleetRun {
		f := &fleetRun{t: t, r: r, srv: srv, rdb: rdb, table: table}
		for i := range n {
			f.senders = append(f.senders, startSender(t, fmt.Sprintf("sender %d", i), addr(i), srv, caFile))
		}
		for _, s := range f.senders {
			s.ask(t, "report") // started
		}
		time.Sleep(warmUp) // the fleet runs freely; nothing waits on this
		return f
	}
	defer func() { t.Log("\n" + table.String()) }()

	if full {
		for _, n := range []int{1, 2, 4, 8, 16} {
			r.flush(t)
			f := newRun(n, func(int) string { return r.addr })
			f.begin()
			time.Sleep(window)
			f.end(fmt.Sprintf("healthy, %d senders", n))
			f.quit()
		}
	}

	// The fleet of the faults: sender 0 is 80 ms from Redis, sender 1
	// can be cut off from it.
	r.flush(t)
	far, err := mipushtest.NewLatencyProxy(r.addr, 80*time.Millisecond)
	require.NoError(t, err)
	t.Cleanup(func() { _ = far.Close() })
	cut := newCutProxy(t, r.addr)
	f := newRun(fleetSize, func(i int) string {
		switch i {
		case 0:
			return far.Addr()
		case 1:
			return cut.addr()
		}
		return r.addr
	})

	f.begin()
	time.Sleep(window)
	f.end("steady; sender 0 80 ms from Redis")

	f.begin()
	r.pause()
	time.Sleep(window * 4 / 10)
	r.resume()
	time.Sleep(window * 6 / 10)
	f.end(fmt.Sprintf("Redis paused %v (SIGSTOP), resumed", window*4/10))

	f.begin()
	r.stop()
	r.start()
	time.Sleep(window)
	f.end("Redis restarted (empty)")

	// Sender 1 is cut off and, in its fallback, told the quota of class
	// "q" is spent; the others are not, and do not send the class.
	srv.ExhaustQuota("q")
	f.begin()
	cut.setCut(true)
	require.Eventually(t, func() bool { return !f.senders[1].ask(t, "report").Shared }, 10*time.Second, 10*time.Millisecond)
	rep := f.senders[1].ask(t, "send q 3")
	require.Equal(t, int64(1), rep.Quota, "the cut-off sender is answered over quota once, then stops the class: %+v", rep)
	require.Equal(t, int64(2), rep.Stopped)
	for _, s := range f.senders[2:] {
		require.False(t, s.ask(t, "stop q").Stop, "%s cannot know yet", s.name)
	}
	time.Sleep(time.Until(f.start.Add(window)))
	f.end("sender 1 cut off from Redis (split brain)")

	f.begin()
	cut.setCut(false)
	back := time.Now()
	for _, s := range slices.Concat(f.senders[:1], f.senders[2:]) {
		require.Eventually(t, func() bool { return s.ask(t, "stop q").Stop }, 10*time.Second, 10*time.Millisecond,
			"%s sees the stop sender 1 kept while cut off", s.name)
	}
	reached := time.Since(back)
	rep = f.senders[2].ask(t, "send q 1")
	assert.Equal(t, int64(1), rep.Stopped, "sender 2 stops the class without sending: %+v", rep)
	time.Sleep(time.Until(f.start.Add(window)))
	f.end("sender 1 back")
	fmt.Fprintf(table, "the stop sender 1 kept while cut off reached every other sender %v after it was back\n", reached.Round(time.Millisecond))
	f.quit()
}
