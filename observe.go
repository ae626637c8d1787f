package mipush

import (
	"errors"
	"sync/atomic"
	"time"
)

// Metrics is a snapshot of a client's counters, from Client.Metrics. The
// counters count from the client's creation.
type Metrics struct {
	ConnsOpen     int   // connections open now, all hosts
	ConnsDialled  int64 // connections established
	ConnsRecycled int64 // connections retired at Options.ConnMaxAge
	DialErrors    int64 // failed dials and TLS handshakes

	// Pending counts the calls accepted and not yet ended: sync and
	// async sends, each message of a batch, and management calls. A sync
	// call ends when it returns its outcome, an async one once its
	// callback (if any) has returned, so Pending may exceed MaxPending,
	// which bounds only the calls whose outcome is not yet decided.
	Pending  int64
	InFlight int // requests handed to connections and not yet answered

	Accepted  int64 // sends (and other calls) accepted
	Succeeded int64
	// Failed counts every failed send; the next three split it by cause.
	Failed         int64
	FailedAPI      int64 // an error answer from the server
	MaybeProcessed int64 // connection broke or timed out after writing
	FailedOther    int64 // dial errors, fail-fast, Close, ...

	// Stopped counts sends failed fast, unsent, because an earlier answer
	// (a wrong secret, the daily quota) stopped the app's sends: refused
	// at once or, when accepted before the stop, failed with a failure
	// FailedOther also counts.
	Stopped int64

	// Requests counts the requests that reached a server: answered, or
	// written before the connection broke or timed out. A retry counts
	// again; a batch of messages (Options.Batch) counts once; a request
	// re-sent because it surely was not processed counts once.
	Requests int64

	Retried  int64 // attempts sent again after a retryable answer or (at-least-once) a broken connection
	Requeued int64 // requests the server surely did not process, sent again

	Window      int   // the in-flight limit of each connection
	RetryBudget int64 // retry tokens left; -1 when the budget is off

	// Client-side stops (see Options.DisableFailFast): Stops is how
	// many are in force now, one per app secret after a wrong-secret
	// answer and one per (app secret, message class) after a daily-quota
	// answer; StopsStarted and StopsEnded count those begun and lifted
	// (by a probe or Client.Unblock). Calls failed by a stop count in
	// FailedOther.
	Stops        int
	StopsStarted int64
	StopsEnded   int64
}

// counters are the engine's live metrics.
type counters struct {
	dialErrors, succeeded, failed, failedAPI, maybe, stopped atomic.Int64 // accepted, retried, requeued: engine.Sender's
}

// Metrics returns a snapshot of the client's counters.
func (c *Client) Metrics() Metrics {
	if c.invalid() != nil {
		return Metrics{}
	}
	e := c.e
	m := Metrics{
		DialErrors:     e.count.dialErrors.Load(),
		Pending:        e.adm.Active.Load(),
		Accepted:       e.sender.Accepted.Load(),
		Succeeded:      e.count.succeeded.Load(),
		Failed:         e.count.failed.Load(),
		FailedAPI:      e.count.failedAPI.Load(),
		MaybeProcessed: e.count.maybe.Load(),
		Requests:       e.sender.Requests.Load(),
		Retried:        e.sender.Retried.Load(),
		Requeued:       e.sender.Requeued.Load(),
		Stopped:        e.count.stopped.Load(),
		Window:         e.s.Window,
		RetryBudget:    -1,
		Stops:          int(e.blocked.n.Load()),
		StopsStarted:   e.blocked.started.Load(),
		StopsEnded:     e.blocked.ended.Load(),
	}
	m.FailedOther = m.Failed - m.FailedAPI - m.MaybeProcessed
	if b := e.sender.Budget(); b != nil {
		m.RetryBudget = b.Tokens()
	}
	m.ConnsDialled, m.ConnsRecycled, m.ConnsOpen, m.InFlight = e.pools.Counts()
	return m
}

// countOutcome updates the counters for a finished call.
func (e *pipeline) countOutcome(err error) {
	if err == nil {
		e.count.succeeded.Add(1)
		return
	}
	e.count.failed.Add(1)
	var ae *APIError
	switch {
	case errors.Is(err, ErrMaybeProcessed):
		e.count.maybe.Add(1)
	case errors.As(err, &ae):
		var ff *failFastError
		if errors.As(err, &ff) {
			e.count.stopped.Add(1)
		} else {
			e.count.failedAPI.Add(1)
		}
	}
}

// Observer receives events from a client, for metrics and tracing systems
// (Prometheus, OpenTelemetry, expvar) without the client depending on them.
//
// Observer methods and Options.Logger records follow one rule: they are
// called synchronously from the client's goroutines (connection readers,
// pool goroutines, a caller's goroutine), never with a lock of the client
// held, so they may call Client methods that do not wait, such as
// Metrics. They must be fast and must not block: no Flush, Close or sync
// send, which may wait for the very goroutine that runs them. For one
// connection, ConnClosed follows ConnOpened.
type Observer interface {
	// RequestDone reports the outcome of one accepted call, once.
	RequestDone(RequestInfo)
	// ConnOpened reports an established connection.
	ConnOpened(ConnInfo)
	// ConnClosed reports a closed connection; err is nil after a clean
	// retirement (recycling or Close).
	ConnClosed(ConnInfo, error)
}

// RequestInfo describes one finished call for an Observer.
type RequestInfo struct {
	Method   string        // "POST" or "GET"
	Path     string        // the endpoint, without the query
	Target   Target        // whom a send addressed; zero for other calls
	Latency  time.Duration // from acceptance to outcome, retries included
	Attempts int           // attempts that reached the server
	Err      error         // nil on success
}

// ConnInfo describes one connection for an Observer.
type ConnInfo struct {
	Host     string // the host:port dialled
	Protocol string // "h2" or "http/1.1"
}

// observeDone reports c's outcome to the Observer, if one is set.
func (e *pipeline) observeDone(c *call, err error) {
	o := e.s.Observer
	if o == nil {
		return
	}
	path := c.Ex.Req.Path
	for i := 0; i < len(path); i++ {
		if path[i] == '?' {
			path = path[:i]
			break
		}
	}
	o.RequestDone(RequestInfo{
		Method:   c.Ex.Req.Method,
		Path:     path,
		Target:   c.target,
		Latency:  time.Since(c.Start),
		Attempts: c.Tries(),
		Err:      err,
	})
}
