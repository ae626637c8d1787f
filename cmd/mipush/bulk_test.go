package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bulkArgs returns the arguments of a bulk run to the regids of input,
// reporting to report, with JSON summary and no progress.
func bulkArgs(flags []string, report, input string, more ...string) []string {
	args := append([]string{"bulk", "--title", "T", "--description", "D", "--json", "--progress", "none", "--report", report}, flags...)
	return append(append(args, more...), input)
}

// retryArgs returns the arguments of a bulk --retry of report, with no
// message flags (the report carries the message).
func retryArgs(flags []string, report, newReport string, more ...string) []string {
	args := append([]string{"bulk", "--retry", "--json", "--progress", "none", "--report", newReport}, flags...)
	return append(append(args, more...), report)
}

// chunkOf returns the chunk index of regid "r-NNNNN" for a chunk size.
func chunkOf(t *testing.T, id string, size int) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(id, "r-"))
	require.NoError(t, err, id)
	return n / size
}

// requireAddsUp checks the invariants of a summary.
func requireAddsUp(t *testing.T, s bulkSummary) {
	t.Helper()
	require.Equal(t, s.Chunks, s.Accepted+s.UnsentChunks, "every chunk is accepted or unsent: %+v", s)
	require.Equal(t, s.Accepted, s.OK+s.Failed+s.InvalidChunks, "every accepted chunk has one outcome: %+v", s)
}

func TestBulkReport(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	srv.FailTarget("r-00015", mipushtest.ErrorAnswer(10017, "Invalid parameter"))
	srv.FailTarget("r-00105", mipushtest.ErrorAnswer(10017, "Invalid parameter"))
	srv.SetBadRegIDs("r-00003", "r-00050", "r-00051")

	ids := regIDs(200)
	lines := append([]string{"# campaign 7", ""}, ids...)
	lines = append(lines, "  r-00001  ", "r-00002", "", "# the end") // two duplicates
	input := writeFile(t, "ids.txt", lines...)
	report := filepath.Join(t.TempDir(), "report.jsonl")

	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "10")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	s := summaryOf(t, r)
	requireAddsUp(t, s)
	assert.Equal(t, bulkSummary{
		Format: formatRegIDs, Lines: 206, Skipped: 4, Duplicates: 2, RegIDs: 200, Chunks: 20,
		Accepted: 20, DoneRegIDs: 200, OK: 18, Failed: 2, BadRegIDs: 3, Requests: 20,
		Failures: []failureGroup{{Code: 10017, Reason: "Invalid parameter", Requests: 2,
			Error: "the server answered error 10017 (invalid parameter value): Invalid parameter"}},
		Report: report, ReportLines: 4,
	}, withoutTime(s))

	recs := readReport(t, report)
	require.Len(t, recs, 4)
	var failed, bad []int
	for _, rec := range recs {
		switch rec.Kind {
		case kindFailed:
			failed = append(failed, rec.Chunk)
			assert.Equal(t, ids[rec.Chunk*10:rec.Chunk*10+10], rec.IDs)
			assert.Equal(t, 10017, rec.Code)
			assert.Equal(t, "Invalid parameter", rec.Reason)
			assert.Contains(t, rec.Error, "error 10017 (invalid parameter value): Invalid parameter")
			assert.False(t, rec.MaybeProcessed)
			assert.Equal(t, 1, rec.Attempts)
		case kindBadRegIDs:
			bad = append(bad, rec.Chunk)
			assert.NotEmpty(t, rec.MessageID)
			for _, id := range rec.IDs {
				assert.Equal(t, rec.Chunk, chunkOf(t, id, 10))
			}
		default:
			t.Errorf("unexpected record %+v", rec)
		}
	}
	slices.Sort(failed)
	slices.Sort(bad)
	assert.Equal(t, []int{1, 10}, failed)
	assert.Equal(t, []int{0, 5}, bad)

	// The server saw each regid once, in requests of 10.
	var seen []string
	for _, req := range srv.RequestsTo("/v3/message/regid") {
		assert.Len(t, req.Targets, 10)
		seen = append(seen, req.Targets...)
	}
	slices.Sort(seen)
	assert.Equal(t, ids, seen)

	// A retry sends the recorded message to the failed chunks only, in
	// chunks of the recorded size; the bad regids are not sent again.
	srv.ClearFaults()
	srv.Reset()
	report2 := filepath.Join(t.TempDir(), "report2.jsonl")
	r = mipushCmd(retryArgs(flags, report, report2)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s = summaryOf(t, r)
	assert.True(t, s.Retry)
	assert.Equal(t, 20, s.RegIDs)
	assert.Equal(t, 2, s.Chunks)
	assert.Equal(t, 3, s.NotResent)
	assert.Zero(t, s.ReportLines)
	var again []string
	for _, req := range srv.RequestsTo("/v3/message/regid") {
		assert.Equal(t, "T", req.Form.Get("title"), "the recorded message")
		assert.Equal(t, "D", req.Form.Get("description"))
		again = append(again, req.Targets...)
	}
	assert.Equal(t, append(slices.Clone(ids[10:20]), ids[100:110]...), sortedCopy(again))
	assert.Empty(t, readReport(t, report2), "a retry writes its report, the job record only when all went well")

	// Nothing is left: retrying the new report sends nothing and exits 0.
	srv.Reset()
	r = mipushCmd(retryArgs(flags, report2, filepath.Join(t.TempDir(), "report3.jsonl"))...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Zero(t, summaryOf(t, r).Chunks)
	assert.Zero(t, srv.Count())
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }

// withoutTime zeroes the summary's duration, which varies.
func withoutTime(s bulkSummary) bulkSummary {
	s.Seconds, s.RequestsPerSecond, s.MessagesPerSecond = 0, 0, 0
	return s
}

func TestBulkRetryRefusesAnotherMessage(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	srv.FailTarget("r-00001", mipushtest.StatusAnswer(503))
	input := writeFile(t, "ids.txt", regIDs(3)...)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "1", "--extra", "k=v")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	srv.ClearFaults()
	srv.Reset()

	r = mipushCmd(retryArgs(flags, report, filepath.Join(t.TempDir(), "r2.jsonl"), "--title", "Other", "--description", "D", "--extra", "k=v")...)
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, "was made with another message")
	assert.Zero(t, srv.Count(), "nothing sent")

	// The same message given again is fine.
	r = mipushCmd(retryArgs(flags, report, filepath.Join(t.TempDir(), "r2.jsonl"), "--title", "T", "--description", "D", "--extra", "k=v")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	reqs := srv.RequestsTo("/v3/message/regid")
	require.Len(t, reqs, 1)
	assert.Equal(t, []string{"r-00001"}, reqs[0].Targets)
	assert.Equal(t, "v", reqs[0].Form.Get("extra.k"))
}

