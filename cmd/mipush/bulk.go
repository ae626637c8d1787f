package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mipush-go/mipush"
)

const bulkAbout = `
Send to every regid of FILE ("-" for standard input). FILE is either

  one regid a line: the message of the flags goes to all of them, --chunk
  (1000) regids per request; repeated regids are dropped; or

  one JSON object a line, a personalised send: a regid and the message
  fields that differ from the flags' message, one request each:
    {"regid": "r1", "title": "Hi Ann", "payload": "{\"order\":42}"}
  with any of title, description, payload, notify_id and extra (an
  object of extras laid over --extra).

--format says which (auto: JSON if the first line starts with "{"). Blank
lines and lines starting with "#" are skipped.

Every line is checked before anything is sent, with the library's own
rules for regids and messages. If some are bad, they are listed with their
line numbers and nothing is sent (exit status 2); --skip-invalid sends the
rest and puts the bad lines in the report.

The requests go out asynchronously, with a progress bar on a terminal and
a plain line every --progress-interval otherwise; a summary follows on
standard output (--json: as JSON, with the failures by code and reason).

The report (--report, "-" for standard output) is one JSON object a line:
first the job (the message and its digest), then every regid that the
server did not accept: failed requests ("failed", with the code, the
server's reason and whether it may have processed them), regids it
rejected ("bad_regids", "invalid"), lines skipped ("skipped") and requests
never sent after Ctrl-C ("unsent"). Without --report it is written to
mipush-report.jsonl only when there is something in it.

"mipush bulk --retry REPORT" sends the recorded message again to the
regids of the failed and unsent requests. It refuses message flags that
make a different message. Regids the server rejected are never sent again.
Requests the server may have processed are sent again only with
--at-least-once, and only if the message carries a job key (give the
first run --extra jobkey=KEY), so duplicates can be traced as one job.

Exit status, whatever --chunk: 0 every request was accepted (regids the
server rejected, listed in the report, do not change it), also for a
--retry with nothing left to send; 1 some requests failed or were not sent;
2 bad input or flags (nothing was sent); 130 interrupted by Ctrl-C, after
the requests in flight were flushed (up to --drain-timeout) and the report
was written.
` + messageHelp

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
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON")
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
	fs := newFlags("bulk", "[flags] FILE|-", bulkAbout, stderr)
	var sf serverFlags
	var mf messageFlags
	var bf bulkFlags
	sf.register(fs)
	mf.register(fs)
	bf.register(fs)
	if code, ok := fs.parse(args, stdout); !ok {
		return code
	}
	mf.noteSet(fs)
	job, err := bulkInput(fs, &bf, &mf, &sf, stdout)
	if err != nil {
		return failAs(stdout, stderr, "bulk", err, bf.json)
	}
	sum, err := job.send(ctx, &sf, &bf, stderr)
	if bf.json {
		printJSON(stdout, stderr, "bulk", sum)
	} else {
		sum.print(stdout)
	}
	switch {
	case err != nil:
		return fail(stderr, "bulk", err)
	case sum.Interrupted:
		return exitInterrupted
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
	rep    *report
	held   []reportRecord // --retry: maybe-processed requests not sent again
	kept   int            // --retry: regids the server rejected, not sent again
	retry  bool
	report string // the report's name
}

