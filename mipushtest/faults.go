package mipushtest

import (
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Answer is what the server answers instead of its normal answer: a hook
// returns one (SetHook), and FailTarget and FailPath configure them.
//
// Which answer it makes:
//   - Body not nil: exactly Body, with Status (0 means 200) and
//     ContentType (empty means JSON);
//   - else Code not 0: a MiPush error {"result":"error",...} with Code,
//     Reason and Description (empty means the standard text for Code),
//     with HTTP Status (0 means 200);
//   - else Status of 400 or more: that HTTP status with a small HTML page,
//     as a front proxy answers (e.g. 502, 503, 504);
//   - else the normal answer.
//
// In every case Header is added to the response and Action applies, so
// &Answer{Action: Drop} drops the connection at that request and
// &Answer{Action: CloseGracefully} answers normally and then closes the connection.
type Answer struct {
	Status      int    // HTTP status; 0 means 200
	Code        int    // MiPush error code
	Reason      string // detail, e.g. "Invalid application secret."
	Description string // empty means the standard description of Code
	Body        []byte // the exact body, overriding the above
	ContentType string // of Body; empty means application/json

	Header http.Header // added to the response
	Action Action
}

// ErrorAnswer returns an Answer with the MiPush error code and reason, as the
// real server answers them (HTTP 200, "result":"error"), with the standard
// description of code.
func ErrorAnswer(code int, reason string) *Answer {
	return &Answer{Code: code, Reason: reason}
}

// StatusAnswer returns an Answer with the HTTP status and a small HTML page, as a
// front proxy answers (e.g. http.StatusServiceUnavailable).
func StatusAnswer(status int) *Answer {
	return &Answer{Status: status}
}

// Action is what the server does with a request besides answering it.
type Action int

const (
	// Respond answers the request; the connection stays open.
	Respond Action = iota
	// CloseGracefully answers the request and then closes the connection
	// gracefully: on HTTP/1.1 the answer carries "Connection: close", the
	// server sends TLS close_notify and a FIN, and it reads and discards
	// whatever the client still sends (requests after the answer are not
	// processed); on HTTP/2 the server sends GOAWAY and finishes the
	// streams it has already received.
	CloseGracefully
	// Drop processes the request (it is recorded and counted) but never
	// answers it: the connection is closed abruptly, without TLS
	// close_notify. Answers already given on the connection are delivered
	// first. The client cannot know whether the request was processed.
	Drop
	// Stall processes the request and never answers it, holding the
	// connection open until the client closes it or the server closes.
	Stall
)

// DropPoint says when a dropped request is dropped.
type DropPoint int

const (
	// DropUnprocessed drops the connection when the request has been read,
	// before processing it: the request is neither recorded nor counted.
	DropUnprocessed DropPoint = iota
	// DropProcessed processes the request (it is recorded and counted) and
	// then drops the connection without answering it.
	DropProcessed
)

// HostList is what the server announces for the official SDKs' host
// failover (X-PUSH-HOST-LIST and related response headers).
type HostList struct {
	// Hosts are sent in the X-PUSH-HOST-LIST response header, as
	// "host:min:max:decr:incr,...", to requests that carry the request
	// header "X-PUSH-HOST-LIST: true".
	Hosts []HostPriority
	// ClientTimeout, when positive, is sent as X-PUSH-CLIENT-TIMEOUT-MS
	// with every answer.
	ClientTimeout time.Duration
	// DisableAutoSelect sends "X-PUSH-DISABLE-AUTO-SELECT-DOMAIN: true"
	// with every answer.
	DisableAutoSelect bool
}

// HostPriority is one host of a HostList with its priority parameters.
type HostPriority struct {
	Host                 string
	Min, Max, Decr, Incr int
}

// behaviour is an immutable snapshot of everything that can be changed
// while serving. Changes copy it (Server.update); the serving path loads it
// once per request.
type behaviour struct {
	record  bool
	secrets map[string]bool // nil: any non-empty secret

	hook         func(*Request) *Answer
	pathFaults   map[string]*Answer
	targetFaults map[string]*Answer
	badRegIDs    map[string]bool
	badRegIDFunc func(string) bool

	delay     time.Duration
	delayFunc func(*Request) time.Duration
	stall     bool

	closeAfter int64

	dropAfter      int64
	dropAfterPoint DropPoint
	dropRate       float64
	dropRatePoint  DropPoint

	hostList      string
	clientTimeout string
	disableAuto   bool
}

// fresh reports whether a request must be a new *Request (not a reused
// scratch one), because something may keep it.
func (b *behaviour) fresh() bool {
	return b.record || b.hook != nil || b.delayFunc != nil
}

// isBad reports whether a registration id is marked bad.
func (b *behaviour) isBad(regID string) bool {
	if b.badRegIDs[regID] {
		return true
	}
	return b.badRegIDFunc != nil && b.badRegIDFunc(regID)
}

// hasBad reports whether any bad registration id is configured.
func (b *behaviour) hasBad() bool {
	return len(b.badRegIDs) > 0 || b.badRegIDFunc != nil
}

// dropAt reports whether the n-th request of a connection is to be dropped,
// and at which point.
func (b *behaviour) dropAt(n int64) (DropPoint, bool) {
	if b.dropAfter > 0 && n > b.dropAfter {
		return b.dropAfterPoint, true
	}
	if b.dropRate > 0 && rand.Float64() < b.dropRate {
		return b.dropRatePoint, true
	}
	return 0, false
}

func (b *behaviour) setSecrets(secrets []string) {
	b.secrets = nil
	if len(secrets) == 0 {
		return
	}
	b.secrets = make(map[string]bool, len(secrets))
	for _, s := range secrets {
		b.secrets[s] = true
	}
}

func (b *behaviour) setHostList(h *HostList) {
	b.hostList, b.clientTimeout, b.disableAuto = "", "", false
	if h == nil {
		return
	}
	var sb strings.Builder
	for i, hp := range h.Hosts {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(hp.Host)
		for _, v := range [...]int{hp.Min, hp.Max, hp.Decr, hp.Incr} {
			sb.WriteByte(':')
			sb.WriteString(strconv.Itoa(v))
		}
	}
	b.hostList = sb.String()
	if h.ClientTimeout > 0 {
		b.clientTimeout = strconv.FormatInt(h.ClientTimeout.Milliseconds(), 10)
	}
	b.disableAuto = h.DisableAutoSelect
}

// update applies f to a copy of the current behaviour and makes the copy
// current. f must copy any map it changes.
func (s *Server) update(f func(b *behaviour)) {
	s.behMu.Lock()
	defer s.behMu.Unlock()
	b := *s.beh.Load()
	f(&b)
	s.beh.Store(&b)
}

// SetSecrets sets the application secrets the server accepts. With none,
// it accepts any non-empty secret.
func (s *Server) SetSecrets(secrets ...string) {
	s.update(func(b *behaviour) { b.setSecrets(secrets) })
}

// SetRecording turns the recording of requests on or off. Counters (Count,
// Stats) are kept either way.
func (s *Server) SetRecording(on bool) {
	s.update(func(b *behaviour) { b.record = on })
}

// SetHook sets a function called for every request before any check of the
// server's own. A non-nil Answer replaces the server's answer (see Answer);
// nil lets the server answer normally. nil removes the hook. The hook is
// called from connection goroutines, concurrently for different
// connections; on one connection, HTTP/1.1 or HTTP/2, requests are
// processed one at a time in arrival order, so a hook that blocks holds
// up the whole connection. It may keep
// the Request, a copy made before the answer: its Status, Code and MsgID
// are zero. It must not modify Form, Targets or Body, which are shared
// with the recorded Request.
func (s *Server) SetHook(hook func(*Request) *Answer) {
	s.update(func(b *behaviour) { b.hook = hook })
}

// FailPath makes the server answer a for every request to path that
// passes the protocol checks (method, authorization, content type). A nil
// a removes the fault.
func (s *Server) FailPath(path string, a *Answer) {
	s.update(func(b *behaviour) { b.pathFaults = withEntry(b.pathFaults, path, a) })
}

// FailTarget makes the server answer a for every request, passing the
// protocol checks, whose targets (Request.Targets: registration ids,
// aliases, user accounts or topics) include target. A nil a removes the
// fault. In a multi-message send it scripts one bad message: the request
// holding a message to target is refused as a whole with a, as the server
// refuses a batch with one invalid message (a model: the real server's
// behaviour has no public source), while a request with the other
// messages alone is answered normally.
func (s *Server) FailTarget(target string, a *Answer) {
	s.update(func(b *behaviour) { b.targetFaults = withEntry(b.targetFaults, target, a) })
}

// SetBadRegIDs marks registration ids as bad, replacing the earlier set: a
// send to them lists them in data.bad_regids, and a send only to bad ones
// fails with code 20301 ("No valid targets!"). Validation, presence and
// region queries report them as invalid too.
func (s *Server) SetBadRegIDs(regIDs ...string) {
	s.update(func(b *behaviour) {
		b.badRegIDs = nil
		if len(regIDs) > 0 {
			b.badRegIDs = make(map[string]bool, len(regIDs))
			for _, id := range regIDs {
				b.badRegIDs[id] = true
			}
		}
	})
}

// SetBadRegIDFunc marks as bad, besides those of SetBadRegIDs, every
// registration id for which bad returns true. nil removes it. bad is called
// concurrently.
func (s *Server) SetBadRegIDFunc(bad func(regID string) bool) {
	s.update(func(b *behaviour) { b.badRegIDFunc = bad })
}

// SetDelay delays every answer by d, measured from when the request was
// read. On HTTP/1.1 a connection still answers in order: the delays of a
// pipelined burst read together overlap, while a request read later waits
// for the answers before it. On HTTP/2 each answer leaves at its own due
// time, out of order if the delays differ.
func (s *Server) SetDelay(d time.Duration) {
	s.update(func(b *behaviour) { b.delay = d })
}

// SetDelayFunc delays each answer by what delay returns for its request
// (replacing SetDelay while set). nil removes it. delay is called
// concurrently.
func (s *Server) SetDelayFunc(delay func(*Request) time.Duration) {
	s.update(func(b *behaviour) { b.delayFunc = delay })
}

// SetStall makes the server process every request and never answer (see
// Stall), for timeout tests. SetStall(false) affects only later requests.
func (s *Server) SetStall(on bool) {
	s.update(func(b *behaviour) { b.stall = on })
}

// SetCloseAfter makes the server close every connection gracefully after
// its n-th answer (see CloseGracefully); 0 turns it off.
func (s *Server) SetCloseAfter(n int) {
	s.update(func(b *behaviour) { b.closeAfter = int64(n) })
}

// SetDropAfter makes the server answer the first n requests of every
// connection and drop the connection abruptly at the next one, at point
// (see DropPoint and Drop); n of 0 turns it off.
func (s *Server) SetDropAfter(n int, point DropPoint) {
	s.update(func(b *behaviour) { b.dropAfter, b.dropAfterPoint = int64(n), point })
}

// SetDropRate makes the server drop the connection at each request with
// probability p, at point; 0 turns it off.
func (s *Server) SetDropRate(p float64, point DropPoint) {
	s.update(func(b *behaviour) { b.dropRate, b.dropRatePoint = p, point })
}

// SetHostList sets the host list the server announces; nil removes it.
func (s *Server) SetHostList(h *HostList) {
	s.update(func(b *behaviour) { b.setHostList(h) })
}

// ClearFaults removes every fault and control set by FailPath, FailTarget,
// SetHook, SetBadRegIDs, SetBadRegIDFunc, SetDelay, SetDelayFunc, SetStall,
// SetCloseAfter, SetDropAfter and SetDropRate. Secrets, recording and the
// host list stay.
func (s *Server) ClearFaults() {
	s.update(func(b *behaviour) {
		*b = behaviour{
			record:        b.record,
			secrets:       b.secrets,
			hostList:      b.hostList,
			clientTimeout: b.clientTimeout,
			disableAuto:   b.disableAuto,
		}
	})
}

// withEntry returns a copy of m with k set to a, or deleted if a is nil.
func withEntry(m map[string]*Answer, k string, a *Answer) map[string]*Answer {
	m = maps.Clone(m)
	if a == nil {
		delete(m, k)
		return m
	}
	if m == nil {
		m = make(map[string]*Answer)
	}
	m[k] = a
	return m
}
