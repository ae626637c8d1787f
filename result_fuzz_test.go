package mipush

import (
	"errors"
	"testing"
)

// FuzzDecodeSendResult feeds arbitrary bodies and statuses to the response
// decoder: it must never panic, and must always return exactly one of a
// Result or an *APIError.
func FuzzDecodeSendResult(f *testing.F) {
	f.Add(200, []byte(`{"result":"ok","trace_id":"X","code":0,"data":{"id":"s1","bad_regids":"a,b"}}`))
	f.Add(200, []byte(`{"result":"error","code":"21301","reason":"Invalid application secret."}`))
	f.Add(503, []byte(`<html>busy</html>`))
	f.Add(200, []byte(`{"result":"ok","data":{"bad_regids":["x"],"day_quota":"1e3"}}`))
	f.Add(200, []byte(`{"result":"ok","data":[1,2]}`))
	f.Add(200, []byte(`null`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		res, err := decodeSendResult(status, body)
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v and error %v", res, err)
		}
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T is not an *APIError", err)
			}
			_ = ae.Error()
		}
	})
}
