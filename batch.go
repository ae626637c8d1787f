package mipush

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Defaults of BatchOptions.
const (
	// DefaultBatchMessages is the default BatchOptions.MaxMessages. No
	// official cap on a multi-message request is known; 100 is the cap a
	// public client (curltech/go-push-sdk) keeps to, small enough that a
	// batch of typical notifications stays near 50 KB, and large enough
	// that 1000 requests per second carry 100,000 messages.
	DefaultBatchMessages = 100
	// DefaultBatchLinger is the default BatchOptions.Linger: a delay no
	// one notices on a notification, and long enough for 100 messages to
	// gather at 20,000 sends per second.
	DefaultBatchLinger = 5 * time.Millisecond
)

// BatchOptions turns on the coalescing of async sends into multi-message
// requests (Options.Batch).
//
// When Enabled, an async send to exactly one registration id, alias or
// user account (PushToRegIDAsync, PushToAliasAsync,
// PushToUserAccountAsync with one target) is not sent on its own: it
// joins a batch of messages that share the app secret, the kind of target
// and the message's TimeToSend, and the batch goes out as one
// /v2/multi_messages/regids, aliases or user_accounts request when it
// holds MaxMessages messages or Linger after its first message, whichever
// comes first; Flush, Close and Shutdown send every batch at once.
// Blocking sends, sends to several targets or to topics, and messages
// whose RestrictedPackageName names several packages (multi-message
// requests are a v2 endpoint: one package each) go out as without
// batching.
//
// Each message still gets exactly one outcome, its own OnSuccess or
// OnError, with SendResult.Batched or SendError.Batched set. Where the
// answer says what became of one message, its outcome is the one it
// would have had alone: a message whose target the batch's answer lists
// in bad_regids fails with the answer a send to no valid target gets (an
// *APIError with CodeNoValidTargets, for which IsInvalidTarget holds, also
// reported to OnInvalidTargets), and the Results of the others list no
// bad regids. Otherwise the outcome is the batch's, which is what
// coalescing gives up:
//
//   - All messages of a batch share one answer: one message id
//     (Result.ID), one *Result (shared: do not modify it), the
//     per-channel counts of messages dropped for quota.
//   - A multi-message request is never refused for the daily quota: the
//     server drops the messages of a class whose quota is spent and only
//     counts them (Result.ChannelExceedQuota), naming none. Such a
//     message succeeds where, alone, it would fail with 200001 and stop
//     its class (see Options.DisableFailFast); and a class stopped that
//     way does not hold batched messages back.
//   - A batch refused as a whole for a reason that can lie in one
//     message's content (an invalid parameter, a message too long, an
//     invalid target; not an authentication, quota, blacklist or
//     throttling answer) is split once: each of its messages is sent
//     again alone, as a one-message multi-message request of the same
//     bytes, and gets that request's outcome. Those parts are never split
//     again, and each is a request of its own for the rate limit.
//   - A batch whose connection broke after it was written is maybe
//     processed, for every message in it: each fails with
//     ErrMaybeProcessed, or, with RetryMaybeProcessed, the batch is sent
//     again as a whole.
//
// The engine's bounds count as follows. MaxPending counts messages: each
// holds its place from acceptance (when the Async call returns) until its
// outcome is reported. RateLimit, Window and the "too frequent" pause
// count requests: the message that opens a batch waits for the rate limit
// of its app in its Async call (the others join without waiting), and
// every retry and every part of a split batch takes a turn. A turn that
// a sender waited for and did not use, because another sender of the app
// opened the batch meanwhile, opens the app's next batch if one opens
// within 50ms, and lapses after that. A retry sends the whole batch
// again and is charged to the retry budget once; MaxAttempts counts the
// requests that carried a message (its batch's and, after a split, its
// own), as reported in Attempts. A wrong-secret stop refuses new messages
// at once, as without batching, and fails a batch not yet written with
// the same error for each of its messages. Observer events and the
// Accepted, Succeeded and Failed metrics count messages; InFlight,
// Retried and Requeued count requests.
type BatchOptions struct {
	// Enabled turns coalescing on. It is off by default because a
	// batched message gives up its own answer (see above), and because a
	// send waits up to Linger before it is written.
	Enabled bool
	// MaxMessages is the most messages in one request; 0 means
	// DefaultBatchMessages. At most MaxBatch.
	MaxMessages int
	// Linger is how long a batch waits for more messages after its first;
	// 0 means DefaultBatchLinger.
	Linger time.Duration
}

