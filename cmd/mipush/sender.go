package main

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mipush-go/mipush"
)

// chunkState is where one chunk of a bulk send is.
type chunkState uint8

const (
	chunkUnsent   chunkState = iota // not queued
	chunkQueued                     // queued, waiting for its outcome
	chunkOK                         // the server accepted it
	chunkFailed                     // its send failed
	chunkTwiceErr                   // it had a second outcome: a bug
)

// sender sends one message to a list of regids, one request per chunk,
// asynchronously, and accounts for every chunk: each ends unsent, ok or
// failed, and every regid not accepted by the server goes to the report.
type sender struct {
	ids  []string
	size int // regids per chunk
	rep  *report

	mu     sync.Mutex
	state  []chunkState
	t      tally
	maybe  int // failed chunks that the server may have processed
	oddity error
}

// newSender splits ids into chunks of size.
func newSender(ids []string, size int, rep *report) *sender {
	n := (len(ids) + size - 1) / size
	s := &sender{ids: ids, size: size, rep: rep, state: make([]chunkState, n)}
	s.t.chunks, s.t.regids = n, len(ids)
	return s
}

// chunk returns the regids of chunk i.
func (s *sender) chunk(i int) []string {
	lo, hi := i*s.size, min((i+1)*s.size, len(s.ids))
	return s.ids[lo:hi:hi]
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
func (s *sender) run(ctx context.Context, c *mipush.Client, msg *mipush.Message) error {
	for i := range s.state {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Mark the chunk queued first: its outcome may be reported before
		// the call returns.
		s.set(i, chunkQueued, func(t *tally) { t.accepted++ })
		send := mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: s.chunk(i)}, Message: msg, Value: i}
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
		t.badRegIDs += len(bad)
	})
	if ok && len(bad) > 0 {
		s.rep.add(reportRecord{Kind: kindBadRegIDs, Chunk: i, IDs: bad, MessageID: r.Result.ID, TraceID: r.Result.TraceID})
	}
}

// onError is Options.OnError: it counts the chunk and reports it failed.
func (s *sender) onError(e *mipush.SendError) {
	maybe := e.MaybeProcessed()
	i, ok := s.outcome(e.Value, e.Target.IDs, chunkFailed, func(t *tally) { t.failed++ })
	if !ok {
		return
	}
	if maybe {
		s.mu.Lock()
		s.maybe++
		s.mu.Unlock()
	}
	rec := reportRecord{Kind: kindFailed, Chunk: i, IDs: e.Target.IDs, Error: e.Err.Error(), MaybeProcessed: maybe, Attempts: e.Attempts}
	var ae *mipush.APIError
	if errors.As(e.Err, &ae) {
		rec.Code, rec.TraceID = int(ae.Code), ae.TraceID
	}
	s.rep.add(rec)
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
			s.rep.add(reportRecord{Kind: kindUnsent, Chunk: i, IDs: ids})
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
