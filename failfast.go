package mipush

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Client-side stops ("fail-fast"). Some answers mean that sending the same
// kind of request again at once cannot succeed: a wrong app secret (21301,
// 22008) refuses every call made with it, and a daily-quota answer (10034,
// 200001) refuses the single sends of one message class. After such an
// answer the client fails those requests itself, without sending them,
// instead of flooding the server. Each stop is a circuit breaker: once its
// interval has passed one attempt (the probe) goes out; an answer other
// than the one that armed the stop lifts it, the same answer arms it again
// for another interval, and no verdict (a broken connection, a retryable
// answer, or for a quota stop a wrong-secret answer) leaves the next
// request to probe.
//
// The quota is per message class (Xiaomi's push-limits page: private
// messages, those with an approved extra.channel_id, are unlimited), so a quota stop covers
// only (app secret, channel id); "" is the default class. Calls other than
// single sends (statistics, trace, revoke, channels, subscriptions, device
// tools, multi-message sends) are never stopped for quota.
//
// When Options.Limiter implements StopSharer, quota stops are shared with
// every client that uses it (see stopshare.go); wrong-secret stops stay
// local.

// Defaults of the probe intervals of the client-side stops.
const (
	// DefaultQuotaProbeInterval is how long single sends of a message
	// class stop after a daily-quota answer before one probes.
	DefaultQuotaProbeInterval = time.Minute
	// DefaultAuthProbeInterval is how long calls with an app secret stop
	// after a wrong-secret (or app-blacklisted) answer before one probes.
	DefaultAuthProbeInterval = 5 * time.Minute
)

// stopKey names what one stop covers.
type stopKey struct {
	auth  string // "key=<secret>"
	class string // a quota stop's message class: the channel id, "" by default
	quota bool   // a daily-quota stop; false: a wrong-secret stop
}

// stop is one client-side stop in force.
type stop struct {
	key   stopKey
	cause *APIError
	since time.Time
	next  time.Time // from then on, one attempt may probe
	probe *call     // the call whose attempt is the probe; nil if none
	app   string    // AppDigest of the secret, for the StopSharer; "" without one
}

// stopError returns the error with which s fails a call now.
func stopError(s *stop) *failFastError {
	return &failFastError{cause: s.cause, quota: s.key.quota, class: s.key.class, next: s.next, probing: s.probe != nil}
}

// quotaStopKey is the quota stop a single send of msg with auth falls under.
func quotaStopKey(auth string, msg *Message) stopKey {
	return stopKey{auth: auth, class: msg.channelID(), quota: true}
}

// blocks holds the client-side stops of one engine.
type blocks struct {
	off                         bool // Options.DisableFailFast
	quotaInterval, authInterval time.Duration
	log                         *slog.Logger
	sharer                      StopSharer // Options.Limiter's, if it shares stops

	n              atomic.Int32 // stops in force; 0 is the fast path
	started, ended atomic.Int64

	mu sync.Mutex
	m  map[stopKey]*stop
}

func (b *blocks) init(s settings) {
	b.off = s.DisableFailFast
	b.quotaInterval, b.authInterval = s.QuotaProbeInterval, s.AuthProbeInterval
	b.log = s.Logger
	b.m = make(map[stopKey]*stop)
	if sh, ok := s.Limiter.(StopSharer); ok && !s.DisableFailFast {
		b.sharer = sh
	}
}

// keys returns the stops that may cover c: the one of its app secret and,
// for a single send, the one of its message class.
func (b *blocks) keys(c *call) (keys [2]stopKey, n int) {
	keys[0] = stopKey{auth: c.Ex.Req.Auth}
	if c.quotaKey.quota {
		keys[1] = c.quotaKey
		return keys, 2
	}
	return keys, 1
}

// stopFor returns the error that stops c now, or nil. With claim (just
// before an attempt is written) c takes the probe of every stop covering
// it whose interval has passed; without (when c is accepted) such a stop
// lets c through to the queue, where the gate decides.
func (b *blocks) stopFor(c *call, claim bool) error {
	if b.sharer != nil && !claim && c.quotaKey.quota {
		b.adopt(c)
	}
	if b.n.Load() == 0 {
		return nil
	}
	keys, n := b.keys(c)
	return b.stopForKeys(keys[:n], c, claim)
}

// stopForAuth returns the error that stops every call with auth now, or
// nil, without claiming a probe: for a message joining a batch, whose
// request takes the probe when it is written.
func (b *blocks) stopForAuth(auth string) error {
	if b.n.Load() == 0 {
		return nil
	}
	return b.stopForKeys([]stopKey{{auth: auth}}, nil, false)
}

// stopForKeys is stopFor for the stops of keys, c being the call that may
// hold or claim their probe.
func (b *blocks) stopForKeys(keys []stopKey, c *call, claim bool) error {
	now := time.Now()
	var extended stopEvent
	b.mu.Lock()
	defer func() {
		b.mu.Unlock()
		if extended.cause != nil {
			b.announce(extended, "")
		}
	}()
	var free [2]*stop
	for i, k := range keys {
		s := b.m[k]
		if s == nil || (c != nil && s.probe == c) {
			continue
		}
		if s.probe != nil || now.Before(s.next) {
			return stopError(s)
		}
		if ev, ok := b.extendLocked(s, now); ok {
			extended = ev
			return stopError(s)
		}
		free[i] = s
	}
	if claim {
		for _, s := range free {
			if s != nil {
				s.probe = c
			}
		}
	}
	return nil
}