func TestBulkMaybeProcessed(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	srv.FailTarget("r-00025", &mipushtest.Answer{Action: mipushtest.Drop})
	input := writeFile(t, "ids.txt", regIDs(50)...)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.jsonl")

	// One request at a time, so only the dropped one is in flight.
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "10", "--max-in-flight", "1", "--extra", "jobkey=job7")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	s := summaryOf(t, r)
	requireAddsUp(t, s)
	assert.Equal(t, 4, s.OK)
	assert.Equal(t, 1, s.Failed)
	assert.Equal(t, 1, s.MaybeProcessed)
	require.Len(t, s.Failures, 1)
	assert.True(t, s.Failures[0].MaybeProcessed)

	recs := readReport(t, report)
	require.Len(t, recs, 1)
	assert.Equal(t, kindFailed, recs[0].Kind)
	assert.Equal(t, 2, recs[0].Chunk)
	assert.True(t, recs[0].MaybeProcessed)

	// A plain retry does not send it again (it may have been delivered),
	// keeps it in the new report and has nothing else to do: exit 0.
	srv.ClearFaults()
	srv.Reset()
	report2 := filepath.Join(dir, "report2.jsonl")
	r = mipushCmd(retryArgs(flags, report, report2)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s = summaryOf(t, r)
	assert.Zero(t, s.Chunks)
	assert.Equal(t, 1, s.HeldChunks)
	assert.Equal(t, 10, s.HeldRegIDs)
	assert.Zero(t, srv.Count())
	held := readReport(t, report2)
	require.Len(t, held, 1)
	assert.True(t, held[0].MaybeProcessed)

	// --at-least-once sends it again, under the message's job key.
	report3 := filepath.Join(dir, "report3.jsonl")
	r = mipushCmd(retryArgs(flags, report2, report3, "--at-least-once")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	reqs := srv.RequestsTo("/v3/message/regid")
	require.Len(t, reqs, 1)
	assert.Equal(t, regIDs(30)[20:], reqs[0].Targets)
	assert.Equal(t, "job7", reqs[0].Form.Get("extra.jobkey"))
}

func TestBulkAtLeastOnceNeedsJobKey(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	srv.FailTarget("r-00001", &mipushtest.Answer{Action: mipushtest.Drop})
	input := writeFile(t, "ids.txt", regIDs(2)...)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "1", "--max-in-flight", "1")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	srv.ClearFaults()
	srv.Reset()

	r = mipushCmd(retryArgs(flags, report, filepath.Join(t.TempDir(), "r2.jsonl"), "--at-least-once")...)
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, "--at-least-once needs a job key")
	assert.Zero(t, srv.Count())
}

