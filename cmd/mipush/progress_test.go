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

// The bar and its counters come from one snapshot, and the rate is the
// regids done over the time since the start.
func TestProgressBar(t *testing.T) {
	tl := tally{chunks: 100, regids: 100_000, accepted: 60, ok: 49, failed: 1, doneRegids: 50_000, okRegids: 48_990, badRegIDs: 10}
	assert.Equal(t, "[===============               ]  50% 50000/100000 regids: ok 48990 bad 10, failed chunks 1, 5000 regids/s, 10s left",
		tl.bar(10*time.Second, 30))
	assert.Equal(t, "[                              ]   0% 0/10 regids: ok 0 bad 0, failed chunks 0, 0 regids/s",
		tally{regids: 10}.bar(0, 30), "no rate before time has passed")
	done := tally{regids: 10, doneRegids: 10, okRegids: 10}
	assert.Equal(t, "[==========] 100% 10/10 regids: ok 10 bad 0, failed chunks 0, 5 regids/s", done.bar(2*time.Second, 10))
	assert.InDelta(t, 10.0, tally{doneRegids: 100}.rate(10*time.Second), 1e-9)
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
	assert.False(t, isTerminal(io.Discard))
}
