package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/mipush-go/mipush"
)

// chunkState is where one request of a bulk send is.
type chunkState uint8

const (
	chunkUnsent   chunkState = iota // not queued
	chunkQueued                     // queued, waiting for its outcome
	chunkOK                         // the server accepted it
	chunkFailed                     // its send failed
	chunkInvalid                    // the server found none of its regids valid (20301)
	chunkTwiceErr                   // it had a second outcome: a bug
)

// sender sends the regids of a bulkList, one request per chunk,
// asynchronously, and accounts for every request: each ends unsent, ok,
// invalid or failed, and every regid not accepted by the server goes to
// the report. A chunk is up to size regids with one message, or, for
// personalised input, one regid with its own message.
type sender struct {
	list *bulkList
	msg  *mipush.Message // the message of every chunk, unless list.msgs
	size int             // regids per chunk
	rep  *report
	// unreachable returns the dial error that ended the session, if any:
	// the sends it closed failed because of it.
	unreachable func() error

	mu     sync.Mutex
	state  []chunkState
	t      tally
	maybe  int // failed chunks that the server may have processed
	fails  []failureGroup
	oddity error
}

// newSender splits the list into chunks: of size regids, or of one regid
// each for personalised input.
func newSender(list *bulkList, msg *mipush.Message, size int, rep *report) *sender {
	if list.msgs != nil {
		size = 1
	}
	ids := list.ids
	n := (len(ids) + size - 1) / size
	s := &sender{list: list, msg: msg, size: size, rep: rep, state: make([]chunkState, n)}
	s.t.chunks, s.t.regids = n, len(ids)
	return s
}

// chunk returns the regids of chunk i.
func (s *sender) chunk(i int) []string {
	lo, hi := i*s.size, min((i+1)*s.size, len(s.list.ids))
	return s.list.ids[lo:hi:hi]
}

// message returns the message of chunk i.
func (s *sender) message(i int) *mipush.Message {
	if s.list.msgs != nil {
		return s.list.msgs[i]
	}
	return s.msg
}

// record returns a report record of chunk i and its regids.
func (s *sender) record(kind string, i int, ids []string) reportRecord {
	rec := reportRecord{Kind: kind, Chunk: i, IDs: ids}
	if s.list.msgs != nil {
		rec.Lines = []int{s.list.lineOf[i]}
		rec.Fields = []json.RawMessage{s.list.raws[i]}
	}
	return rec
}

// index returns the chunk an outcome belongs to: its send's value.
func (s *sender) index(value any) (int, bool) {
	i, ok := value.(int)
	return i, ok && i >= 0 && i < len(s.state)
}

// options sets the callbacks of o that account for outcomes.
func (s *sender) options(o mipush.Options) mipush.Options {
	o.OnSuccess = s.onSuccess
	o.OnError = s.onError
	return o
}

// run queues every chunk on c until ctx ends or c refuses one, and returns
// why it stopped early (nil if it did not). Outcomes arrive later; see
// finish.
func (s *sender) run(ctx context.Context, c *mipush.Client) error {
	for i := range s.state {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Mark the chunk queued first, in the journal too: its outcome
		// may be reported before the call returns.
		s.rep.queued(i)
		s.set(i, chunkQueued, func(t *tally) { t.accepted++ })
		send := mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: s.chunk(i)}, Message: s.message(i), Value: i}
		if err := c.SendAsync(ctx, send); err != nil {
			// A refused send has no outcome: the chunk stays unsent.
			s.set(i, chunkUnsent, func(t *tally) { t.accepted-- })
			return err
		}
	}
	return nil
}

// set moves chunk i to st and updates the tally, under the lock.
func (s *sender) set(i int, st chunkState, f func(*tally)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[i] = st
	f(&s.t)
}

// outcome records the outcome of the chunk whose send carried value and
// whose regids are ids.
func (s *sender) outcome(value any, ids []string, st chunkState, f func(t *tally)) (int, bool) {
	i, ok := s.index(value)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !ok:
		s.oddf("an outcome for regids that are no chunk's")
		return 0, false
	case s.state[i] != chunkQueued:
		s.oddf("chunk %d had a second outcome", i)
		s.state[i] = chunkTwiceErr
		return i, false
	}
	s.state[i] = st
	s.t.doneRegids += len(ids)
	f(&s.t)
	return i, true
}

