package main

import (
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// lineWriter sends each line written to it on a channel.
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		s := w.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.lines <- s[:i]
		w.buf.Reset()
		w.buf.WriteString(s[i+1:])
	}
}

func TestPlainProgress(t *testing.T) {
	w := &lineWriter{lines: make(chan string, 10)}
	tick := make(chan time.Time)
	var mu sync.Mutex
	cur := tally{chunks: 3, regids: 2500}
	snapshot := func() tally { mu.Lock(); defer mu.Unlock(); return cur }
	p := &progress{stopc: make(chan struct{}), done: make(chan struct{})}
	go p.plain(w, tick, snapshot)

	tick <- time.Now()
	assert.Regexp(t, `^progress: 0/2500 regids \(0%\), chunks ok 0 failed 0 of 3, bad regids 0, 0 regids/s, \S+$`, <-w.lines)

	mu.Lock()
	cur.ok, cur.failed, cur.doneRegids, cur.badRegIDs = 1, 1, 2000, 4
	mu.Unlock()
	tick <- time.Now()
	assert.Regexp(t, `^progress: 2000/2500 regids \(80%\), chunks ok 1 failed 1 of 3, bad regids 4, `, <-w.lines)

	p.stop()
	assert.Regexp(t, `^progress: 2000/2500 regids \(80%\)`, <-w.lines)
	assert.Empty(t, w.lines)
}

// The counters after the bar come from one snapshot, and the rate is the
// regids done over the time since the start.
func TestProgressBarCounters(t *testing.T) {
	tl := tally{chunks: 100, regids: 100_000, accepted: 60, ok: 49, failed: 1, doneRegids: 50_000, okRegids: 48_990, badRegIDs: 10}
	assert.Equal(t, "regids: ok 48990 bad 10, failed chunks 1, 5000 regids/s, 10s left", tl.counters(10*time.Second))
	assert.Equal(t, "regids: ok 0 bad 0, failed chunks 0, 0 regids/s",
		tally{regids: 10}.counters(0), "no rate before time has passed")
	done := tally{regids: 10, doneRegids: 10, okRegids: 10}
	assert.Equal(t, "regids: ok 10 bad 0, failed chunks 0, 5 regids/s", done.counters(2*time.Second))
	assert.InDelta(t, 10.0, tally{doneRegids: 100}.rate(10*time.Second), 1e-9)
}

// frames returns the frames drawn on a terminal line: the text between
// carriage returns, without the blanks that erase the previous frame.
func frames(out string) []string {
	var fs []string
	for _, f := range strings.Split(out, "\r") {
		if f = strings.TrimRight(f, " "); f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// Every snapshot is drawn as exactly one frame, in which the bar, the
// count and the counters are that snapshot's, and the rate is the regids
// done since the start: a jump straight to the end, which once showed
// billions of regids per second, shows the true rate.
func TestTerminalBar(t *testing.T) {
	var out strings.Builder
	b := newTerminalBar(&out, 1000)
	b.draw(tally{regids: 1000}, 0)
	half := tally{regids: 1000, ok: 1, doneRegids: 500, okRegids: 490, badRegIDs: 10}
	b.draw(half, 2*time.Second)
	half.failed = 1 // the counters change, the bar does not
	b.draw(half, 4*time.Second)
	b.end(tally{regids: 1000, ok: 2, failed: 1, doneRegids: 1000, okRegids: 990, badRegIDs: 10}, 5*time.Second)
	assert.Equal(t, []string{
		"   0% |                              | (0/1000) regids: ok 0 bad 0, failed chunks 0, 0 regids/s",
		"  50% |███████████████               | (500/1000) regids: ok 490 bad 10, failed chunks 0, 250 regids/s, 2s left",
		"  50% |███████████████               | (500/1000) regids: ok 490 bad 10, failed chunks 1, 125 regids/s, 4s left",
		" 100% |██████████████████████████████| (1000/1000) regids: ok 990 bad 10, failed chunks 1, 200 regids/s",
	}, frames(out.String()))

	// A send of a million regids done within the first redraw.
	out.Reset()
	b = newTerminalBar(&out, 1_000_000)
	b.end(tally{regids: 1_000_000, ok: 1000, doneRegids: 1_000_000, okRegids: 1_000_000}, 80*time.Millisecond)
	assert.Equal(t, []string{
		" 100% |██████████████████████████████| (1000000/1000000) regids: ok 1000000 bad 0, failed chunks 0, 12500000 regids/s",
	}, frames(out.String()))

	// Stopped short of the end, the bar stays where it is.
	out.Reset()
	b = newTerminalBar(&out, 10)
	b.end(tally{regids: 10, doneRegids: 3, okRegids: 3, ok: 1}, time.Second)
	b.draw(tally{regids: 10, doneRegids: 4}, 2*time.Second)
	assert.Equal(t, []string{
		"  30% |█████████                     | (3/10) regids: ok 3 bad 0, failed chunks 0, 3 regids/s, 2s left",
	}, frames(out.String()))
}

func TestProgressModes(t *testing.T) {
	snapshot := func() tally { return tally{chunks: 1, regids: 10, doneRegids: 10, ok: 1} }

	var b strings.Builder
	startProgress(&b, progressNone, time.Hour, snapshot).stop()
	assert.Empty(t, b.String())

	// auto is plain when the output is not a terminal.
	b.Reset()
	startProgress(&b, progressAuto, time.Hour, snapshot).stop()
	assert.True(t, strings.HasPrefix(b.String(), "progress: 10/10 regids (100%)"), b.String())

	// The bar draws, and ends with a newline.
	b.Reset()
	startProgress(&b, progressBar, time.Hour, snapshot).stop()
	assert.Contains(t, b.String(), "100%")
	assert.True(t, strings.HasSuffix(b.String(), "\n"))

	// Stopped short, the bar ends where the send stopped.
	b.Reset()
	startProgress(&b, progressBar, time.Hour, func() tally { return tally{chunks: 2, regids: 10, doneRegids: 5, okRegids: 5, ok: 1} }).stop()
	assert.Regexp(t, `^ +50% \|.*\| \(5/10\) regids: ok 5 bad 0, failed chunks 0, \d+ regids/s`, frames(b.String())[0])
	assert.True(t, strings.HasSuffix(b.String(), "\n"))

	// Nothing to send: no bar.
	b.Reset()
	startProgress(&b, progressBar, time.Hour, func() tally { return tally{} }).stop()
	assert.Empty(t, b.String())
	assert.False(t, isTerminal(io.Discard))
}
