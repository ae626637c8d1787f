package mipush

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/mipush-go/mipush/internal/wire"
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

// validate reports what makes s no send at all: an unknown target kind or no
// message. The rest is checked as for every send.
func (s Send) validate() error {
	if k := s.Target.Kind; k < TargetRegID || k > TargetAll {
		return &ValidationError{Field: "Send.Target.Kind", Reason: "must be TargetRegID, TargetAlias, TargetUserAccount, TargetTopic, TargetTopics or TargetAll, got " + k.String()}
	}
	if s.Message == nil {
		return &ValidationError{Field: "Send.Message", Reason: "is nil"}
	}
	return nil
}

// start is the common path of every send method (PushTo*, Send,
// SendAsync, Start, PushBulk): value is the caller's Send.Value, and p,
// if not nil, the Pending of Client.Start. Management calls take
// startRequest instead; both end in pipeline.submit or pipeline.accept.
func (c *Client) start(ctx context.Context, t Target, msg *Message, value any, p *Pending, async bool) (*Result, error) {
	if err := c.usable(ctx); err != nil {
		return nil, err
	}
	return c.e.submit(ctx, string(*c.auth), t, msg, value, p, async)
}

// submit validates and encodes, accepts the send (waiting for room while
// ctx allows), queues it, and for a sync send waits for its outcome.
// A send given a Pending p is async and reports its outcome to p.
//
// The ways in: Client.start (the PushTo* methods, PushBulk, and Send,
// SendAsync and Start once Send.validate passed) calls send; an async send that may be coalesced goes from here
// to the batcher (batch.go), every other call to accept. Client.startRequest
// (the management calls) builds its call itself and calls accept.
func (e *pipeline) submit(ctx context.Context, auth string, t Target, msg *Message, value any, p *Pending, async bool) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if msg == nil {
		return nil, fieldError("message", "is nil")
	}
	if async && p == nil && e.batchable(t, msg) {
		return nil, e.batcher.add(ctx, auth, t, msg, value)
	}
	autoKey := e.s.AutoJobKey && msg.jobKey() == ""
	room := 0
	if autoKey {
		room = len("&extra.jobkey=") + maxJobKeyLen
	}
	body, err := e.encodeBody(t, msg, room)
	if err != nil {
		return nil, err
	}
	c := &call{e: e, msg: msg, target: t, value: value, async: async || p != nil, handle: p != nil, prune: prunable(t.Kind)}
	if p != nil {
		p.c = c
	}
	e.keepTarget(c, t.IDs)
	if autoKey {
		c.jobKey = e.jobKeys.next()
		body = appendJobKey(body, c.jobKey)
	}
	c.Ex.Req = wire.Request{Method: "POST", Path: t.path(msg), Auth: auth, Body: body}
	c.quotaKey = quotaStopKey(auth, msg)
	e.pools.Route(&c.Call, "")
	return e.accept(ctx, c)
}

// maxScratch is the largest encoding buffer an engine keeps for reuse.
const maxScratch = 64 << 10

// encodeBody validates and encodes the body of a send, with room for room
// more bytes. It encodes into a reused buffer and copies the result into
// one allocation of its exact size: cheaper than a sizing pass over the
// message, and the body then holds no slack while it waits in the queue.
func (e *pipeline) encodeBody(t Target, msg *Message, room int) ([]byte, error) {
	sp, _ := e.scratch.Get().(*[]byte)
	if sp == nil {
		sp = new([]byte)
	}
	b, err := encodeSend((*sp)[:0], t, msg)
	var body []byte
	if err == nil {
		body = make([]byte, len(b), len(b)+room)
		copy(body, b)
	}
	if cap(b) <= maxScratch {
		*sp = b[:0]
		e.scratch.Put(sp)
	}
	return body, err
}

// PushToRegIDAsync validates and encodes at once (returning bad input and
// queueing nothing), then queues the send; it blocks only while the client
// is at Options.MaxPending or until ctx ends. Its outcome is reported
// exactly once, later, to Options.OnError or Options.OnSuccess.
func (c *Client) PushToRegIDAsync(ctx context.Context, regIDs []string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetRegID, IDs: regIDs}, msg, nil, nil, true)
	return err
}

