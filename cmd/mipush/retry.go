package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
)

// recordedJob is a bulk report read back for --retry.
type recordedJob struct {
	job     reportRecord   // the job record
	records []reportRecord // the others, in order
	lines   int
}

// readRecordedJob reads a bulk report. Its first record must be the job
// record, which carries the message.
func readRecordedJob(r io.Reader, name string) (*recordedJob, error) {
	rj := new(recordedJob)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for sc.Scan() {
		rj.lines++
		line := strings.TrimSpace(sc.Text())
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
			rj.records = append(rj.records, rec)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("%s:%d: %v", name, rj.lines+1, err)
	}
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