// validate checks the batching options.
func (o BatchOptions) validate() error {
	if o.MaxMessages < 0 || o.MaxMessages > MaxBatch {
		return &ValidationError{Field: "Options.Batch.MaxMessages", Reason: "must be 0 to " + strconv.Itoa(MaxBatch) + ", got " + strconv.Itoa(o.MaxMessages)}
	}
	if o.Linger < 0 {
		return &ValidationError{Field: "Options.Batch.Linger", Reason: "must not be negative, got " + o.Linger.String()}
	}
	return nil
}

// batchKey is what every message of one multi-message request shares.
type batchKey struct {
	auth string     // the Authorization value: the app secret
	kind TargetKind // regid, alias or user account: the endpoint
	at   int64      // time_to_send in epoch ms; 0: now
}

// batch is one multi-message request being gathered or in flight. Its
// members are the accepted messages, each a call of its own that carries
// the message's outcome; the request itself is a call whose batch field
// points here.
type batch struct {
	key     batchKey
	body    []byte   // batchBodyStart and the escaped elements, separated
	spans   [][2]int // each member's escaped element in body
	members []*call
	timer   *time.Timer
	split   bool // a part of a refused batch: never split again
}

// batcher gathers batchable async sends into batches.
type batcher struct {
	e      *pipeline
	max    int
	linger time.Duration

	mu   sync.Mutex
	open map[batchKey]*batch
	// spare holds, per app (its Authorization value), when the app's
	// senders took rate-limit turns they did not use, another sender
	// having opened the batch meanwhile: the app's next batch uses one
	// within spareTurnLife.
	spare map[string][]time.Time
}

// spareTurnLife is how long a rate-limit turn taken and not used stays
// good for a batch of its app. A turn is permission to send now: one
// kept longer would let requests out above the rate later. The redislimit
// module drops requests it reserved after as long.
const spareTurnLife = 50 * time.Millisecond

// keepTurn keeps a turn of the app of auth taken now. bt.mu is held.
func (bt *batcher) keepTurn(auth string) {
	now := time.Now()
	bt.spare[auth] = append(lapse(bt.spare[auth], now), now)
}

// takeTurn uses a spare turn of the app of auth, if one is still good.
// bt.mu is held.
func (bt *batcher) takeTurn(auth string) bool {
	turns, ok := bt.spare[auth]
	if !ok {
		return false
	}
	turns = lapse(turns, time.Now())
	ok = len(turns) > 0
	if ok {
		turns = turns[:copy(turns, turns[1:])]
	}
	bt.spare[auth] = turns // the app's slice is reused, not reallocated
	return ok
}

// lapse drops, in place, the turns taken longer than spareTurnLife
// before now. Turns are kept in the order they were taken.
func lapse(turns []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(turns) && now.Sub(turns[i]) > spareTurnLife {
		i++
	}
	return turns[:copy(turns, turns[i:])]
}

func newBatcher(e *pipeline, o BatchOptions) *batcher {
	if !o.Enabled {
		return nil
	}
	b := &batcher{e: e, max: o.MaxMessages, linger: o.Linger, open: make(map[batchKey]*batch), spare: make(map[string][]time.Time)}
	if b.max == 0 {
		b.max = DefaultBatchMessages
	}
	if b.linger == 0 {
		b.linger = DefaultBatchLinger
	}
	return b
}

