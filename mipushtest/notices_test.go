package mipushtest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/rules"
)

// bothProtocols runs f against an HTTP/1.1 and an h2 server.
func bothProtocols(t *testing.T, opts Options, f func(t *testing.T, s *Server, c *http.Client)) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			o := opts
			o.HTTP2 = h2
			s := newTestServer(t, o)
			f(t, s, newHTTPClient(t, s, h2))
		})
	}
}

// Revoke is served on the v3 paths; the retired v1 and v2 paths answer as
// removed routes, 404 with a JSON error naming the notice.
func TestRevokeV3AndRetiredPaths(t *testing.T) {
	bothProtocols(t, Options{}, func(t *testing.T, s *Server, c *http.Client) {
		for path, form := range map[string]url.Values{
			rules.RevokeRegIDs:       {"registration_ids": {"r1,r2"}},
			rules.RevokeAliases:      {"aliases": {"a1"}},
			rules.RevokeUserAccounts: {"user_accounts": {"u1"}},
		} {
			form = with(form, "restricted_package_name", "com.example.app", "notify_id", "7")
			resp, r := do(t, c, s, http.MethodPost, path, "sec", form)
			require.Equal(t, http.StatusOK, resp.StatusCode, path)
			assert.Zero(t, r.Code, "%s: %s", path, r.Reason)
			_, r = do(t, c, s, http.MethodPost, path, "sec", with(form, "notify_id", nil))
			assert.Equal(t, 21305, r.Code, "%s needs notify_id", path)
		}
		require.Len(t, rules.Retirements(), 6)
		for _, ret := range rules.Retirements() {
			form := url.Values{"registration_ids": {"r1"}, "topic": {"t"}, "msg_id": {"slm1"},
				"restricted_package_name": {"com.example.app"}, "notify_id": {"7"}}
			resp, r := do(t, c, s, http.MethodPost, ret.Path, "sec", form)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode, ret.Path)
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "error", r.Result)
			assert.Equal(t, 10012, r.Code)
			assert.Contains(t, r.Reason, ret.Path)
			assert.Contains(t, r.Reason, "offline since 2026-12-01 (notice D2367)")
		}
		assert.Equal(t, int64(6+6), s.Count())
	})
}

// A notification without extra.notify_effect is accepted with a warning on
// the recorded request; a strict server refuses it.
func TestCustomNotificationWarning(t *testing.T) {
	bothProtocols(t, Options{}, func(t *testing.T, s *Server, c *http.Client) {
		_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1"))
		assert.Zero(t, r.Code)
		req := s.Requests()[0]
		require.Len(t, req.Warnings, 1)
		assert.Contains(t, req.Warnings[0], "without extra.notify_effect")
		assert.Contains(t, req.Warnings[0], "offline since 2024-09-30 (notice D1856)")
		assert.Contains(t, req.Warnings[0], "answer is unknown")

		for name, form := range map[string]url.Values{
			"predefined":   with(validSend("r1"), "extra.notify_effect", "1"),
			"pass-through": with(validSend("r1"), "pass_through", "1"),
			"iOS":          {"registration_id": {"r1"}, "description": {"d"}, "extra.badge": {"1"}},
		} {
			s.Reset()
			_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", form)
			assert.Zero(t, r.Code, name)
			assert.Empty(t, s.Requests()[0].Warnings, name)
		}

		s.Reset()
		messages := `[{"target":"r1","message":{"title":"t","description":"d","extra":{"notify_effect":"1"}}},` +
			`{"target":"r2","message":{"title":"t","description":"d","restricted_package_name":"p"}}]`
		_, r = do(t, c, s, http.MethodPost, "/v2/multi_messages/regids", "sec", url.Values{"messages": {messages}})
		assert.Zero(t, r.Code)
		w := s.Requests()[0].Warnings
		require.Len(t, w, 1)
		assert.True(t, strings.HasPrefix(w[0], "messages[1]: "), w[0])
	})
	bothProtocols(t, Options{Strict: true}, func(t *testing.T, s *Server, c *http.Client) {
		_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1"))
		assert.Equal(t, 21305, r.Code)
		assert.Contains(t, r.Reason, "extra.notify_effect")
		_, r = do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", with(validSend("r1"), "extra.notify_effect", "1"))
		assert.Zero(t, r.Code)
	})
}

