package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mipush-go/mipush"
)

// bulkAbout is the help text of bulk.
func bulkAbout() string {
	return `
Send to every regid of FILE ("-" for standard input). FILE is either

  one regid a line: the message of the flags goes to all of them, --chunk
  (1000) regids per request; repeated regids are dropped; or

  one JSON object a line, a personalised send: a regid and the message
  fields that differ from the flags' message, one message each:
    {"regid": "r1", "title": "Hi Ann", "payload": "{\"order\":42}"}
  with any of title, description, payload, notify_id, extra (an
  object of extras laid over --extra) and template_param (an object of
  this device's template variables laid over --template-param):
    {"regid": "r2", "template_param": {"name": "Bo", "order": "43"}}

--format says which (auto: JSON if the first line starts with "{"). Blank
lines and lines starting with "#" are skipped; a UTF-8 byte order mark,
CRLF line ends and spaces around a line are ignored.

Every line is checked before anything is sent, with the library's own
rules for regids and messages. If some are bad, they are listed with their
line numbers and nothing is sent (exit status 2; with --json, standard
output is a JSON array of {"line", "text", "error"}); --skip-invalid sends
the rest and puts the bad lines in the report.

Quota: --rate N sends at most N requests a second (the app's quota,
retries included). A personalised line is one message; --batch gathers
them into multi-message requests of up to --batch-size (` + strconv.Itoa(mipush.DefaultBatchMessages) + `), each
waiting at most --linger for more, so that 100,000 lines at --rate 1000
take about a second instead of 100. A batched message shares its
request's answer (one message id for the batch).

The requests go out asynchronously, with a progress bar on a terminal and
a plain line every --progress-interval otherwise; a summary follows on
standard output (on standard error with --report -).

The report (--report, "-" for standard output) is one JSON object a line:
first the job (the message and its digest), then every regid that the
server did not accept: failed requests ("failed", with the code, the
server's reason and whether it may have processed them), regids it
rejected ("bad_regids", "invalid"), lines skipped ("skipped") and requests
never sent ("unsent"). Without --report it is written to
mipush-report.jsonl only when there is something in it. It is created
with mode 0600 before the first send (if it cannot be, nothing is sent).
While the send runs it is a journal next to it, REPORT.*.partial, written
out as the outcomes arrive and fsync'ed every 100ms; at the end the report
is written to a temporary file and renamed over REPORT. A run killed at
any moment (even kill -9) leaves the journal, which holds every regid not
yet accepted: "mipush bulk --retry REPORT.*.partial" sends the rest
(requests that were in flight count as maybe processed). With --report -
nothing is on disk until the end.

"mipush bulk --retry REPORT" sends the recorded message again to the
regids of the failed and unsent requests. It checks the report's
message_digest and refuses an edited report, and refuses message flags
that make a different message. REPORT is replaced only once the new report
is complete (a journal given to --retry is removed once the new journal
holds its rest). Regids the server rejected are never sent again.
Requests the server may have processed are sent again only with
--at-least-once, and only if the message carries a job key (give the
first run --extra jobkey=KEY), so duplicates can be traced as one job.

Ctrl-C stops queueing and waits up to --drain-timeout for the requests in
flight; a second Ctrl-C stops waiting at once. Either way the report is
written. A Ctrl-C while the input is checked stops at once: nothing was
sent, and no report is written. SIGTERM is the first Ctrl-C.

The --json summary (on standard output, or standard error with
--report -) is one object:
  format, retry            the input: regids or json; a --retry run
  lines, skipped, duplicates, invalid
                           input lines read; blank or comment lines;
                           repeated regids dropped; bad lines skipped
  regids, chunks           regids to send to; messages (requests of one
                           message) they make
  accepted, done_regids    chunks queued; regids with an outcome
  ok, failed, maybe_processed, invalid_chunks
                           chunks accepted by the server; failed; failed
                           but maybe processed; refused (no valid regid)
  bad_regids               regids the server rejected
  unsent_chunks, unsent_regids
                           never queued
  not_resent, held_chunks, held_regids
                           --retry: not sent again (rejected or skipped;
                           maybe processed, without --at-least-once)
  failures                 [{code, reason, error, maybe_processed,
                           requests}]: the failed chunks by cause
  requests                 HTTP requests sent, retries included (with
                           --batch, fewer than chunks)
  requests_per_second, messages_per_second
                           requests, and regids done, per second
  interrupted, signal      stopped by Ctrl-C or SIGTERM, and which
  stop_reason, drain_error, nothing_sent
                           why queueing stopped early; the wait for
                           requests in flight ran out; no request reached
                           the server
  seconds                  from the first send to the last outcome
  report, report_lines     the report written ("" if none), its records

Exit status, whatever --chunk: 0 every request was accepted (regids the
server rejected, listed in the report, do not change it), also for a
--retry with nothing left to send; 1 some requests failed or were not sent;
2 bad input or flags (nothing was sent); 130 interrupted by Ctrl-C, 143 by
SIGTERM, after the requests in flight were flushed (up to --drain-timeout,
or until a second Ctrl-C) and the report was written.
` + messageHelp()
}

