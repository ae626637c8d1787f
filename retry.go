package mipush

import (
	"math/rand/v2"
	"time"
)

// Backoff of retried sends: jittered exponential, as in the official SDK
// (base/2 + rand(base)), starting at retryBase and capped at retryMax.
const (
	retryBase = 200 * time.Millisecond
	retryMax  = 10 * time.Second
)

// backoff returns the wait before retry n (n ≥ 1).
func backoff(n int) time.Duration {
	d := retryBase << min(n-1, 16)
	if d > retryMax || d <= 0 {
		d = retryMax
	}
	return d/2 + rand.N(d)
}

// errClass is how the engine treats a failed answer.
type errClass int

const (
	classFail  errClass = iota // permanent: report it
	classRetry                 // not accepted by the server: send again
	classMaybe                 // the server may have acted: report as maybe processed
)

// retryableCode reports the API codes that mean the request was not
// accepted and may be sent again (api-reference §5.3).
func retryableCode(code int) bool {
	switch code {
	case -1, 1, 10001, 10002, 10003, 10027, 10028, 10037, 26003:
		return true
	}
	return false
}

// classify maps an API error to its handling.
func classify(e *APIError) errClass {
	switch {
	case e.HTTPStatus == 503:
		return classRetry
	case e.HTTPStatus >= 500:
		return classMaybe
	case retryableCode(e.Code):
		return classRetry
	}
	return classFail
}
