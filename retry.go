package mipush

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/rules"
	"github.com/mipush-go/mipush/internal/wire"
)

// errClass is what the engine does with a failed attempt of a send.
type errClass int

const (
	classFail    errClass = iota // permanent: report it
	classRetry                   // not accepted by the server: send again, within MaxAttempts and the budget
	classMaybe                   // the server may have acted: report as maybe processed (retried only with RetryMaybeProcessed)
	classRequeue                 // never processed: queue again, outside MaxAttempts (a bounded number of times)
	classStop                    // a client-side stop: report it; failfast.go stops the requests like it
)

// decide is the retry decision, the one place that says what becomes of
// a failed attempt. err is the attempt's failure: a *wire.Error from the
// connection when answered is false, else the error decoded from the
// server's answer.
//
//	failure                                                class
//	not written, a client-side stop in force (ErrStopped)  classStop
//	not written, QueueTimeout passed                       classFail
//	not written, will recur (see permanent: TLS, proxy)    classFail
//	not written, other (GOAWAY, Connection: close, dial)   classRequeue
//	written, no answer (broken connection, timeout)        classMaybe
//	answered HTTP 503                                      classRetry
//	answered other 5xx                                     classMaybe
//	answered a retryable code (Code.Retryable)             classRetry
//	answered a wrong secret or a spent quota (stopKind)    classStop
//	answered anything else, or undecodable                 classFail
//
// The answered rows are classify, which failfast.go and IsRetryable
// (errors.go) use too. The engine (engine.Sender) adds what depends on
// the call rather than the answer: the attempts and re-queues left, the
// retry budget, Options.RetryMaybeProcessed.
func decide(err error, answered bool) errClass {
	if !answered {
		var we *wire.Error
		if !errors.As(err, &we) || !we.NotProcessed {
			return classMaybe
		}
		var ff *failFastError
		switch {
		case errors.As(we.Err, &ff):
			return classStop
		case errors.Is(err, ErrQueueTimeout), permanent(we.Err):
			return classFail
		}
		return classRequeue
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return classFail
	}
	if c := classify(ae); c != classFail {
		return c
	}
	if auth, quota := stopKind(ae); auth || quota {
		return classStop
	}
	return classFail
}

// permanent reports a failure of an unsent request that trying again
// cannot fix: the server's certificate was rejected, the handshake refused,
// or the proxy refused the tunnel. (A client-side stop is decide's.)
func permanent(err error) bool {
	var pr *engine.ProxyRefusal
	if errors.As(err, &pr) {
		return pr.Permanent()
	}
	// A TLS alert from the server during the handshake (no shared
	// version or cipher, a rejected client certificate) will recur.
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "remote error" {
		return true
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci)
}

// classify maps an API error to its handling: classRetry, classMaybe or
// classFail (see decide). HTTP 503 means the server (or its gateway)
// refused the request; other 5xx may come from a gateway after the
// server acted.
func classify(e *APIError) errClass {
	switch {
	case e.HTTPStatus == 503:
		return classRetry
	case e.HTTPStatus >= 500:
		return classMaybe
	case e.Code.Retryable():
		return classRetry
	}
	return classFail
}

// stopKind says which stop an answer arms, if any.
// A blacklisted app (10031) is stopped as a wrong secret is: every
// request would be refused. The codes are in internal/rules.
func stopKind(ae *APIError) (auth, quota bool) {
	return ae.Code.stopsApp(), ae.Code.stopsClass()
}

// isAuthCode reports whether ae arms a wrong-secret stop.
func isAuthCode(ae *APIError) bool {
	auth, _ := stopKind(ae)
	return auth
}

// slowsApp reports whether an answer with code c asks the app to slow down.
func slowsApp(c Code) bool {
	return c == CodeTooFrequent || c == CodeTotalTooFrequent
}

