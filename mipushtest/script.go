package mipushtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Script is a set of faults for rehearsing a campaign against the server,
// and a log of the requests it answers (see Server.SetScript). Its zero
// value scripts nothing.
type Script struct {
	// DropRate is the probability, 0 to 1, that the server drops the
	// connection at a request, before processing it (see SetDropRate
	// and DropUnprocessed): the client cannot know that it was not
	// processed. Dropped requests are not logged.
	DropRate float64
	// Delay delays every answer (see SetDelay).
	Delay time.Duration
	// Failures answer a MiPush error code to every request that names a
	// target matching a pattern.
	Failures []PatternFailure
	// RateLimit, when positive, is the most requests the server processes
	// in one second of its clock: the others of that second are answered
	// 10027 ("too frequent"), as the real server answers an app over its
	// quota.
	RateLimit int
	// Log, if not nil, receives one JSON line per request the server
	// answered or dropped after processing (see LogLine), written with one
	// call to Write. Writes are serialised.
	Log io.Writer
}

// codeTooFrequent is the code the real server answers an app calling the
// API too often, 10027 (应用的API调用太频繁; mipush.CodeTooFrequent, which
// this package cannot import: the client's tests import it).
const codeTooFrequent = 10027

// PatternFailure answers Code to the requests naming a target that matches
// Pattern, a path.Match pattern such as "r-9*".
type PatternFailure struct {
	Pattern string
	Code    int
}

// ParsePatternFailure parses "CODE:PATTERN", e.g. "10017:r-9*".
func ParsePatternFailure(s string) (PatternFailure, error) {
	c, p, ok := strings.Cut(s, ":")
	code, err := strconv.Atoi(c)
	if !ok || err != nil || code <= 0 || p == "" {
		return PatternFailure{}, fmt.Errorf("want CODE:PATTERN, e.g. 10017:r-9*, got %q", s)
	}
	if _, err := path.Match(p, ""); err != nil {
		return PatternFailure{}, fmt.Errorf("pattern %q: %v", p, err)
	}
	return PatternFailure{Pattern: p, Code: code}, nil
}

// LogLine is one line of a Script's request log.
type LogLine struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"` // when the server read the request
	Path    string    `json:"path"`
	Targets []string  `json:"targets,omitempty"` // Request.Targets
	Status  int       `json:"status"`            // 0: dropped after processing, unanswered
	Code    int       `json:"code"`              // the MiPush code answered; 0 is success
	// Bad are the targets of a successful send to registration ids that the
	// server reported as bad (SetBadRegIDs, SetBadRegIDFunc).
	Bad []string `json:"bad,omitempty"`
	// Warnings are the request's Warnings: what the server accepted but
	// the real service may not (a notification without
	// extra.notify_effect).
	Warnings []string `json:"warnings,omitempty"`
}

// Accepted reports whether the server accepted the request: it answered
// it with success.
func (l *LogLine) Accepted() bool { return l.Status == 200 && l.Code == 0 }

// SetScript replaces the faults DropRate, Delay, Failures and RateLimit
// configure (SetDropRate, SetDelay or SetDelayFunc, SetHook) with those of
// sc, and starts its log. A Script with a Log uses SetDelayFunc, so a
// later SetDelay or SetDelayFunc ends the log.
func (s *Server) SetScript(sc Script) error {
	if sc.DropRate < 0 || sc.DropRate > 1 {
		return fmt.Errorf("mipushtest: Script.DropRate must be 0 to 1, got %v", sc.DropRate)
	}
	if sc.Delay < 0 || sc.RateLimit < 0 {
		return errors.New("mipushtest: Script.Delay and Script.RateLimit must not be negative")
	}
	for _, f := range sc.Failures {
		if _, err := path.Match(f.Pattern, ""); err != nil || f.Code <= 0 {
			return fmt.Errorf("mipushtest: Script.Failures: bad pattern %q or code %d", f.Pattern, f.Code)
		}
	}
	p := &player{s: s, sc: sc}
	s.SetDropRate(sc.DropRate, DropUnprocessed)
	var hook func(*Request) *Answer
	if len(sc.Failures) > 0 || sc.RateLimit > 0 {
		hook = p.hook
	}
	s.SetHook(hook)
	if sc.Log == nil {
		s.SetDelayFunc(nil)
		s.SetDelay(sc.Delay)
		return nil
	}
	s.SetDelay(0)
	s.SetDelayFunc(p.logAndDelay)
	return nil
}

// player plays a Script.
type player struct {
	s  *Server
	sc Script

	mu     sync.Mutex
	second int64 // the second of the server's clock being counted
	count  int   // requests processed in it
	line   []byte
}

// hook answers the scripted failures and the rate limit.
func (p *player) hook(r *Request) *Answer {
	if p.sc.RateLimit > 0 && p.overRate(r.Time) {
		return ErrorAnswer(codeTooFrequent, "scripted rate limit: more than "+strconv.Itoa(p.sc.RateLimit)+" requests per second")
	}
	for _, f := range p.sc.Failures {
		for _, t := range r.Targets {
			if ok, _ := path.Match(f.Pattern, t); ok {
				return ErrorAnswer(f.Code, "scripted failure for targets matching "+f.Pattern)
			}
		}
	}
	return nil
}

// overRate counts a request read at t and reports whether it is over the
// rate limit of its second.
func (p *player) overRate(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sec := t.Unix(); sec != p.second {
		p.second, p.count = sec, 0
	}
	p.count++
	return p.count > p.sc.RateLimit
}

// logAndDelay writes the log line of r, which has its answer, and returns
// the scripted delay.
func (p *player) logAndDelay(r *Request) time.Duration {
	l := LogLine{Seq: r.Seq, Time: r.Time, Path: r.Path, Targets: r.Targets, Status: r.Status, Code: r.Code, Warnings: r.Warnings}
	if l.Accepted() && strings.Contains(r.Path, "regid") {
		if b := p.s.beh.Load(); b.hasBad() {
			for _, t := range r.Targets {
				if b.isBad(t) {
					l.Bad = append(l.Bad, t)
				}
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := json.Marshal(&l)
	if err == nil {
		p.line = append(append(p.line[:0], b...), '\n')
		_, _ = p.sc.Log.Write(p.line) // best effort: the log must not stop the server
	}
	return p.sc.Delay
}
