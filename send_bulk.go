package mipush

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// BulkResult is the outcome of PushBulk: one Chunk per request.
type BulkResult struct {
	// Chunks are the requests in the order of the ids passed in.
	Chunks []Chunk
	// Invalid lists every target the server called invalid, in chunk
	// order: the Result.BadRegIDs of accepted chunks and every target of a
	// chunk rejected with code 20301 (no valid targets), for any kind of
	// target. These are what Options.OnInvalidTargets receives for the
	// chunks too.
	Invalid []string
}

// Chunk is the outcome of one request of a bulk send.
type Chunk struct {
	// Target holds the chunk's targets, as sent: a sub-slice of a copy
	// of the ids passed in, made once by PushBulk.
	Target Target
	// Result is the server's answer, or nil if the chunk failed.
	Result *Result
	// Err is nil, a *SendError, or the error that kept the chunk from
	// being sent at all (ctx ended, ErrClosed).
	Err error
}

// Err returns nil if every chunk succeeded. Otherwise it returns an error
// that counts the failed chunks and wraps the first failure, for errors.Is
// and errors.As.
func (r *BulkResult) Err() error {
	failed := 0
	var first error
	for _, c := range r.Chunks {
		if c.Err != nil {
			if failed == 0 {
				first = c.Err
			}
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return &bulkError{failed: failed, total: len(r.Chunks), first: first}
}

// bulkError is what BulkResult.Err returns.
type bulkError struct {
	failed, total int
	first         error
}

func (e *bulkError) Error() string {
	return "mipush: " + strconv.Itoa(e.failed) + " of " + strconv.Itoa(e.total) + " bulk requests failed; first: " + e.first.Error()
}

func (e *bulkError) Unwrap() error { return e.first }

// PushBulk sends msg to any number of targets of kind (TargetRegID,
// TargetAlias or TargetUserAccount), split into requests of at most
// MaxTargets each (POST /v3/message/regid, /v3/message/alias or
// /v2/message/user_account). Every request is validated before the first
// is sent; then all go through the pipeline together, and PushBulk returns
// when each has its outcome or ctx has ended.
//
// A Chunk reports each request; the error is BulkResult.Err: nil when every
// request succeeded. Invalid input is returned as a *ValidationError with a
// nil result and nothing sent. Duplicate ids are not removed. Each
// request's invalid targets also go to Options.OnInvalidTargets, one
// call at a time on the callback goroutine, before PushBulk returns.
//
// Called from an Options.OnError or OnSuccess callback, PushBulk sends its
// requests one after the other on the callback's goroutine; like any sync
// send from a callback it needs Options.MaxPending to leave room beyond
// the send whose outcome is being reported.
func (c *Client) PushBulk(ctx context.Context, kind TargetKind, ids []string, msg *Message) (*BulkResult, error) {
	// One copy, so that the result reports what was sent whatever the
	// caller does with ids later.
	chunks, err := c.bulkChunks(kind, slices.Clone(ids), msg)
	if err != nil {
		return nil, err
	}
	res := &BulkResult{Chunks: chunks}
	// Workers keep as many requests in flight as the engine accepts; the
	// engine's MaxPending bound is the backpressure. A callback (which runs
	// on the dispatcher) sends the chunks itself, one after the other, so
	// that waiting for room can deliver the outcomes that free it.
	workers := min(len(chunks), c.e.s.MaxPending)
	if c.e.disp.OnCallback() {
		workers = 0
		for i := range chunks {
			ch := &chunks[i]
			ch.Result, ch.Err = c.start(ctx, ch.Target, msg, nil, nil, false)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(chunks) {
					return
				}
				ch := &chunks[i]
				ch.Result, ch.Err = c.start(ctx, ch.Target, msg, nil, nil, false)
			}
		})
	}
	wg.Wait()
	for _, ch := range chunks {
		var ae *APIError
		switch {
		case ch.Err == nil:
			res.Invalid = append(res.Invalid, ch.Result.BadRegIDs...)
		case errors.As(ch.Err, &ae) && ae.Code == CodeNoValidTargets:
			res.Invalid = append(res.Invalid, ch.Target.IDs...)
		}
	}
	return res, res.Err()
}

// PushBulkAsync is the async form of PushBulk. It validates every request
// first (returning bad input with nothing queued), then queues them in
// order as PushToRegIDAsync and its siblings do, blocking only while the
// client is at Options.MaxPending or until ctx ends. Each request's outcome
// is reported once, later, to Options.OnError or Options.OnSuccess (and
// its invalid targets to Options.OnInvalidTargets), whose Target.IDs are
// the request's ids, copied; Flush waits for them.
//
// It returns how many of ids were queued: len(ids), or fewer with the error
// that stopped it (ctx ended, ErrClosed). The ids after that were not sent.
func (c *Client) PushBulkAsync(ctx context.Context, kind TargetKind, ids []string, msg *Message) (int, error) {
	chunks, err := c.bulkChunks(kind, ids, msg)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ch := range chunks {
		if _, err := c.start(ctx, ch.Target, msg, nil, nil, true); err != nil {
			return n, err
		}
		n += len(ch.Target.IDs)
	}
	return n, nil
}

// bulkChunks validates a bulk send and splits ids into chunks.
func (c *Client) bulkChunks(kind TargetKind, ids []string, msg *Message) ([]Chunk, error) {
	if err := c.invalid(); err != nil {
		return nil, err
	}
	switch kind {
	case TargetRegID, TargetAlias, TargetUserAccount:
	default:
		return nil, fieldError("kind", "a bulk send goes to regids, aliases or user accounts, not "+kind.String())
	}
	if len(ids) == 0 {
		return nil, fieldError(Target{Kind: kind}.param(), "needs at least 1 value, got 0")
	}
	if err := msg.Validate(); err != nil {
		return nil, err
	}
	chunks := make([]Chunk, 0, (len(ids)+MaxTargets-1)/MaxTargets)
	for i := 0; i < len(ids); i += MaxTargets {
		j := min(i+MaxTargets, len(ids))
		t := Target{Kind: kind, IDs: ids[i:j:j]}
		if err := t.Validate(); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				// Name the value by its index in ids, not in the chunk.
				return nil, fieldError(ve.Field, "in ids["+strconv.Itoa(i)+":"+strconv.Itoa(j)+"]: "+ve.Reason)
			}
			return nil, err
		}
		chunks = append(chunks, Chunk{Target: t})
	}
	return chunks, nil
}