// The exit status does not depend on --chunk: bad regids are reported, in
// bad_regids records or, for a request of bad regids only, an invalid one
// (20301), and never make the run fail or a retry send them again.
func TestBulkExitIndependentOfChunk(t *testing.T) {
	for _, chunk := range []int{1, 7, 1000} {
		t.Run(strconv.Itoa(chunk), func(t *testing.T) {
			srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
			ids := regIDs(50)
			srv.SetBadRegIDs(ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6])
			input := writeFile(t, "ids.txt", ids...)
			report := filepath.Join(t.TempDir(), "report.jsonl")
			r := mipushCmd(bulkArgs(flags, report, input, "--chunk", strconv.Itoa(chunk))...)
			require.Equal(t, exitOK, r.code, r.stderr)
			s := summaryOf(t, r)
			requireAddsUp(t, s)
			assert.Equal(t, 7, s.BadRegIDs)
			assert.Zero(t, s.Failed)
			var reported []string
			for _, rec := range readReport(t, report) {
				assert.Contains(t, []string{kindBadRegIDs, kindInvalid}, rec.Kind)
				reported = append(reported, rec.IDs...)
			}
			assert.Equal(t, ids[:7], sortedCopy(reported))

			srv.Reset()
			r = mipushCmd(retryArgs(flags, report, filepath.Join(t.TempDir(), "r2.jsonl"))...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, 7, summaryOf(t, r).NotResent)
			assert.Zero(t, srv.Count(), "bad regids are never sent again")
		})
	}
}

func TestBulkInterrupted(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			srv, flags := testServer(t, mipushtest.Options{HTTP2: h2})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Ctrl-C while the third request is at the server.
			var n atomic.Int32
			srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
				if n.Add(1) == 3 {
					cancel()
				}
				return nil
			})
			ids := regIDs(200)
			input := writeFile(t, "ids.txt", ids...)
			report := filepath.Join(t.TempDir(), "report.jsonl")

			r := runArgs(ctx, bulkArgs(flags, report, input, "--chunk", "10", "--max-in-flight", "2")...)
			require.Equal(t, exitInterrupted, r.code, r.stderr)
			s := summaryOf(t, r)
			requireAddsUp(t, s)
			assert.True(t, s.Interrupted)
			assert.Positive(t, s.UnsentChunks)
			assert.GreaterOrEqual(t, s.Accepted, 3)
			assert.Equal(t, s.Accepted, s.OK, "the requests in flight were flushed, not failed")

			// Every chunk is either at the server or in the report as
			// unsent, never both.
			where := make(map[int]string)
			for _, req := range srv.RequestsTo("/v3/message/regid") {
				c := chunkOf(t, req.Targets[0], 10)
				require.Empty(t, where[c], "chunk %d sent twice", c)
				where[c] = "sent"
			}
			for _, rec := range readReport(t, report) {
				require.Equal(t, kindUnsent, rec.Kind)
				require.Empty(t, where[rec.Chunk], "chunk %d sent and unsent", rec.Chunk)
				assert.Equal(t, ids[rec.Chunk*10:rec.Chunk*10+10], rec.IDs)
				where[rec.Chunk] = "unsent"
			}
			assert.Len(t, where, 20)
			assert.Equal(t, s.UnsentChunks, s.ReportLines)
		})
	}
}