// defaultReport is the report file when --report is not given.
const defaultReport = "mipush-report.jsonl"

// bulkFlags are the flags of bulk besides the server and message flags.
type bulkFlags struct {
	report      string
	retry       bool
	atLeastOnce bool
	skipInvalid bool
	format      string
	chunk       int
	conns       int
	maxInFlight int
	progress    string
	interval    time.Duration
	drain       time.Duration
	json        bool
	pace        paceFlags
}

// register defines the flags on fs.
func (f *bulkFlags) register(fs *flagSet) {
	fs.StringVar(&f.report, "report", defaultReport, "write the report to this JSON-lines `file` (replaced; \"-\": standard output); by default only if there is something to report")
	fs.BoolVar(&f.retry, "retry", false, "FILE is the report of an earlier run: send its message again to its failed and unsent requests")
	fs.BoolVar(&f.atLeastOnce, "at-least-once", false, "with --retry, also send again the requests the server may have processed (needs a job key in the message)")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "send the lines that pass the checks and report the others, instead of sending nothing")
	fs.StringVar(&f.format, "format", formatAuto, "input format: auto, regids (one a line) or json (one personalised object a line)")
	fs.IntVar(&f.chunk, "chunk", mipush.MaxTargets, "regids per request, 1 to 1000 (regids format)")
	fs.IntVar(&f.conns, "conns", 0, "connections to the server (0: the client's default)")
	fs.IntVar(&f.maxInFlight, "max-in-flight", 0, "most requests queued or in flight at once (0: the client's default)")
	fs.StringVar(&f.progress, "progress", progressAuto, "progress output: auto (a bar on a terminal, else plain), bar, plain or none")
	fs.DurationVar(&f.interval, "progress-interval", 5*time.Second, "time between plain progress lines")
	fs.DurationVar(&f.drain, "drain-timeout", mipush.DefaultCloseTimeout, "how long to wait at the end (or after Ctrl-C) for the requests in flight")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON (see above for its fields)")
	f.pace.register(fs, true)
}

// check reports a bad flag value.
func (f *bulkFlags) check() error {
	switch {
	case f.chunk < 1 || f.chunk > mipush.MaxTargets:
		return usagef("--chunk: want 1 to %d, got %d", mipush.MaxTargets, f.chunk)
	case f.conns < 0 || f.maxInFlight < 0:
		return usagef("--conns and --max-in-flight must not be negative")
	case f.interval <= 0 || f.drain <= 0:
		return usagef("--progress-interval and --drain-timeout must be positive")
	case f.report == "":
		return usagef("--report: a file is required")
	case f.atLeastOnce && !f.retry:
		return usagef("--at-least-once goes with --retry")
	}
	switch f.format {
	case formatAuto, formatRegIDs, formatJSON:
	default:
		return usagef("--format: want auto, regids or json, got %q", f.format)
	}
	switch f.progress {
	case progressAuto, progressBar, progressPlain, progressNone:
		return nil
	}
	return usagef("--progress: want auto, bar, plain or none, got %q", f.progress)
}

