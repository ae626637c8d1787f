package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestManagementCalls(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	cases := []struct {
		args  []string
		path  string
		check func(t *testing.T, req *mipushtest.Request)
	}{
		{[]string{"stats", "--package", "com.example.app", "--from", "2026-01-01", "--to", "20260103"}, "/v1/stats/message/counters",
			func(t *testing.T, req *mipushtest.Request) {
				assert.Equal(t, "20260101", req.Form.Get("start_date"))
				assert.Equal(t, "20260103", req.Form.Get("end_date"))
				assert.Equal(t, "com.example.app", req.Form.Get("restricted_package_name"))
			}},
		{[]string{"trace", "slm1"}, "/v1/trace/message/status",
			func(t *testing.T, req *mipushtest.Request) { assert.Equal(t, "slm1", req.Form.Get("msg_id")) }},
		{[]string{"trace", "--job", "job1"}, "/v1/trace/message/status",
			func(t *testing.T, req *mipushtest.Request) { assert.Equal(t, "job1", req.Form.Get("job_key")) }},
		{[]string{"trace", "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T00:10:00Z"}, "/v1/trace/messages/status",
			func(t *testing.T, req *mipushtest.Request) {
				assert.Equal(t, "1767225600000", req.Form.Get("begin_time"))
				assert.Equal(t, "1767226200000", req.Form.Get("end_time"))
			}},
		{[]string{"topic", "subscribe", "--topic", "news", "--regid", "r1,r2"}, "/v2/topic/subscribe",
			func(t *testing.T, req *mipushtest.Request) {
				assert.Equal(t, []string{"r1", "r2"}, req.Targets)
				assert.Equal(t, "news", req.Form.Get("topic"))
			}},
		{[]string{"topic", "unsubscribe", "--topic", "news", "--alias", "a1"}, "/v2/topic/unsubscribe/alias",
			func(t *testing.T, req *mipushtest.Request) { assert.Equal(t, []string{"a1"}, req.Targets) }},
		{[]string{"revoke", "--package", "com.example.app", "--notify-id", "7", "--regid", "r1"}, "/v3/message/regid/revoke",
			func(t *testing.T, req *mipushtest.Request) { assert.Equal(t, "7", req.Form.Get("notify_id")) }},
		{[]string{"revoke", "--package", "com.example.app", "--notify-id", "7", "--alias", "a1,a2"}, "/v3/message/alias/revoke",
			func(t *testing.T, req *mipushtest.Request) { assert.Equal(t, []string{"a1", "a2"}, req.Targets) }},
		{[]string{"revoke", "--package", "com.example.app", "--notify-id", "7", "--account", "u1"}, "/v3/message/user_account/revoke",
			func(t *testing.T, req *mipushtest.Request) {
				assert.Equal(t, "com.example.app", req.Form.Get("restricted_package_name"))
			}},
		{[]string{"revoke", "--package", "com.example.app", "--stop", "--job", "k1,k2"}, "/v1/message/switch/stop_by_jobkey",
			func(t *testing.T, req *mipushtest.Request) {
				assert.Equal(t, []string{"k1", "k2"}, req.Form["job_keys"])
			}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			srv.Reset()
			args := append(append([]string{}, tc.args...), append([]string{"--json"}, flags...)...)
			if tc.args[0] == "trace" && len(tc.args) == 2 { // flags before the message id
				args = append(append([]string{"trace", "--json"}, flags...), tc.args[1])
			}
			r := mipushCmd(args...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.True(t, json.Valid([]byte(r.stdout)), r.stdout)
			reqs := srv.RequestsTo(tc.path)
			require.Len(t, reqs, 1)
			tc.check(t, reqs[0])
		})
	}
}

func TestManagementText(t *testing.T) {
	r := mipushCmd("stats", "--fake", "--package", "com.example.app", "--from", "2026-01-01", "--to", "2026-01-02")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `date\s+single\s+broadcast`, r.stdout)
	assert.Contains(t, r.stdout, "2026-01-02")

	r = mipushCmd("trace", "--fake", "slm42")
	require.Equal(t, exitFailed, r.code, r.stderr)
	requireOneLine(t, r, "the server knows no delivery of message slm42")

	r = mipushCmd("topic", "subscribe", "--fake", "--topic", "news", "--regid", "r1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^trace id    \S+$`, r.stdout)
}

func TestManagementBadInput(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	cases := [][]string{
		{"stats"},
		{"stats", "--package", "p", "--from", "2026-02-01", "--to", "2026-01-01"},
		{"stats", "--package", "p", "--from", "yesterday"},
		{"trace"},
		{"trace", "--job", "k", "slm1"},
		{"trace", "--to", "2026-01-01"},
		{"topic"},
		{"topic", "list"},
		{"topic", "subscribe", "--regid", "r1"},
		{"topic", "subscribe", "--topic", "t", "--regid", "r1", "--alias", "a1"},
		{"revoke", "--message", "m"},
		{"revoke", "--package", "p"},
		{"revoke", "--package", "p", "--message", "m", "--job", "k"},
		{"revoke", "--package", "p", "--message", "m1,m2"},
		{"revoke", "--package", "p", "--stop", "--notify-id", "1", "--regid", "r"},
		{"revoke", "--package", "p", "--notify-id", "1", "--all"},
		{"revoke", "--package", "p", "--message", "m"},
		{"revoke", "--package", "p", "--job", "k"},
		{"revoke", "--package", "p", "--notify-id", "1", "--topic", "t"},
		{"revoke", "--package", "p", "--notify-id", "1", "--topics", "a,b"},
	}
	for _, args := range cases {
		r := mipushCmd(append(args, flags...)...)
		assert.Equal(t, exitUsage, r.code, "%v", args)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "%v: %q", args, r.stderr)
		assert.Empty(t, r.stdout, "%v", args)
	}
	assert.Zero(t, srv.Count(), "bad input sends nothing")
}

// Recalls the service retired on 2026-12-01 are refused with the notice,
// and nothing is sent.
func TestRevokeRetired(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	for _, args := range [][]string{
		{"revoke", "--package", "p", "--message", "m"},
		{"revoke", "--package", "p", "--job", "k"},
		{"revoke", "--package", "p", "--notify-id", "1", "--topic", "t"},
		{"revoke", "--package", "p", "--notify-id", "1", "--topics", "a,b"},
	} {
		r := mipushCmd(append(args, flags...)...)
		assert.Equal(t, exitUsage, r.code, "%v", args)
		assert.Contains(t, r.stderr, "is offline since 2026-12-01", "%v", args)
		assert.Contains(t, r.stderr, "D2367", "%v", args)
	}
	assert.Zero(t, srv.Count())
	// A path without its rule is a bug, not a silent empty notice.
	assert.Panics(t, func() { _ = retiredRevoke("x", "/v1/message/none/revoke", "") })
}
