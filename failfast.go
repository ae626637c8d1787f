package mipush

import (
	"sync"
	"sync/atomic"
	"time"
)

// failFastError fails a send without sending it, because an earlier answer
// for the same app secret (a wrong secret, or the daily quota) means it
// cannot succeed. It unwraps to that answer, so IsAuth and IsQuotaExceeded
// hold for it too.
type failFastError struct {
	cause *APIError
	until time.Time // zero: until Client.Unblock
}

func (e *failFastError) Error() string {
	s := "mipush: not sent: an earlier answer stops every send of this app"
	if !e.until.IsZero() {
		s += " until " + e.until.Format(time.RFC3339)
	}
	return s + ": " + e.cause.Error()
}

func (e *failFastError) Unwrap() error { return e.cause }

// blocks holds the fail-fast state per app secret ("key=<secret>").
type blocks struct {
	any atomic.Bool // fast path: nothing is blocked
	m   sync.Map    // auth → *failFastError
}

// check returns the error that stops sends for auth, or nil.
func (b *blocks) check(auth string) error {
	if !b.any.Load() {
		return nil
	}
	v, ok := b.m.Load(auth)
	if !ok {
		return nil
	}
	ff := v.(*failFastError)
	if !ff.until.IsZero() && !time.Now().Before(ff.until) {
		b.m.CompareAndDelete(auth, v)
		return nil
	}
	return ff
}

// observe blocks auth after an authentication or daily-quota answer and
// reports whether it did.
func (b *blocks) observe(auth string, e *APIError) *failFastError {
	var ff *failFastError
	switch Code(e.Code) {
	case CodeAuthFailed, CodeBadSecret:
		ff = &failFastError{cause: e}
	case CodeDailyLimit, CodeOverQuota:
		ff = &failFastError{cause: e, until: nextBeijingMidnight(time.Now())}
	default:
		return nil
	}
	b.m.Store(auth, ff)
	b.any.Store(true)
	return ff
}

// clear lets sends for auth through again.
func (b *blocks) clear(auth string) { b.m.Delete(auth) }

// nextBeijingMidnight is when the quota day after t begins.
// MiPush's quota day follows Beijing time (UTC+8, no daylight time).
func nextBeijingMidnight(t time.Time) time.Time {
	beijing := time.FixedZone("CST", 8*60*60)
	y, m, d := t.In(beijing).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, beijing)
}

// Unblock lets sends with this client's app secret through again after an
// authentication failure (21301) or a daily-quota answer (10034, 200001)
// made the client fail them at once. A quota block also ends by itself
// when the quota day ends (midnight, Beijing time).
func (c *Client) Unblock() {
	if c.invalid() == nil {
		c.e.blocked.clear(string(*c.auth))
	}
}
