package mipushtest

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// with returns a copy of f with the changes applied: a nil value deletes.
func with(f url.Values, kv ...any) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case nil:
			out.Del(k)
		case string:
			out.Set(k, v)
		case []string:
			out[k] = v
		}
	}
	return out
}

func TestValidation(t *testing.T) {
	s := newTestServer(t, Options{})
	c := newHTTPClient(t, s, false)
	many := make([]string, 1001)
	for i := range many {
		many[i] = "r" + strconv.Itoa(i)
	}
	now := time.Now()
	send := validSend("r1")
	topics := with(send, "registration_id", nil, "topics", "a;$;b", "topic_op", "UNION")
	cases := []struct {
		name   string
		path   string
		form   url.Values
		code   int
		reason string // a part of it
	}{
		{"valid", "/v3/message/regid", send, 0, ""},
		{"no target", "/v3/message/regid", with(send, "registration_id", nil), 21305, reasonNoTarget},
		{"1000 regids", "/v3/message/regid", with(send, "registration_id", strings.Join(many[:1000], ",")), 0, ""},
		{"1001 regids", "/v3/message/regid", with(send, "registration_id", strings.Join(many, ",")), 10017, "at most 1000"},
		{"1001 aliases", "/v3/message/alias", with(send, "registration_id", nil, "alias", many), 10017, "at most 1000"},
		{"1001 accounts", "/v2/message/user_account", with(send, "registration_id", nil, "user_account", strings.Join(many, ",")), 10017, "at most 1000"},
		{"join with comma space", "/v3/message/regid", with(send, "registration_id", "r1, r2"), 10017, "spaces"},
		{"empty item", "/v3/message/regid", with(send, "registration_id", "r1,,r2"), 10017, "empty"},
		{"repeated aliases", "/v3/message/alias", with(send, "registration_id", nil, "alias", []string{"a", "b"}), 0, ""},
		{"title 49 runes", "/v3/message/regid", with(send, "title", strings.Repeat("标", 49)), 0, ""},
		{"title 50 runes", "/v3/message/regid", with(send, "title", strings.Repeat("标", 50)), 10017, "title"},
		{"blank title", "/v3/message/regid", with(send, "title", "   "), 10017, "blank"},
		{"description 127 runes", "/v3/message/regid", with(send, "description", strings.Repeat("述", 127)), 0, ""},
		{"description 128 runes", "/v3/message/regid", with(send, "description", strings.Repeat("述", 128)), 10017, "description"},
		{"payload 4095 bytes", "/v3/message/regid", with(send, "payload", strings.Repeat("p", 4095)), 0, ""},
		{"payload 4096 bytes", "/v3/message/regid", with(send, "payload", strings.Repeat("p", 4096)), 65009, "payload"},
		{"no description", "/v3/message/regid", with(send, "description", nil), 21305, "description"},
		{"android without title", "/v3/message/regid", with(send, "title", nil, "notify_type", "1"), 21305, "title"},
		{"ios without title", "/v3/message/regid", with(send, "title", nil), 0, ""},
		{"pass-through payload only", "/v3/message/regid", url.Values{"registration_id": {"r1"}, "payload": {"p"}, "pass_through": {"1"}, "restricted_package_name": {"x"}}, 0, ""},
		{"pass-through without payload", "/v3/message/regid", with(send, "payload", nil, "pass_through", "1"), 21305, "payload"},
		{"pass_through 2", "/v3/message/regid", with(send, "pass_through", "2"), 10017, "pass_through"},
		{"notify_id max", "/v3/message/regid", with(send, "notify_id", "2147483647"), 0, ""},
		{"notify_id too big", "/v3/message/regid", with(send, "notify_id", "2147483648"), 10017, "notify_id"},
		{"notify_id negative", "/v3/message/regid", with(send, "notify_id", "-1"), 10017, "notify_id"},
		{"notify_type 8", "/v3/message/regid", with(send, "notify_type", "8"), 10017, "notify_type"},
		{"time_to_send 6 days", "/v3/message/regid", with(send, "time_to_send", strconv.FormatInt(now.Add(6*24*time.Hour).UnixMilli(), 10)), 0, ""},
		{"time_to_send 8 days", "/v3/message/regid", with(send, "time_to_send", strconv.FormatInt(now.Add(8*24*time.Hour).UnixMilli(), 10)), 10017, "7 days"},
		{"web page effect 2", "/v3/message/regid", with(send, "extra.notify_effect", "2", "extra.web_uri", "https://x"), 21305, "intent_uri"},
		{"web page effect 3", "/v3/message/regid", with(send, "extra.notify_effect", "3", "extra.web_uri", "https://x"), 0, ""},
		{"bad jobkey", "/v3/message/regid", with(send, "extra.jobkey", "_x"), 10017, "jobkey"},
		{"v2 two packages", "/v2/message/regid", with(send, "restricted_package_name", "a,b"), 10017, "v3"},
		{"v3 two packages", "/v3/message/regid", with(send, "restricted_package_name", "a,b"), 0, ""},
		{"topic", "/v2/message/topic", with(send, "registration_id", nil, "topic", "news"), 0, ""},
		{"topic with ;$;", "/v2/message/topic", with(send, "registration_id", nil, "topic", "a;$;b"), 10017, "multi_topic"},
		{"multi_topic", "/v3/message/multi_topic", topics, 0, ""},
		{"5 topics", "/v3/message/multi_topic", with(topics, "topics", "a;$;b;$;c;$;d;$;e"), 0, ""},
		{"6 topics", "/v3/message/multi_topic", with(topics, "topics", "a;$;b;$;c;$;d;$;e;$;f"), 10017, "at most 5"},
		{"topics joined with :$", "/v3/message/multi_topic", with(topics, "topics", "a:$b"), 10017, ";$;"},
		{"no topic_op", "/v3/message/multi_topic", with(topics, "topic_op", nil), 21305, "topic_op"},
		{"bad topic_op", "/v3/message/multi_topic", with(topics, "topic_op", "union"), 10017, "topic_op"},
		{"all", "/v3/message/all", with(send, "registration_id", nil), 0, ""},
		{"multi_messages", "/v2/multi_messages/regids", url.Values{"messages": {`[{"target":"r1","message":{"title":"t","description":"d","extra":{"notify_effect":"1"}}},{"target":"r2","message":{"payload":"p","pass_through":1}}]`}, "time_to_send": {"0"}}, 0, ""},
		{"multi_messages not JSON", "/v2/multi_messages/regids", url.Values{"messages": {`[{"target"`}}, 10017, "JSON"},
		{"multi_messages bad message", "/v2/multi_messages/aliases", url.Values{"messages": {`[{"target":"a","message":{"title":"t"}}]`}}, 21305, "messages[0]"},
		{"retired", "/v1/feedback/fetch_invalid_regids", nil, 10036, "callback"},
		{"retired aliases", "/v1/feedback/fetch_invalid_aliases", nil, 10036, "callback"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if s.routes[tc.path].Method == http.MethodGet {
				method = http.MethodGet
			}
			resp, r := do(t, c, s, method, tc.path, "sec", tc.form)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tc.code, r.Code, "reason %q", r.Reason)
			assert.Contains(t, r.Reason, tc.reason)
			if tc.code == 0 {
				assert.Equal(t, "ok", r.Result)
			} else {
				assert.Equal(t, "error", r.Result)
				assert.NotEmpty(t, r.Description)
				assert.True(t, strings.HasPrefix(r.TraceID, "Xlm"))
			}
		})
	}
	multi := s.RequestsTo("/v2/multi_messages/regids")
	require.NotEmpty(t, multi)
	assert.Equal(t, []string{"r1", "r2"}, multi[0].Targets)
}