// bulkInput checks the flags, the message and the whole input: everything
// that can fail before anything is sent.
func bulkInput(fs *flagSet, bf *bulkFlags, mf *messageFlags, sf *serverFlags, stdout io.Writer) (*bulkJob, error) {
	if fs.NArg() != 1 {
		return nil, usagef(`want one input FILE, or "-" for standard input`)
	}
	if err := bf.check(); err != nil {
		return nil, err
	}
	opts, err := sf.options()
	if err != nil {
		return nil, err
	}
	opts.Conns, opts.MaxPending = bf.conns, bf.maxInFlight

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
	if bf.retry {
		err = j.readRetry(r, name, bf, mf, fs)
	} else {
		err = j.readFresh(r, name, bf, mf)
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
	// replaces the state of the job, even when nothing is left); a
	// named file is created now, so that a bad name fails before sending.
	given := fs.isSet("report")
	open := reportFile(bf.report, stdout)
	if given && bf.report != "-" {
		f, err := os.Create(bf.report)
		if err != nil {
			return nil, usagef("--report: %v", err)
		}
		open = func() (io.WriteCloser, error) { return f, nil }
	}
	j.rep = newReport(rec, given || bf.retry, open)
	for _, b := range j.list.bad {
		j.rep.add(reportRecord{Kind: kindSkipped, Chunk: -1, Lines: []int{b.Line}, Text: b.Text, Error: b.Reason})
	}
	for _, h := range j.held {
		j.rep.add(h)
	}
	return j, nil
}

// readFresh reads an input file of regids or personalised lines.
func (j *bulkJob) readFresh(r io.Reader, name string, bf *bulkFlags, mf *messageFlags) error {
	// Personalised lines complete the message (a title, say), so each is
	// checked with its own fields; one message to all is checked here.
	msg, err := mf.buildUnchecked()
	if err != nil {
		return err
	}
	j.msg = msg
	if j.list, err = readInput(r, name, bf.format, msg); err != nil {
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
func (j *bulkJob) readRetry(r io.Reader, name string, bf *bulkFlags, mf *messageFlags, fs *flagSet) error {
	rr, err := readRecordedJob(r, name)
	if err != nil {
		return err
	}
	msg := new(mipush.Message)
	if err := json.Unmarshal(rr.job.Message, msg); err != nil {
		return usagef("%s: the recorded message cannot be read: %v", name, err)
	}
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
			j.kept += len(rec.IDs) // rejected or skipped: never again
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

// send runs the job and returns its summary. Progress goes to progressOut.
func (j *bulkJob) send(ctx context.Context, sf *serverFlags, bf *bulkFlags, progressOut io.Writer) (*bulkSummary, error) {
	s := newSender(j.list, j.msg, j.chunk, j.rep)
	sum := &bulkSummary{
		Format:      j.list.format,
		Lines:       j.list.lines,
		Skipped:     j.list.skipped,
		Duplicates:  j.list.duplicates,
		Invalid:     len(j.list.bad),
		NotResent:   j.kept,
		HeldChunks:  len(j.held),
		Retry:       j.retry,
		Chunks:      s.t.chunks,
		RegIDs:      s.t.regids,
		Failures:    []failureGroup{},
		ReportLines: 0,
	}
	for _, h := range j.held {
		sum.HeldRegIDs += len(h.IDs)
	}
	var stopped, drainErr error
	var elapsed time.Duration
	var sess *session
	if len(j.list.ids) > 0 {
		sess = sf.connect(ctx, s.options(j.opts))
		s.unreachable = sess.unreachable
		start := time.Now()
		prog := startProgress(progressOut, bf.progress, bf.interval, s.snapshot)
		stopped = s.run(sess.ctx, sess.client)

		// Flush what is in flight, then close; every outcome has been
		// reported when Shutdown returns. An unreachable server ends
		// the wait at once.
		drainCtx, cancel := context.WithTimeout(context.Background(), bf.drain)
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
	}

	unsentChunks, unsentRegIDs, oddity := s.finish()
	written, repErr := j.rep.close()
	if sess != nil {
		if sess.fake != nil {
			sess.fake.Close()
		}
		sess.cancel(nil)
	}

	t := s.snapshot()
	sum.Accepted, sum.DoneRegIDs = t.accepted, t.doneRegids
	sum.OK, sum.Failed, sum.InvalidChunks = t.ok, t.failed, t.invalid
	sum.MaybeProcessed, sum.BadRegIDs = s.maybeProcessed(), t.badRegIDs
	sum.UnsentChunks, sum.UnsentRegIDs = unsentChunks, unsentRegIDs
	sum.Interrupted = stopped != nil && ctx.Err() != nil
	sum.Seconds = elapsed.Seconds()
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
	if drainErr != nil && sess.unreachable() == nil {
		sum.DrainError = fmt.Sprintf("requests still in flight after %v failed: %v", bf.drain, oneLine(describe(drainErr)))
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
