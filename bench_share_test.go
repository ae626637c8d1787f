package mipush

import (
	"context"
	"sync"
	"testing"
	"time"
)

// noWaitLimiter is a Limiter that never waits and shares nothing.
type noWaitLimiter struct{}

func (noWaitLimiter) Wait(context.Context, string, int) error { return nil }

// mapSharer is a Limiter that never waits and shares stops in a map under
// a mutex, as a StopSharer's local copy is kept.
type mapSharer struct {
	noWaitLimiter
	mu sync.Mutex
	m  map[[2]string]time.Time
}

func (s *mapSharer) ShareStop(app, class string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[[2]string]time.Time)
	}
	if k := [2]string{app, class}; until.After(s.m[k]) {
		s.m[k] = until
	}
}

func (s *mapSharer) SharedStop(app, class string) (time.Time, bool) {
	s.mu.Lock()
	until, ok := s.m[[2]string{app, class}]
	s.mu.Unlock()
	if !ok || !time.Now().Before(until) {
		return time.Time{}, false
	}
	return until, true
}

func (s *mapSharer) ClearStop(app, class string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, [2]string{app, class})
}

// BenchmarkStopCheck is the client-side stop check of a single send when
// it is accepted and no stop is in force: without a StopSharer (the fast
// path), and with one that holds a stop of another class.
func BenchmarkStopCheck(b *testing.B) {
	for _, name := range []string{"plain", "sharer"} {
		b.Run(name, func(b *testing.B) {
			s := settings{Options: Options{Limiter: noWaitLimiter{}}}
			if name == "sharer" {
				sh := &mapSharer{}
				sh.ShareStop(AppDigest("s"), "other", time.Now().Add(time.Hour))
				s.Limiter = sh
			}
			e := &pipeline{}
			e.blocked.init(s)
			c := &call{e: e, quotaKey: stopKey{auth: "key=s", quota: true}}
			c.Ex.Req.Auth = "key=s"
			b.ReportAllocs()
			for b.Loop() {
				if err := e.blocked.stopFor(c, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPushToRegIDAsyncStopSharer is BenchmarkPushToRegIDAsync on one
// connection at RTT 0, with a Limiter that never waits and either shares
// no stops or is a StopSharer, which the client asks before each send.
func BenchmarkPushToRegIDAsyncStopSharer(b *testing.B) {
	for _, h2 := range []bool{false, true} {
		b.Run(protoName(h2)+"/limiter", func(b *testing.B) {
			benchAsync(b, h2, 1, 0, func(o *Options) { o.Limiter = noWaitLimiter{} })
		})
		b.Run(protoName(h2)+"/sharer", func(b *testing.B) {
			benchAsync(b, h2, 1, 0, func(o *Options) { o.Limiter = &mapSharer{} })
		})
	}
}
