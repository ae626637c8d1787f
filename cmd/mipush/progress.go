package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// tally is a snapshot of a bulk send's progress.
type tally struct {
	chunks, regids int // in the input
	accepted       int // chunks queued
	ok, failed     int // chunks with an outcome
	invalid        int // chunks the server refused as having no valid regid (20301)
	doneRegids     int // regids of the chunks with an outcome
	okRegids       int // regids the server accepted
	badRegIDs      int // regids the server rejected
}

// rate returns the regids done per second over elapsed, 0 before any
// time has passed.
func (t tally) rate(elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(t.doneRegids) / elapsed.Seconds()
}

// line describes t in one line, for the plain progress output.
func (t tally) line(elapsed time.Duration) string {
	pct := 0
	if t.regids > 0 {
		pct = 100 * t.doneRegids / t.regids
	}
	return fmt.Sprintf("progress: %d/%d regids (%d%%), chunks ok %d failed %d of %d, bad regids %d, %.0f regids/s, %s",
		t.doneRegids, t.regids, pct, t.ok, t.failed, t.chunks, t.badRegIDs, t.rate(elapsed), elapsed.Round(100*time.Millisecond))
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
	notes chan string // lines to print among the progress output
}

// startProgress starts showing on w what snapshot returns, as mode says;
// plain lines come every interval.
func startProgress(w io.Writer, mode string, interval time.Duration, snapshot func() tally) *progress {
	p := &progress{stopc: make(chan struct{}), done: make(chan struct{}), notes: make(chan string)}
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
		go func() {
			defer close(p.done)
			p.notesOnly(w)
		}()
	}
	return p
}

// notesOnly prints the notes until stopped.
func (p *progress) notesOnly(w io.Writer) {
	for {
		select {
		case n := <-p.notes:
			fmt.Fprintln(w, n)
		case <-p.stopc:
			return
		}
	}
}

// note prints a line of text among the progress output (above a bar).
func (p *progress) note(text string) {
	select {
	case p.notes <- text:
	case <-p.done:
	}
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
		case n := <-p.notes:
			fmt.Fprintln(w, n)
		case <-p.stopc:
			fmt.Fprintln(w, snapshot().line(time.Since(start)))
			return
		}
	}
}

// bar redraws a bar on one terminal line ten times a second.
func (p *progress) bar(w io.Writer, snapshot func() tally) {
	defer close(p.done)
	start := time.Now()
	t := snapshot()
	if t.regids == 0 {
		p.notesOnly(w) // nothing to send, and a bar needs a length
		return
	}
	b := newTerminalBar(w)
	b.draw(t, 0)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			b.draw(snapshot(), time.Since(start))
		case n := <-p.notes:
			b.note(n)
			b.draw(snapshot(), time.Since(start))
		case <-p.stopc:
			b.end(snapshot(), time.Since(start))
			return
		}
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
