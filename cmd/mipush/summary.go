package main

import (
	"fmt"
	"io"
)

// bulkSummary is what a bulk send did. Its counts add up: Chunks is
// Accepted plus UnsentChunks, and Accepted is OK plus Failed.
type bulkSummary struct {
	Lines      int `json:"lines"`      // input lines read
	Skipped    int `json:"skipped"`    // blank lines and comments (with --retry: records of bad regids)
	Duplicates int `json:"duplicates"` // repeated regids dropped
	RegIDs     int `json:"regids"`     // distinct regids to send to
	Chunks     int `json:"chunks"`     // requests they make

	Accepted       int `json:"accepted"`        // chunks queued; each has one outcome
	DoneRegIDs     int `json:"done_regids"`     // regids of the chunks with an outcome
	OK             int `json:"ok"`              // chunks the server accepted
	Failed         int `json:"failed"`          // chunks whose send failed
	MaybeProcessed int `json:"maybe_processed"` // failed chunks the server may have processed
	BadRegIDs      int `json:"bad_regids"`      // regids the server rejected in accepted chunks
	UnsentChunks   int `json:"unsent_chunks"`   // chunks never queued
	UnsentRegIDs   int `json:"unsent_regids"`   // their regids

	Interrupted bool    `json:"interrupted"`           // Ctrl-C stopped the queueing
	StopReason  string  `json:"stop_reason,omitempty"` // why queueing stopped early, if not Ctrl-C
	DrainError  string  `json:"drain_error,omitempty"` // the wait for requests in flight ran out
	Seconds     float64 `json:"seconds"`               // from the first send to the last outcome

	Report        string `json:"report"`         // the report file
	ReportRecords int    `json:"report_records"` // lines in it
}

// print writes the summary for a reader.
func (s *bulkSummary) print(w io.Writer) {
	fmt.Fprintf(w, "input    %d lines: %d regids, %d duplicates dropped, %d lines skipped\n",
		s.Lines, s.RegIDs, s.Duplicates, s.Skipped)
	rate := 0.0
	if s.Seconds > 0 {
		rate = float64(s.DoneRegIDs) / s.Seconds
	}
	fmt.Fprintf(w, "sent     %d of %d chunks in %.2fs (%.0f regids/s)\n", s.Accepted, s.Chunks, s.Seconds, rate)
	fmt.Fprintf(w, "ok       %d chunks, %d bad regids\n", s.OK, s.BadRegIDs)
	fmt.Fprintf(w, "failed   %d chunks (%d maybe processed by the server)\n", s.Failed, s.MaybeProcessed)
	if s.UnsentChunks > 0 {
		fmt.Fprintf(w, "unsent   %d chunks (%d regids)\n", s.UnsentChunks, s.UnsentRegIDs)
	}
	if s.Interrupted {
		fmt.Fprintln(w, "stopped  interrupted: queueing stopped, requests in flight were flushed")
	}
	if s.StopReason != "" {
		fmt.Fprintf(w, "stopped  %s\n", s.StopReason)
	}
	if s.DrainError != "" {
		fmt.Fprintf(w, "drain    %s\n", s.DrainError)
	}
	fmt.Fprintf(w, "report   %s: %d records\n", s.Report, s.ReportRecords)
}
