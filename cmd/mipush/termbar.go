package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// terminalBar draws a bulk send's tallies as a progressbar.ProgressBar:
// the bar, the percentage and the count done/total are the library's, the
// counters and the rate after them are ours (tally.counters).
//
// The library's own rate and time estimate are off. They are a rolling
// average of its windows between calls to Set, on a clock that starts at
// its first render rather than at the start of the send, and on finishing
// it divides everything done by the time since that first render: a send
// that ends before the first redraw showed billions of regids per second.
// Our rate is the regids done since the start, as in the plain lines.
type terminalBar struct {
	b *progressbar.ProgressBar
}

// newTerminalBar returns a bar for regids regids (more than 0), drawn on w.
func newTerminalBar(w io.Writer, regids int) *terminalBar {
	return &terminalBar{b: progressbar.NewOptions64(int64(regids),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(), // done/total, and a redraw at every Set
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowDescriptionAtLineEnd(),
	)}
}

// draw shows t, elapsed after the start, as one frame. Call it from one
// goroutine only.
func (tb *terminalBar) draw(t tally, elapsed time.Duration) {
	// Describe would draw the new counters beside the old bar; setting the
	// description without drawing and then the length draws one frame from
	// one snapshot. Applying the option is safe: only this goroutine uses
	// the bar. Drawing is best effort, so its errors are dropped.
	progressbar.OptionSetDescription(t.counters(elapsed))(tb.b)
	_ = tb.b.Set64(int64(t.doneRegids))
}

// end draws the last frame, t, and leaves the bar as it is when the send
// stopped short of the end.
func (tb *terminalBar) end(t tally, elapsed time.Duration) {
	tb.draw(t, elapsed)
	if !tb.b.IsFinished() {
		_ = tb.b.Exit()
	}
}
