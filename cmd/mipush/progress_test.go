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

// The bar fits the terminal: one line, one column short of its width,
// at 80 and 60 columns and below, whatever the counts.
func TestBarLineFits(t *testing.T) {
	big := tally{chunks: 1000, regids: 1_000_000, accepted: 600, ok: 499, failed: 1, doneRegids: 500_000, okRegids: 498_990, badRegIDs: 10}
	for _, width := range []int{200, 120, 80, 60, 40, 20, 5, 1} {
		for _, tl := range []tally{big, {regids: 10}, {regids: 10, doneRegids: 10, okRegids: 10}} {
			line := barLine(tl, 10*time.Second, width)
			assert.LessOrEqual(t, len(line), width-1, "width %d: %q", width, line)
			assert.NotContains(t, line, "\n")
			assert.NotContains(t, line, "\r")
		}
	}
	assert.Equal(t, "[==============               ]  50% 500000/1000000 ok 498990 bad 10 failed 1 50000/s 10s left",
		barLine(big, 10*time.Second, 120))
	assert.Equal(t, "[=========          ]  50% 500000/1000000 ok 498990 bad 10 failed 1 50000/s", barLine(big, 10*time.Second, 80))
	assert.Equal(t, "[=======       ]  50% 500000/1000000 ok 498990 bad 10", barLine(big, 10*time.Second, 60))
	assert.Equal(t, "50% 500000/1000000", barLine(big, 10*time.Second, 20), "too narrow for a bar")
	assert.InDelta(t, 10.0, tally{doneRegids: 100}.rate(10*time.Second), 1e-9)
}

// frames returns the frames drawn on a terminal line: the text between
// carriage returns, without the erase to the end of the line.
func frames(out string) []string {
	var fs []string
	for _, f := range strings.Split(out, "\r") {
		if f = strings.TrimSuffix(strings.TrimRight(f, "\n"), "\x1b[K"); f != "" {
			fs = append(fs, f)
		}
	}
	return fs
}

// Every snapshot is drawn as exactly one frame, redrawn in place, and the
// rate is the regids done since the start.
func TestTerminalBar(t *testing.T) {
	var out strings.Builder
	b := &terminalBar{w: &out, width: func() int { return 80 }}
	b.draw(tally{regids: 1000}, 0)
	half := tally{regids: 1000, ok: 1, doneRegids: 500, okRegids: 490, badRegIDs: 10}
	b.draw(half, 2*time.Second)
	b.note("stopping: finishing 3 requests in flight")
	b.end(tally{regids: 1000, ok: 2, failed: 1, doneRegids: 1000, okRegids: 990, badRegIDs: 10}, 5*time.Second)
	assert.Equal(t, []string{
		"[                   ]   0% 0/1000 ok 0 bad 0 failed 0 0/s",
		"[=========          ]  50% 500/1000 ok 490 bad 10 failed 0 250/s 2s left",
		"\x1b[Kstopping: finishing 3 requests in flight",
		"[===================] 100% 1000/1000 ok 990 bad 10 failed 1 200/s",
	}, frames(out.String()))
	assert.True(t, strings.HasSuffix(out.String(), "\n"))
	for _, f := range frames(out.String()) {
		assert.LessOrEqual(t, len(f), 79+len("\x1b[K"))
	}
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
	assert.Regexp(t, `^\[=+ +\]  50% 5/10 ok 5 bad 0 failed 0 \d+/s`, frames(b.String())[0])
	assert.True(t, strings.HasSuffix(b.String(), "\n"))

	// Nothing to send: no bar.
	b.Reset()
	startProgress(&b, progressBar, time.Hour, func() tally { return tally{} }).stop()
	assert.Empty(t, b.String())
	assert.False(t, isTerminal(io.Discard))
}
