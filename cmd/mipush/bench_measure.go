package main

import (
	"bytes"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is what one run of one row measured.
type sample struct {
	sent     int           // messages sent
	failed   int           // of which failed
	rate     float64       // messages per second
	p50, p99 time.Duration // send latency; 0 when not measured
	cpu      float64       // client CPU (user + system) in µs per message
	srvCPU   float64       // server process CPU in µs per message; -1: unknown
	allocs   float64       // heap allocations per message
}

// meter measures a stretch of work: wall time, this process's CPU time and
// heap allocations, and the server process's CPU time.
type meter struct {
	wall      time.Time
	cpu       time.Duration
	mallocs   uint64
	serverCPU func() time.Duration // nil: unknown
	srv       time.Duration
}

// startMeter collects garbage left by earlier work, so it is not charged to
// what follows, and starts measuring work against ep.
func startMeter(ep benchEndpoint) meter {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := meter{wall: time.Now(), cpu: processCPU(), mallocs: ms.Mallocs, serverCPU: ep.cpu}
	if m.serverCPU != nil {
		m.srv = m.serverCPU()
	}
	return m
}

// stop ends the measurement of n messages.
func (m meter) stop(n int) sample {
	wall := time.Since(m.wall)
	cpu := processCPU() - m.cpu
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := sample{sent: n, srvCPU: -1}
	if m.serverCPU != nil && n > 0 {
		s.srvCPU = float64((m.serverCPU() - m.srv).Microseconds()) / float64(n)
	}
	if n > 0 {
		s.rate = float64(n) / wall.Seconds()
		s.cpu = float64(cpu.Microseconds()) / float64(n)
		s.allocs = float64(ms.Mallocs-m.mallocs) / float64(n)
	}
	return s
}

// processCPU returns the user and system CPU time of this process, all
// threads together.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// pidCPU returns a function that reports the user and system CPU time of
// process pid, all threads together, from /proc/<pid>/stat.
func pidCPU(pid int) func() time.Duration {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	return func() time.Duration {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0
		}
		// The command name, in parentheses, may hold spaces; the fields
		// after it are space-separated: state is field 3, utime 14 and
		// stime 15.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			return 0
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			return 0
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(utime+stime) * clockTick
	}
}

// latencies records the latency of each message by index. Each index is
// written by one goroutine only.
type latencies struct {
	base  time.Time
	start []time.Duration // since base
	took  []time.Duration // 0: no outcome recorded
}

func newLatencies(n int) *latencies {
	return &latencies{base: time.Now(), start: make([]time.Duration, n), took: make([]time.Duration, n)}
}

// begin records that message i is being sent now.
func (l *latencies) begin(i int) { l.start[i] = time.Since(l.base) }

// end records that message i has its outcome now.
func (l *latencies) end(i int) { l.took[i] = time.Since(l.base) - l.start[i] }

// percentiles sets s.p50 and s.p99 from the recorded latencies.
func (l *latencies) percentiles(s *sample) {
	d := make([]time.Duration, 0, len(l.took))
	for _, t := range l.took {
		if t > 0 {
			d = append(d, t)
		}
	}
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	s.p50 = d[len(d)*50/100]
	s.p99 = d[min(len(d)*99/100, len(d)-1)]
}

// median returns the median of xs (the mean of the middle two for an even
// count); xs is reordered.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}
