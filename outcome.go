package mipush

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Send is one send described as a value: whom it addresses, the message,
// and a value of the caller's own that comes back with its outcome.
type Send struct {
	// Target is whom the send addresses. The client does not keep the
	// caller's IDs slice: the caller may reuse it as soon as the call
	// returns.
	Target Target
	// Message is the notification; it must not change until the send's
	// outcome is reported (it is encoded at once, but outcomes carry it).
	Message *Message
	// Value is the caller's own, for tying the outcome to its record (an
	// offset to commit, a row to mark): it comes back unchanged as
	// SendError.Value, SendResult.Value and InvalidTargets.Value. The
	// client never looks at it. nil costs nothing; a pointer or any value
	// that fits in an interface without boxing adds no allocation.
	Value any
}

// Send is PushToRegID and its siblings for a Send value: it sends s and
// waits for the server's answer or for ctx to end. A failure after
// acceptance is a *SendError carrying s.Value.
func (c *Client) Send(ctx context.Context, s Send) (*Result, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	return c.start(ctx, s.Target, s.Message, s.Value, nil, false)
}

// SendAsync is PushToRegIDAsync and its siblings for a Send value: it
// validates and encodes at once (returning bad input and queueing
// nothing), then queues the send; its outcome is reported exactly once,
// later, to Options.OnError or Options.OnSuccess with s.Value, and any
// targets the server calls invalid to Options.OnInvalidTargets.
func (c *Client) SendAsync(ctx context.Context, s Send) error {
	if err := s.check(); err != nil {
		return err
	}
	_, err := c.start(ctx, s.Target, s.Message, s.Value, nil, true)
	return err
}

// InvalidTargets is what Options.OnInvalidTargets receives: targets of one
// send that the server called invalid, for the caller to prune.
type InvalidTargets struct {
	// Kind is the kind of the ids: TargetRegID, TargetAlias or
	// TargetUserAccount.
	Kind TargetKind
	// IDs are the invalid targets, as the server named them; the hook may
	// keep the slice.
	IDs []string
	// Err is nil when the server accepted the send and listed these ids in
	// its answer's bad_regids (the send's outcome is then a success), and
	// the *APIError with code 20301 (CodeNoValidTargets) when it rejected
	// every target of the send (IDs is then the whole Target.IDs and the
	// outcome is a failure).
	Err error
	// Target is whom the send addressed, as sent.
	Target Target
	// Message is the message sent; nil for a multi-message batch
	// (PushMessagesToRegIDs and its siblings).
	Message *Message
	// Value is the send's Send.Value, or nil.
	Value any
}

// check reports what makes s no send at all: an unknown target kind or no
// message. The rest is checked as for every send.
func (s Send) check() error {
	if k := s.Target.Kind; k < TargetRegID || k > TargetAll {
		return &ValidationError{Field: "Send.Target.Kind", Reason: "must be TargetRegID, TargetAlias, TargetUserAccount, TargetTopic, TargetTopics or TargetAll, got " + k.String()}
	}
	if s.Message == nil {
		return &ValidationError{Field: "Send.Message", Reason: "is nil"}
	}
	return nil
}

// keepTarget sets the ids c keeps for its outcome. An async send of
// several regids, aliases or accounts whose successes nobody reads (no
// OnSuccess, no Observer) keeps none: they are derived from the encoded
// body if its outcome needs them (see targetIDs), so that a bulk sender
// with only OnError pays nothing for them. Otherwise they are copied now.
func (e *engine) keepTarget(c *call, ids []string) {
	if c.async && !c.handle && len(ids) > 1 && c.prune && e.s.OnSuccess == nil && e.s.Observer == nil {
		c.target.IDs, c.lazy = nil, true
		return
	}
	c.target.IDs = c.keepIDs(ids)
}

// targetIDs sets c.target.IDs, if c kept none, from its body's target
// field, param=id1%2Cid2... (ids never contain a comma). It runs only
// where nothing else touches c: on the dispatcher, once c is finished.
func (c *call) targetIDs() {
	if !c.lazy {
		return
	}
	c.lazy = false
	param := c.target.param()
	for rest := c.ex.Req.Body; len(rest) > 0; {
		var field []byte
		field, rest, _ = bytes.Cut(rest, []byte("&"))
		key, v, _ := bytes.Cut(field, []byte("="))
		if string(key) != param {
			continue
		}
		if s, err := url.QueryUnescape(string(v)); err == nil {
			c.target.IDs = strings.Split(s, ",")
		}
		return
	}
}

