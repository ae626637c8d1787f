package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"sync"

	"github.com/mipush-go/mipush"
)

// The kinds of report record.
const (
	// kindJob: the first record: the message and how the input was sent,
	// so that --retry sends the same message and can refuse another one.
	kindJob = "job"
	// kindFailed: the request failed; none of its regids is known to have
	// been sent, unless maybe_processed is true. --retry sends these again
	// (those maybe processed only with --at-least-once).
	kindFailed = "failed"
	// kindBadRegIDs: the request was accepted, and the server rejected
	// these of its regids. Never sent again.
	kindBadRegIDs = "bad_regids"
	// kindInvalid: the server refused the whole request because none of
	// its regids is valid (20301). Never sent again.
	kindInvalid = "invalid"
	// kindSkipped: an input line that failed the checks, left out with
	// --skip-invalid. Never sent.
	kindSkipped = "skipped"
	// kindUnsent: the request was never queued (Ctrl-C, or the client
	// stopped accepting sends). --retry sends these.
	kindUnsent = "unsent"
)

// reportRecord is one line of a bulk report. Every input line that was not
// accepted by the server appears in exactly one record.
type reportRecord struct {
	Kind  string   `json:"kind"`            // one of the kinds above
	Chunk int      `json:"chunk"`           // the request's index in the job, from 0
	IDs   []string `json:"ids,omitempty"`   // the regids concerned
	Lines []int    `json:"lines,omitempty"` // their input lines (personalised input: the line of each)
	// Fields are the personalised lines of IDs as given, so that --retry
	// can send each its own message again.
	Fields []json.RawMessage `json:"fields,omitempty"`

	// Failed and invalid requests.
	Error          string `json:"error,omitempty"`
	Code           int    `json:"code,omitempty"`   // the MiPush error code, if the server answered one
	Reason         string `json:"reason,omitempty"` // the server's reason
	MaybeProcessed bool   `json:"maybe_processed,omitempty"`
	Attempts       int    `json:"attempts,omitempty"`

	// Requests with bad regids: the message that reached the others.
	MessageID string `json:"message_id,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`

	// Skipped lines.
	Text string `json:"text,omitempty"`

	// The job record.
	Format        string          `json:"format,omitempty"`
	ChunkSize     int             `json:"chunk_size,omitempty"`
	Message       json.RawMessage `json:"message,omitempty"`
	MessageDigest string          `json:"message_digest,omitempty"`
}

// messageDigest returns the digest of a message's JSON form, which the
// job record carries.
func messageDigest(msgJSON []byte) string {
	sum := sha256.Sum256(msgJSON)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// jobRecord returns the job record of a bulk send of msg.
func jobRecord(msg *mipush.Message, format string, chunk int) (reportRecord, error) {
	b, err := messageJSON(msg)
	if err != nil {
		return reportRecord{}, err
	}
	return reportRecord{Kind: kindJob, Format: format, ChunkSize: chunk, Message: b, MessageDigest: messageDigest(b)}, nil
}

// messageJSON returns the JSON form of msg without its zero fields, which
// decodes back to the same message: the form the job record carries and
// its digest covers.
func messageJSON(msg *mipush.Message) ([]byte, error) {
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	for k, v := range fields {
		switch string(v) {
		case "null", "false", "0", `""`, `"0001-01-01T00:00:00Z"`:
			delete(fields, k)
		}
	}
	return json.Marshal(fields) // keys sorted: one form per message
}

// report writes records as JSON lines. The destination is opened on the
// first record after the job record, unless always is set, so that a run
// with nothing to report leaves no file behind. It is safe for concurrent
// use.
type report struct {
	open   func() (io.WriteCloser, error)
	job    reportRecord
	always bool

	mu      sync.Mutex
	dst     io.WriteCloser // nil until opened
	w       *bufio.Writer
	enc     *json.Encoder
	records int   // records other than the job record
	err     error // the first error
}

// newReport returns a report whose destination open returns; with always
// it is written even when it would hold the job record only.
func newReport(job reportRecord, always bool, open func() (io.WriteCloser, error)) *report {
	return &report{open: open, job: job, always: always}
}

// reportFile returns the opener of a report file: "-" is standard output
// (never closed).
func reportFile(path string, stdout io.Writer) func() (io.WriteCloser, error) {
	if path == "-" {
		return func() (io.WriteCloser, error) { return nopCloser{stdout}, nil }
	}
	return func() (io.WriteCloser, error) { return os.Create(path) }
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// start opens the destination and writes the job record; r.mu is held.
func (r *report) start() bool {
	if r.err != nil {
		return false
	}
	if r.dst != nil {
		return true
	}
	dst, err := r.open()
	if err != nil {
		r.err = err
		return false
	}
	r.dst, r.w = dst, bufio.NewWriter(dst)
	r.enc = json.NewEncoder(r.w)
	r.encode(r.job)
	return r.err == nil
}

// encode writes rec; r.mu is held.
func (r *report) encode(rec reportRecord) {
	if err := r.enc.Encode(rec); err != nil && r.err == nil {
		r.err = err
	}
}

// add writes rec.
func (r *report) add(rec reportRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records++
	if r.start() {
		r.encode(rec)
	}
}

// close writes out what is buffered, closes the destination and returns
// the first error. It reports whether a report was written.
func (r *report) close() (written bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dst == nil && (r.always || r.records > 0) {
		r.start()
	}
	if r.dst == nil {
		return false, r.err
	}
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	if err := r.dst.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return true, r.err
}

// count returns the number of records added, the job record aside.
func (r *report) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.records
}