// PushToAliasAsync is the async twin of PushToAlias.
func (c *Client) PushToAliasAsync(ctx context.Context, aliases []string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetAlias, IDs: aliases}, msg, nil, nil, true)
	return err
}

// PushToUserAccountAsync is the async twin of PushToUserAccount.
func (c *Client) PushToUserAccountAsync(ctx context.Context, accounts []string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetUserAccount, IDs: accounts}, msg, nil, nil, true)
	return err
}

// PushToTopicAsync is the async twin of PushToTopic.
func (c *Client) PushToTopicAsync(ctx context.Context, topic string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetTopic, IDs: []string{topic}}, msg, nil, nil, true)
	return err
}

// PushToTopicsAsync is the async twin of PushToTopics.
func (c *Client) PushToTopicsAsync(ctx context.Context, topics []string, op TopicOp, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetTopics, IDs: topics, Op: op}, msg, nil, nil, true)
	return err
}

// PushToAllAsync is the async twin of PushToAll.
func (c *Client) PushToAllAsync(ctx context.Context, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetAll}, msg, nil, nil, true)
	return err
}

// SendAsync is PushToRegIDAsync and its siblings for a Send value: it
// validates and encodes at once (returning bad input and queueing
// nothing), then queues the send; its outcome is reported exactly once,
// later, to Options.OnError or Options.OnSuccess with s.Value, and any
// targets the server calls invalid to Options.OnInvalidTargets.
func (c *Client) SendAsync(ctx context.Context, s Send) error {
	if err := s.validate(); err != nil {
		return err
	}
	_, err := c.start(ctx, s.Target, s.Message, s.Value, nil, true)
	return err
}

// Pending is the outcome of one send started by Client.Start, to be
// awaited: a future, like the PublishResult of Google's Pub/Sub client,
// for callers that prefer one to callbacks.
type Pending struct {
	c *call
}

// Start validates and encodes s at once (returning bad input and queueing
// nothing), then queues it, blocking only while the client is at
// Options.MaxPending or until ctx ends, as SendAsync does. Its outcome goes
// to the returned Pending, not to OnSuccess or OnError; targets the server
// calls invalid still go to Options.OnInvalidTargets first. Flush waits for
// it like any async send.
func (c *Client) Start(ctx context.Context, s Send) (*Pending, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	p := new(Pending)
	if _, err := c.start(ctx, s.Target, s.Message, s.Value, p, true); err != nil {
		return nil, err
	}
	return p, nil
}

// Ready is closed when the outcome is known. Called from a callback
// before then, it hands the delivery of the outcomes after that callback
// on to another goroutine (see "Callbacks" in the package
// documentation), as the outcome may need the callback goroutine: the
// caller can then wait on the channel without deadlock.
func (p *Pending) Ready() <-chan struct{} {
	p.handOn()
	return p.c.done
}

// Get waits for the outcome, or for ctx to end (which stops only the
// wait, not the send), and returns it as the blocking call would: the
// server's Result, or a *SendError carrying Send.Value. An outcome that
// is known wins over an ended ctx. It may be called any number of times,
// and from a callback, where it hands delivery on as Ready does.
func (p *Pending) Get(ctx context.Context) (*Result, error) {
	select {
	case <-p.c.done:
		return p.c.res, p.c.err
	default:
	}
	p.handOn()
	select {
	case <-p.c.done:
		return p.c.res, p.c.err
	case <-ctx.Done():
		select {
		case <-p.c.done: // both ready: the outcome wins
			return p.c.res, p.c.err
		default:
			return nil, ctx.Err()
		}
	}
}

// handOn, called by a wait for p's outcome, hands delivery on if the wait
// runs inside a callback and the outcome is not known yet: an outcome
// whose targets the server called invalid is resolved on the callback
// goroutine, after its OnInvalidTargets call.
func (p *Pending) handOn() {
	select {
	case <-p.c.done:
	default:
		if d := &p.c.e.disp; d.OnCallback() {
			d.Unblock()
		}
	}
}