// keepIDs returns ids as the call keeps them for its outcome: a copy, so
// that what an outcome reports is what went on the wire whatever the
// caller does with its slice later. One id, the common case, is kept in
// the call itself and costs no allocation.
func (c *call) keepIDs(ids []string) []string {
	switch len(ids) {
	case 0:
		return nil
	case 1:
		c.oneID[0] = ids[0]
		return c.oneID[:]
	}
	return slices.Clone(ids)
}

// prunable reports whether the targets of a send of kind k can be called
// invalid by the server: regids, aliases and user accounts (a topic or a
// broadcast names no device).
func prunable(k TargetKind) bool {
	return k == TargetRegID || k == TargetAlias || k == TargetUserAccount
}

// invalidTargets returns what the server called invalid in the outcome of
// c (res on success, err on failure), or nil: the bad_regids of a
// success, or every target of a send rejected with 20301.
func (e *engine) invalidTargets(c *call, res *Result, err error) *InvalidTargets {
	ids, ae, ok := e.invalidIDs(c, res, err)
	if !ok {
		return nil
	}
	inv := &InvalidTargets{Kind: c.target.Kind, Target: c.target, Message: c.msg, Value: c.value,
		IDs: slices.Clone(ids)} // the hook's own, apart from Result's and the call's
	if ae != nil {
		inv.Err = ae
	}
	return inv
}

// invalidIDs says, without building anything, whether the outcome of c
// has targets for the invalid-targets hook: the bad regids of a success,
// or (with the 20301 answer) every target of a failure.
func (e *engine) invalidIDs(c *call, res *Result, err error) ([]string, *APIError, bool) {
	if e.s.OnInvalidTargets == nil || !c.prune {
		return nil, nil, false
	}
	if err == nil {
		bad := c.badRegIDs(res)
		return bad, nil, len(bad) > 0
	}
	return e.rejectedIDs(c, err)
}

// rejectedIDs is invalidIDs for a failure: every target, if the answer
// was 20301. Apart, so that the APIError errors.As needs is allocated on
// failures only.
func (e *engine) rejectedIDs(c *call, err error) ([]string, *APIError, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeNoValidTargets || (len(c.target.IDs) == 0 && !c.lazy) {
		return nil, nil, false
	}
	return c.target.IDs, ae, true
}

// needsDelivery reports whether the outcome of async call c must go to
// the dispatcher: a callback or the invalid-targets hook wants it, or a
// failure nobody else hears of is to be logged.
func (e *engine) needsDelivery(c *call, res *Result, err error) bool {
	_, _, invalid := e.invalidIDs(c, res, err)
	switch {
	case c.handle:
		return invalid
	case err != nil:
		return e.s.OnError != nil || !e.s.DisableFailureLog || invalid
	}
	return e.s.OnSuccess != nil || invalid
}

// badRegIDs returns the bad regids of answer res that are c's own: all of
// them, or for a message of a batch (whose answer is shared by every
// message in it) its one target if the answer lists it.
func (c *call) badRegIDs(res *Result) []string {
	if res == nil || len(res.BadRegIDs) == 0 {
		return nil
	}
	if !c.batched {
		return res.BadRegIDs
	}
	if len(c.target.IDs) == 1 && slices.Contains(res.BadRegIDs, c.target.IDs[0]) {
		return c.target.IDs
	}
	return nil
}

// deliverOutcome runs, on the dispatcher, what the outcome of async call c
// calls for: the invalid-targets hook first, then OnError or OnSuccess
// (or, for a failure without OnError, a rate-limited log line). For a
// blocking send's hook job (c not async) it runs the hook only and lets
// the waiting caller go on.
func (e *engine) deliverOutcome(c *call) {
	if !c.async {
		e.runHook(c)
		close(c.hooked)
		return
	}
	c.targetIDs()
	e.runHook(c)
	switch {
	case c.handle:
		c.resolve()
	case c.err != nil && e.s.OnError != nil:
		e.s.OnError(&SendError{Message: c.msg, Target: c.target, Err: c.err, Attempts: c.tries(), JobKey: c.jobKey, Value: c.value, Batched: c.batched})
	case c.err != nil:
		if !e.s.DisableFailureLog {
			e.fails.log(e.s.failureLogger, c)
		}
	case e.s.OnSuccess != nil:
		e.s.OnSuccess(&SendResult{Message: c.msg, Target: c.target, Result: c.res, Attempts: c.tries(), JobKey: c.jobKey, Value: c.value, Batched: c.batched})
	}
}

