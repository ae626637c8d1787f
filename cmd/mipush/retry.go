package main

import (
	"bufio"
	"encoding/json"
	"io"
)

// recordedJob is a bulk report read back for --retry.
type recordedJob struct {
	job     reportRecord   // the job record
	records []reportRecord // the others, in order
	lines   int
	// partial is set for the journal of a run that stopped before its
	// end (see report): its requests without an outcome are among the
	// records, as unsent or as maybe processed.
	partial bool
}

// readRecordedJob reads a bulk report. Its first record must be the job
// record, which carries the message.
func readRecordedJob(r io.Reader, name string) (*recordedJob, error) {
	rj := new(recordedJob)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	var j journalState
	for sc.Scan() {
		rj.lines++
		line := inputLine(sc.Bytes(), rj.lines)
		if line == "" {
			continue
		}
		var rec reportRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return nil, usagef("%s:%d: not a report line: %v", name, rj.lines, err)
		}
		switch {
		case rec.Kind == kindJob && rj.job.Kind == "":
			rj.job = rec
		case rec.Kind == kindJob:
			return nil, usagef("%s:%d: a second job record: one report is one job", name, rj.lines)
		case rj.job.Kind == "":
			return nil, usagef("%s:%d: the report does not start with its job record (the message); was it written by mipush bulk?", name, rj.lines)
		default:
			if !j.note(rec) {
				rj.records = append(rj.records, rec)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("%s:%d: %v", name, rj.lines+1, err)
	}
	rj.partial = len(j.pending) > 0
	rj.records = append(rj.records, j.unfinished()...)
	if rj.job.Kind == "" {
		return nil, usagef("%s holds no report", name)
	}
	switch rj.job.Format {
	case formatRegIDs, formatJSON:
	default:
		return nil, usagef("%s: unknown input format %q in the job record", name, rj.job.Format)
	}
	return rj, nil
}

// journalState gathers the journal records of a report (see report): the
// requests, how far the queueing went, and which have an outcome.
type journalState struct {
	pending []reportRecord
	mark    int
	done    map[int]bool
}

// note takes in rec if it is a journal record or an outcome, and reports
// whether it was a journal record only (pending, queued or ok).
func (j *journalState) note(rec reportRecord) bool {
	if j.done == nil {
		j.done = make(map[int]bool)
	}
	switch rec.Kind {
	case kindPending:
		j.pending = append(j.pending, rec)
		return true
	case kindQueued:
		j.mark = max(j.mark, rec.Chunk)
		return true
	case kindOK:
		j.done[rec.Chunk] = true
		return true
	case kindFailed, kindUnsent, kindInvalid, kindBadRegIDs:
		j.done[rec.Chunk] = true
	}
	return false
}

// unfinished returns a record for every pending request without an
// outcome: one queued before the run stopped may have reached the server
// (maybe processed: --retry sends it again only with --at-least-once),
// the others are unsent.
func (j *journalState) unfinished() []reportRecord {
	var out []reportRecord
	for _, p := range j.pending {
		if j.done[p.Chunk] {
			continue
		}
		rec := reportRecord{Kind: kindUnsent, Chunk: p.Chunk, IDs: p.IDs, Lines: p.Lines, Fields: p.Fields}
		if p.Chunk < j.mark {
			rec.Kind, rec.MaybeProcessed = kindFailed, true
			rec.Error = "no outcome: the run stopped (killed?) while the request was queued or in flight"
		}
		out = append(out, rec)
	}
	return out
}
