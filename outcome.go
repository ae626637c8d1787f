package mipush

import (
	"bytes"
	"errors"
	"net/url"
	"slices"
	"strings"
)

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

// keepTarget sets the ids c keeps for its outcome. An async send of
// several regids, aliases or accounts whose successes nobody reads (no
// OnSuccess, no Observer) keeps none: they are derived from the encoded
// body if its outcome needs them (see targetIDs), so that a bulk sender
// with only OnError pays nothing for them. Otherwise they are copied now.
func (e *pipeline) keepTarget(c *call, ids []string) {
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
	for rest := c.Ex.Req.Body; len(rest) > 0; {
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
func (e *pipeline) invalidTargets(c *call, res *Result, err error) *InvalidTargets {
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
func (e *pipeline) invalidIDs(c *call, res *Result, err error) ([]string, *APIError, bool) {
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
func (e *pipeline) rejectedIDs(c *call, err error) ([]string, *APIError, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != CodeNoValidTargets || (len(c.target.IDs) == 0 && !c.lazy) {
		return nil, nil, false
	}
	return c.target.IDs, ae, true
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

// needsResult reports whether the answer to c must be decoded into a
// Result: someone reads it (a blocking caller, a Pending, OnSuccess), or
// it is not a plain success, or it may list bad regids the
// invalid-targets hook wants.
func (e *pipeline) needsResult(c *call, status int, body []byte) bool {
	return !c.async || c.handle || e.s.OnSuccess != nil || !sendSucceeded(status, body) || e.wantsBadRegIDs(c, status, body)
}

// wantsBadRegIDs reports whether a plain success answer to c must still be
// decoded, because the invalid-targets hook wants the bad regids it may
// list, or because c is a batch's request, whose bad regids fail their
// messages (finishBadRegIDs).
func (e *pipeline) wantsBadRegIDs(c *call, status int, body []byte) bool {
	if c.batch == nil && (e.s.OnInvalidTargets == nil || !c.prune) {
		return false
	}
	var a answer
	return !(status == 200 && a.scan(body) && a.badRegIDs.end == a.badRegIDs.start)
}

// finish records the single outcome of c.
func (e *pipeline) finish(c *call, res *Result, err error) {
	if c.batch != nil {
		e.finishBatch(c, res, err)
		return
	}
	e.countOutcome(err)
	e.observeDone(c, err)
	c.res, c.err = res, err
	if !c.async {
		if err != nil {
			c.err = c.sendError(err)
		}
		close(c.done)
		e.adm.Release(true)
		return
	}
	// The outcome is decided: its token is free for the next send even
	// while the callback waits or runs.
	e.adm.Release(false)
	if e.needsDelivery(c, res, err) {
		e.disp.Push(c)
		return
	}
	c.resolve()
	e.adm.AsyncEnded()
}
