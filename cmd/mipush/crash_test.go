package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requestLog is a fake server's request log (mipushtest.Script.Log), kept
// in memory.
type requestLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *requestLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the lines logged so far.
func (l *requestLog) lines(t *testing.T) []mipushtest.LogLine {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []mipushtest.LogLine
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ll mipushtest.LogLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ll))
		out = append(out, ll)
	}
	return out
}

// accepted returns how many times the server accepted each regid: the
// targets of its successful answers, its bad regids aside.
func (l *requestLog) accepted(t *testing.T) map[string]int {
	t.Helper()
	n := make(map[string]int)
	for _, ll := range l.lines(t) {
		if !ll.Accepted() {
			continue
		}
		bad := make(map[string]bool)
		for _, b := range ll.Bad {
			bad[b] = true
		}
		for _, id := range ll.Targets {
			if !bad[id] {
				n[id]++
			}
		}
	}
	return n
}

// commandProcess returns the command run as a process of its own: this
// test binary, which TestMain turns into the command.
func commandProcess(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envTestAsCommand+"=1")
	return cmd
}

// recordsOf reads a report or a journal as --retry does.
func recordsOf(t *testing.T, name string) *recordedJob {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	rj, err := readRecordedJob(f, name)
	require.NoError(t, err)
	return rj
}

// A bulk send killed with SIGKILL at any moment leaves a journal next to
// its report that holds every regid the server has not accepted: those
// never queued as unsent (the server never saw them), those that may
// have been in flight as maybe processed. --retry of the journal sends the
// rest, and removes the journal; at the end every regid was accepted, and
// only those recorded as maybe processed can have been accepted twice.
func TestBulkKill9LeavesEveryRegIDInAReport(t *testing.T) {
	const lines = 6000
	for _, at := range []int{1, 100, 300} { // requests seen before the kill
		t.Run("", func(t *testing.T) {
			srv, flags := testServer(t, mipushtest.Options{HTTP2: true, NoRecording: true})
			var log requestLog
			require.NoError(t, srv.SetScript(mipushtest.Script{Log: &log}))
			dir := t.TempDir()
			input := writeFile(t, "p.jsonl", personalLines(lines)...)
			report := filepath.Join(dir, "r.jsonl")

			// 600 requests of 10 messages at 100 a second: 6 s unless killed.
			cmd := commandProcess(t, dir, append([]string{"bulk", input, "--report", report, "--progress", "none",
				"--batch", "--batch-size", "10", "--rate", "100", "--description", "D", "--extra", "jobkey=k1"}, flags...)...)
			require.NoError(t, cmd.Start())
			require.Eventually(t, func() bool { return len(log.lines(t)) >= at }, 30*time.Second, 5*time.Millisecond)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			require.Error(t, cmd.Wait())

			_, err := os.Stat(report)
			require.True(t, os.IsNotExist(err), "the report is renamed into place only at the end")
			journals, err := filepath.Glob(report + ".*" + journalSuffix)
			require.NoError(t, err)
			require.Len(t, journals, 1)
			st, err := os.Stat(journals[0])
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

			accepted := log.accepted(t)
			rj := recordsOf(t, journals[0])
			assert.True(t, rj.partial)
			inReport := make(map[string]bool)
			maybe := make(map[string]bool)
			for _, rec := range rj.records {
				for _, id := range rec.IDs {
					inReport[id] = true
					if rec.MaybeProcessed {
						maybe[id] = true
					} else {
						assert.Zero(t, accepted[id], "%s is %s in the journal but the server accepted it", id, rec.Kind)
					}
				}
			}
			for _, id := range regIDs(lines) {
				if accepted[id] == 0 {
					assert.True(t, inReport[id], "%s was not accepted and is in no report", id)
				}
			}

			// The rest, from the journal; its maybe processed too.
			r := mipushCmd(append([]string{"bulk", "--retry", "--at-least-once", "--progress", "none", "--json",
				"--report", report, journals[0]}, flags...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			_, err = os.Stat(journals[0])
			assert.True(t, os.IsNotExist(err), "the journal retried is removed")
			left, _ := filepath.Glob(report + ".*" + journalSuffix)
			assert.Empty(t, left)
			accepted = log.accepted(t)
			for _, id := range regIDs(lines) {
				require.Positive(t, accepted[id], "%s never accepted", id)
				if accepted[id] > 1 {
					assert.True(t, maybe[id], "%s accepted twice but not recorded as maybe processed", id)
				}
			}
		})
	}
}

// A --retry killed with SIGKILL leaves the report it read as it was, and
// a journal of its own.
func TestBulkRetryKilledKeepsItsInput(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true, NoRecording: true})
	var log requestLog
	require.NoError(t, srv.SetScript(mipushtest.Script{Log: &log, Failures: []mipushtest.PatternFailure{{Pattern: "r-*", Code: 10017}}}))
	dir := t.TempDir()
	input := writeFile(t, "ids.txt", regIDs(3000)...)
	report := filepath.Join(dir, "r.jsonl")
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "1")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	before, err := os.ReadFile(report)
	require.NoError(t, err)

	require.NoError(t, srv.SetScript(mipushtest.Script{Log: &log}))
	n := len(log.lines(t))
	cmd := commandProcess(t, dir, append([]string{"bulk", "--retry", report, "--report", report, "--progress", "none", "--rate", "500"}, flags...)...)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return len(log.lines(t)) >= n+200 }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	require.Error(t, cmd.Wait())

	after, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the report read is untouched until the new one is complete")
	journals, _ := filepath.Glob(report + ".*" + journalSuffix)
	require.Len(t, journals, 1)
	accepted := log.accepted(t)
	rj := recordsOf(t, journals[0])
	inReport := make(map[string]bool)
	for _, rec := range rj.records {
		for _, id := range rec.IDs {
			inReport[id] = true
		}
	}
	for _, id := range regIDs(3000) {
		if accepted[id] == 0 {
			assert.True(t, inReport[id], "%s was not accepted and is not in the new journal", id)
		}
	}
}
