package main

import (
	"fmt"
	"io"
)

// bulkSummary is what a bulk send did. Its counts add up: Chunks is
// Accepted plus UnsentChunks, and Accepted is OK plus Failed plus
// InvalidChunks.
type bulkSummary struct {
	Format     string `json:"format"`     // regids or json (personalised)
	Retry      bool   `json:"retry"`      // the input was a report
	Lines      int    `json:"lines"`      // input lines read
	Skipped    int    `json:"skipped"`    // blank lines and comments
	Duplicates int    `json:"duplicates"` // repeated regids dropped
	Invalid    int    `json:"invalid"`    // lines that failed the checks, skipped with --skip-invalid
	RegIDs     int    `json:"regids"`     // regids to send to
	Chunks     int    `json:"chunks"`     // requests they make

	Accepted       int `json:"accepted"`        // requests queued; each has one outcome
	DoneRegIDs     int `json:"done_regids"`     // regids of the requests with an outcome
	OK             int `json:"ok"`              // requests the server accepted
	Failed         int `json:"failed"`          // requests that failed
	MaybeProcessed int `json:"maybe_processed"` // failed requests the server may have processed
	InvalidChunks  int `json:"invalid_chunks"`  // requests refused as having no valid regid (20301)
	BadRegIDs      int `json:"bad_regids"`      // regids the server rejected
	UnsentChunks   int `json:"unsent_chunks"`   // requests never queued
	UnsentRegIDs   int `json:"unsent_regids"`   // their regids

	// --retry: what the report held that was not sent again.
	NotResent  int `json:"not_resent"`  // regids the server rejected, or skipped lines
	HeldChunks int `json:"held_chunks"` // requests maybe processed, without --at-least-once
	HeldRegIDs int `json:"held_regids"` // their regids

	Failures []failureGroup `json:"failures"` // the failed requests by code and reason

	Requests          int     `json:"requests"`            // HTTP requests sent, retries included
	RequestsPerSecond float64 `json:"requests_per_second"` // Requests per second
	MessagesPerSecond float64 `json:"messages_per_second"` // DoneRegIDs per second: one message each

	Interrupted bool    `json:"interrupted"`           // Ctrl-C or SIGTERM stopped the queueing
	Signal      string  `json:"signal,omitempty"`      // which: SIGINT or SIGTERM
	StopReason  string  `json:"stop_reason,omitempty"` // why queueing stopped early, if not Ctrl-C
	DrainError  string  `json:"drain_error,omitempty"` // the wait for requests in flight ran out
	NothingSent bool    `json:"nothing_sent"`          // no request reached the server
	Seconds     float64 `json:"seconds"`               // from the first send to the last outcome

	Report      string `json:"report"`       // the report written, or "" if none was
	ReportLines int    `json:"report_lines"` // records in it, the job record aside
}

// failureGroup is the failed requests of one kind.
type failureGroup struct {
	Code           int    `json:"code,omitempty"` // the MiPush error code, if the server answered one
	Reason         string `json:"reason,omitempty"`
	Error          string `json:"error"` // the first one's text
	MaybeProcessed bool   `json:"maybe_processed"`
	Requests       int    `json:"requests"`
}

// print writes the summary for a reader.
func (s *bulkSummary) print(w io.Writer) {
	what := "regids"
	if s.Format == formatJSON {
		what = "personalised regids"
	}
	if s.Retry {
		fmt.Fprintf(w, "retry    %d %s to send again\n", s.RegIDs, what)
		fmt.Fprintf(w, "held     %d rejected or skipped; %d maybe processed (--at-least-once)\n", s.NotResent, s.HeldRegIDs)
	} else {
		fmt.Fprintf(w, "input    %d lines: %d %s\n", s.Lines, s.RegIDs, what)
		fmt.Fprintf(w, "dropped  %d duplicates, %d blank or comment lines, %d invalid\n", s.Duplicates, s.Skipped, s.Invalid)
	}
	unit := "requests"
	if s.Format == formatJSON {
		unit = "messages"
	}
	// Lines short enough for a 60-column terminal.
	fmt.Fprintf(w, "sent     %d of %d %s in %.2fs\n", s.Accepted, s.Chunks, unit, s.Seconds)
	fmt.Fprintf(w, "rate     %d requests: %.0f requests/s, %.0f messages/s\n", s.Requests, s.RequestsPerSecond, s.MessagesPerSecond)
	fmt.Fprintf(w, "ok       %d %s; the server rejected %d regids\n", s.OK, unit, s.BadRegIDs)
	fmt.Fprintf(w, "failed   %d %s (%d maybe processed by the server)\n", s.Failed, unit, s.MaybeProcessed)
	for _, f := range s.Failures {
		maybe := ""
		if f.MaybeProcessed {
			maybe = ", maybe processed"
		}
		fmt.Fprintf(w, "         %d× %s%s\n", f.Requests, f.Error, maybe)
	}
	if s.UnsentChunks > 0 {
		fmt.Fprintf(w, "unsent   %d %s (%d regids)\n", s.UnsentChunks, unit, s.UnsentRegIDs)
	}
	if s.Interrupted {
		flushed := ", requests in flight were flushed"
		if s.DrainError != "" {
			flushed = ""
		}
		fmt.Fprintf(w, "stopped  interrupted (%s): queueing stopped%s\n", s.Signal, flushed)
	}
	switch {
	case s.StopReason != "" && s.NothingSent:
		fmt.Fprintf(w, "stopped  nothing was sent: %s\n", s.StopReason)
	case s.StopReason != "":
		fmt.Fprintf(w, "stopped  %s\n", s.StopReason)
	case s.Interrupted && s.Accepted == 0:
		fmt.Fprintln(w, "stopped  nothing was sent")
	}
	if s.DrainError != "" {
		fmt.Fprintf(w, "drain    %s\n", s.DrainError)
	}
	if s.Report != "" {
		fmt.Fprintf(w, "report   %s: %d records\n", s.Report, s.ReportLines)
	} else {
		fmt.Fprintln(w, "report   none: nothing to report")
	}
}
