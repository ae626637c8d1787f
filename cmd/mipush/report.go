package main

import (
	"bufio"
	"encoding/json"
	"io"
	"sync"
)

// The kinds of report record.
const (
	// kindFailed: the chunk's request failed; none of its regids is known
	// to have been sent (unless maybe_processed is true).
	kindFailed = "failed"
	// kindBadRegIDs: the chunk was sent, and the server rejected these of
	// its regids.
	kindBadRegIDs = "bad_regids"
	// kindUnsent: the chunk was never queued (Ctrl-C, or the client
	// stopped accepting sends).
	kindUnsent = "unsent"
)

// reportRecord is one line of a bulk report. Every regid that was not
// accepted by the server appears in exactly one record.
type reportRecord struct {
	Kind  string   `json:"kind"`  // kindFailed, kindBadRegIDs or kindUnsent
	Chunk int      `json:"chunk"` // the chunk's index in the input, from 0
	IDs   []string `json:"ids"`   // the regids concerned

	// Failed chunks.
	Error          string `json:"error,omitempty"`
	Code           int    `json:"code,omitempty"` // the MiPush error code, if the server answered one
	MaybeProcessed bool   `json:"maybe_processed,omitempty"`
	Attempts       int    `json:"attempts,omitempty"`

	// Chunks with bad regids: the message that reached the others.
	MessageID string `json:"message_id,omitempty"`
	TraceID   string `json:"trace_id,omitempty"`
}

// report writes records as JSON lines. It is safe for concurrent use.
type report struct {
	mu      sync.Mutex
	w       *bufio.Writer
	enc     *json.Encoder
	records int
	err     error // the first write error
}

// newReport returns a report writing to w.
func newReport(w io.Writer) *report {
	bw := bufio.NewWriter(w)
	return &report{w: bw, enc: json.NewEncoder(bw)}
}

// add writes rec.
func (r *report) add(rec reportRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records++
	if err := r.enc.Encode(rec); err != nil && r.err == nil {
		r.err = err
	}
}

// flush writes out what is buffered and returns the first error.
func (r *report) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// count returns the number of records added.
func (r *report) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.records
}