// batchable reports whether an async send of msg to t can join a batch.
func (e *pipeline) batchable(t Target, msg *Message) bool {
	if e.batcher == nil || msg == nil || len(t.IDs) != 1 {
		return false
	}
	switch t.Kind {
	case TargetRegID, TargetAlias, TargetUserAccount:
		return !strings.Contains(msg.RestrictedPackageName, ",")
	}
	return false
}

// add validates and encodes one message, accepts it (waiting for room and,
// when it opens a batch, for the rate limit, while ctx allows) and adds it
// to its batch, sending the batch when it is full.
func (bt *batcher) add(ctx context.Context, auth string, t Target, msg *Message, value any) error {
	e := bt.e
	if err := t.Validate(); err != nil {
		return err
	}
	if err := msg.Validate(); err != nil {
		return err
	}
	m := &call{e: e, msg: msg, value: value, async: true, batched: true, prune: true}
	m.target.Kind = t.Kind
	e.keepTarget(m, t.IDs)
	m.Ex.Req.Method, m.Ex.Req.Path = "POST", batchPath(t.Kind) // for the Observer
	key := batchKey{auth: auth, kind: t.Kind}
	if !msg.TimeToSend.IsZero() {
		key.at = msg.TimeToSend.UnixMilli()
	}

	sp, _ := e.scratch.Get().(*[]byte)
	if sp == nil {
		sp = new([]byte)
	}
	defer func() {
		if cap(*sp) <= maxScratch {
			e.scratch.Put(sp)
		}
	}()
	if e.s.AutoJobKey && msg.jobKey() == "" {
		m.jobKey = e.jobKeys.next()
		keyed := *msg
		keyed.JobKey = m.jobKey
		*sp = appendTargeted((*sp)[:0], t.IDs[0], &keyed)
	} else {
		*sp = appendTargeted((*sp)[:0], t.IDs[0], msg)
	}

	if e.closed.Load() {
		return ErrClosed
	}
	if err := e.blocked.stopForAuth(auth); err != nil {
		e.count.stopped.Add(1)
		return err
	}
	if err := e.adm.Acquire(ctx); err != nil {
		return err
	}
	for {
		bt.mu.Lock()
		if e.closed.Load() {
			bt.mu.Unlock()
			e.adm.Release(false)
			return ErrClosed
		}
		b := bt.open[key]
		if b == nil && (e.pacer.Pause(auth) > 0 || e.pacer.Limited() && !bt.takeTurn(auth)) {
			// Opening a batch: one request, one turn of the app's rate
			// limit (and the end of its pause after "too frequent").
			// Another sender may open it meanwhile: the turn is then kept
			// for the app's next batch.
			bt.mu.Unlock()
			if err := e.pacer.Pace(ctx, auth); err != nil {
				e.adm.Release(false)
				return err
			}
			if e.pacer.Limited() {
				bt.mu.Lock()
				bt.keepTurn(auth)
				bt.mu.Unlock()
			}
			continue
		}
		if b == nil {
			b = &batch{key: key, body: make([]byte, 0, 1024)}
			b.body = append(b.body, batchBodyStart...)
			b.timer = time.AfterFunc(bt.linger, func() { bt.expire(b) })
			bt.open[key] = b
		}
		if len(b.members) > 0 {
			b.body = append(b.body, batchBodySep...)
		}
		lo := len(b.body)
		b.body = appendFormEscaped(b.body, *sp)
		b.spans = append(b.spans, [2]int{lo, len(b.body)})
		b.members = append(b.members, m)
		e.sender.Admitted(true)
		if e.s.Observer != nil { // a message's Start is read only for the Observer's latency
			m.Start = time.Now()
		}
		full := len(b.members) >= bt.max
		if full {
			delete(bt.open, key)
			b.timer.Stop()
		}
		bt.mu.Unlock()
		if full {
			bt.emit(b)
		}
		return nil
	}
}

// expire sends b when its linger has passed, unless it went already.
func (bt *batcher) expire(b *batch) {
	bt.mu.Lock()
	mine := bt.open[b.key] == b
	if mine {
		delete(bt.open, b.key)
	}
	bt.mu.Unlock()
	if mine {
		bt.emit(b)
	}
}