func TestProtocolChecks(t *testing.T) {
	s := newTestServer(t, Options{Secrets: []string{"app1", "app2"}})
	c := newHTTPClient(t, s, false)
	body := validSend("r1").Encode()
	post := func(path, query, auth, ctype string) (int, reply) {
		t.Helper()
		u := s.URL() + path
		b := body
		if query != "" {
			u += "?" + query
			b = ""
		}
		req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(b))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := c.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var r reply
		require.NoError(t, jsonUnmarshal(raw, &r), "%s", raw)
		return resp.StatusCode, r
	}
	const form = "application/x-www-form-urlencoded;charset=UTF-8"

	status, r := post("/v3/message/regid", "", "key=app2", form)
	assert.Equal(t, 200, status)
	assert.Equal(t, 0, r.Code)

	for _, auth := range []string{"", "key=", "Key=app1", "key=other", "app1"} {
		status, r = post("/v3/message/regid", "", auth, form)
		assert.Equal(t, 200, status)
		assert.Equal(t, 21301, r.Code, "auth %q", auth)
		assert.Equal(t, "Invalid application secret.", r.Reason)
		assert.Equal(t, "认证失败", r.Description)
	}

	_, r = post("/v3/message/regid", "", "key=app1", "application/json")
	assert.Equal(t, 10012, r.Code)
	assert.Contains(t, r.Reason, "Content-Type")

	// Parameters in the query string of a POST are taken, as the real
	// server took them (see TestPostQueryMerged).
	_, r = post("/v3/message/regid", body, "key=app1", form)
	assert.Equal(t, 0, r.Code, r.Reason)

	status, r = post("/v9/nothing", "", "key=app1", form)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "error", r.Result)

	status, r = post("/v1/channel/list", "", "key=app1", form)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	assert.Equal(t, "error", r.Result)

	resp, r := do(t, c, s, http.MethodGet, "/v3/message/regid", "app1", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "error", r.Result)

	// Any non-empty secret by default; SetSecrets changes it while serving.
	s.SetSecrets()
	_, r = post("/v3/message/regid", "", "key=anything", form)
	assert.Equal(t, 0, r.Code)

	// Rejected requests are recorded with what they were answered.
	reqs := s.Requests()
	require.NotEmpty(t, reqs)
	assert.Equal(t, 21301, reqs[1].Code)
}

