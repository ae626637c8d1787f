package mipushtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []LogLine {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []LogLine
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	for sc.Scan() {
		var ll LogLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ll), sc.Text())
		out = append(out, ll)
	}
	return out
}

func TestScriptFailuresAndLog(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: h2, NoRecording: true})
			c := newHTTPClient(t, s, h2)
			s.SetBadRegIDs("bad-1")
			var log lockedBuffer
			require.NoError(t, s.SetScript(Script{
				Failures: []PatternFailure{{Pattern: "x9*", Code: 10017}},
				Log:      &log,
			}))

			_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1,bad-1"))
			assert.Equal(t, 0, r.Code)
			_, r = do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r2,x95"))
			assert.Equal(t, 10017, r.Code, "a target matching the pattern fails the request")
			assert.Contains(t, r.Reason, "x9*")

			lines := log.lines(t)
			require.Len(t, lines, 2)
			assert.Equal(t, "/v3/message/regid", lines[0].Path)
			assert.Equal(t, []string{"r1", "bad-1"}, lines[0].Targets)
			assert.Equal(t, []string{"bad-1"}, lines[0].Bad)
			assert.True(t, lines[0].Accepted())
			require.Len(t, lines[0].Warnings, 1, "a notification without extra.notify_effect is logged with its warning")
			assert.Contains(t, lines[0].Warnings[0], "2024-09-30")
			assert.Equal(t, []string{"r2", "x95"}, lines[1].Targets)
			assert.Equal(t, 10017, lines[1].Code)
			assert.False(t, lines[1].Accepted())
			assert.Less(t, lines[0].Seq, lines[1].Seq)

			// A script without faults or log undoes the faults.
			require.NoError(t, s.SetScript(Script{}))
			_, r = do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("x95"))
			assert.Equal(t, 0, r.Code)
			assert.Len(t, log.lines(t), 2, "no log after the script is replaced")
		})
	}
}

func TestScriptRateLimit(t *testing.T) {
	p := &player{sc: Script{RateLimit: 3}}
	sec := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var over []bool
	for i := range 5 {
		over = append(over, p.overRate(sec.Add(time.Duration(i)*time.Millisecond)))
	}
	assert.Equal(t, []bool{false, false, false, true, true}, over, "the 4th and 5th of one second are over 3/s")
	assert.False(t, p.overRate(sec.Add(time.Second)), "a new second starts a new count")

	// Through the server: with a limit of 1/s, of ten requests in a row
	// some share a second, and all but the first of a second get 10027.
	s := newTestServer(t, Options{HTTP2: true, NoRecording: true})
	c := newHTTPClient(t, s, true)
	require.NoError(t, s.SetScript(Script{RateLimit: 1}))
	codes := map[int]int{}
	for range 10 {
		_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1"))
		codes[r.Code]++
	}
	assert.Positive(t, codes[10027], "requests over 1/s are answered 10027: %v", codes)
	assert.Positive(t, codes[0], codes)
}

func TestScriptBadValues(t *testing.T) {
	s := newTestServer(t, Options{NoRecording: true})
	assert.Error(t, s.SetScript(Script{DropRate: 1.5}))
	assert.Error(t, s.SetScript(Script{RateLimit: -1}))
	assert.Error(t, s.SetScript(Script{Failures: []PatternFailure{{Pattern: "[", Code: 1}}}))
	_, err := ParsePatternFailure("10017:r-9*")
	assert.NoError(t, err)
	for _, bad := range []string{"r-9*", "x:r", "10017:", "0:a", "1:["} {
		_, err := ParsePatternFailure(bad)
		assert.Error(t, err, bad)
	}
}
