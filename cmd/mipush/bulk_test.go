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
// reporting to report, with JSON summary and plain progress.
func bulkArgs(flags []string, report, input string, more ...string) []string {
	args := append([]string{"bulk", "--title", "T", "--description", "D", "--json", "--progress", "none", "--report", report}, flags...)
	return append(append(args, more...), input)
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
	require.Equal(t, s.Accepted, s.OK+s.Failed, "every accepted chunk has one outcome: %+v", s)
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
		Lines: 206, Skipped: 4, Duplicates: 2, RegIDs: 200, Chunks: 20,
		Accepted: 20, DoneRegIDs: 200, OK: 18, Failed: 2, BadRegIDs: 3,
		Report: report, ReportRecords: 4,
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
			assert.Contains(t, rec.Error, "Invalid parameter")
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

	// A rerun from the report sends to the failed chunks only.
	srv.ClearFaults()
	srv.Reset()
	report2 := filepath.Join(t.TempDir(), "report2.jsonl")
	r = mipushCmd(bulkArgs(flags, report2, report, "--retry")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s = summaryOf(t, r)
	assert.Equal(t, 20, s.RegIDs)
	assert.Equal(t, 1, s.Chunks)
	assert.Zero(t, s.ReportRecords)
	reqs := srv.RequestsTo("/v3/message/regid")
	require.Len(t, reqs, 1)
	assert.Equal(t, append(slices.Clone(ids[10:20]), ids[100:110]...), sortedCopy(reqs[0].Targets))
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }

// withoutTime zeroes the summary's duration, which varies.
func withoutTime(s bulkSummary) bulkSummary {
	s.Seconds = 0
	return s
}

func TestBulkMaybeProcessed(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	srv.FailTarget("r-00025", &mipushtest.Answer{Action: mipushtest.Drop})
	input := writeFile(t, "ids.txt", regIDs(50)...)
	report := filepath.Join(t.TempDir(), "report.jsonl")

	// One request at a time, so only the dropped one is in flight.
	r := mipushCmd(bulkArgs(flags, report, input, "--chunk", "10", "--max-in-flight", "1")...)
	require.Equal(t, exitFailed, r.code, r.stderr)
	s := summaryOf(t, r)
	requireAddsUp(t, s)
	assert.Equal(t, 4, s.OK)
	assert.Equal(t, 1, s.Failed)
	assert.Equal(t, 1, s.MaybeProcessed)

	recs := readReport(t, report)
	require.Len(t, recs, 1)
	assert.Equal(t, kindFailed, recs[0].Kind)
	assert.Equal(t, 2, recs[0].Chunk)
	assert.True(t, recs[0].MaybeProcessed)
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
			assert.Equal(t, s.UnsentChunks, s.ReportRecords)
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
	assert.Regexp(t, `^progress: 3/3 regids \(100%\), chunks ok 1 failed 0 of 1, bad regids 1, \S+$`, last)
	for _, l := range errLines {
		assert.True(t, strings.HasPrefix(l, "progress: "), l)
	}

	assert.Contains(t, r.stdout, "input    6 lines: 3 regids, 1 duplicates dropped, 2 lines skipped\n")
	assert.Contains(t, r.stdout, "ok       1 chunks, 1 bad regids\n")
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
		{name: "malformed line", lines: []string{"r-1", "# ok", "r\x012"}, want: "ids.txt:3: malformed regid \"r\\x012\""},
		{name: "comma", lines: []string{"r-1,r-2"}, want: "ids.txt:1: malformed regid"},
		{name: "empty input", lines: []string{"# nothing", ""}, want: "holds no regids"},
		{name: "no secret", env: "-", want: "no app secret"},
		{name: "title too long", args: []string{"--title", strings.Repeat("长", 50)}, want: "invalid title"},
		{name: "chunk too big", args: []string{"--chunk", "1001"}, want: "--chunk"},
		{name: "bad progress", args: []string{"--progress", "fancy"}, want: "--progress"},
		{name: "report not writable", args: []string{"--report", filepath.Join(dir, "no", "such", "dir", "r.jsonl")}, want: "--report"},
		{name: "not a report", args: []string{"--retry"}, want: "not a report line"},
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
