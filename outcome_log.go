package mipush

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// failureLogEvery is the least time between two log lines about failed
// async sends, so that a failing server cannot flood the log.
const failureLogEvery = time.Second

// failureLog writes a warning for each failed async send that no OnError
// callback hears of, at most one line per failureLogEvery; each line
// counts the failures left unlogged since the one before.
type failureLog struct {
	mu         sync.Mutex
	now        func() time.Time // time.Now; tests inject a clock
	last       time.Time        // when the last line was written
	logged     bool             // a line has been written
	suppressed int              // failures since the last line, not logged
}

// allow reports whether a failure may be logged now and, if so, how many
// were suppressed before it (the count is then reset).
func (l *failureLog) allow() (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now
	if l.now != nil {
		now = l.now
	}
	t := now()
	if l.logged && t.Sub(l.last) < failureLogEvery {
		l.suppressed++
		return false, 0
	}
	l.logged, l.last = true, t
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// log writes the warning for failed call c, if the rate allows. logger
// nil means slog.Default(), looked up now so that a program may set its
// default logger after creating the client. The line names the target,
// the error (which never holds the app secret) and the attempts.
func (l *failureLog) log(logger *slog.Logger, c *call) {
	ok, suppressed := l.allow()
	if !ok {
		return
	}
	if logger == nil {
		logger = slog.Default()
	}
	attrs := []slog.Attr{
		slog.String("target", c.target.String()),
		slog.String("err", c.err.Error()),
		slog.Int("attempts", c.Tries()),
	}
	if c.jobKey != "" {
		attrs = append(attrs, slog.String("job_key", c.jobKey))
	}
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	logger.LogAttrs(context.Background(), slog.LevelWarn, "mipush: async send failed (set Options.OnError to handle failures)", attrs...)
}

// flush writes a last line for failures suppressed since the last one, so
// that a count is never lost; the client calls it when it shuts down.
func (l *failureLog) flush(logger *slog.Logger) {
	l.mu.Lock()
	n := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	if n == 0 {
		return
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(context.Background(), slog.LevelWarn, "mipush: more async sends failed", slog.Int("suppressed", n))
}