// A private channel needs its template and exactly its variables; the
// values follow the service's rules on any channel.
func TestTemplates(t *testing.T) {
	bothProtocols(t, Options{}, func(t *testing.T, s *Server, c *http.Client) {
		vars := []string{"order", "name"} // not sorted: the server sorts a copy
		s.SetTemplate(Template{ID: "tpl", ChannelID: "orders", Vars: vars})
		assert.Equal(t, []string{"order", "name"}, vars, "SetTemplate keeps the caller's slice")
		s.SetPrivateChannel("alerts")
		send := with(validSend("r1"), "extra.notify_effect", "1", "extra.channel_id", "orders",
			"extra.template_id", "tpl", "extra.template_param", `{"order":"42","name":"Li"}`)
		cases := []struct {
			name   string
			form   url.Values
			code   int
			reason string
		}{
			{"valid", send, 0, ""},
			{"no template", with(send, "extra.template_id", nil, "extra.template_param", nil), rules.CodeNoTemplate, "private"},
			{"no params", with(send, "extra.template_param", nil), rules.CodeBadTemplate, "[name order]"},
			{"missing variable", with(send, "extra.template_param", `{"name":"Li"}`), rules.CodeBadTemplate, "got [name]"},
			{"extra variable", with(send, "extra.template_param", `{"name":"Li","order":"1","x":"y"}`), rules.CodeBadTemplate, "[name order x]"},
			{"other template", with(send, "extra.template_id", "tpl2"), rules.CodeBadTemplate, "not a template of channel"},
			{"template of another channel", with(send, "extra.channel_id", "alerts"), rules.CodeBadTemplate, "not a template of channel \"alerts\""},
			{"private without template", with(send, "extra.channel_id", "alerts", "extra.template_id", nil, "extra.template_param", nil), rules.CodeNoTemplate, "2026-06"},
			{"not JSON", with(send, "extra.template_param", "name=Li"), rules.CodeBadTemplate, "JSON object of strings"},
			{"emoji", with(send, "extra.template_param", `{"order":"42","name":"🙂"}`), rules.CodeBadTemplate, `variable "name"`},
			{"params without id", with(send, "extra.channel_id", "news", "extra.template_id", nil), rules.CodeNoTemplate, "extra.template_id"},
			{"public channel", with(send, "extra.channel_id", "news", "extra.template_id", nil, "extra.template_param", nil), 0, ""},
			{"unknown template, public channel", with(send, "extra.channel_id", "news", "extra.template_id", "x", "extra.template_param", `{"a":"b"}`), 0, ""},
		}
		for _, tc := range cases {
			_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", tc.form)
			assert.Equal(t, tc.code, r.Code, "%s: %s", tc.name, r.Reason)
			assert.Contains(t, r.Reason, tc.reason, tc.name)
		}
		got := s.Requests()[0].Form
		assert.Equal(t, "tpl", got.Get("extra.template_id"), "the server records what it got")
		assert.Equal(t, `{"order":"42","name":"Li"}`, got.Get("extra.template_param"))

		// In a multi-message send too.
		messages := `[{"target":"r1","message":{"title":"t","description":"d","extra":{"notify_effect":"1","channel_id":"orders"}}}]`
		_, r := do(t, c, s, http.MethodPost, "/v2/multi_messages/regids", "sec", url.Values{"messages": {messages}})
		assert.Equal(t, rules.CodeNoTemplate, r.Code)
		assert.Contains(t, r.Reason, "messages[0]")

		// Reset forgets them.
		s.Reset()
		_, r = do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", with(send, "extra.template_id", nil, "extra.template_param", nil))
		assert.Zero(t, r.Code)
	})
}

// The callback limits come from the rule table: 128 bytes of URL, 256 of
// param.
func TestCallbackLimits(t *testing.T) {
	s := newTestServer(t, Options{})
	c := newHTTPClient(t, s, false)
	send := with(validSend("r1"), "extra.notify_effect", "1", "extra.callback", "https://h/"+strings.Repeat("u", 118))
	for _, tc := range []struct {
		form url.Values
		code int
	}{
		{send, 0},
		{with(send, "extra.callback", "https://h/"+strings.Repeat("u", 119)), 10017},
		{with(send, "extra.callback.param", strings.Repeat("p", 256)), 0},
		{with(send, "extra.callback.param", strings.Repeat("p", 257)), 10017},
	} {
		_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", tc.form)
		assert.Equal(t, tc.code, r.Code, r.Reason)
	}
}