func TestEndpoints(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		s := newTestServer(t, Options{HTTP2: h2})
		c := newHTTPClient(t, s, h2)
		eps := Endpoints()
		require.Greater(t, len(eps), 40)
		for _, ep := range eps {
			t.Run(strings.TrimPrefix(ep.Path, "/"), func(t *testing.T) {
				sample, err := url.ParseQuery(ep.Sample)
				require.NoError(t, err)
				if ep.Path == "/v2/schedule_job/exist" || ep.Path == "/v2/schedule_job/delete" {
					// A job exists only once scheduled.
					_, r := do(t, c, s, ep.Method, ep.Path, "sec", sample)
					require.Equal(t, 65028, r.Code, r.Reason)
					sched := with(validSend("r1"), "time_to_send", strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10))
					_, r = do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", sched)
					sample.Set("job_id", r.Data["id"].(string))
				}
				if ep.Path == "/v1/feedback/fetch_invalid_regids" || ep.Path == "/v1/feedback/fetch_invalid_aliases" {
					return // retired: see TestValidation
				}
				resp, r := do(t, c, s, ep.Method, ep.Path, "sec", sample)
				require.Equal(t, 200, resp.StatusCode)
				require.Equal(t, 0, r.Code, "reason %q", r.Reason)
				require.Equal(t, "ok", r.Result)
				require.NotNil(t, r.Data)

				other := http.MethodGet
				if ep.Method == http.MethodGet {
					other = http.MethodPost
				}
				resp, _ = do(t, c, s, other, ep.Path, "sec", sample)
				assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

				for _, req := range ep.Required {
					f := with(sample)
					for alt := range strings.SplitSeq(req, "|") {
						f.Del(alt)
					}
					_, r := do(t, c, s, ep.Method, ep.Path, "sec", f)
					assert.Equal(t, 21305, r.Code, "without %s: %q", req, r.Reason)
				}
			})
		}
	}
}

func TestAnswerShapes(t *testing.T) {
	s := newTestServer(t, Options{})
	c := newHTTPClient(t, s, false)
	get := func(path string, q url.Values) reply {
		t.Helper()
		_, r := do(t, c, s, http.MethodGet, path, "sec", q)
		require.Equal(t, 0, r.Code, r.Reason)
		return r
	}
	do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1,r2"))
	today := time.Now().Format("20060102")
	r := get("/v1/stats/message/counters", url.Values{"start_date": {today}, "end_date": {today}, "restricted_package_name": {"p"}})
	stats := r.Data["data"].([]any)
	require.Len(t, stats, 1)
	day := stats[0].(map[string]any)
	assert.Equal(t, today, day["date"])
	assert.EqualValues(t, 2, day["regid_recipients"])
	for _, k := range []string{"single_recipients", "broadcast_recipients", "alias_recipients", "useraccount_recipients", "received", "click"} {
		assert.Contains(t, day, k)
	}

	r = get("/v1/trace/message/status", url.Values{"msg_id": {"slm1"}})
	tr := r.Data["data"].(map[string]any)
	for _, k := range []string{"id", "create_time", "create_timestamp", "time_to_live", "msg_type", "delivered", "delivery_rate", "click", "click_rate", "resolved",
		"invalid_target", "raw_counter", "bar_closed", "device_condition_unmatch", "app_not_register"} {
		assert.Contains(t, tr, k)
	}
	assert.Equal(t, "86400s", tr["time_to_live"], "a string in seconds, as the real server writes it")

	do(t, c, s, http.MethodPost, "/v2/topic/subscribe", "sec", url.Values{"registration_id": {"r1"}, "topic": {"news"}})
	do(t, c, s, http.MethodPost, "/v2/topic/subscribe", "sec", url.Values{"registration_id": {"r1"}, "topic": {"sport"}})
	do(t, c, s, http.MethodPost, "/v2/topic/unsubscribe", "sec", url.Values{"registration_id": {"r1"}, "topic": {"sport"}})
	r = get("/v1/topic/all", url.Values{"registration_id": {"r1"}, "restricted_package_name": {"p"}})
	assert.Equal(t, []any{"news"}, r.Data["list"])

	get("/v1/channel/add", url.Values{"channel_id": {"c1"}, "channel_name": {"News"}})
	r = get("/v1/channel/list", nil)
	require.Len(t, r.Data["list"], 1)
	get("/v1/channel/discard", url.Values{"channel_id": {"c1"}})
	r = get("/v1/channel/list", nil)
	assert.Empty(t, r.Data["list"])
}