// runHook passes the invalid targets of c, if any, to the invalid-targets
// hook; a panic of the hook is recovered here, so that the outcome is
// still delivered.
func (e *engine) runHook(c *call) {
	if inv := e.invalidTargets(c, c.res, c.err); inv != nil {
		defer e.recoverCallback(c, true)
		e.s.OnInvalidTargets(inv)
	}
}

// delivered ends a call the dispatcher has delivered: an async send is
// reported; a hook job's caller was let go by deliverOutcome.
func (e *engine) delivered(c *call) {
	if c.async {
		e.reported(c)
	}
}

// reportInvalidSync passes the invalid targets of blocking send c to the
// invalid-targets hook before the call returns. The hook runs on the
// dispatcher, in order with the callbacks, so that it never runs on two
// goroutines at once: c goes into the dispatcher's queue as a hook job
// and the caller waits for it (handing delivery on first if it is itself
// a callback), or until ctx ends, after which the hook still runs.
func (e *engine) reportInvalidSync(ctx context.Context, c *call) {
	if _, _, ok := e.invalidIDs(c, c.res, c.err); !ok {
		return
	}
	c.hooked = make(chan struct{})
	d := &e.disp
	if d.onCallback() {
		d.unblock()
	}
	if !d.push(c) {
		// The client is closed and its dispatcher gone: no callback runs
		// any more but the hooks of blocking sends that end this late,
		// which take turns.
		e.lateHooks.Lock()
		defer e.lateHooks.Unlock()
		e.runHook(c)
		return
	}
	select {
	case <-c.hooked:
	case <-ctx.Done():
	}
}

// needsResult reports whether the answer to c must be decoded into a
// Result: someone reads it (a blocking caller, a Pending, OnSuccess), or
// it is not a plain success, or it may list bad regids the
// invalid-targets hook wants.
func (e *engine) needsResult(c *call, status int, body []byte) bool {
	return !c.async || c.handle || e.s.OnSuccess != nil || !sendSucceeded(status, body) || e.wantsBadRegIDs(c, status, body)
}

// wantsBadRegIDs reports whether a plain success answer to c must still be
// decoded, because the invalid-targets hook wants the bad regids it may
// list, or because c is a batch's request, whose bad regids fail their
// messages (finishBadRegIDs).
func (e *engine) wantsBadRegIDs(c *call, status int, body []byte) bool {
	if c.batch == nil && (e.s.OnInvalidTargets == nil || !c.prune) {
		return false
	}
	var a answer
	return !(status == 200 && a.scan(body) && a.badRegIDs.end == a.badRegIDs.start)
}

// finishUnlessWithdrawn finishes c with err unless its sync caller has
// already withdrawn it.
func (e *engine) finishUnlessWithdrawn(c *call, err error) {
	if c.ex.Take() {
		e.finish(c, nil, err)
	}
}

// finish records the single outcome of c.
func (e *engine) finish(c *call, res *Result, err error) {
	if c.batch != nil {
		e.finishBatch(c, res, err)
		return
	}
	e.countOutcome(err)
	e.observeDone(c, err)
	c.res, c.err = res, err
	if !c.async {
		if err != nil {
			c.err = &SendError{Message: c.msg, Target: c.target, Err: err, Attempts: c.tries(), JobKey: c.jobKey, Value: c.value}
		}
		close(c.done)
		e.release(true)
		return
	}
	// The outcome is decided: its token is free for the next send even
	// while the callback waits or runs.
	<-e.sem
	if e.needsDelivery(c, res, err) {
		e.disp.push(c)
		return
	}
	c.resolve()
	e.reported(c)
}

// reported ends an async call once its callback (if any) has returned.
func (e *engine) reported(c *call) {
	e.asyncPending.Add(-1)
	e.active.Add(-1)
	e.settle()
}