// oddf records the first sign of a bug; s.mu is held.
func (s *sender) oddf(format string, args ...any) {
	if s.oddity == nil {
		s.oddity = fmt.Errorf(format, args...)
	}
}

// onSuccess is Options.OnSuccess: it counts the chunk and reports its
// bad regids, if any.
func (s *sender) onSuccess(r *mipush.SendResult) {
	bad := r.Result.BadRegIDs
	i, ok := s.outcome(r.Value, r.Target.IDs, chunkOK, func(t *tally) {
		t.ok++
		t.okRegids += len(r.Target.IDs) - len(bad)
		t.badRegIDs += len(bad)
	})
	if ok && len(bad) == 0 {
		s.rep.ok(i)
	}
	if ok && len(bad) > 0 {
		rec := s.record(kindBadRegIDs, i, bad)
		rec.MessageID, rec.TraceID = r.Result.ID, r.Result.TraceID
		if s.list.msgs == nil {
			rec.Lines = nil
		}
		s.rep.add(rec)
	}
}

// onError is Options.OnError: it counts the chunk and reports it failed,
// or invalid when the server found none of its regids valid (a permanent
// answer, which --retry never sends again).
func (s *sender) onError(e *mipush.SendError) {
	maybe := e.MaybeProcessed()
	invalid := mipush.IsInvalidTarget(e.Err)
	st, kind := chunkFailed, kindFailed
	if invalid {
		st, kind = chunkInvalid, kindInvalid
	}
	i, ok := s.outcome(e.Value, e.Target.IDs, st, func(t *tally) {
		if invalid {
			t.invalid++
			t.badRegIDs += len(e.Target.IDs)
			return
		}
		t.failed++
		if maybe {
			s.maybe++
		}
	})
	if !ok {
		return
	}
	rec := s.record(kind, i, e.Target.IDs)
	rec.Error, rec.MaybeProcessed, rec.Attempts = oneLine(describeCause(e.Err)), maybe, e.Attempts
	var ae *mipush.APIError
	if errors.As(e.Err, &ae) {
		rec.Code, rec.Reason, rec.TraceID = int(ae.Code), firstOf(ae.Reason, ae.Description), ae.TraceID
		noTrace := *ae
		noTrace.TraceID = "" // in its own field; the text is the same for every request
		rec.Error = oneLine(describeAPIError(&noTrace))
	}
	if errors.Is(e.Err, mipush.ErrClosed) && s.unreachable != nil {
		if u := s.unreachable(); u != nil {
			rec.Error = "not sent: " + oneLine(describeCause(u))
		}
	}
	if !invalid {
		s.countFailure(rec)
	}
	s.rep.add(rec)
}

// countFailure adds a failed chunk to its group of the same code, reason
// and maybe-processed.
func (s *sender) countFailure(rec reportRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.fails {
		f := &s.fails[i]
		if f.Code == rec.Code && f.Reason == rec.Reason && f.MaybeProcessed == rec.MaybeProcessed &&
			(rec.Code != 0 || f.Error == rec.Error) {
			f.Requests++
			return
		}
	}
	s.fails = append(s.fails, failureGroup{Code: rec.Code, Reason: rec.Reason, Error: rec.Error, MaybeProcessed: rec.MaybeProcessed, Requests: 1})
}

// failureGroups returns the failed chunks grouped, in the order their
// first one failed.
func (s *sender) failureGroups() []failureGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]failureGroup{}, s.fails...)
}

// snapshot returns the tally so far.
func (s *sender) snapshot() tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t
}

// finish reports the chunks never queued; call it once every outcome has
// been reported (after Client.Shutdown). It returns the number of unsent
// chunks and regids, and an error if some chunk's outcome is missing or
// doubled (a bug in the client).
func (s *sender) finish() (chunks, regids int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, st := range s.state {
		switch st {
		case chunkUnsent:
			ids := s.chunk(i)
			chunks++
			regids += len(ids)
			s.rep.add(s.record(kindUnsent, i, ids))
		case chunkQueued:
			s.oddf("chunk %d has no outcome", i)
		}
	}
	return chunks, regids, s.oddity
}

// maybeProcessed returns the number of failed chunks that the server may
// have processed.
func (s *sender) maybeProcessed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maybe
}