// stopEvent is something to log once the lock is released.
type stopEvent struct {
	key   stopKey
	kind  stopEventKind
	cause *APIError
	d     time.Duration // until the probe (started, rearmed), or the stop's length (ended)
}

type stopEventKind int

const (
	stopStarted stopEventKind = iota
	stopRearmed
	stopEnded
	stopAdopted  // started from a stop another client shared
	stopExtended // re-armed, without a probe, until another client's later end
)

// learn records the outcome of one attempt of c that went out: ae is
// the error answer, nil for a success; answered is false when no answer
// came (the connection failed). It arms or re-arms a stop after a
// wrong-secret or daily-quota answer and ends the probes c holds.
func (b *blocks) learn(c *call, answered bool, ae *APIError) {
	var armAuth, armQuota bool
	if ae != nil {
		armAuth, armQuota = stopKind(ae)
		armQuota = armQuota && c.quotaKey.quota // only single sends have a class
		if b.off {
			armAuth, armQuota = false, false
		}
	}
	if b.n.Load() == 0 && !armAuth && !armQuota {
		return
	}
	keys, n := b.keys(c)
	now := time.Now()
	var events [2]stopEvent
	ne := 0
	b.mu.Lock()
	for i, k := range keys[:n] {
		s := b.m[k]
		arm := (i == 0 && armAuth) || (i == 1 && armQuota)
		switch {
		case arm && s == nil:
			s = &stop{key: k, cause: ae, since: now, next: now.Add(b.interval(k))}
			b.m[k] = s
			b.n.Add(1)
			b.started.Add(1)
			b.shareLocked(s, c)
			events[ne] = stopEvent{key: k, kind: stopStarted, cause: ae, d: b.interval(k)}
			ne++
		case s == nil || s.probe != c:
			// Not c's probe: an answer to a request written before the
			// stop began says nothing new.
		case arm:
			s.cause, s.next, s.probe = ae, now.Add(b.interval(k)), nil
			b.shareLocked(s, c)
			events[ne] = stopEvent{key: k, kind: stopRearmed, cause: ae, d: b.interval(k)}
			ne++
		case !answered || (ae != nil && (classify(ae) != classFail || (k.quota && isAuthCode(ae)))):
			// No verdict on this stop (no answer, a retryable one, or a
			// wrong secret, which says nothing of the quota): the next
			// attempt probes. A quota answer does prove the secret right.
			s.probe = nil
		default:
			b.removeLocked(s)
			events[ne] = stopEvent{key: k, kind: stopEnded, d: now.Sub(s.since)}
			ne++
		}
	}
	b.mu.Unlock()
	for _, ev := range events[:ne] {
		b.announce(ev, "probe")
	}
}

func (b *blocks) interval(k stopKey) time.Duration {
	if k.quota {
		return b.quotaInterval
	}
	return b.authInterval
}

// removeLocked lifts s, for the other clients too if it was shared; b.mu
// is held.
func (b *blocks) removeLocked(s *stop) {
	delete(b.m, s.key)
	b.n.Add(-1)
	b.ended.Add(1)
	if s.app != "" {
		b.sharer.ClearStop(s.app, s.key.class)
	}
}

// clear lifts every stop of auth at once.
func (b *blocks) clear(auth string) {
	if b.n.Load() == 0 {
		return
	}
	now := time.Now()
	var events []stopEvent
	b.mu.Lock()
	for k, s := range b.m {
		if k.auth == auth {
			b.removeLocked(s)
			events = append(events, stopEvent{key: k, kind: stopEnded, d: now.Sub(s.since)})
		}
	}
	b.mu.Unlock()
	for _, ev := range events {
		b.announce(ev, "Unblock")
	}
}

// announce logs a stop's start (warn), a failed probe or an extension
// (debug) or its end (info). The secret is never logged.
func (b *blocks) announce(ev stopEvent, by string) {
	scope := "app secret"
	if ev.key.quota {
		scope = "message class"
	}
	switch ev.kind {
	case stopStarted:
		b.log.Warn("mipush: client-side stop started", "scope", scope, "class", ev.key.class,
			"code", int(ev.cause.Code), "reason", ev.cause.Reason, "probe_in", ev.d)
	case stopRearmed:
		b.log.Debug("mipush: probe refused; client-side stop re-armed", "scope", scope, "class", ev.key.class,
			"code", int(ev.cause.Code), "probe_in", ev.d)
	case stopAdopted:
		b.log.Warn("mipush: client-side stop started, shared by another client", "scope", scope, "class", ev.key.class,
			"probe_in", ev.d)
	case stopExtended:
		b.log.Debug("mipush: client-side stop extended by another client", "scope", scope, "class", ev.key.class,
			"probe_in", ev.d)
	default:
		b.log.Info("mipush: client-side stop ended", "scope", scope, "class", ev.key.class,
			"lasted", ev.d, "by", by)
	}
}

// Unblock lifts at once every client-side stop of this client's app
// secret: the one after a wrong-secret answer (21301, 22008) and those of
// every message class after a daily-quota answer (10034, 200001). Stops
// also lift by themselves when a probe succeeds; see
// Options.DisableFailFast. With a Limiter that implements StopSharer it
// clears the shared stops of those classes too, so that clients which
// have not yet stopped them do not; clients already stopping a class
// keep their stop until its next probe.
func (c *Client) Unblock() {
	if c.invalid() == nil {
		c.e.blocked.clear(string(*c.auth))
	}
}
