package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mipush-go/mipush"
)

const bulkAbout = `
Send one message to every regid of FILE ("-" for standard input), one regid
a line; blank lines and lines starting with "#" are skipped and repeated
regids are dropped. The regids go out asynchronously, --chunk (1000) per
request, with a progress bar on a terminal and a plain line every
--progress-interval otherwise; a summary follows on standard output.

Every regid that the server did not accept lands in the --report file, one
JSON object a line: failed chunks ({"kind":"failed","chunk":3,"ids":[...],
"error":"...","code":...,"maybe_processed":false}), regids the server
rejected ({"kind":"bad_regids",...}) and chunks never sent after Ctrl-C
({"kind":"unsent",...}). "mipush bulk --retry REPORT" sends the message
again to the regids of the failed and unsent chunks.

Ctrl-C stops queueing, waits for the requests in flight (up to
--drain-timeout), writes the report and exits with status 130. The exit
status is 0 when every chunk was accepted, 1 when some failed, 2 for bad
input (nothing is sent).
` + messageHelp

// bulkFlags are the flags of bulk besides the server and message flags.
type bulkFlags struct {
	report      string
	retry       bool
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
	fs.StringVar(&f.report, "report", "mipush-report.jsonl", "write what was not accepted to this JSON-lines `file` (replaced)")
	fs.BoolVar(&f.retry, "retry", false, "FILE is the report of an earlier run: send to the regids of its failed and unsent chunks")
	fs.IntVar(&f.chunk, "chunk", mipush.MaxTargets, "regids per request, 1 to 1000")
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
	}
	switch f.progress {
	case progressAuto, progressBar, progressPlain, progressNone:
		return nil
	}
	return usagef("--progress: want auto, bar, plain or none, got %q", f.progress)
}

// bulkCmd sends one message to a file of regids.
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
	in, err := bulkInput(fs, &bf, &mf, &sf)
	if err != nil {
		return fail(stderr, "bulk", err)
	}
	sum, err := in.send(ctx, &sf, &bf, stderr)
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
	case sum.Failed > 0 || sum.UnsentChunks > 0:
		return exitFailed
	}
	return exitOK
}

// bulkJob is a checked bulk send, ready to go.
type bulkJob struct {
	msg    *mipush.Message
	opts   mipush.Options
	list   *regIDList
	report *os.File
}

// bulkInput checks the flags, the message and the whole input, and creates
// the report file: everything that can fail before anything is sent.
func bulkInput(fs *flagSet, bf *bulkFlags, mf *messageFlags, sf *serverFlags) (*bulkJob, error) {
	if fs.NArg() != 1 {
		return nil, usagef(`want one input FILE, or "-" for standard input`)
	}
	if err := bf.check(); err != nil {
		return nil, err
	}
	msg, err := mf.build()
	if err != nil {
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
	read := readRegIDs
	if bf.retry {
		read = readReportIDs
	}
	list, err := read(r, name)
	if err != nil {
		return nil, err
	}
	if len(list.ids) == 0 {
		return nil, usagef("%s holds no regids", name)
	}
	rep, err := os.Create(bf.report)
	if err != nil {
		return nil, usagef("--report: %v", err)
	}
	return &bulkJob{msg: msg, opts: opts, list: list, report: rep}, nil
}

// send runs the job and returns its summary. Progress goes to progressOut.
func (j *bulkJob) send(ctx context.Context, sf *serverFlags, bf *bulkFlags, progressOut io.Writer) (*bulkSummary, error) {
	rep := newReport(j.report)
	s := newSender(j.list.ids, bf.chunk, rep)
	sess := sf.connect(s.options(j.opts))
	if sess.fake != nil {
		defer sess.fake.Close()
	}

	start := time.Now()
	prog := startProgress(progressOut, bf.progress, bf.interval, s.snapshot)
	stopped := s.run(ctx, sess.client, j.msg)

	// Flush what is in flight, then close; every outcome has been
	// reported when Shutdown returns.
	drainCtx, cancel := context.WithTimeout(context.Background(), bf.drain)
	drainErr := sess.client.Shutdown(drainCtx)
	cancel()
	elapsed := time.Since(start)
	prog.stop()

	unsentChunks, unsentRegIDs, oddity := s.finish()
	flushErr := rep.flush()
	if err := j.report.Close(); err != nil && flushErr == nil {
		flushErr = err
	}

	t := s.snapshot()
	sum := &bulkSummary{
		Lines:          j.list.lines,
		Skipped:        j.list.skipped,
		Duplicates:     j.list.duplicates,
		RegIDs:         t.regids,
		Chunks:         t.chunks,
		Accepted:       t.accepted,
		DoneRegIDs:     t.doneRegids,
		OK:             t.ok,
		Failed:         t.failed,
		MaybeProcessed: s.maybeProcessed(),
		BadRegIDs:      t.badRegIDs,
		UnsentChunks:   unsentChunks,
		UnsentRegIDs:   unsentRegIDs,
		Interrupted:    stopped != nil && ctx.Err() != nil,
		Seconds:        elapsed.Seconds(),
		Report:         bf.report,
		ReportRecords:  rep.count(),
	}
	if stopped != nil && !sum.Interrupted {
		sum.StopReason = stopped.Error()
	}
	if drainErr != nil {
		sum.DrainError = fmt.Sprintf("requests still in flight after %v failed: %v", bf.drain, drainErr)
	}
	var errs []error
	if oddity != nil {
		errs = append(errs, fmt.Errorf("internal error: %w", oddity))
	}
	if flushErr != nil {
		errs = append(errs, fmt.Errorf("writing the report %s: %w", bf.report, flushErr))
	}
	return sum, errors.Join(errs...)
}
