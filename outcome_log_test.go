package mipush

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The failure log writes at most one line per second, on an injected
// clock, each with the count of the failures it left out before it, and
// Close writes the count still left.
func TestFailureLogRate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := failureLog{now: func() time.Time { return now }}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	c := &call{target: Target{Kind: TargetRegID, IDs: []string{"r1"}}, err: errors.New("boom"), jobKey: "k1"}
	c.SetTries(2)
	step := func(d time.Duration) { now = now.Add(d) }

	l.log(logger, c) // logged
	step(300 * time.Millisecond)
	l.log(logger, c) // suppressed
	step(699 * time.Millisecond)
	l.log(logger, c) // suppressed: 999 ms after the line
	step(time.Millisecond)
	l.log(logger, c) // logged, with 2 suppressed
	step(10 * time.Second)
	l.log(logger, c) // logged, none suppressed
	l.log(logger, c) // suppressed
	l.flush(logger)  // the last count
	l.flush(logger)  // nothing left: no line

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 4, buf.String())
	for _, line := range lines[:3] {
		assert.Contains(t, line, `level=WARN msg="mipush: async send failed`)
		assert.Contains(t, line, "target=regid[1] err=boom attempts=2 job_key=k1")
	}
	assert.NotContains(t, lines[0], "suppressed")
	assert.Contains(t, lines[1], "suppressed=2")
	assert.NotContains(t, lines[2], "suppressed")
	assert.Contains(t, lines[3], `msg="mipush: more async sends failed" suppressed=1`)
}

// With Options.Logger nil the failure log goes to slog.Default(), looked
// up when it writes; other records are dropped.
func TestFailureLogDefaultLogger(t *testing.T) {
	s := newSettings(Options{AppSecret: "x"})
	assert.Nil(t, s.failureLogger, "nil: slog.Default() at log time")
	lg := slog.New(slog.DiscardHandler)
	s = newSettings(Options{AppSecret: "x", Logger: lg})
	assert.Same(t, lg, s.failureLogger)
}

// Ids read back from an encoded request are those encoded, for every kind
// a send keeps no copy of, whatever characters they hold and with an
// automatic job key after them.
func TestTargetIDsFromBody(t *testing.T) {
	ids := []string{"a b", "c+d/e==", "100%", "é-ü", "x&y=z", "plain", "%2C", "tab\u00a0nbsp"}
	msg := &Message{RestrictedPackageName: "com.example.app", Title: "t", Description: "d", Payload: "registration_id=fake&alias=x", Extra: map[string]string{"alias": "y"}}
	for _, kind := range []TargetKind{TargetRegID, TargetAlias, TargetUserAccount} {
		tg := Target{Kind: kind, IDs: ids}
		body, err := encodeSend(nil, tg, msg)
		require.NoError(t, err)
		body = appendJobKey(body, "key-1")
		c := &call{target: Target{Kind: kind}, lazy: true}
		c.Ex.Req.Body = body
		c.targetIDs()
		assert.Equal(t, ids, c.target.IDs, "%v", kind)
		assert.False(t, c.lazy)
	}
}
