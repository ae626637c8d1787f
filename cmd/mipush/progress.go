package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// tally is a snapshot of a bulk send's progress.
type tally struct {
	chunks, regids int // in the input
	accepted       int // chunks queued
	ok, failed     int // chunks with an outcome
	doneRegids     int // regids of the chunks with an outcome
	badRegIDs      int // regids the server rejected in chunks that succeeded
}

// line describes t in one line, for the plain progress output.
func (t tally) line(elapsed time.Duration) string {
	pct := 0
	if t.regids > 0 {
		pct = 100 * t.doneRegids / t.regids
	}
	return fmt.Sprintf("progress: %d/%d regids (%d%%), chunks ok %d failed %d of %d, bad regids %d, %s",
		t.doneRegids, t.regids, pct, t.ok, t.failed, t.chunks, t.badRegIDs, elapsed.Round(100*time.Millisecond))
}

// Progress modes.
const (
	progressAuto  = "auto"  // a bar on a terminal, plain lines otherwise
	progressBar   = "bar"   // a live bar
	progressPlain = "plain" // a line every interval, and a last one
	progressNone  = "none"  // nothing
)

// progress shows how a bulk send advances until stop is called.
type progress struct {
	stopc chan struct{}
	done  chan struct{}
}

// startProgress starts showing on w what snapshot returns, as mode says;
// plain lines come every interval.
func startProgress(w io.Writer, mode string, interval time.Duration, snapshot func() tally) *progress {
	p := &progress{stopc: make(chan struct{}), done: make(chan struct{})}
	if mode == progressAuto {
		mode = progressPlain
		if isTerminal(w) {
			mode = progressBar
		}
	}
	switch mode {
	case progressBar:
		go p.bar(w, snapshot)
	case progressPlain:
		t := time.NewTicker(interval)
		go func() {
			defer t.Stop()
			p.plain(w, t.C, snapshot)
		}()
	default:
		close(p.done)
	}
	return p
}

// stop shows the final state and returns once the output is complete.
func (p *progress) stop() {
	close(p.stopc)
	<-p.done
}

// plain prints a line at every tick and a last one when stopped.
func (p *progress) plain(w io.Writer, tick <-chan time.Time, snapshot func() tally) {
	defer close(p.done)
	start := time.Now()
	for {
		select {
		case <-tick:
			fmt.Fprintln(w, snapshot().line(time.Since(start)))
		case <-p.stopc:
			fmt.Fprintln(w, snapshot().line(time.Since(start)))
			return
		}
	}
}

// bar draws a live progress bar, refreshed ten times a second.
func (p *progress) bar(w io.Writer, snapshot func() tally) {
	defer close(p.done)
	t := snapshot()
	b := progressbar.NewOptions64(int64(t.regids),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("sending"),
		progressbar.OptionSetItsString("regids"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(),
	)
	update := func(t tally) {
		b.Describe(fmt.Sprintf("ok %d failed %d", t.ok, t.failed))
		b.Set64(int64(t.doneRegids))
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			update(snapshot())
		case <-p.stopc:
			t := snapshot()
			update(t)
			if t.doneRegids < t.regids {
				b.Exit() // stopped early: leave the bar where it is
			} else {
				b.Finish()
			}
			fmt.Fprintln(w)
			return
		}
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