func TestFaults(t *testing.T) {
	s := newTestServer(t, Options{})
	c := newHTTPClient(t, s, false)
	send := func(regids string) (*http.Response, reply) {
		t.Helper()
		return do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend(regids))
	}

	s.FailTarget("r2", ErrorAnswer(10002, "busy"))
	_, r := send("r1")
	assert.Equal(t, 0, r.Code)
	_, r = send("r1,r2")
	assert.Equal(t, 10002, r.Code)
	assert.Equal(t, "busy", r.Reason)
	assert.Equal(t, "系统繁忙", r.Description)
	s.FailTarget("r2", nil)
	_, r = send("r1,r2")
	assert.Equal(t, 0, r.Code)

	s.FailPath("/v3/message/regid", StatusAnswer(http.StatusServiceUnavailable))
	resp, _ := send("r1")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "text/html", resp.Header.Get("Content-Type"))
	s.FailPath("/v3/message/regid", &Answer{Status: http.StatusInternalServerError, Code: 10001, Reason: "boom"})
	resp, r = send("r1")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, 10001, r.Code)
	s.FailPath("/v3/message/regid", nil)

	s.SetHook(func(r *Request) *Answer {
		if r.Form.Get("title") == "custom" {
			return &Answer{Status: http.StatusBadGateway, Body: []byte(`{"x":1}`), Header: http.Header{"X-Test": {"yes"}}}
		}
		return nil
	})
	resp, _ = do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", with(validSend("r1"), "title", "custom"))
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, "yes", resp.Header.Get("X-Test"))
	_, r = send("r1")
	assert.Equal(t, 0, r.Code)
	s.SetHook(nil)

	s.SetBadRegIDs("r2", "r3")
	_, r = send("r1,r2,r3")
	assert.Equal(t, 0, r.Code)
	assert.Equal(t, "r2,r3", r.Data["bad_regids"])
	assert.Equal(t, "Received push messages for 1 REGID", r.Info)
	_, r = send("r2")
	assert.Equal(t, 20301, r.Code)
	s.SetBadRegIDs()
	s.SetBadRegIDFunc(func(id string) bool { return strings.HasPrefix(id, "bad") })
	_, r = send("r1,bad1")
	assert.Equal(t, "bad1", r.Data["bad_regids"])

	s.ClearFaults()
	_, r = send("bad1")
	assert.Equal(t, 0, r.Code)
}

func TestHostList(t *testing.T) {
	s := newTestServer(t, Options{HostList: &HostList{
		Hosts:         []HostPriority{{"api.xmpush.xiaomi.com", 1, 90, 10, 5}, {"lg.api.xmpush.xiaomi.com", 1, 50, 10, 5}},
		ClientTimeout: 3 * time.Second,
	}})
	c := newHTTPClient(t, s, false)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL()+"/v1/channel/list", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "key=sec")
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, resp.Header.Get("X-PUSH-HOST-LIST"))
	assert.Equal(t, "3000", resp.Header.Get("X-PUSH-CLIENT-TIMEOUT-MS"))

	req.Header.Set("X-PUSH-HOST-LIST", "true")
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "api.xmpush.xiaomi.com:1:90:10:5,lg.api.xmpush.xiaomi.com:1:50:10:5", resp.Header.Get("X-PUSH-HOST-LIST"))

	s.SetHostList(&HostList{DisableAutoSelect: true})
	resp, err = c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "true", resp.Header.Get("X-PUSH-DISABLE-AUTO-SELECT-DOMAIN"))
	assert.Empty(t, resp.Header.Get("X-PUSH-CLIENT-TIMEOUT-MS"))
}

