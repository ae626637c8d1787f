package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// defaultWidth is the terminal width assumed when it cannot be read.
const defaultWidth = 80

// terminalBar draws a bulk send's tallies on one terminal line, redrawn in
// place: a carriage return, a line that fits the terminal's width (one
// column short of it, so the cursor never wraps), and an erase to the end
// of the line. What does not fit is left out, least useful first.
type terminalBar struct {
	w     io.Writer
	width func() int // the terminal's width now, in columns
}

// newTerminalBar returns a bar drawn on w, as wide as the terminal w is
// (defaultWidth if it is none).
func newTerminalBar(w io.Writer) *terminalBar {
	return &terminalBar{w: w, width: func() int { return terminalWidth(w) }}
}

// terminalWidth returns the width of the terminal w, or defaultWidth.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return defaultWidth
}

// draw shows t, elapsed after the start, as one frame. Drawing is best
// effort: its errors are dropped.
func (tb *terminalBar) draw(t tally, elapsed time.Duration) {
	fmt.Fprintf(tb.w, "\r%s\x1b[K", barLine(t, elapsed, tb.width()))
}

// note prints a line of text above the bar, which the next draw redraws.
func (tb *terminalBar) note(text string) {
	fmt.Fprintf(tb.w, "\r\x1b[K%s\n", text)
}

// end draws the last frame, t, and ends the line.
func (tb *terminalBar) end(t tally, elapsed time.Duration) {
	tb.draw(t, elapsed)
	fmt.Fprintln(tb.w)
}

// barLine renders t for a terminal of width columns, in at most width-1
// columns: a bar, the percentage and count of regids done, then as many
// of the counters, the rate and the time left as fit.
func barLine(t tally, elapsed time.Duration, width int) string {
	pct := 0
	if t.regids > 0 {
		pct = 100 * t.doneRegids / t.regids
	}
	text := fmt.Sprintf(" %3d%% %d/%d", pct, t.doneRegids, t.regids)
	rate := t.rate(elapsed)
	extras := []string{
		fmt.Sprintf(" ok %d", t.okRegids),
		fmt.Sprintf(" bad %d", t.badRegIDs),
		fmt.Sprintf(" failed %d", t.failed),
		fmt.Sprintf(" %.0f/s", rate),
	}
	if rate > 0 && t.doneRegids < t.regids {
		left := time.Duration(float64(t.regids-t.doneRegids)/rate) * time.Second
		extras = append(extras, " "+left.Round(time.Second).String()+" left")
	}
	// The bar's length depends on the width only, so that it does not
	// move as the counters change.
	n := min(max((width-1)/4, 10), 30)
	room := width - 1 - 2 - n // the brackets and the bar
	if len(text) > room {
		// Too narrow for a bar: the count alone, cut to fit.
		return cut(strings.TrimSpace(text), width-1)
	}
	for _, e := range extras {
		if len(text)+len(e) > room {
			break
		}
		text += e
	}
	fill := 0
	if t.regids > 0 {
		fill = n * t.doneRegids / t.regids
	}
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", n-fill) + "]" + text
}

// cut returns s cut to at most n bytes (the bar's text is ASCII).
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}
