package mipushtest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuotaPerClass(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: h2})
			c := newHTTPClient(t, s, h2)
			s.SetQuota("", Quota{Limit: 3, Acked: 0})
			s.SetQuota("public", Quota{Limit: 10, Acked: 10})
			send := func(regids, channel string) reply {
				t.Helper()
				f := validSend(regids)
				if channel != "" {
					f.Set("extra.channel_id", channel)
				}
				_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", f)
				return r
			}

			// Two targets, then one: the default class has spent 3 of 3.
			assert.Equal(t, 0, send("r1,r2", "").Code)
			assert.Equal(t, 0, send("r3", "").Code)
			r := send("r4", "")
			assert.Equal(t, 200001, r.Code)
			assert.Equal(t, "exceed quota, quota: 3, have acked: 3", r.Reason)
			assert.Equal(t, "error", r.Result)

			r = send("r1", "public")
			assert.Equal(t, 200001, r.Code)
			assert.Equal(t, "exceed quota, quota: 10, have acked: 10", r.Reason)

			// A class without a quota (a private channel) is unlimited.
			for range 5 {
				assert.Equal(t, 0, send("r1", "private").Code)
			}
			q, ok := s.QuotaOf("")
			assert.True(t, ok)
			assert.Equal(t, Quota{Limit: 3, Acked: 3}, q)
			_, ok = s.QuotaOf("private")
			assert.False(t, ok)

			// Removing the quota lifts it; the topic send counts one.
			s.SetQuota("", Quota{Limit: -1})
			assert.Equal(t, 0, send("r4", "").Code)
			s.SetQuota("", Quota{Limit: 1})
			_, r = do(t, c, s, http.MethodPost, "/v3/message/topic", "sec",
				with(validSend(""), "registration_id", nil, "topic", "news"))
			assert.Equal(t, 0, r.Code)
			q, _ = s.QuotaOf("")
			assert.Equal(t, int64(1), q.Acked)

			// Non-send calls are never refused for quota.
			s.ExhaustQuota("")
			_, r = do(t, c, s, http.MethodGet, "/v1/trace/message/status", "sec", url.Values{"msg_id": {"slm1"}})
			assert.NotEqual(t, 200001, r.Code)

			s.Reset()
			_, ok = s.QuotaOf("")
			assert.False(t, ok, "Reset removes every quota")
			assert.Equal(t, 0, send("r1", "").Code)
		})
	}
}

func TestExhaustQuota(t *testing.T) {
	s := newTestServer(t, Options{})
	s.ExhaustQuota("news")
	q, ok := s.QuotaOf("news")
	require.True(t, ok)
	assert.Equal(t, Quota{}, q)
	s.SetQuota("news", Quota{Limit: 100, Acked: 7})
	s.ExhaustQuota("news")
	q, _ = s.QuotaOf("news")
	assert.Equal(t, Quota{Limit: 100, Acked: 100}, q)

	c := newHTTPClient(t, s, false)
	_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", with(validSend("r1"), "extra.channel_id", "news"))
	assert.Equal(t, 200001, r.Code)
	assert.Equal(t, "exceed quota, quota: 100, have acked: 100", r.Reason)
	assert.Equal(t, 200001, s.Requests()[0].Code, "the recorded request has the answer's code")
}

func TestMultiMessagesReportChannelExceedQuota(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: h2})
			c := newHTTPClient(t, s, h2)
			multi := func() reply {
				t.Helper()
				_, r := do(t, c, s, http.MethodPost, "/v2/multi_messages/regids", "sec", url.Values{
					"messages": {`[` +
						`{"target":"r1","message":{"title":"t","description":"d"}},` +
						`{"target":"r2","message":{"title":"t","description":"d","extra":{"channel_id":"a"}}},` +
						`{"target":"r3","message":{"title":"t","description":"d"}},` +
						`{"target":"r4","message":{"title":"t","description":"d","extra":{"channel_id":"a"}}},` +
						`{"target":"r5","message":{"title":"t","description":"d","extra":{"channel_id":"private"}}},` +
						`{"target":"r6","message":{"title":"t","description":"d","extra":{"channel_id":"a"}}}]`},
					"time_to_send": {"0"},
				})
				return r
			}

			r := multi()
			require.Equal(t, 0, r.Code)
			assert.NotContains(t, r.Data, "channel_exceed_quota", "no quota: nothing dropped")

			s.ExhaustQuota("")
			s.SetQuota("a", Quota{Limit: 1})
			r = multi()
			require.Equal(t, 0, r.Code, "a multi-message send never answers 200001: %s", r.Reason)
			assert.Equal(t, "ok", r.Result)
			assert.NotEmpty(t, r.Data["id"])
			// One "a" message fits; the other two and both default ones are dropped.
			assert.Equal(t, map[string]any{"no_channel": float64(2), "a": float64(2)}, r.Data["channel_exceed_quota"])
			q, _ := s.QuotaOf("a")
			assert.Equal(t, Quota{Limit: 1, Acked: 1}, q)
		})
	}
}
