package mipush

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mipush-go/mipush/internal/engine"
	"github.com/mipush-go/mipush/internal/wire"
)

// TestDecide is the retry decision table, row by row.
func TestDecide(t *testing.T) {
	unsent := func(err error) error { return &wire.Error{Err: err, NotProcessed: true} }
	stopped := &failFastError{cause: &APIError{Code: CodeAuthFailed}}
	cases := []struct {
		name     string
		err      error
		answered bool
		want     errClass
	}{
		{"unsent: client-side stop", unsent(stopped), false, classStop},
		{"unsent: queue timeout", queueTimeoutError(1, unsent(wire.ErrConnClosed)), false, classFail},
		{"unsent: unknown authority", unsent(x509.UnknownAuthorityError{}), false, classFail},
		{"unsent: proxy 407", unsent(&engine.ProxyRefusal{Status: 407}), false, classFail},
		{"unsent: proxy 502", unsent(&engine.ProxyRefusal{Status: 502}), false, classRequeue},
		{"unsent: connection closed", unsent(wire.ErrConnClosed), false, classRequeue},
		{"unsent: dial failed", unsent(io.ErrUnexpectedEOF), false, classRequeue},
		{"unsent: closed client", unsent(ErrClosed), false, classRequeue},
		{"written: connection broke", &wire.Error{Err: io.ErrUnexpectedEOF}, false, classMaybe},
		{"written: timeout", &wire.Error{Err: wire.ErrTimeout}, false, classMaybe},
		{"written: bare error", io.EOF, false, classMaybe},
		{"answered: HTTP 503", &APIError{HTTPStatus: 503}, true, classRetry},
		{"answered: HTTP 502", &APIError{HTTPStatus: 502}, true, classMaybe},
		{"answered: HTTP 500 wrapped", fmt.Errorf("x: %w", &APIError{HTTPStatus: 500}), true, classMaybe},
		{"answered: too frequent", &APIError{HTTPStatus: 200, Code: CodeTooFrequent}, true, classRetry},
		{"answered: system busy", &APIError{HTTPStatus: 200, Code: CodeSystemBusy}, true, classRetry},
		{"answered: wrong secret", &APIError{HTTPStatus: 200, Code: CodeAuthFailed}, true, classStop},
		{"answered: bad secret", &APIError{HTTPStatus: 200, Code: CodeBadSecret}, true, classStop},
		{"answered: daily limit", &APIError{HTTPStatus: 200, Code: CodeDailyLimit}, true, classStop},
		{"answered: over quota", &APIError{HTTPStatus: 200, Code: CodeOverQuota}, true, classStop},
		{"answered: no valid targets", &APIError{HTTPStatus: 200, Code: CodeNoValidTargets}, true, classFail},
		{"answered: undecodable", errors.New("mipush: bad answer"), true, classFail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, decide(tc.err, tc.answered))
		})
	}
}

// TestDecideAgreesWithClassify: the answered rows of decide are classify's,
// but for the answers that arm a client-side stop.
func TestDecideAgreesWithClassify(t *testing.T) {
	for _, code := range []Code{0, CodeTooFrequent, CodeSystemBusy, CodeNoValidTargets, CodeAuthFailed, CodeDailyLimit} {
		for _, status := range []int{200, 400, 500, 502, 503} {
			ae := &APIError{HTTPStatus: status, Code: code}
			got := decide(ae, true)
			if auth, quota := stopKind(ae); (auth || quota) && classify(ae) == classFail {
				assert.Equal(t, classStop, got, "%d/%d", status, code)
				continue
			}
			assert.Equal(t, classify(ae), got, "%d/%d", status, code)
		}
	}
}
