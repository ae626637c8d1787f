package mipush

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeSendResult(t *testing.T) {
	res, err := decodeSendResult(200, []byte(`{"result":"ok","trace_id":"Xcm1","code":0,
		"data":{"id":"scm1","bad_regids":"r1, r2,","day_quota":"100","day_acked":7,"new":{"x":1}},
		"description":"成功","info":"Received push messages for 1 REGID","unknown":[1,2]}`))
	require.NoError(t, err)
	assert.Equal(t, "scm1", res.ID)
	assert.Equal(t, "Xcm1", res.TraceID)
	assert.Equal(t, []string{"r1", "r2"}, res.BadRegIDs)
	assert.Equal(t, int64(100), res.DayQuota)
	assert.Equal(t, int64(7), res.DayAcked)
	assert.Equal(t, "成功", res.Description)
	assert.Contains(t, string(res.Data), `"new":{"x":1}`)

	res, err = decodeSendResult(200, []byte(`{"result":"ok","code":"0","data":{"id":"a","bad_regids":["x"]}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, res.BadRegIDs)
	assert.Equal(t, int64(-1), res.DayQuota)
}

func TestDecodeSendResultErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   APIError
	}{
		{"api error", 200, `{"result":"error","reason":"Invalid application secret.","trace_id":"X1","code":21301,"description":"认证失败"}`,
			APIError{Code: 21301, Reason: "Invalid application secret.", TraceID: "X1", Description: "认证失败", HTTPStatus: 200}},
		{"code as string", 200, `{"result":"error","code":"10002"}`, APIError{Code: 10002, HTTPStatus: 200}},
		{"http 503 html", 503, `<html>busy</html>`, APIError{HTTPStatus: 503, Reason: `"<html>busy</html>"`}},
		{"http 500 json", 500, `{"result":"error","code":1}`, APIError{Code: 1, HTTPStatus: 500}},
		{"not json", 200, `oops`, APIError{HTTPStatus: 200, Reason: `response is not JSON: "oops"`}},
		{"no result", 200, `{"code":0}`, APIError{HTTPStatus: 200, Reason: `response has no result: "{\"code\":0}"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeSendResult(tc.status, []byte(tc.body))
			var ae *APIError
			require.True(t, errors.As(err, &ae), "got %v", err)
			assert.Equal(t, tc.want, *ae)
			assert.NotEmpty(t, ae.Error())
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	e := &APIError{Code: 21301, Description: "认证失败", Reason: "Invalid application secret.", TraceID: "X1", HTTPStatus: 200}
	assert.Equal(t, "mipush: error code 21301: 认证失败 (Invalid application secret.) trace_id=X1", e.Error())
	assert.Equal(t, "mipush: HTTP status 502", (&APIError{HTTPStatus: 502}).Error())
}