// bulkCmd sends one message to a file of regids, or a message each.
func bulkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bulk", "[flags] FILE|- [flags]", bulkAbout(), stderr)
	var sf serverFlags
	var mf messageFlags
	var bf bulkFlags
	sf.register(fs)
	mf.register(fs)
	bf.register(fs)
	if code, ok := fs.parse(args, stdout, anyArgs); !ok {
		return code
	}
	mf.noteSet(fs)
	// With the report on standard output, everything else goes to
	// standard error.
	out := stdout
	if bf.report == "-" {
		out = stderr
	}
	job, err := bulkInput(ctx, fs, &bf, &mf, &sf, stdout, stderr)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "mipush bulk: interrupted while reading the input: nothing was sent")
			return exitInterruptedBy(ctx)
		}
		var bad *badInput
		if bf.json && errors.As(err, &bad) {
			printJSON(out, stderr, "bulk", bad.lines)
			return fail(stderr, "bulk", err)
		}
		return failAs(out, stderr, "bulk", err, bf.json)
	}
	sum, err := job.send(ctx, &sf, &bf, stderr)
	if bf.json {
		printJSON(out, stderr, "bulk", sum)
	} else {
		sum.print(out)
	}
	switch {
	case err != nil:
		return fail(stderr, "bulk", err)
	case sum.Interrupted:
		return exitInterruptedBy(ctx)
	case sum.Failed > 0 || sum.UnsentChunks > 0 || sum.StopReason != "":
		return exitFailed
	}
	return exitOK
}

// bulkJob is a checked bulk send, ready to go.
type bulkJob struct {
	msg    *mipush.Message
	chunk  int
	opts   mipush.Options
	list   *bulkList
	s      *sender
	rep    *report
	held   []reportRecord // --retry: maybe-processed requests not sent again
	kept   []reportRecord // --retry: regids the server rejected, or skipped: not sent again
	retry  bool
	report string // the report's name
	// replaced is set when the input was a journal, removed once this
	// job's journal held its rest: this job's report must then be
	// written, even if nothing is sent.
	replaced bool
}

// bulkInput checks the flags, the message and the whole input, and starts
// the report: everything that can fail before anything is sent.
func bulkInput(ctx context.Context, fs *flagSet, bf *bulkFlags, mf *messageFlags, sf *serverFlags, stdout, stderr io.Writer) (*bulkJob, error) {
	if fs.NArg() != 1 {
		return nil, usagef(`want one input FILE, or "-" for standard input, got %d arguments`, fs.NArg())
	}
	if err := bf.check(); err != nil {
		return nil, err
	}
	opts, err := sf.options()
	if err != nil {
		return nil, err
	}
	opts.Conns, opts.MaxPending = bf.conns, bf.maxInFlight
	if err := bf.pace.apply(&opts); err != nil {
		return nil, err
	}

	name := fs.Arg(0)
	var r io.Reader = os.Stdin
	if name == "-" {
		name = "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, usagef("%v", err)
		}
		defer f.Close()
		r = f
	}
	j := &bulkJob{opts: opts, chunk: bf.chunk, retry: bf.retry, report: bf.report}
	var partial bool // the input is the journal of a run that stopped
	if bf.retry {
		partial, err = j.readRetry(r, name, bf, mf, fs)
	} else {
		err = j.readFresh(ctx, r, name, bf, mf)
	}
	if err != nil {
		return nil, err
	}
	if len(j.list.bad) > 0 && !bf.skipInvalid {
		return nil, badInputError(name, j.list.bad)
	}
	if len(j.list.ids) == 0 && !bf.retry {
		if len(j.list.bad) > 0 {
			return nil, usagef("%s: no line can be sent (%s skipped as invalid)", name, plural(len(j.list.bad), "line"))
		}
		return nil, usagef("%s holds no regids", name)
	}

	if err := checkRequests(j.list, j.chunk); err != nil {
		return nil, err
	}

	rec, err := jobRecord(j.msg, j.list.format, j.chunk)
	if err != nil {
		return nil, fmt.Errorf("recording the message: %w", err)
	}
	// The report is written when asked for by name, or with --retry (it
	// replaces the state of the job, even when nothing is left). Its
	// journal is created now, so that a report that cannot be written
	// fails before sending.
	warnLeftJournals(bf.report, fs.Arg(0), stderr)
	j.rep, err = newReport(rec, bf.report, fs.isSet("report") || bf.retry, stdout)
	if err != nil {
		return nil, usagef("--report: cannot write %s, so nothing was sent: %v", bf.report, err)
	}
	j.s = newSender(j.list, j.msg, j.chunk, j.rep)
	j.carry()
	if partial {
		// The journal read replaces that one, which goes once this one
		// holds all it had: its rejected regids too.
		for _, k := range j.kept {
			k.Chunk = -1
			j.rep.add(k)
		}
	}
	if err := j.rep.plan(len(j.s.state), j.s.size, func(i int) reportRecord { return j.s.record(kindPending, i, j.s.chunk(i)) }); err != nil {
		j.rep.discard()
		return nil, usagef("--report: cannot write %s, so nothing was sent: %v", bf.report, err)
	}
	if partial && name != "standard input" && j.rep.journalName() != "" {
		j.replaced = true
		if err := os.Remove(fs.Arg(0)); err != nil {
			fmt.Fprintf(stderr, "mipush bulk: warning: %s is replaced by %s but could not be removed: %v\n", fs.Arg(0), j.rep.journalName(), err)
		}
	}
	return j, nil
}

