package mipush

import "time"

// Sharing quota stops with other clients (StopSharer). A client whose
// Options.Limiter implements StopSharer publishes each quota stop it arms
// or re-arms after an answer (ShareStop, until its next probe), and each
// one it lifts, after a successful probe or by Unblock (ClearStop). Before
// it accepts a single send of a class it is not stopping itself, it asks
// SharedStop and, if another client stopped the class, stops it too until
// that client's end, as if the answer had come to it. When the interval
// of one of its stops has passed it asks again before it lets the probe
// go: a failed probe elsewhere has moved the end, and then this client
// waits for it instead of probing.
//
// Wrong-secret stops are not shared. A wrong secret is a configuration
// error, which each instance finds with one request per AuthProbeInterval
// (5 minutes by default), so sharing would save little; and they cover
// every call, batches and statistics included, whose paths would all have
// to ask the sharer.
//
// The sharer is called with b.mu held, so that it hears of the changes of
// one stop in their order; StopSharer's methods return at once.

// sharedQuotaReason is the Reason of the answer a shared stop stands for:
// the interface carries only the stop's end, not the answer.
const sharedQuotaReason = "daily quota of this message class used up: a stop shared by another client of the app"

// adopt arms the quota stop of c's class if another client shared one in
// force and this client has none of its own.
func (b *blocks) adopt(c *call) {
	app := c.e.pacer.Digest(c.Ex.Req.Auth)
	if _, ok := b.sharer.SharedStop(app, c.quotaKey.class); !ok {
		return // the fast path: no lock
	}
	b.mu.Lock()
	if b.m[c.quotaKey] != nil {
		b.mu.Unlock() // stopForKeys decides, and asks again once it may probe
		return
	}
	// Ask again under the lock: a probe of this client may have cleared
	// the stop since.
	until, ok := b.sharer.SharedStop(app, c.quotaKey.class)
	now := time.Now()
	if !ok || !now.Before(until) {
		b.mu.Unlock()
		return
	}
	cause := &APIError{Code: CodeOverQuota, Reason: sharedQuotaReason}
	b.m[c.quotaKey] = &stop{key: c.quotaKey, cause: cause, since: now, next: until, app: app}
	b.n.Add(1)
	b.started.Add(1)
	b.mu.Unlock()
	b.announce(stopEvent{key: c.quotaKey, kind: stopAdopted, cause: cause, d: until.Sub(now)}, "")
}

// extendLocked moves the end of the quota stop s, whose interval has
// passed, to the end of a stop of its class another client shared since,
// if that is later than now: then no probe goes from here. b.mu is held.
func (b *blocks) extendLocked(s *stop, now time.Time) (stopEvent, bool) {
	if s.app == "" {
		return stopEvent{}, false
	}
	until, ok := b.sharer.SharedStop(s.app, s.key.class)
	if !ok || !now.Before(until) {
		return stopEvent{}, false
	}
	s.next = until
	return stopEvent{key: s.key, kind: stopExtended, cause: s.cause, d: until.Sub(now)}, true
}

// shareLocked publishes the quota stop s, just armed or re-armed after an
// answer to c, until its next probe. b.mu is held.
func (b *blocks) shareLocked(s *stop, c *call) {
	if b.sharer == nil || !s.key.quota {
		return
	}
	if s.app == "" {
		s.app = c.e.pacer.Digest(c.Ex.Req.Auth)
	}
	b.sharer.ShareStop(s.app, s.key.class, s.next)
}
