package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsage(t *testing.T) {
	r := mipushCmd()
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "Commands:")

	r = mipushCmd("help")
	assert.Equal(t, exitOK, r.code)
	for _, c := range commands {
		assert.Contains(t, r.stdout, "  "+c.name+" ")
	}

	r = mipushCmd("nonsense")
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, `unknown command "nonsense"`)
}

func TestHelpOfEveryCommand(t *testing.T) {
	for _, c := range commands {
		if c.name == "bench" {
			continue // another file's flags; it has its own tests
		}
		t.Run(c.name, func(t *testing.T) {
			r := mipushCmd(c.name, "--help")
			if strings.Contains(r.stderr, errNotBuiltText) {
				t.Skip("not in this build")
			}
			assert.Equal(t, exitOK, r.code, r.stderr)
			assert.True(t, strings.HasPrefix(r.stdout, "Usage: mipush "+c.name), r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

func TestSendFake(t *testing.T) {
	r := mipushCmd("send", "--fake", "--regid", "r1,bad-2", "--title", "Hi", "--description", "Hello")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^message id  slm\d+$`, r.stdout)
	assert.Regexp(t, `(?m)^trace id    \S+$`, r.stdout)
	assert.Contains(t, r.stdout, "bad regids  bad-2\n")

	r = mipushCmd("send", "--fake", "--json", "--topics", "a,b", "--op", "intersection", "--title", "Hi", "--description", "Hello")
	require.Equal(t, exitOK, r.code, r.stderr)
	var res sendResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.NotEmpty(t, res.ID)
	assert.NotEmpty(t, res.TraceID)
	assert.Empty(t, res.BadRegIDs)
}

func TestSendToServer(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	msgFile := writeFile(t, "msg.json", `{"restricted_package_name": "com.example.app", "title": "From file",
		"description": "D", "notify_type": -1, "time_to_live": "2h",
		"extra": {"channel_id": "orders", "custom": "x"}}`)

	targets := []struct {
		args []string
		path string
	}{
		{[]string{"--regid", "r1,r2", "--regid", "r3"}, "/v3/message/regid"},
		{[]string{"--alias", "a1"}, "/v3/message/alias"},
		{[]string{"--account", "u1"}, "/v2/message/user_account"},
		{[]string{"--topic", "news"}, "/v2/message/topic"},
		{[]string{"--topics", "a,b"}, "/v2/message/multi_topic"},
		{[]string{"--all"}, "/v2/message/all"},
	}
	for _, tc := range targets {
		args := append([]string{"send", "--message", msgFile, "--title", "From flag", "--extra", "jobkey=job1"}, flags...)
		r := mipushCmd(append(args, tc.args...)...)
		require.Equal(t, exitOK, r.code, "%v: %s", tc.args, r.stderr)
		reqs := srv.RequestsTo(tc.path)
		require.Len(t, reqs, 1, tc.path)
		form := reqs[0].Form
		assert.Equal(t, "From flag", form.Get("title"), "a flag overrides the file")
		assert.Equal(t, "D", form.Get("description"))
		assert.Equal(t, "com.example.app", form.Get("restricted_package_name"))
		assert.Equal(t, "7200000", form.Get("time_to_live"))
		assert.Equal(t, "orders", form.Get("extra.channel_id"))
		assert.Equal(t, "x", form.Get("extra.custom"))
		assert.Equal(t, "job1", form.Get("extra.jobkey"))
		assert.Equal(t, testSecret, reqs[0].Secret)
	}
	assert.Equal(t, []string{"r1", "r2", "r3"}, srv.RequestsTo("/v3/message/regid")[0].Targets)
}

func TestSendAPIErrorAndSecretNotPrinted(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	srv.SetSecrets("another-secret")
	r := mipushCmd(append([]string{"send", "--regid", "r1", "--title", "T", "--description", "D"}, flags...)...)
	assert.Equal(t, exitFailed, r.code)
	requireOneLine(t, r, "21301")
	assert.NotContains(t, r.stdout+r.stderr, testSecret)
}

func TestSendBadInput(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	long := strings.Repeat("x", 60)
	cases := []struct {
		name string
		args []string
		env  string // the app secret in the environment
		want string
	}{
		{"no secret", []string{"--regid", "r1", "--title", "T", "--description", "D"}, "", "no app secret"},
		{"title too long", []string{"--regid", "r1", "--title", long, "--description", "D"}, testSecret, "invalid title"},
		{"no description", []string{"--regid", "r1", "--title", "T"}, testSecret, "invalid description"},
		{"no target", []string{"--title", "T", "--description", "D"}, testSecret, "exactly one target"},
		{"two targets", []string{"--regid", "r1", "--all", "--title", "T", "--description", "D"}, testSecret, "exactly one target"},
		{"bad op", []string{"--topics", "a,b", "--op", "xor", "--title", "T", "--description", "D"}, testSecret, "--op"},
		{"bad extra value", []string{"--regid", "r1", "--title", "T", "--description", "D", "--extra", "notify_effect=web"}, testSecret, "notify_effect"},
		{"bad extra flag", []string{"--regid", "r1", "--title", "T", "--description", "D", "--extra", "novalue"}, testSecret, "key=value"},
		{"missing message file", []string{"--regid", "r1", "--message", "/nonexistent/msg.json"}, testSecret, "--message"},
		{"bad region", []string{"--regid", "r1", "--title", "T", "--description", "D", "--region", "mars"}, testSecret, "unknown region"},
		{"unknown flag", []string{"--regid", "r1", "--colour", "red"}, testSecret, "not defined"},
		{"stray argument", []string{"--regid", "r1", "--title", "T", "--description", "D", "extra"}, testSecret, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envSecret, tc.env)
			r := mipushCmd(append(append([]string{"send"}, flags...), tc.args...)...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			requireOneLine(t, r, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
	assert.Zero(t, srv.Count(), "bad input sends nothing")
}

func TestSendMessageFileErrors(t *testing.T) {
	cases := map[string]string{
		"unknown field":    `{"titel": "T", "description": "D"}`,
		"bad ttl":          `{"title": "T", "description": "D", "time_to_live": "soon"}`,
		"bad pass_through": `{"title": "T", "description": "D", "pass_through": 2}`,
		"not JSON":         `title=T`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			f := writeFile(t, "msg.json", body)
			r := mipushCmd("send", "--fake", "--regid", "r1", "--message", f)
			assert.Equal(t, exitUsage, r.code)
			requireOneLine(t, r, "--message")
		})
	}
}

func TestSecretFileAndRegionFlags(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	t.Setenv(envSecret, "")
	t.Setenv(envRegion, "europe")
	sf := writeFile(t, "secret", "from-file")
	r := mipushCmd(append([]string{"send", "--secret-file", sf, "--region", "india", "--regid", "r1", "--title", "T", "--description", "D"}, flags...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "from-file", srv.Requests()[0].Secret)

	r = mipushCmd("send", "--fake", "--host", "example.com", "--regid", "r1", "--title", "T", "--description", "D")
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, "--fake cannot be combined")
}
