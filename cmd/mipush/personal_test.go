package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// personalLines returns n personalised lines for regids r-00000, ...
// titled "Hi r-NNNNN" with payload "p-NNNNN".
func personalLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		id := fmt.Sprintf("r-%05d", i)
		lines[i] = fmt.Sprintf(`{"regid": %q, "title": "Hi %s", "payload": "p-%05d"}`, id, id, i)
	}
	return lines
}

// A personalised bulk of 100,000 lines with 5 bad ones: without
// --skip-invalid nothing is sent and the 5 are listed; with it every other
// device gets its own message, each exactly once.
func TestBulkPersonalised100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 sends")
	}
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true, NoRecording: true})
	const n = 100_000
	lines := personalLines(n)
	badAt := []int{10, 20_000, 50_001, 77_777, 99_999} // indexes of bad lines
	lines[badAt[0]] = `{"regid": "r;$;x", "title": "x"}`
	lines[badAt[1]] = `{"regid": "r-b", "title": "` + strings.Repeat("长", 60) + `"}`
	lines[badAt[2]] = `{"regid": "r-c", "titel": "misspelt"}`
	lines[badAt[3]] = `not json`
	lines[badAt[4]] = `{"title": "no regid"}`
	input := writeFile(t, "personal.jsonl", lines...)
	report := filepath.Join(t.TempDir(), "report.jsonl")

	r := mipushCmd(bulkArgs(flags, report, input)...)
	require.Equal(t, exitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "5 lines cannot be sent, so nothing was sent")
	for _, i := range badAt {
		assert.Contains(t, r.stderr, fmt.Sprintf("\n  line %d: ", i+1))
	}
	assert.Zero(t, srv.Count(), "nothing sent")

	var sends, wrong atomic.Int64
	seen := make([]atomic.Int32, n)
	srv.SetHook(func(req *mipushtest.Request) *mipushtest.Answer {
		sends.Add(1)
		var i int
		if len(req.Targets) != 1 || func() bool { _, err := fmt.Sscanf(req.Targets[0], "r-%d", &i); return err != nil }() {
			wrong.Add(1)
			return nil
		}
		seen[i].Add(1)
		if req.Form.Get("title") != "Hi "+req.Targets[0] || req.Form.Get("payload") != fmt.Sprintf("p-%05d", i) ||
			req.Form.Get("description") != "D" {
			wrong.Add(1)
		}
		return nil
	})
	r = mipushCmd(bulkArgs(flags, report, input, "--skip-invalid")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	s := summaryOf(t, r)
	requireAddsUp(t, s)
	assert.Equal(t, formatJSON, s.Format)
	assert.Equal(t, n-5, s.RegIDs)
	assert.Equal(t, n-5, s.OK)
	assert.Equal(t, 5, s.Invalid)
	assert.EqualValues(t, n-5, sends.Load())
	assert.Zero(t, wrong.Load(), "every device got its own title and payload, on top of the flags' description")
	for i := range seen {
		want := int32(1)
		if i == badAt[0] || i == badAt[1] || i == badAt[2] || i == badAt[3] || i == badAt[4] {
			want = 0
		}
		if seen[i].Load() != want {
			t.Fatalf("r-%05d sent %d times", i, seen[i].Load())
		}
	}
	recs := readReport(t, report)
	require.Len(t, recs, 5)
	for k, rec := range recs {
		assert.Equal(t, kindSkipped, rec.Kind)
		assert.Equal(t, []int{badAt[k] + 1}, rec.Lines)
	}
}

