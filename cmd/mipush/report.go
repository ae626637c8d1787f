package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

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

	// The records of a report being written (a journal, see journal.go),
	// which only a run that stopped before its end leaves behind:
	//
	// kindPending: a request of the job, written before the first send;
	// it has no outcome unless a later record gives it one.
	kindPending = "pending"
	// kindQueued: the requests of lower index than its chunk may have
	// been queued; those above were not.
	kindQueued = "queued"
	// kindOK: the server accepted the request.
	kindOK = "ok"
)

// reportRecord is one line of a bulk report. Every input line that was not
// accepted by the server appears in exactly one record.
type reportRecord struct {
	Kind  string   `json:"kind"`            // one of the kinds above
	Chunk int      `json:"chunk"`           // the request's index in the job, from 0; -1: none of this job's (a skipped line, a record carried over by --retry)
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
