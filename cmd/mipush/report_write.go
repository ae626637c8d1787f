package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// journalSuffix ends the name of a report being written.
const journalSuffix = ".partial"

// syncEvery is how often a journal's records are fsync'ed (to the disk,
// kept when the machine stops). Every record is written out (to the
// system, which keeps it when the process is killed) at once.
const syncEvery = 100 * time.Millisecond

// report is the report of a bulk send. Until the end it is a journal: a
// temporary file next to the report (named REPORT.*.partial, mode 0600),
// created before the first send, that holds the job record, every request
// of the job (pending), how far the queueing went (queued) and every
// outcome as it arrives (ok, failed, ...), each written out at once and
// fsync'ed every syncEvery. A run killed at any moment leaves it behind,
// and --retry reads it: every regid not yet accepted is in it. At the end
// (close) the report proper, the job record and the records of the regids
// the server did not accept, is written to another temporary file,
// fsync'ed and renamed over the report's name, and the journal removed.
//
// It is safe for concurrent use.
type report struct {
	path   string    // the report's name; "-": stdout, without a journal
	stdout io.Writer // for "-"
	job    reportRecord
	always bool // write a report even with nothing in it

	mu       sync.Mutex
	j        *os.File // the journal; nil for "-" and once closed
	w        *bufio.Writer
	unsynced bool // records written out, not yet fsync'ed
	mark     int  // chunks below it may have been queued
	step     int  // how far the next queued record moves mark
	maxStep  int  // the most step grows to
	records  []reportRecord
	err      error // the first error writing the journal
	stop     chan struct{}
	done     chan struct{}
}

// newReport starts the report of job at path: it checks that path can be
// replaced and creates the journal, so that a report that cannot be
// written fails before anything is sent. With always the report is written
// even when it would hold the job record only.
func newReport(job reportRecord, path string, always bool, stdout io.Writer) (*report, error) {
	r := &report{path: path, stdout: stdout, job: job, always: always, step: 1, maxStep: 1}
	if path == "-" {
		return r, nil
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".*"+journalSuffix) // mode 0600
	if err != nil {
		return nil, err
	}
	r.j, r.w = f, bufio.NewWriterSize(f, 64<<10)
	r.writeRecord(job)
	if err := r.syncLocked(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.syncLoop()
	return r, nil
}

// journalName returns the journal's name, or "" without one.
func (r *report) journalName() string {
	if r.j == nil {
		return ""
	}
	return r.j.Name()
}

// syncLoop fsyncs the journal's records written out since the last fsync
// every syncEvery, until close or discard.
func (r *report) syncLoop() {
	defer close(r.done)
	t := time.NewTicker(syncEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			if r.j != nil && r.unsynced {
				_ = r.syncLocked() // an error is kept in r.err
			}
			r.mu.Unlock()
		}
	}
}

// writeRecord writes rec to the journal's buffer, for writeOut or
// syncLocked to write out; r.mu is held (or r is not yet shared).
func (r *report) writeRecord(rec reportRecord) {
	if r.j == nil || r.err != nil {
		return
	}
	b, err := json.Marshal(rec)
	if err == nil {
		_, err = r.w.Write(append(b, '\n'))
	}
	r.keep(err)
}

// keep records the first error; r.mu is held.
func (r *report) keep(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

// syncLocked writes the journal out and fsyncs it; r.mu is held.
func (r *report) syncLocked() error {
	r.keep(r.w.Flush())
	if r.err == nil {
		r.keep(r.j.Sync())
	}
	r.unsynced = false
	return r.err
}

// plan writes the pending record of each of the n chunks of the job and
// syncs the journal: call it once, before the first send. A chunk is of
// size regids.
func (r *report) plan(n, size int, record func(i int) reportRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Chunks queued in a row are noted maxStep at a time, so that a
	// killed run leaves at most that many never sent among those it
	// counts as maybe processed: a few requests of many regids, or 64
	// personalised messages.
	r.maxStep = max(1, 64/size)
	if r.j == nil {
		return nil
	}
	for i := range n {
		r.writeRecord(record(i))
	}
	return r.syncLocked()
}

// queued notes that chunk i is about to be queued: the journal must say
// so before it is. It moves the mark ahead by a step (which grows up to
// maxStep, so that a fast send writes a record per many messages) and
// writes it out at once.
func (r *report) queued(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.j == nil || i < r.mark {
		return
	}
	r.mark = i + r.step
	r.step = min(2*r.step, r.maxStep)
	r.writeRecord(reportRecord{Kind: kindQueued, Chunk: r.mark})
	r.writeOut()
}

// ok notes in the journal that the server accepted chunk i.
func (r *report) ok(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.j == nil || r.err != nil {
		return
	}
	var b [48]byte
	line := strconv.AppendInt(append(b[:0], `{"kind":"ok","chunk":`...), int64(i), 10)
	_, err := r.w.Write(append(line, "}\n"...))
	r.keep(err)
	r.writeOut()
}

// writeOut writes the buffered records (an outcome, a queued mark) out at
// once, so that a run killed a moment after a request's answer still has
// it in its journal: the window in which a request accepted by the server
// is not yet in the journal, and so counts as maybe processed, is then
// the round trip alone. The fsync is left to syncLoop. r.mu is held.
func (r *report) writeOut() {
	if r.j != nil && r.err == nil {
		r.keep(r.w.Flush())
		r.unsynced = true
	}
}

// add adds rec to the report.
func (r *report) add(rec reportRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	r.writeRecord(rec)
	r.writeOut()
}

// count returns the number of records added, the job record aside.
func (r *report) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.records)
}

// endJournal stops the sync loop and closes the journal, and removes it
// unless keep is set; r.mu is held.
func (r *report) endJournal(keep bool) error {
	if r.j == nil {
		return nil
	}
	close(r.stop)
	r.mu.Unlock()
	<-r.done // the loop takes r.mu
	r.mu.Lock()
	name := r.j.Name()
	err := r.j.Close()
	if !keep {
		err = errors.Join(err, os.Remove(name))
	}
	r.j = nil
	return err
}

// discard removes the journal and writes no report: nothing was sent.
func (r *report) discard() {
	r.mu.Lock()
	defer r.mu.Unlock()
	_ = r.endJournal(false) // best effort: the journal of an unsent job holds nothing needed
}

// close writes the report, if there is one to write, and removes the
// journal. It reports whether a report was written. If the report cannot
// be written, the journal stays, and the error names it.
func (r *report) close() (written bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.always && len(r.records) == 0 {
		return false, r.endJournal(false)
	}
	if r.path == "-" {
		return true, r.writeTo(r.stdout)
	}
	if err := r.replace(); err != nil {
		name := r.j.Name()
		r.keep(r.syncLocked()) // leave the journal complete
		_ = r.endJournal(true)
		return false, fmt.Errorf("%w (every regid not accepted is in %s: mipush bulk --retry %[2]s)", err, name)
	}
	return true, r.endJournal(false)
}

// writeTo writes the job record and the records to w; r.mu is held.
func (r *report) writeTo(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(r.job); err != nil {
		return err
	}
	for _, rec := range r.records {
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// replace writes the report to a temporary file, fsyncs it and renames it
// over r.path; r.mu is held.
func (r *report) replace() error {
	dir, base := filepath.Split(r.path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	err = r.writeTo(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), r.path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		_ = d.Sync()
		d.Close()
	}
	return nil
}