// splittable reports whether a batch refused with err is worth sending
// again message by message: a permanent refusal that may come from one
// message's content. Answers about the app (its secret, quota, blacklist,
// rights), the request (path, method), throttling and broken connections
// would refuse every part alike. No public source says how the server
// treats one bad message in a batch, so every other permanent answer
// splits.
func splittable(err error) bool {
	var ff *failFastError
	if errors.As(err, &ff) {
		return false
	}
	var ae *APIError
	if !errors.As(err, &ae) || classify(ae) != classFail {
		return false
	}
	if auth, quota := stopKind(ae); auth || quota {
		return false
	}
	switch Code(ae.Code) {
	case 0: // an HTTP status alone: only a malformed or too large request
		return ae.HTTPStatus == 400 || ae.HTTPStatus == 413
	case CodeIllegalRequest, CodeIPOverQuota, CodeForbidden, CodeTokenAuthFailed, CodeRestricted,
		CodeIllegalApp, CodeBadAppID, CodeBadAppKey:
		return false
	}
	return true
}

// Retryable reports whether the code means the server did not accept the
// request and sending it again, later, may succeed.
func (c Code) Retryable() bool {
	switch c {
	case CodeUnknown, CodeInternal, CodeSystemError, CodeSystemBusy, CodeRemoteService,
		CodeTooFrequent, CodeTotalTooFrequent, CodeRequestExpired, CodePushCallFailed:
		return true
	}
	return false
}

// stopsApp reports whether an answer with c stops every call of the app
// secret (see failfast.go): a wrong secret, or an app in the blacklist.
func (c Code) stopsApp() bool { return rules.StopsApp(int(c)) }

// stopsClass reports whether an answer with c stops the single sends of
// one message class: a daily quota.
func (c Code) stopsClass() bool { return rules.StopsClass(int(c)) }

// The pipeline's side of a call's attempts (engine.Judge): the gate
// before a write, the reading of an attempt's end by decide, and the
// single outcome. The engine's Sender acts on the verdict: it re-queues,
// retries within MaxAttempts and the budget, or calls Finish.

// Gate stops a queued call that a client-side stop has covered since it
// was accepted, or that waited longer than QueueTimeout, before it is
// written, or lets it out as the stop's probe (see blocks).
func (e *pipeline) Gate(ec *engine.Call, expired bool) error {
	if expired {
		return queueTimeoutError(e.s.QueueTimeout, ec.LastErr)
	}
	return e.blocked.stopFor(owner(ec), true)
}

// Judge reads the end of an attempt: the server's answer resp, or the
// connection's failure err. It learns what the answer says of the app
// (stops, pauses) and returns what decide makes of it.
func (e *pipeline) Judge(ec *engine.Call, resp *wire.Response, err error) (engine.Verdict, any, error) {
	c := owner(ec)
	if err != nil {
		e.blocked.learn(c, false, nil)
		var we *wire.Error
		if errors.As(err, &we) && we.NotProcessed && e.sender.Expired(ec) && !errors.Is(err, ErrQueueTimeout) {
			err = queueTimeoutError(e.s.QueueTimeout, err)
		}
		switch decide(err, false) {
		case classRequeue:
			return engine.Requeue, nil, err // never processed: not maybe
		case classMaybe:
			return engine.Maybe, nil, errors.Join(err, ErrMaybeProcessed)
		}
		return engine.Fail, nil, err
	}
	var res *Result
	if e.needsResult(c, resp.Status, resp.Body) {
		// Someone reads the Result, or the answer needs a closer look.
		res, err = decodeSendResult(resp.Status, resp.Body)
	}
	if err == nil {
		e.blocked.learn(c, true, nil)
		e.pacer.OK(ec.Ex.Req.Auth)
		return engine.Succeed, res, nil
	}
	var ae *APIError
	errors.As(err, &ae)
	e.blocked.learn(c, true, ae)
	if ae != nil && slowsApp(ae.Code) {
		e.slowDown(ec.Ex.Req.Auth, e.pacer.TooFrequent(ec.Ex.Req.Auth))
	}
	switch decide(err, true) {
	case classRetry:
		return engine.Retry, nil, err
	case classMaybe:
		return engine.Maybe, nil, errors.Join(err, ErrMaybeProcessed)
	}
	return engine.Fail, nil, err
}

// Finish records the single outcome of a call the engine is done with.
func (e *pipeline) Finish(ec *engine.Call, res any, err error) {
	r, _ := res.(*Result)
	e.finish(owner(ec), r, err)
}
