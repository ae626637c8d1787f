package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --rate paces the requests and --batch gathers personalised lines into
// multi-message requests: 20,000 lines at 200 requests a second in
// batches of 100 are about 200 requests, a second's worth, where one
// request a line would take 100 s. The summary counts requests and
// messages apart.
func TestBulkRateAndBatch(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true, NoRecording: true})
	var log requestLog
	require.NoError(t, srv.SetScript(mipushtest.Script{Log: &log}))
	input := writeFile(t, "p.jsonl", personalLines(20_000)...)
	report := filepath.Join(t.TempDir(), "r.jsonl")
	r := mipushCmd(bulkArgs(flags, report, input, "--rate", "200", "--batch")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s := summaryOf(t, r)
	requireAddsUp(t, s)
	assert.Equal(t, 20_000, s.OK)
	assert.GreaterOrEqual(t, s.Requests, 200)
	assert.Less(t, s.Requests, 1000, "batched: far fewer requests than lines")
	assert.Len(t, log.lines(t), s.Requests, "the requests counted are those the server saw")
	// A token bucket of 200/s with a burst of 20 lets 200 requests go in
	// no less than 0.9 s; 30 s is a generous bound on a loaded machine for
	// what unbatched would take 100 s.
	assert.GreaterOrEqual(t, s.Seconds, 0.9)
	assert.Less(t, s.Seconds, 30.0)
	assert.InDelta(t, float64(s.Requests)/s.Seconds, s.RequestsPerSecond, 1e-6)
	assert.InDelta(t, 20_000/s.Seconds, s.MessagesPerSecond, 1e-6)
	for id, n := range log.accepted(t) {
		require.Equal(t, 1, n, id)
	}
	assert.Len(t, log.accepted(t), 20_000)

	// The text summary says both rates.
	r = mipushCmd("bulk", "--fake", "--progress", "none", "--description", "D", "--batch", input)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^sent     20000 of 20000 messages in [0-9.]+s\nrate     \d+ requests: \d+ requests/s, \d+ messages/s$`, r.stdout)

	r = mipushCmd(bulkArgs(flags, report, input, "--rate", "-1")...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--rate", "the library's check names the flag")
	r = mipushCmd(bulkArgs(flags, report, input, "--batch", "--batch-size", "1001")...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--batch-size")
}

// A byte order mark, CRLF line ends and trailing spaces are not part of
// the regids, and flags may follow the input file.
func TestBulkInputBOMAndCRLF(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true, NoRecording: true})
	var log requestLog
	require.NoError(t, srv.SetScript(mipushtest.Script{Log: &log}))
	input := filepath.Join(t.TempDir(), "ids.txt")
	require.NoError(t, os.WriteFile(input, []byte("\uFEFFr-1\r\nr-2  \r\n# c\r\n\r\nr-3"), 0o600))
	r := mipushCmd(append([]string{"bulk", input, "--title", "T", "--description", "D", "--progress", "none", "--json"}, flags...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s := summaryOf(t, r)
	assert.Equal(t, 3, s.RegIDs)
	lines := log.lines(t)
	require.Len(t, lines, 1)
	assert.Equal(t, []string{"r-1", "r-2", "r-3"}, lines[0].Targets)

	// A personalised file with a byte order mark is JSON.
	require.NoError(t, os.WriteFile(input, []byte("\uFEFF{\"regid\":\"r-4\",\"title\":\"A\"}\r\n"), 0o600))
	r = mipushCmd(append([]string{"bulk", input, "--description", "D", "--progress", "none", "--json"}, flags...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, formatJSON, summaryOf(t, r).Format)

	// After "--" a flag is a file name.
	r = mipushCmd(append(append([]string{"bulk", "--title", "T", "--description", "D"}, flags...), "--", "--json")...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--json: no such file")
}

// Under --json, bad input is an array of {line, text, error} on standard
// output, and the same list on standard error.
func TestBulkBadInputJSON(t *testing.T) {
	input := writeFile(t, "ids.txt", "r-1", "a,b", "r-2", "c;$;d")
	r := mipushCmd("bulk", "--fake", "--title", "T", "--description", "D", "--json", input)
	require.Equal(t, exitUsage, r.code)
	var bad []badLineJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &bad), r.stdout)
	require.Len(t, bad, 2)
	assert.Equal(t, 2, bad[0].Line)
	assert.Equal(t, "a,b", bad[0].Text)
	assert.Contains(t, bad[0].Error, "regid")
	assert.Equal(t, 4, bad[1].Line)
	assert.Contains(t, r.stderr, "line 2:")
}

// --retry refuses a report whose message was edited: its message_digest
// no longer matches.
func TestBulkRetryRefusesEditedReport(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	srv.FailTarget("r-00001", mipushtest.ErrorAnswer(10017, "Invalid parameter"))
	input := writeFile(t, "ids.txt", regIDs(5)...)
	report := filepath.Join(t.TempDir(), "r.jsonl")
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "1")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	st, err := os.Stat(report)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "reports may hold tokens")

	b, err := os.ReadFile(report)
	require.NoError(t, err)
	edited := strings.Replace(string(b), `"Title":"T"`, `"Title":"X"`, 1)
	require.NotEqual(t, string(b), edited)
	require.NoError(t, os.WriteFile(report, []byte(edited), 0o600))
	n := srv.Count()
	r = mipushCmd(retryArgs(flags, report, report+".2")...)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "message_digest")
	assert.Equal(t, n, srv.Count(), "nothing sent")

	// Reformatted, not edited: accepted.
	reformatted := strings.Replace(string(b), `{"Description":"D","Title":"T"}`, `{ "Title": "T", "Description": "D" }`, 1)
	require.NotEqual(t, string(b), reformatted)
	require.NoError(t, os.WriteFile(report, []byte(reformatted), 0o600))
	r = mipushCmd(retryArgs(flags, report, report+".2")...)
	assert.Equal(t, exitFailed, r.code, r.stderr) // r-00001 fails again
}

// The first Ctrl-C says what it does and waits for the requests in
// flight; the second stops waiting at once; the report is written either
// way, with every regid not accepted.
func TestBulkTwoCtrlC(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	srv.SetStall(true) // nothing is ever answered
	input := writeFile(t, "ids.txt", regIDs(50)...)
	report := filepath.Join(t.TempDir(), "r.jsonl")
	st := newStopper(context.Background())
	defer st.release()
	errw := syncWriter{make(chan string, 100)}
	var out strings.Builder
	done := make(chan int)
	go func() {
		args := bulkArgs(flags, report, input, "--chunk", "1", "--rate", "100", "--drain-timeout", "1h")
		done <- run(st.ctx, args, &out, errw)
	}()
	require.Eventually(t, func() bool { return srv.Count() >= 3 }, 30e9, 5e6)
	st.signal(os.Interrupt)
	line := <-errw.lines
	assert.Regexp(t, `^stopping: finishing \d+ requests in flight \(up to 1h0m0s\); Ctrl-C again to stop at once, the report will still be written$`, line)
	st.signal(os.Interrupt)
	code := <-done
	assert.Equal(t, exitInterrupted, code)
	var s bulkSummary
	require.NoError(t, json.Unmarshal([]byte(out.String()), &s))
	requireAddsUp(t, s)
	assert.True(t, s.Interrupted)
	assert.Equal(t, "SIGINT", s.Signal)
	assert.Contains(t, s.DrainError, "second Ctrl-C")
	regids := 0
	for _, rec := range readReport(t, report) {
		regids += len(rec.IDs)
	}
	assert.Equal(t, 50, regids, "every regid is in the report")
}

// SIGTERM stops like the first Ctrl-C, with exit status 143.
func TestBulkSIGTERM(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	input := writeFile(t, "ids.txt", regIDs(500)...)
	report := filepath.Join(t.TempDir(), "r.jsonl")
	st := newStopper(context.Background())
	defer st.release()
	done := make(chan result)
	go func() {
		done <- runArgs(st.ctx, bulkArgs(flags, report, input, "--chunk", "1", "--rate", "50")...)
	}()
	require.Eventually(t, func() bool { return srv.Count() >= 2 }, 30e9, 5e6)
	st.signal(syscall.SIGTERM)
	r := <-done
	assert.Equal(t, exitTerminated, r.code, r.stderr)
	s := summaryOf(t, r)
	assert.Equal(t, "SIGTERM", s.Signal)
	assert.Positive(t, s.UnsentChunks)
}

// A Ctrl-C before anything is sent (while the input is checked, or just
// after) stops at once: nothing sent, no report, no journal.
func TestBulkCtrlCBeforeSending(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	report := filepath.Join(dir, "r.jsonl")
	for _, n := range []int{10, 3 * checkEvery} {
		input := writeFile(t, "ids.txt", regIDs(n)...)
		r := runArgs(ctx, bulkArgs(flags, report, input)...)
		assert.Equal(t, exitInterrupted, r.code, r.stderr)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries, "no report and no journal")
	}
	assert.Zero(t, srv.Count())
	input := writeFile(t, "ids.txt", regIDs(3*checkEvery)...)
	r := runArgs(ctx, "bulk", "--fake", "--title", "T", "--description", "D", input)
	assert.Equal(t, exitInterrupted, r.code)
	assert.Contains(t, r.stderr, "interrupted while reading the input: nothing was sent")
}

// A report that cannot be written stops the send before it starts, the
// default report too; a journal left by a killed run is pointed out.
func TestBulkReportCheckedFirst(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.Mkdir(defaultReport, 0o700)) // a directory in the way
	input := writeFile(t, "ids.txt", "bad-1", "r-2")
	r := mipushCmd(append([]string{"bulk", "--title", "T", "--description", "D", input}, flags...)...)
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, "--report: cannot write "+defaultReport+", so nothing was sent")
	assert.Zero(t, srv.Count())
	require.NoError(t, os.Remove(defaultReport))

	left := defaultReport + ".123" + journalSuffix
	require.NoError(t, os.WriteFile(left, nil, 0o600))
	r = mipushCmd(append([]string{"bulk", "--title", "T", "--description", "D", "--progress", "none", input}, flags...)...)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "warning: "+left+" is left by a run that stopped before its end")
}

// The summary of a send to a host that cannot be reached says that
// nothing was sent.
func TestBulkUnreachableSaysNothingSent(t *testing.T) {
	_, flags := testServer(t, mipushtest.Options{})
	flags[1] = closedAddr(t)
	input := writeFile(t, "ids.txt", regIDs(30)...)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	r := mipushCmd(append([]string{"bulk", "--title", "T", "--description", "D", "--progress", "none", "--report", report, input}, flags...)...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	assert.Regexp(t, `(?m)^stopped  nothing was sent: cannot connect to `, r.stdout)
	r = mipushCmd(bulkArgs(flags, report, input)...)
	assert.True(t, summaryOf(t, r).NothingSent)
}

// "mipush help CMD" is "mipush CMD --help"; revoke's help speaks of
// revoking.
func TestHelpCommand(t *testing.T) {
	r := mipushCmd("help", "bulk")
	require.Equal(t, exitOK, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, "Usage: mipush bulk "), r.stdout)
	for _, field := range []string{"requests_per_second", "messages_per_second", "nothing_sent", "report_lines"} {
		assert.Contains(t, r.stdout, field, "the --json fields are documented")
	}
	r = mipushCmd("help", "revoke")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Revoke a notification")
	r = mipushCmd("help", "nosuch")
	assert.Equal(t, exitUsage, r.code)
}

// trace says when the server knows no delivery of an id, and labels a job
// key as such.
func TestTraceKnownUnknownAndJob(t *testing.T) {
	_, flags := testServer(t, mipushtest.Options{HTTP2: true, RememberSends: 100})
	r := mipushCmd(append([]string{"send", "--json", "--regid", "r1,r2", "--title", "T", "--description", "D", "--extra", "jobkey=j7"}, flags...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	var sent sendResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sent))

	r = mipushCmd(append([]string{"trace", sent.ID}, flags...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "message id     "+sent.ID+"\n")

	r = mipushCmd(append([]string{"trace", "slm-unknown"}, flags...)...)
	assert.Equal(t, exitFailed, r.code)
	requireOneLine(t, r, "knows no delivery of message slm-unknown")

	r = mipushCmd(append([]string{"trace", "--job", "j7"}, flags...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "job key        j7\n"), r.stdout)
	assert.NotContains(t, r.stdout, "message id     j7")
}

// send --all asks for --yes when a person types it at a terminal.
func TestConfirmAll(t *testing.T) {
	assert.ErrorContains(t, confirmAll(true, false, true), "--yes")
	assert.NoError(t, confirmAll(true, true, true))
	assert.NoError(t, confirmAll(true, false, false), "a script is not asked")
	assert.NoError(t, confirmAll(false, false, true))
}

// mipush fake on all interfaces prints a host a client can use; its
// request log and scripted failures work from the command line.
func TestFakeCommandScript(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	logFile := filepath.Join(dir, "requests.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := syncWriter{make(chan string, 100)}
	done := make(chan int)
	go func() {
		done <- fakeCmd(ctx, []string{"--addr", "0.0.0.0:0", "--ca-file", ca, "--log", logFile, "--fail", "10017:x9*"}, out, out)
	}()
	first := <-out.lines
	assert.Contains(t, first, "listening on all interfaces")
	second := <-out.lines
	m := regexp.MustCompile(`^fake MiPush server on (127\.0\.0\.1:\d+) `).FindStringSubmatch(second)
	require.NotNil(t, m, second)

	t.Setenv(envSecret, "any")
	at := []string{"--host", m[1], "--ca", ca}
	r := mipushCmd(append([]string{"send", "--regid", "r1", "--title", "T", "--description", "D"}, at...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = mipushCmd(append([]string{"send", "--regid", "x95", "--title", "T", "--description", "D"}, at...)...)
	require.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "10017")
	cancel()
	assert.Equal(t, exitOK, <-done)

	b, err := os.ReadFile(logFile)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2)
	var l mipushtest.LogLine
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &l))
	assert.Equal(t, []string{"x95"}, l.Targets)
	assert.Equal(t, 10017, l.Code)

	for _, bad := range []string{"--fail x", "--drop-rate 2", "--rate-limit -1"} {
		r := runArgs(context.Background(), append([]string{"fake", "--addr", "127.0.0.1:0", "--ca-file", ca}, strings.Fields(bad)...)...)
		assert.Equal(t, exitUsage, r.code, bad)
	}
}

// A command cut short by a signal exits 130 after Ctrl-C, 143 after
// SIGTERM.
func TestSignalExitStatus(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	srv.SetStall(true)
	for sig, want := range map[os.Signal]int{os.Interrupt: exitInterrupted, syscall.SIGTERM: exitTerminated} {
		st := newStopper(context.Background())
		done := make(chan result)
		n := srv.Count()
		go func() {
			done <- runArgs(st.ctx, append([]string{"send", "--regid", "r1", "--title", "T", "--description", "D"}, flags...)...)
		}()
		require.Eventually(t, func() bool { return srv.Count() > n }, 30e9, 5e6)
		st.signal(sig)
		r := <-done
		assert.Equal(t, want, r.code, r.stderr)
		st.release()
	}
}

// A journal given to --retry is replaced by the new run's journal before
// the first send; a Ctrl-C before that send still leaves every regid in
// a report.
func TestBulkRetryJournalInterruptedBeforeSending(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	dir := t.TempDir()
	report := filepath.Join(dir, "r.jsonl")
	// A journal as a killed run leaves it: the job and its requests, no
	// outcome.
	rec, err := jobRecord(mustMessage(t), formatRegIDs, 10)
	require.NoError(t, err)
	rep, err := newReport(rec, report, true, nil)
	require.NoError(t, err)
	ids := regIDs(30)
	require.NoError(t, rep.plan(3, 10, func(i int) reportRecord {
		return reportRecord{Kind: kindPending, Chunk: i, IDs: ids[i*10 : i*10+10]}
	}))
	journal := rep.journalName()
	// Stop its sync loop without removing it, as a kill would.
	rep.mu.Lock()
	require.NoError(t, rep.endJournal(true))
	rep.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := runArgs(ctx, retryArgs(flags, journal, report)...)
	assert.Equal(t, exitInterrupted, r.code, r.stderr)
	assert.Zero(t, srv.Count())
	_, err = os.Stat(journal)
	assert.True(t, os.IsNotExist(err), "the journal read is replaced")
	var regids int
	for _, rec := range readReport(t, report) {
		assert.Equal(t, kindUnsent, rec.Kind)
		regids += len(rec.IDs)
	}
	assert.Equal(t, 30, regids, "every regid is in the new report")
}

// Every field of the --json summary is documented in the --json section
// of "mipush help bulk", as a name of its left column (a name in a
// description, or elsewhere in the help, does not count), and every name
// there is a field.
func TestBulkJSONFieldsDocumented(t *testing.T) {
	help := mipushCmd("help", "bulk").stdout
	_, section, ok := strings.Cut(help, "\nThe --json summary ")
	require.True(t, ok, "the --json section's heading")
	section, _, ok = strings.Cut(section, "\n\nExit status")
	require.True(t, ok, "the section after the --json one")
	documented := make(map[string]bool)
	for line := range strings.Lines(section) {
		// A line of names is indented by two spaces; a description, further.
		rest, ok := strings.CutPrefix(line, "  ")
		if !ok || strings.HasPrefix(rest, " ") {
			continue
		}
		names, _, _ := strings.Cut(strings.TrimSpace(rest), "  ")
		for name := range strings.SplitSeq(names, ", ") {
			documented[name] = true
		}
	}
	fields := make(map[string]bool)
	typ := reflect.TypeFor[bulkSummary]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields[name] = true
		assert.True(t, documented[name], "field %s is not in the --json section", name)
	}
	for name := range documented {
		assert.True(t, fields[name], "the --json section names %s, no field", name)
	}
}

// The records a --retry carries over from the report it read (maybe
// processed, held back) are no request of the new job: in the new
// journal they do not give the new job's request of the same index an
// outcome.
func TestJournalCarriedRecordsDoNotCountAsOutcomes(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "r.jsonl")
	rec, err := jobRecord(mustMessage(t), formatRegIDs, 1)
	require.NoError(t, err)
	j := &bulkJob{held: []reportRecord{{Kind: kindFailed, Chunk: 0, IDs: []string{"old-0"}, MaybeProcessed: true}}}
	j.rep, err = newReport(rec, report, true, nil)
	require.NoError(t, err)
	j.list = &bulkList{format: formatRegIDs}
	j.list.add("new-0", 1, nil, nil)
	j.carry()
	j.s = newSender(j.list, mustMessage(t), 1, j.rep)
	require.NoError(t, j.rep.plan(1, 1, func(i int) reportRecord { return j.s.record(kindPending, i, j.s.chunk(i)) }))
	journal := j.rep.journalName()
	j.rep.mu.Lock()
	require.NoError(t, j.rep.endJournal(true)) // as killed
	j.rep.mu.Unlock()

	var ids []string
	for _, r := range recordsOf(t, journal).records {
		ids = append(ids, r.IDs...)
	}
	assert.ElementsMatch(t, []string{"old-0", "new-0"}, ids, "both are still to send")
}