// carry adds to the report the lines skipped as invalid and, for --retry,
// the records held back. They are no request of this job: their chunk is
// -1, so that in a journal they give no request of this job an outcome.
func (j *bulkJob) carry() {
	for _, b := range j.list.bad {
		j.rep.add(reportRecord{Kind: kindSkipped, Chunk: -1, Lines: []int{b.Line}, Text: b.Text, Error: b.Reason})
	}
	for _, h := range j.held {
		h.Chunk = -1
		j.rep.add(h)
	}
}

// warnLeftJournals warns of the journals of report left by runs that
// stopped before their end, but input: they hold regids not yet sent.
func warnLeftJournals(report, input string, stderr io.Writer) {
	if report == "-" {
		return
	}
	left, _ := filepath.Glob(globQuote(report) + ".*" + journalSuffix)
	for _, name := range left {
		if sameFile(name, input) {
			continue
		}
		fmt.Fprintf(stderr, "mipush bulk: warning: %s is left by a run that stopped before its end; \"mipush bulk --retry %[1]s\" sends its rest\n", name)
	}
}

// sameFile reports whether the names a and b are one file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// globQuote escapes the pattern characters of a file name.
func globQuote(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[\\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// readFresh reads an input file of regids or personalised lines.
func (j *bulkJob) readFresh(ctx context.Context, r io.Reader, name string, bf *bulkFlags, mf *messageFlags) error {
	// Personalised lines complete the message (a title, say), so each is
	// checked with its own fields; one message to all is checked here.
	msg, err := mf.buildUnchecked()
	if err != nil {
		return err
	}
	j.msg = msg
	if j.list, err = readInput(ctx, r, name, bf.format, msg); err != nil {
		return err
	}
	if j.list.format == formatRegIDs {
		if err := msg.Validate(); err != nil {
			return &usageError{msg: describe(err)}
		}
	}
	return nil
}

// readRetry reads a report: the recorded message (message flags must make
// the same one) and the requests to send again.
func (j *bulkJob) readRetry(r io.Reader, name string, bf *bulkFlags, mf *messageFlags, fs *flagSet) (partial bool, err error) {
	rr, err := readRecordedJob(r, name)
	if err != nil {
		return false, err
	}
	msg, err := recordedMessage(rr.job, name)
	if err != nil {
		return false, err
	}
	return rr.partial, j.retryList(rr, msg, name, bf, mf, fs)
}

// recordedMessage returns the message of a job record, checked against the
// record's digest: an edited report is refused.
func recordedMessage(job reportRecord, name string) (*mipush.Message, error) {
	msg := new(mipush.Message)
	if err := json.Unmarshal(job.Message, msg); err != nil {
		return nil, usagef("%s: the recorded message cannot be read: %v", name, err)
	}
	if messageDigest(job.Message) == job.MessageDigest {
		return msg, nil
	}
	// The same message in another layout is not an edit.
	if b, err := messageJSON(msg); err == nil && messageDigest(b) == job.MessageDigest {
		return msg, nil
	}
	return nil, usagef("%s: the recorded message does not match its message_digest: the report was edited, so --retry would not send what the first run sent; retry with an unedited report", name)
}

// retryList checks the message flags against the recorded message and
// makes the list of regids to send again.
func (j *bulkJob) retryList(rr *recordedJob, msg *mipush.Message, name string, bf *bulkFlags, mf *messageFlags, fs *flagSet) error {
	if mf.anySet() {
		given, err := mf.buildUnchecked()
		if err != nil {
			return usagef("the message flags make no valid message (%s); --retry sends the message recorded in %s: drop the message flags", describe(err), name)
		}
		b, err := messageJSON(given)
		if err != nil {
			return fmt.Errorf("recording the message: %w", err)
		}
		if d := messageDigest(b); d != rr.job.MessageDigest {
			return usagef("%s was made with another message (digest %s, the flags make %s): --retry sends the recorded message; drop the message flags", name, short(rr.job.MessageDigest), short(d))
		}
	}
	if err := msg.Validate(); err != nil && rr.job.Format == formatRegIDs {
		return usagef("%s: the recorded message is not valid: %s", name, describe(err))
	}
	if bf.atLeastOnce && msg.JobKey == "" && msg.Extra["jobkey"] == "" {
		return usagef("--at-least-once needs a job key in the message, so that duplicates are one job (send with --extra jobkey=KEY first)")
	}
	j.msg = msg
	if !fs.isSet("chunk") && rr.job.ChunkSize > 0 {
		j.chunk = rr.job.ChunkSize
	}
	l := &bulkList{format: rr.job.Format, lines: rr.lines}
	seen := make(map[string]struct{})
	for _, rec := range rr.records {
		switch rec.Kind {
		case kindFailed, kindUnsent:
		default:
			j.kept = append(j.kept, rec) // rejected or skipped: never again
			continue
		}
		if rec.MaybeProcessed && !bf.atLeastOnce {
			j.held = append(j.held, rec)
			continue
		}
		for k, id := range rec.IDs {
			if l.format == formatJSON {
				if k >= len(rec.Fields) || k >= len(rec.Lines) {
					return usagef("%s: a personalised record without its fields (chunk %d)", name, rec.Chunk)
				}
				_, m, err := personalMessage(rec.Fields[k], msg)
				if err != nil {
					return usagef("%s: line %d: %v", name, rec.Lines[k], err)
				}
				l.add(id, rec.Lines[k], m, rec.Fields[k])
				continue
			}
			if err := mipush.ValidateTargetID(id); err != nil {
				return usagef("%s: chunk %d: regid %s %v", name, rec.Chunk, quoteShort(id), err)
			}
			if _, dup := seen[id]; dup {
				l.duplicates++
				continue
			}
			seen[id] = struct{}{}
			l.add(id, 0, nil, nil)
		}
	}
	j.list = l
	return nil
}

// checkRequests checks the target of every request the list makes, as the
// library will when it is sent (mipush.Target.Validate), so that no request
// is refused halfway through a send. Every regid passed
// mipush.ValidateTargetID already, so this fails only on a bug.
func checkRequests(l *bulkList, chunk int) error {
	if l.msgs != nil {
		chunk = 1
	}
	for lo := 0; lo < len(l.ids); lo += chunk {
		t := mipush.Target{Kind: mipush.TargetRegID, IDs: l.ids[lo:min(lo+chunk, len(l.ids))]}
		if err := t.Validate(); err != nil {
			return usagef("line %d: %s", l.lineOf[lo], describe(err))
		}
	}
	return nil
}

// short shortens a digest for a message.
func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}

// send runs the job and returns its summary. Progress, and what a
// Ctrl-C does, go to progressOut.
func (j *bulkJob) send(ctx context.Context, sf *serverFlags, bf *bulkFlags, progressOut io.Writer) (*bulkSummary, error) {
	s := j.s
	sum := &bulkSummary{
		Format:     j.list.format,
		Lines:      j.list.lines,
		Skipped:    j.list.skipped,
		Duplicates: j.list.duplicates,
		Invalid:    len(j.list.bad),
		HeldChunks: len(j.held),
		Retry:      j.retry,
		Chunks:     s.t.chunks,
		RegIDs:     s.t.regids,
		Failures:   []failureGroup{},
	}
	for _, k := range j.kept {
		sum.NotResent += len(k.IDs)
	}
	for _, h := range j.held {
		sum.HeldRegIDs += len(h.IDs)
	}
	var stopped, drainErr error
	var elapsed time.Duration
	var sess *session
	var requests int64 // requests that reached the server, from the client's metrics
	if len(j.list.ids) > 0 {
		sess = sf.connect(ctx, s.options(j.opts))
		s.unreachable = sess.unreachable
		start := time.Now()
		prog := startProgress(progressOut, bf.progress, bf.interval, s.snapshot)
		stopped = s.run(sess.ctx, sess.client)
		if ctx.Err() != nil && s.snapshot().accepted > 0 {
			prog.note(stoppingText(s.snapshot(), bf.pace.batch, bf.drain))
		}

		// Flush what is in flight, then close; every outcome has been
		// reported when Shutdown returns. An unreachable server or a
		// second Ctrl-C ends the wait at once.
		drainCtx, cancel := context.WithTimeout(hardStop(ctx), bf.drain)
		stopDrain := context.AfterFunc(sess.ctx, func() {
			if sess.unreachable() != nil {
				cancel()
			}
		})
		drainErr = sess.client.Shutdown(drainCtx)
		stopDrain()
		cancel()
		elapsed = time.Since(start)
		prog.stop()
		// Every request has ended once Shutdown returned: the count is
		// final (a batch is one request, a retry another).
		requests = sess.client.Metrics().Requests
	}

	t := s.snapshot()
	var unsentChunks, unsentRegIDs int
	var oddity, repErr error
	var written bool
	if ctx.Err() != nil && t.accepted == 0 && sess != nil && !j.replaced {
		// Interrupted before the first send: nothing to report.
		j.rep.discard()
		unsentChunks, unsentRegIDs = t.chunks, t.regids
	} else {
		unsentChunks, unsentRegIDs, oddity = s.finish()
		written, repErr = j.rep.close()
	}
	if sess != nil {
		if sess.fake != nil {
			sess.fake.Close()
		}
		sess.cancel(nil)
	}

	t = s.snapshot()
	sum.Accepted, sum.DoneRegIDs = t.accepted, t.doneRegids
	sum.OK, sum.Failed, sum.InvalidChunks = t.ok, t.failed, t.invalid
	sum.MaybeProcessed, sum.BadRegIDs = s.maybeProcessed(), t.badRegIDs
	sum.UnsentChunks, sum.UnsentRegIDs = unsentChunks, unsentRegIDs
	sum.Interrupted = stopped != nil && ctx.Err() != nil
	if sum.Interrupted {
		sum.Signal = signalName(ctx)
	}
	sum.Seconds = elapsed.Seconds()
	sum.Requests = int(requests)
	if sum.Seconds > 0 {
		sum.RequestsPerSecond = float64(sum.Requests) / sum.Seconds
		sum.MessagesPerSecond = float64(sum.DoneRegIDs) / sum.Seconds
	}
	sum.Failures = s.failureGroups()
	sum.ReportLines = j.rep.count()
	if written {
		sum.Report = j.report
	}
	if sess != nil && !sum.Interrupted {
		if u := sess.unreachable(); u != nil {
			stopped = u
		}
	}
	if stopped != nil && !sum.Interrupted {
		sum.StopReason = oneLine(describe(stopped))
	}
	sum.NothingSent = t.ok == 0 && t.invalid == 0 && s.maybeProcessed() == 0 && sum.Chunks > 0
	if drainErr != nil && sess.unreachable() == nil {
		sum.DrainError = fmt.Sprintf("requests still in flight after %v failed: %v", bf.drain, oneLine(describe(drainErr)))
		if hardStop(ctx).Err() != nil {
			sum.DrainError = "second Ctrl-C: requests in flight failed, maybe processed"
		}
	}
	var errs []error
	if oddity != nil {
		errs = append(errs, fmt.Errorf("internal error: %w", oddity))
	}
	if repErr != nil {
		errs = append(errs, fmt.Errorf("writing the report %s: %w", j.report, repErr))
	}
	return sum, errors.Join(errs...)
}

// stoppingText says what the first Ctrl-C does.
func stoppingText(t tally, batched bool, drain time.Duration) string {
	what := "requests"
	if batched {
		what = "messages" // gathered into fewer requests
	}
	n := t.accepted - t.ok - t.failed - t.invalid
	return fmt.Sprintf("stopping: finishing %s %s in flight (up to %v); Ctrl-C again to stop at once, the report will still be written",
		thousands(float64(n)), what, drain)
}

// signalName names the signal that ended ctx: "SIGTERM", or "SIGINT"
// (also for a context ended otherwise).
func signalName(ctx context.Context) string {
	if exitInterruptedBy(ctx) == exitTerminated {
		return "SIGTERM"
	}
	return "SIGINT"
}