func TestBulkFakeAndProgressLines(t *testing.T) {
	lines := []string{"# regids", "r-1", "bad-1", "r-2", "", "r-1"}
	input := writeFile(t, "ids.txt", lines...)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	r := mipushCmd("bulk", "--fake", "--title", "T", "--description", "D", "--report", report, input)
	require.Equal(t, exitOK, r.code, r.stderr)

	// Standard error is not a terminal: plain lines, the last one final.
	errLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := errLines[len(errLines)-1]
	assert.Regexp(t, `^progress: 3/3 regids \(100%\), chunks ok 1 failed 0 of 1, bad regids 1, \d+ regids/s, \S+$`, last)
	for _, l := range errLines {
		assert.True(t, strings.HasPrefix(l, "progress: "), l)
	}

	assert.Contains(t, r.stdout, "input    6 lines: 3 regids\ndropped  1 duplicates, 2 blank or comment lines, 0 invalid\n")
	assert.Contains(t, r.stdout, "ok       1 requests; the server rejected 1 regids\n")
	assert.Contains(t, r.stdout, "report   "+report+": 1 records\n")
	recs := readReport(t, report)
	require.Len(t, recs, 1)
	assert.Equal(t, reportRecord{Kind: kindBadRegIDs, Chunk: 0, IDs: []string{"bad-1"}, MessageID: recs[0].MessageID, TraceID: recs[0].TraceID}, recs[0])
}

func TestBulkStdin(t *testing.T) {
	input := writeFile(t, "ids.txt", "r-1", "r-2")
	f, err := os.Open(input)
	require.NoError(t, err)
	defer f.Close()
	stdin := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = stdin }()

	report := filepath.Join(t.TempDir(), "report.jsonl")
	r := mipushCmd("bulk", "--fake", "--json", "--progress", "none", "--title", "T", "--description", "D", "--report", report, "-")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, summaryOf(t, r).RegIDs)
}

// Without --report a report file is written only when there is something
// in it; "--report -" writes it to standard output.
func TestBulkReportOnlyWhenNeeded(t *testing.T) {
	t.Chdir(t.TempDir())
	good := writeFile(t, "good.txt", "r-1", "r-2")
	r := mipushCmd("bulk", "--fake", "--progress", "none", "--title", "T", "--description", "D", good)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "report   none: nothing to report\n")
	_, err := os.Stat(defaultReport)
	assert.True(t, os.IsNotExist(err), "no report file for a run with nothing to report")

	withBad := writeFile(t, "bad.txt", "r-1", "bad-2")
	r = mipushCmd("bulk", "--fake", "--progress", "none", "--title", "T", "--description", "D", withBad)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, readReport(t, defaultReport), 1)

	r = mipushCmd("bulk", "--fake", "--progress", "none", "--title", "T", "--description", "D", "--report", "-", withBad)
	require.Equal(t, exitOK, r.code, r.stderr)
	out := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, out, 2, "only the report on standard output")
	assert.True(t, strings.HasPrefix(out[0], `{"kind":"job"`), out[0])
	assert.True(t, strings.HasPrefix(out[1], `{"kind":"bad_regids"`), out[1])
	assert.Contains(t, r.stderr, "report   -: 1 records", "the summary goes to standard error")
	_, err = os.Stat("-")
	assert.True(t, os.IsNotExist(err), `no file named "-"`)
}

