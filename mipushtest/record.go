package mipushtest

import (
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/mipush-go/mipush/internal/ascii"
)

// Request is one request the server processed, as recorded (see
// Server.Requests) and as given to a hook (see Server.SetHook). A recorded
// Request is never modified.
type Request struct {
	// Seq is the request's 1-based position among all the requests the
	// server processed.
	Seq int64
	// Conn is the 1-based index of the connection it came on, in the order
	// the server accepted connections.
	Conn int
	// Proto is "h1" or "h2".
	Proto string
	// Time is when the server read the request.
	Time time.Time

	Method   string
	Path     string // without the query
	RawQuery string

	// Header holds all the request header fields. It is nil when recording
	// is off and neither a hook nor a delay function is set.
	Header http.Header
	// Authorization is the Authorization header field.
	Authorization string
	// Secret is the application secret taken from Authorization
	// ("key=<secret>"), or "".
	Secret string
	// ContentType is the Content-Type header field.
	ContentType string

	// Body is the raw request body.
	Body []byte
	// Form holds the parameters: those of the query string, then (for a
	// POST) those of the form body, merged as a servlet container merges
	// them (the real server took a POST's parameters in the query string
	// too). Source says where each came from.
	Form url.Values
	// TargetParam names the parameter holding the targets
	// ("registration_id", "alias", "user_account", "topic", "topics",
	// "messages", ...), or "" if the path has none.
	TargetParam string
	// Targets are the targets the request names: registration ids, aliases,
	// user accounts or topics, split from TargetParam (for multi_messages,
	// the target of each message).
	Targets []string
	// Messages are the messages of a multi-message send
	// (/v2/multi_messages/*), in order, each with its target; nil for
	// other requests, when the messages parameter is not a JSON array of
	// objects, and when nothing keeps the request (recording off, no hook
	// or delay function).
	Messages []BatchMessage

	// Status is the HTTP status the server answered (0 if it did not
	// answer: a dropped or stalled request).
	Status int
	// Code is the MiPush code it answered (0: success).
	Code int
	// MsgID is data.id of a successful send, or "".
	MsgID string
	// Warnings name what the server accepted but the real service may
	// not: a notification without extra.notify_effect, a retired custom
	// notification message (see Options.Strict).
	// For a multi-message send each warning starts with the message's
	// place ("messages[2]: "). Nil when there is nothing to say.
	Warnings []string
}

// Where a parameter came from, as Request.Source reports it.
const (
	FromQuery = "query"          // the query string only
	FromBody  = "body"           // the form body only
	FromBoth  = "query and body" // both: Form holds the query's values first
)

// Source says where the parameter name of r.Form came from: FromQuery,
// FromBody, FromBoth, or "" when the request did not carry it.
func (r *Request) Source(name string) string {
	inQuery := hasParam(r.RawQuery, name)
	inBody := r.Method == http.MethodPost && ascii.HasPrefixFold(r.ContentType, "application/x-www-form-urlencoded") &&
		hasParam(string(r.Body), name)
	switch {
	case inQuery && inBody:
		return FromBoth
	case inQuery:
		return FromQuery
	case inBody:
		return FromBody
	}
	return ""
}

// hasParam reports whether the URL-encoded parameters q hold name.
func hasParam(q, name string) bool {
	v := make(url.Values)
	parseForm(v, q)
	_, ok := v[name]
	return ok
}

// BatchMessage is one message of a multi-message send, as recorded.
type BatchMessage struct {
	// Target is the message's registration id, alias or user account.
	Target string
	// Form holds the message's fields as a single send carries them:
	// top-level keys as they are ("payload", "title", "notify_id"),
	// entries of "extra" as "extra.<key>", entries of "aps_proper_fields"
	// as "aps_proper_fields.<key>", numbers in decimal.
	Form url.Values
}

// Stats are the counters of a server since it started or since Reset.
type Stats struct {
	// Conns is the number of connections accepted.
	Conns int
	// OpenConns is the number of connections open now.
	OpenConns int
	// Requests is the number of requests processed (recorded or not).
	Requests int64
	// MaxInFlight is the largest number of requests observed in flight on
	// one connection at once (see ConnStat.MaxInFlight).
	MaxInFlight int64
}

// ConnStat describes one connection.
type ConnStat struct {
	// Index is the connection's 1-based index (Request.Conn).
	Index int
	// Proto is "h1", "h2", or "" before the TLS handshake completed.
	Proto string
	// Requests is the number of requests read on the connection, including
	// those dropped before processing.
	Requests int64
	// Answered is the number of requests answered on it.
	Answered int64
	// MaxInFlight is the largest number of requests that were in the server
	// at once on this connection: on HTTP/1.1 requests read (pipelined) and
	// not yet answered, on HTTP/2 concurrent streams being handled. More
	// than 1 proves that the client pipelines or multiplexes.
	MaxInFlight int64
	// Open reports whether the connection is still open.
	Open bool
}

// recorder keeps the recorded requests.
type recorder struct {
	mu   sync.Mutex
	reqs []*Request
}

func (r *recorder) add(req *Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
}

// Requests returns the requests recorded since the server started or since
// Reset, in the order they were processed. The slice is a copy; the
// Requests are shared and must not be modified.
func (s *Server) Requests() []*Request {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return slices.Clone(s.rec.reqs)
}

// RequestsTo returns the recorded requests to path.
func (s *Server) RequestsTo(path string) []*Request {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	var out []*Request
	for _, r := range s.rec.reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// Count returns the number of requests processed since the server started
// or since Reset, whether recorded or not.
func (s *Server) Count() int64 { return s.seq.Load() }

// Reset forgets the recorded requests, resets the counters and the
// connection statistics (connections still open stay listed, with zeroed
// counters), and forgets the server-side state (scheduled jobs, topic
// subscriptions, channels, quotas, private channels and templates).
// Faults stay.
func (s *Server) Reset() {
	s.rec.mu.Lock()
	s.rec.reqs = nil
	s.seq.Store(0)
	s.rec.mu.Unlock()

	s.mu.Lock()
	s.stats = s.stats[:0]
	for c := range s.conns {
		c.requests.Store(0)
		c.answered.Store(0)
		c.maxInFlight.Store(0)
		s.stats = append(s.stats, c)
	}
	slices.SortFunc(s.stats, func(a, b *conn) int { return a.index - b.index })
	s.mu.Unlock()

	s.state.reset()
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := Stats{Requests: s.seq.Load()}
	s.mu.Lock()
	defer s.mu.Unlock()
	st.Conns = len(s.stats)
	st.OpenConns = len(s.conns)
	for _, c := range s.stats {
		st.MaxInFlight = max(st.MaxInFlight, c.maxInFlight.Load())
	}
	return st
}

// ConnStats describes the connections accepted since the server started or
// since Reset, in the order they were accepted.
func (s *Server) ConnStats() []ConnStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConnStat, len(s.stats))
	for i, c := range s.stats {
		_, open := s.conns[c]
		out[i] = ConnStat{
			Index:       c.index,
			Proto:       c.protoName(),
			Requests:    c.requests.Load(),
			Answered:    c.answered.Load(),
			MaxInFlight: c.maxInFlight.Load(),
			Open:        open,
		}
	}
	return out
}