// resolve reports the outcome of c to its Pending, if it has one; c must be
// finished and its invalid targets reported.
func (c *call) resolve() {
	if !c.handle {
		return
	}
	if c.err != nil {
		c.err = c.sendError(c.err)
	}
	close(c.done)
}

// Format writes "mipush.Pending{ready}" or "mipush.Pending{waiting}"
// whatever the verb: a Pending reaches its send's request, whose header
// holds the app secret, and no verb may print that.
func (p Pending) Format(f fmt.State, verb rune) {
	state := "waiting"
	if p.c != nil && p.c.done != nil {
		select {
		case <-p.c.done:
			state = "ready"
		default:
		}
	}
	io.WriteString(f, "mipush.Pending{"+state+"}")
}

// needsDelivery reports whether the outcome of async call c must go to
// the dispatcher: a callback or the invalid-targets hook wants it, or a
// failure nobody else hears of is to be logged.
func (e *pipeline) needsDelivery(c *call, res *Result, err error) bool {
	_, _, invalid := e.invalidIDs(c, res, err)
	switch {
	case c.handle:
		return invalid
	case err != nil:
		return e.s.OnError != nil || !e.s.DisableFailureLog || invalid
	}
	return e.s.OnSuccess != nil || invalid
}

// deliverOutcome runs, on the dispatcher, what the outcome of async call c
// calls for: the invalid-targets hook first, then OnError or OnSuccess
// (or, for a failure without OnError, a rate-limited log line). For a
// blocking send's hook job (c not async) it runs the hook only and lets
// the waiting caller go on.
func (e *pipeline) deliverOutcome(c *call) {
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
		e.s.OnError(c.sendError(c.err))
	case c.err != nil:
		if !e.s.DisableFailureLog {
			e.fails.log(e.s.failureLogger, c)
		}
	case e.s.OnSuccess != nil:
		e.s.OnSuccess(&SendResult{Message: c.msg, Target: c.target, Result: c.res, Attempts: c.Tries(), JobKey: c.jobKey, Value: c.value, Batched: c.batched})
	}
}

// runHook passes the invalid targets of c, if any, to the invalid-targets
// hook; a panic of the hook is recovered here, so that the outcome is
// still delivered.
func (e *pipeline) runHook(c *call) {
	if inv := e.invalidTargets(c, c.res, c.err); inv != nil {
		defer e.recoverCallback(c, true)
		e.s.OnInvalidTargets(inv)
	}
}

// recoverCallback, deferred around user code on the dispatcher, recovers
// a panic of OnError or OnSuccess (hook: of OnInvalidTargets) and logs
// it at error level with its stack, through Options.Logger or, when that
// is nil, slog.Default(), as a panic is never to pass unseen. A panicking
// callback so costs its own outcome's handling, not the delivery of the
// outcomes queued behind it, nor the process: the client cannot know
// which of them the panic concerns, and a re-panic after delivery would
// have no end of delivery to wait for in a long-running client.
func (e *pipeline) recoverCallback(c *call, hook bool) {
	v := recover()
	if v == nil {
		return
	}
	name := "OnSuccess"
	switch {
	case hook:
		name = "OnInvalidTargets"
	case c.err != nil:
		name = "OnError"
	}
	log := e.s.failureLogger
	if log == nil {
		log = slog.Default()
	}
	log.Error("mipush: callback panicked; the outcomes after it are still delivered",
		"callback", name, "target", c.target.String(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}

// Deliver runs, on the dispatcher, the callbacks of the outcome of item
// (a *call); a panic of one is recovered and logged.
func (e *pipeline) Deliver(item any) {
	c := item.(*call)
	defer e.recoverCallback(c, false)
	e.deliverOutcome(c)
}

// Delivered ends a call the dispatcher has delivered: an async send ends
// now that its callbacks have returned; a hook job's caller was let go by
// deliverOutcome.
func (e *pipeline) Delivered(item any) {
	if c := item.(*call); c.async {
		e.adm.AsyncEnded()
	}
}

// Room wakes the sends that wait for the callbacks' backlog to shrink.
func (e *pipeline) Room() { e.adm.Signal() }

// HandedOn wakes the waits of Flush and Close, which stop at the
// callbacks that handed delivery on.
func (e *pipeline) HandedOn() { e.adm.Wake() }