// Every bad line is found before anything is sent, by the library's own
// rules: the first 20 are listed with their line numbers, then a count.
func TestBulkBadLines(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	lines := []string{"# header"}
	var badAt []int
	for i := range 100 {
		switch {
		case i%4 == 1:
			lines = append(lines, fmt.Sprintf("r-%d;$;x", i))
			badAt = append(badAt, len(lines))
		case i == 2:
			lines = append(lines, "a,b")
			badAt = append(badAt, len(lines))
		default:
			lines = append(lines, fmt.Sprintf("r %d", i)) // spaces are allowed
		}
	}
	input := writeFile(t, "ids.txt", lines...)
	dir := t.TempDir()
	report := filepath.Join(dir, "report.jsonl")

	r := mipushCmd(bulkArgs(flags, report, input)...)
	require.Equal(t, exitUsage, r.code)
	errLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, errLines, 1+20+1, r.stderr)
	assert.Equal(t, "mipush bulk: "+input+": 26 lines cannot be sent, so nothing was sent (--skip-invalid sends the rest):", errLines[0])
	assert.Equal(t, fmt.Sprintf(`  line %d: "r-1;$;x": regid must not contain "," or ";$;"`, badAt[0]), errLines[1])
	assert.Equal(t, fmt.Sprintf(`  line %d: "a,b": regid must not contain "," or ";$;"`, badAt[1]), errLines[2])
	assert.Equal(t, "  and 6 more", errLines[21])
	assert.Zero(t, srv.Count(), "nothing sent")
	_, err := os.Stat(report)
	assert.True(t, os.IsNotExist(err), "no report for bad input")

	// --skip-invalid sends the rest and reports the bad lines.
	r = mipushCmd(bulkArgs(flags, report, input, "--skip-invalid")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s := summaryOf(t, r)
	assert.Equal(t, 74, s.RegIDs)
	assert.Equal(t, 26, s.Invalid)
	var skipped []int
	for _, rec := range readReport(t, report) {
		require.Equal(t, kindSkipped, rec.Kind)
		skipped = append(skipped, rec.Lines...)
	}
	assert.Equal(t, badAt, skipped)
	var sent int
	for _, req := range srv.RequestsTo("/v3/message/regid") {
		sent += len(req.Targets)
		assert.Contains(t, req.Targets, "r 0")
	}
	assert.Equal(t, 74, sent)
}

func TestBulkBadInput(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	good := writeFile(t, "good.txt", "r-1", "r-2")
	dir := t.TempDir()
	report := filepath.Join(dir, "report.jsonl")
	cases := []struct {
		name  string
		lines []string // input, if not good
		args  []string
		env   string
		want  string
	}{
		{name: "empty input", lines: []string{"# nothing", ""}, want: "holds no regids"},
		{name: "no secret", env: "-", want: "no app secret"},
		{name: "title too long", args: []string{"--title", strings.Repeat("长", 50)}, want: "invalid title"},
		{name: "chunk too big", args: []string{"--chunk", "1001"}, want: "--chunk"},
		{name: "bad progress", args: []string{"--progress", "fancy"}, want: "--progress"},
		{name: "bad format", args: []string{"--format", "xml"}, want: "--format"},
		{name: "report not writable", args: []string{"--report", filepath.Join(dir, "no", "such", "dir", "r.jsonl")}, want: "--report"},
		{name: "not a report", args: []string{"--retry"}, want: "not a report line"},
		{name: "at-least-once alone", args: []string{"--at-least-once"}, want: "--at-least-once goes with --retry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env == "-" {
				t.Setenv(envSecret, "")
			}
			input := good
			if tc.lines != nil {
				input = writeFile(t, "ids.txt", tc.lines...)
			}
			args := append([]string{"bulk", "--title", "T", "--description", "D", "--report", report}, flags...)
			args = append(append(args, tc.args...), input)
			r := mipushCmd(args...)
			assert.Equal(t, exitUsage, r.code)
			requireOneLine(t, r, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
	assert.Zero(t, srv.Count(), "bad input sends nothing")
	_, err := os.Stat(report)
	assert.True(t, os.IsNotExist(err), "no report is written for bad input")
}

// A wrong --host fails at once with a plain message, not after the
// library's dial retries (which take over 10 s).
func TestBulkUnreachable(t *testing.T) {
	_, flags := testServer(t, mipushtest.Options{})
	flags[1] = closedAddr(t)
	input := writeFile(t, "ids.txt", regIDs(30)...)
	report := filepath.Join(t.TempDir(), "report.jsonl")
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "10")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	s := summaryOf(t, r)
	requireAddsUp(t, s)
	assert.Contains(t, s.StopReason, "cannot connect to "+flags[1]+": connection refused")
	var regids int
	for _, rec := range readReport(t, report) {
		assert.Contains(t, []string{kindFailed, kindUnsent}, rec.Kind)
		assert.False(t, rec.MaybeProcessed)
		regids += len(rec.IDs)
	}
	assert.Equal(t, 30, regids, "every regid is in the report, to retry")
}