// flushAll sends every batch being gathered.
func (bt *batcher) flushAll() {
	bt.mu.Lock()
	batches := make([]*batch, 0, len(bt.open))
	for k, b := range bt.open {
		b.timer.Stop()
		delete(bt.open, k)
		batches = append(batches, b)
	}
	bt.mu.Unlock()
	for _, b := range batches {
		bt.emit(b)
	}
}

// flushBatches sends every batch being gathered now (Flush, Close).
func (e *pipeline) flushBatches() {
	if e.batcher != nil {
		e.batcher.flushAll()
	}
}

// emit queues the request of a complete batch. Its members were accepted
// (and the rate limit paid) when they joined.
func (bt *batcher) emit(b *batch) {
	e := bt.e
	body := appendBatchBodyEnd(b.body, b.key.at)
	c := e.batchCall(b, body)
	e.pools.Route(&c.Call, "")
	c.Pool.Enqueue(&c.Ex)
}

// batchCall returns the call that sends b with body.
func (e *pipeline) batchCall(b *batch, body []byte) *call {
	c := &call{e: e, target: Target{Kind: b.key.kind}, async: true, batch: b}
	c.Ex.Req = wire.Request{Method: "POST", Path: batchPath(b.key.kind), Auth: b.key.auth, Body: body}
	e.sender.Prepare(&c.Call, c)
	c.Start = time.Now()
	c.Queued = c.Start // its QueueTimeout runs from when the batch goes out
	return c
}

// finishBatch records the outcome of a batch's request c for each of its
// messages, or splits a batch refused for what may be one message's
// content.
func (e *pipeline) finishBatch(c *call, res *Result, err error) {
	b := c.batch
	if err != nil && !b.split && len(b.members) > 1 && splittable(err) {
		for i := range b.members {
			e.sendPart(c, i, err)
		}
		return
	}
	if err == nil && res != nil && len(res.BadRegIDs) > 0 {
		e.finishBadRegIDs(c, res)
		return
	}
	for _, m := range b.members {
		m.SetTries(c.Tries())
		e.finish(m, res, err)
	}
}

// finishBadRegIDs records the outcome of an accepted batch whose answer
// lists bad regids as each message would have had it alone: a message
// whose one target is listed fails with the 20301 answer a send to no
// valid target gets, and the others succeed with a Result that lists
// none.
func (e *pipeline) finishBadRegIDs(c *call, res *Result) {
	valid := *res
	valid.BadRegIDs = nil
	for _, m := range c.batch.members {
		m.SetTries(c.Tries())
		if len(m.badRegIDs(res)) > 0 {
			e.finish(m, nil, &APIError{Code: CodeNoValidTargets, HTTPStatus: 200, TraceID: res.TraceID,
				Reason: "No valid targets! (the target is in bad_regids of its batch's answer)"})
			continue
		}
		e.finish(m, &valid, nil)
	}
}

// sendPart sends member i of the refused batch of c again, alone: a
// one-message request of the same bytes, after its turn of the rate
// limit. If Close has stopped retries, the member fails with err.
func (e *pipeline) sendPart(c *call, i int, err error) {
	b := c.batch
	span := b.spans[i]
	body := make([]byte, 0, len(batchBodyStart)+span[1]-span[0]+32)
	body = append(body, batchBodyStart...)
	body = append(body, b.body[span[0]:span[1]]...)
	body = appendBatchBodyEnd(body, b.key.at)
	part := &batch{key: b.key, spans: [][2]int{{len(batchBodyStart), len(batchBodyStart) + span[1] - span[0]}}, members: b.members[i : i+1], split: true}
	part.body = body
	pc := e.batchCall(part, body)
	pc.SetTries(c.Tries())
	pc.Pool, pc.Failover, pc.Ex.Req.Header = c.Pool, c.Failover, c.Ex.Req.Header
	if !e.sender.RetryPaced(&pc.Call, 0) {
		e.finish(pc, nil, err)
	}
}