func TestRecordingOff(t *testing.T) {
	s := newTestServer(t, Options{NoRecording: true})
	c := dialRaw(t, s)
	c.write(pipelined(20))
	for range 20 {
		_, r, err := c.read()
		require.NoError(t, err)
		require.Equal(t, "ok", r.Result)
	}
	assert.Empty(t, s.Requests())
	assert.EqualValues(t, 20, s.Count())
	s.SetRecording(true)
	c.write(pipelined(1))
	_, _, err := c.read()
	require.NoError(t, err)
	assert.Len(t, s.Requests(), 1)
	s.Reset()
	assert.Empty(t, s.Requests())
	assert.Zero(t, s.Count())
	st := s.Stats()
	assert.Equal(t, 1, st.Conns, "the open connection stays listed")
	assert.Zero(t, st.MaxInFlight)
}

// TestPostQueryMerged: a POST's parameters may come in the query string,
// in the body, or in both; they are merged (the query's first) and the
// recorded request says where each came from. Both protocols.
func TestPostQueryMerged(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		s := newTestServer(t, Options{HTTP2: h2})
		c := newHTTPClient(t, s, h2)
		send := func(query, body, ctype string) reply {
			t.Helper()
			req, err := http.NewRequest(http.MethodPost, s.URL()+"/v3/message/regid?"+query, strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "key=sec")
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			resp, err := c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			var r reply
			require.NoError(t, jsonUnmarshal(raw, &r), "%s", raw)
			return r
		}
		// Everything in the query, with an empty body and no Content-Type,
		// as the Erlang original sent it.
		r := send(validSend("r1,r2").Encode(), "", "")
		require.Equal(t, 0, r.Code, "h2=%v: %s", h2, r.Reason)
		rec := s.Requests()[0]
		assert.Equal(t, []string{"r1", "r2"}, rec.Targets)
		assert.Equal(t, FromQuery, rec.Source("registration_id"))
		assert.Equal(t, FromQuery, rec.Source("title"))

		// Split between the two.
		r = send("registration_id=r3&title=FromQuery", "title=FromBody&description=d&payload=p&restricted_package_name=com.example.app",
			"application/x-www-form-urlencoded")
		require.Equal(t, 0, r.Code, r.Reason)
		rec = s.Requests()[1]
		assert.Equal(t, []string{"r3"}, rec.Targets)
		assert.Equal(t, []string{"FromQuery", "FromBody"}, rec.Form["title"], "the query's values first")
		assert.Equal(t, FromBoth, rec.Source("title"))
		assert.Equal(t, FromQuery, rec.Source("registration_id"))
		assert.Equal(t, FromBody, rec.Source("description"))
		assert.Equal(t, "", rec.Source("notify_id"))

		// A body still needs the form Content-Type.
		r = send("registration_id=r3", "title=t&description=d", "application/json")
		assert.Equal(t, 10012, r.Code)
	}
}

// TestPresenceCommaLists: /v1/regid/presence takes a comma list, as two
// official SDKs send it, on both protocols.
func TestPresenceCommaLists(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		s := newTestServer(t, Options{HTTP2: h2})
		s.SetBadRegIDs("r2")
		c := newHTTPClient(t, s, h2)
		for _, path := range []string{"/v1/regid/presence", "/v2/regid/presence"} {
			_, r := do(t, c, s, http.MethodGet, path, "sec", url.Values{"registration_id": {"r1,r2"}, "restricted_package_name": {"p"}})
			require.Equal(t, 0, r.Code, "%s h2=%v: %s", path, h2, r.Reason)
			list, ok := r.Data["list"].([]any)
			require.True(t, ok, "%s: %v", path, r.Data)
			require.Len(t, list, 2)
			assert.Equal(t, "r1", list[0].(map[string]any)["regid"])
			assert.Equal(t, true, list[0].(map[string]any)["presence"])
			assert.Equal(t, false, list[1].(map[string]any)["presence"], "a bad regid is not present")
		}
		_, r := do(t, c, s, http.MethodGet, "/v1/regid/presence", "sec", url.Values{"registration_id": {"r1"}, "restricted_package_name": {"p"}})
		require.Equal(t, 0, r.Code)
		assert.Equal(t, "r1", r.Data["regid"], "one regid: one object")
		assert.Equal(t, []string{"r1", "r2"}, s.RequestsTo("/v1/regid/presence")[0].Targets)
	}
}