// A failed personalised send is retried with its own message, taken from
// the report.
func TestBulkPersonalisedRetry(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("h2=%v", h2), func(t *testing.T) {
			srv, flags := testServer(t, mipushtest.Options{HTTP2: h2})
			srv.FailTarget("r-00003", mipushtest.ErrorAnswer(10002, "busy"))
			srv.SetBadRegIDs("r-00005")
			lines := personalLines(8)
			lines[6] = `{"regid": "r-00006", "extra": {"channel_id": "ch-6"}, "notify_id": 6}`
			input := writeFile(t, "p.jsonl", lines...)
			dir := t.TempDir()
			report := filepath.Join(dir, "report.jsonl")
			r := mipushCmd(bulkArgs(flags, report, input, "--extra", "channel_id=base")...)
			require.Equal(t, exitFailed, r.code, r.stderr)
			s := summaryOf(t, r)
			assert.Equal(t, 8, s.Chunks, "one request a line")
			assert.Equal(t, 1, s.Failed)
			assert.Equal(t, 1, s.BadRegIDs)
			byID := map[string]*mipushtest.Request{}
			for _, req := range srv.RequestsTo("/v3/message/regid") {
				byID[req.Targets[0]] = req
			}
			assert.Equal(t, "Hi r-00001", byID["r-00001"].Form.Get("title"))
			assert.Equal(t, "base", byID["r-00001"].Form.Get("extra.channel_id"))
			assert.Equal(t, "ch-6", byID["r-00006"].Form.Get("extra.channel_id"))
			assert.Equal(t, "6", byID["r-00006"].Form.Get("notify_id"))
			assert.Equal(t, "T", byID["r-00006"].Form.Get("title"), "the flags' title where the line has none")

			recs := readReport(t, report)
			require.Len(t, recs, 2)
			for _, rec := range recs {
				switch rec.Kind {
				case kindFailed:
					assert.Equal(t, []string{"r-00003"}, rec.IDs)
					assert.Equal(t, []int{4}, rec.Lines)
					require.Len(t, rec.Fields, 1)
					assert.JSONEq(t, lines[3], string(rec.Fields[0]))
				case kindInvalid:
					assert.Equal(t, []string{"r-00005"}, rec.IDs)
					assert.Equal(t, 20301, rec.Code)
				default:
					t.Errorf("unexpected %+v", rec)
				}
			}

			srv.ClearFaults()
			srv.Reset()
			r = mipushCmd(retryArgs(flags, report, filepath.Join(dir, "r2.jsonl"))...)
			require.Equal(t, exitOK, r.code, r.stderr)
			reqs := srv.RequestsTo("/v3/message/regid")
			require.Len(t, reqs, 1)
			assert.Equal(t, []string{"r-00003"}, reqs[0].Targets)
			assert.Equal(t, "Hi r-00003", reqs[0].Form.Get("title"))
			assert.Equal(t, "p-00003", reqs[0].Form.Get("payload"))
			assert.Equal(t, "base", reqs[0].Form.Get("extra.channel_id"))
		})
	}
}

func TestReadInputFormats(t *testing.T) {
	base := mustMessage(t)
	l, err := readInput(context.Background(), strings.NewReader("# c\n\n r 1 \nr2\r\nr 1\n"), "in", formatAuto, base)
	require.NoError(t, err)
	assert.Equal(t, formatRegIDs, l.format)
	assert.Equal(t, []string{"r 1", "r2"}, l.ids)
	assert.Equal(t, []int{3, 4}, l.lineOf)
	assert.Equal(t, 1, l.duplicates)
	assert.Equal(t, 2, l.skipped)

	l, err = readInput(context.Background(), strings.NewReader(`{"regid":"a","title":"A"}`+"\n"+`{"regid":"a","payload":"x"}`+"\n"), "in", formatAuto, base)
	require.NoError(t, err)
	assert.Equal(t, formatJSON, l.format)
	assert.Equal(t, []string{"a", "a"}, l.ids, "personalised lines are sends of their own, repeated regids too")
	assert.Equal(t, "A", l.msgs[0].Title)
	assert.Equal(t, base.Title, l.msgs[1].Title)
	assert.Equal(t, "x", l.msgs[1].Payload)

	// --format regids takes a line starting with "{" as a regid.
	l, err = readInput(context.Background(), strings.NewReader("{x}\n"), "in", formatRegIDs, base)
	require.NoError(t, err)
	assert.Equal(t, []string{"{x}"}, l.ids)

	l, err = readInput(context.Background(), strings.NewReader("ok\n\xff\nr\x01\n"), "in", formatRegIDs, base)
	require.NoError(t, err)
	require.Len(t, l.bad, 2)
	assert.Equal(t, badLine{2, "\xff", "regid is not valid UTF-8"}, l.bad[0])
	assert.Equal(t, 3, l.bad[1].Line)
	assert.Contains(t, l.bad[1].Reason, "control character")
}

func mustMessage(t *testing.T) *mipush.Message {
	t.Helper()
	var mf messageFlags
	mf.set = map[string]bool{"title": true, "description": true}
	mf.title, mf.description = "T", "D"
	m, err := mf.build()
	require.NoError(t, err)
	return m
}

// Personalised lines may complete the flags' message: each line is checked
// with its own fields, one message to all is checked as it is.
func TestBulkPersonalisedCompletesMessage(t *testing.T) {
	input := writeFile(t, "p.jsonl", `{"regid":"r1","title":"A"}`, `{"regid":"r2","title":"B"}`)
	r := mipushCmd("bulk", "--fake", "--json", "--progress", "none", "--description", "D", input)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, summaryOf(t, r).OK)

	input = writeFile(t, "p.jsonl", `{"regid":"r1","title":"A"}`, `{"regid":"r2"}`)
	r = mipushCmd("bulk", "--fake", "--progress", "none", "--description", "D", input)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "\n  line 2: ")
	assert.Contains(t, r.stderr, "invalid title")

	ids := writeFile(t, "ids.txt", "r1")
	r = mipushCmd("bulk", "--fake", "--progress", "none", "--description", "D", ids)
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, "invalid title")
}
