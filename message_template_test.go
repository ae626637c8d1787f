package mipush_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// orderTemplate is the template the tests register: bound to the private
// channel "orders", with two variables.
var orderTemplate = mipushtest.Template{ID: "tpl-order", ChannelID: "orders", Vars: []string{"name", "order"}}

// templated returns note(i) on the private channel "orders", with its
// template and variables.
func templated(i int) *mipush.Message {
	m := note(i)
	m.ChannelID = "orders"
	m.TemplateID = "tpl-order"
	m.TemplateParams = map[string]string{"order": "A-" + strconv.Itoa(i), "name": "李雷"}
	return m
}

// wantTemplateParam is what templated(i) sends as extra.template_param.
func wantTemplateParam(i int) string {
	return `{"name":"李雷","order":"A-` + strconv.Itoa(i) + `"}`
}

// requireTemplated checks the template fields of one recorded message.
func requireTemplated(t *testing.T, form map[string][]string, i int) {
	t.Helper()
	assert.Equal(t, []string{"tpl-order"}, form["extra.template_id"])
	assert.Equal(t, []string{wantTemplateParam(i)}, form["extra.template_param"])
	assert.Equal(t, []string{"orders"}, form["extra.channel_id"])
}

// Templates travel in single sends, multi-message sends and coalesced
// batches, sync and async, over both protocols; the fake checks them
// against the registered template and records them.
func TestTemplatesOnTheWire(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var failed atomic.Int32
		srv, c := newPair(t, h2, mipush.Options{OnError: func(*mipush.SendError) { failed.Add(1) }})
		srv.SetTemplate(orderTemplate)
		ctx := context.Background()

		// Single, sync.
		_, err := c.PushToRegID(ctx, []string{"r1"}, templated(1))
		require.NoError(t, err)
		r := lastRequest(t, srv, "POST", "/v3/message/regid")
		requireTemplated(t, r.Form, 1)
		assert.Empty(t, r.Warnings)

		// Single, async.
		require.NoError(t, c.PushToAliasAsync(ctx, []string{"a1"}, templated(2)))
		require.NoError(t, c.Flush(ctx))
		requireTemplated(t, lastRequest(t, srv, "POST", "/v3/message/alias").Form, 2)

		// Multi-message, sync and async.
		msgs := []mipush.TargetedMessage{{Target: "r3", Message: templated(3)}, {Target: "r4", Message: templated(4)}}
		_, err = c.PushMessagesToRegIDs(ctx, msgs, time.Time{})
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/multi_messages/regids")
		require.Len(t, r.Messages, 2)
		requireTemplated(t, r.Messages[0].Form, 3)
		requireTemplated(t, r.Messages[1].Form, 4)
		require.NoError(t, c.PushMessagesToUserAccountsAsync(ctx, []mipush.TargetedMessage{{Target: "u5", Message: templated(5)}}, time.Time{}))
		require.NoError(t, c.Flush(ctx))
		r = lastRequest(t, srv, "POST", "/v2/multi_messages/user_accounts")
		require.Len(t, r.Messages, 1)
		requireTemplated(t, r.Messages[0].Form, 5)
		assert.Zero(t, r.Code)

		// As Xiaomi's documentation writes them, in Extra: sent as given,
		// and not counted among the 10 custom extras.
		viaExtra := note(6)
		viaExtra.Extra = map[string]string{"channel_id": "orders", "template_id": "tpl-order",
			"template_param": `{"order":"A-6","name":"李雷"}`}
		for k := range 10 {
			viaExtra.Extra["k"+strconv.Itoa(k)] = "v"
		}
		_, err = c.PushToRegID(ctx, []string{"r6"}, viaExtra)
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v3/message/regid")
		assert.Equal(t, `{"order":"A-6","name":"李雷"}`, r.Form.Get("extra.template_param"))
		assert.Equal(t, "tpl-order", r.Form.Get("extra.template_id"))
		assert.Zero(t, failed.Load(), "no async send failed")
		for _, r := range srv.Requests() {
			assert.Zero(t, r.Code, "%s answered %d", r.Path, r.Code)
		}
	})
}

// Options.Batch gathers single-target sends into multi-message requests:
// each message keeps its own template.
func TestTemplatesInCoalescedBatches(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv, c := newPair(t, h2, out.options(mipush.Options{Batch: batchOn(4, time.Hour)}))
		srv.SetTemplate(orderTemplate)
		ctx := context.Background()
		for i := range 6 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(i)}, templated(i)))
		}
		require.NoError(t, c.Flush(ctx))
		seen := 0
		for _, r := range srv.RequestsTo("/v2/multi_messages/regids") {
			assert.Zero(t, r.Code)
			for _, m := range r.Messages {
				i, err := strconv.Atoi(strings.TrimPrefix(m.Form.Get("payload"), "payload-"))
				require.NoError(t, err)
				requireTemplated(t, m.Form, i)
				seen++
			}
		}
		assert.Equal(t, 6, seen, "every message went in a batch")
		for i := range 6 {
			res, serr := out.one(t, "payload-"+strconv.Itoa(i))
			require.Nil(t, serr)
			assert.True(t, res.Batched)
		}
	})
}

// The fake refuses a private-channel message without its template, or with
// the wrong variables, in single and multi-message sends.
func TestTemplateRefusedByTheFake(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		srv.SetTemplate(orderTemplate)
		ctx := context.Background()

		_, err := c.PushToRegID(ctx, []string{"r"}, onChannel(1, "orders"))
		requireCode(t, err, 21305)
		assert.ErrorContains(t, err, "private")

		wrong := templated(2)
		wrong.TemplateParams = map[string]string{"name": "x"}
		_, err = c.PushToRegID(ctx, []string{"r"}, wrong)
		requireCode(t, err, 10017)
		assert.ErrorContains(t, err, "[name order]")

		other := templated(3)
		other.TemplateID = "tpl-other"
		_, err = c.PushToRegID(ctx, []string{"r"}, other)
		requireCode(t, err, 10017)

		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{
			{Target: "r1", Message: templated(4)}, {Target: "r2", Message: onChannel(5, "orders")},
		}, time.Time{})
		requireCode(t, err, 21305)
		assert.ErrorContains(t, err, "messages[1]")

		// Other channels need no template.
		_, err = c.PushToRegID(ctx, []string{"r"}, onChannel(6, "news"))
		require.NoError(t, err)
	})
}

func TestTemplateValidation(t *testing.T) {
	nine := map[string]string{}
	for i := range 9 {
		nine["v"+strconv.Itoa(i)] = "x"
	}
	ten := map[string]string{"v9": "x"}
	for k, v := range nine {
		ten[k] = v
	}
	for _, tc := range []struct {
		name          string
		set           func(m *mipush.Message)
		field, reason string // "" field: valid
	}{
		{"nine variables", func(m *mipush.Message) { m.TemplateParams = nine }, "", ""},
		{"128 characters", func(m *mipush.Message) { m.TemplateParams = map[string]string{"a": strings.Repeat("长", 128)} }, "", ""},
		{"no variables", func(m *mipush.Message) { m.TemplateParams = nil }, "", ""},
		{"ten variables", func(m *mipush.Message) { m.TemplateParams = ten }, "extra.template_param", "at most 9 variables, got 10"},
		{"empty value", func(m *mipush.Message) { m.TemplateParams = map[string]string{"name": ""} },
			"extra.template_param", `variable "name": must be 1 to 128 characters, got 0`},
		{"129 characters", func(m *mipush.Message) { m.TemplateParams = map[string]string{"a": strings.Repeat("长", 129)} },
			"extra.template_param", "must be 1 to 128 characters, got 129"},
		{"all spaces", func(m *mipush.Message) { m.TemplateParams = map[string]string{"a": " \u3000\t"} }, "extra.template_param", "all white space"},
		{"emoji", func(m *mipush.Message) { m.TemplateParams = map[string]string{"a": "ok 🚀"} }, "extra.template_param", "category So"},
		{"unassigned", func(m *mipush.Message) { m.TemplateParams = map[string]string{"a": "x\u0378"} }, "extra.template_param", "unassigned code points, got U+378"},
		{"empty name", func(m *mipush.Message) { m.TemplateParams = map[string]string{"": "x"} }, "extra.template_param", "names must not be empty"},
		{"params without id", func(m *mipush.Message) { m.TemplateID = "" }, "extra.template_id", "required with TemplateParams"},
		{"blank id", func(m *mipush.Message) { m.TemplateID = "  " }, "extra.template_id", "all white space"},
		{"CR in id", func(m *mipush.Message) { m.TemplateID = "t\r" }, "extra.template_id", "control characters"},
		{"extra param not JSON", func(m *mipush.Message) {
			m.TemplateParams = nil
			m.Extra = map[string]string{"template_param": "name=Li"}
		}, "extra.template_param", "JSON object of strings"},
		{"extra param not strings", func(m *mipush.Message) {
			m.TemplateParams = nil
			m.Extra = map[string]string{"template_param": `{"n":1}`}
		}, "extra.template_param", "JSON object of strings"},
		{"extra param array", func(m *mipush.Message) {
			m.TemplateParams = nil
			m.Extra = map[string]string{"template_param": `["a"]`}
		}, "extra.template_param", "JSON object of strings"},
		{"extra param emoji", func(m *mipush.Message) {
			m.TemplateParams = nil
			m.Extra = map[string]string{"template_param": `{"n":"\ud83d\ude80"}`}
		}, "extra.template_param", `variable "n"`},
		{"extra param without id", func(m *mipush.Message) {
			m.TemplateID, m.TemplateParams = "", nil
			m.Extra = map[string]string{"template_param": `{"n":"x"}`}
		}, "extra.template_id", "required with extra.template_param"},
		{"extra id and typed id differ", func(m *mipush.Message) { m.Extra = map[string]string{"template_id": "tpl-2"} },
			"extra.template_id", "set twice"},
		{"extra id empty", func(m *mipush.Message) {
			m.TemplateID, m.TemplateParams = "", nil
			m.Extra = map[string]string{"template_id": ""}
		}, "extra.template_id", "must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := templated(1)
			tc.set(m)
			err := m.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			requireInvalid(t, err, tc.field)
			assert.Contains(t, err.Error(), tc.reason)
		})
	}
}

// A bad template is refused before anything is sent, sync and async,
// single and batched.
func TestTemplateValidationSendsNothing(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Batch: batchOn(10, time.Hour)})
		ctx := context.Background()
		bad := templated(1)
		bad.TemplateParams["name"] = "🚀"
		_, err := c.PushToRegID(ctx, []string{"r"}, bad)
		requireInvalid(t, err, "extra.template_param")
		requireInvalid(t, c.PushToRegIDAsync(ctx, []string{"r"}, bad), "extra.template_param")
		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "r", Message: bad}}, time.Time{})
		var ve *mipush.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Contains(t, ve.Field, "extra.template_param")
		require.NoError(t, c.Flush(ctx))
		assert.Zero(t, srv.Count())
	})
}

// An Android notification without NotifyEffect goes out as a predefined
// notification, extra.notify_effect=1, single and batched, sync and async;
// pass-through and iOS messages do not carry it, and an effect given in
// Extra is sent once, as given.
func TestNotifyEffectByDefault(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		require.NoError(t, err)
		r := lastRequest(t, srv, "POST", "/v3/message/regid")
		assert.Equal(t, []string{"1"}, r.Form["extra.notify_effect"])
		assert.Empty(t, r.Warnings, "a predefined notification draws no warning")

		require.NoError(t, c.PushToTopicAsync(ctx, "news", note(2)))
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, []string{"1"}, lastRequest(t, srv, "POST", "/v2/message/topic").Form["extra.notify_effect"])

		pt := &mipush.Message{RestrictedPackageName: "com.example.app", Payload: "p", PassThrough: true}
		_, err = c.PushToRegID(ctx, []string{"r"}, pt)
		require.NoError(t, err)
		assert.False(t, lastRequest(t, srv, "POST", "/v3/message/regid").Form.Has("extra.notify_effect"))

		ios := &mipush.Message{Description: "d", IOS: &mipush.IOS{Category: "c"}}
		_, err = c.PushToRegID(ctx, []string{"r"}, ios)
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v3/message/regid")
		assert.False(t, r.Form.Has("extra.notify_effect"))
		assert.Empty(t, r.Warnings, "an iOS message needs no effect")

		viaExtra := note(3)
		viaExtra.Extra = map[string]string{"notify_effect": "2", "intent_uri": "intent:#Intent;end"}
		_, err = c.PushToRegID(ctx, []string{"r"}, viaExtra)
		require.NoError(t, err)
		assert.Equal(t, []string{"2"}, lastRequest(t, srv, "POST", "/v3/message/regid").Form["extra.notify_effect"])

		web := note(4)
		web.NotifyEffect, web.WebURI = mipush.NotifyEffectWeb, "https://example.com/"
		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "r1", Message: note(5)}, {Target: "r2", Message: web}}, time.Time{})
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/multi_messages/regids")
		require.Len(t, r.Messages, 2)
		assert.Equal(t, "1", r.Messages[0].Form.Get("extra.notify_effect"))
		assert.Equal(t, "3", r.Messages[1].Form.Get("extra.notify_effect"))
		assert.Empty(t, r.Warnings)
	})
}

// Through Options.Batch too: the messages of a coalesced batch are
// predefined notifications.
func TestNotifyEffectByDefaultInBatches(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Batch: batchOn(3, time.Hour)}, mipushtest.Options{Strict: true})
		ctx := context.Background()
		for i := range 3 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(i)}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		r := lastRequest(t, srv, "POST", "/v2/multi_messages/regids")
		assert.Zero(t, r.Code, "a strict fake accepts them")
		require.Len(t, r.Messages, 3)
		for _, m := range r.Messages {
			assert.Equal(t, "1", m.Form.Get("extra.notify_effect"))
		}
	})
}

// The JSON of extra.template_param is an object of the variables, keys in
// order, whatever the map order.
func TestTemplateParamDeterministic(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		m := templated(1)
		m.TemplateParams = map[string]string{}
		for i := range 9 {
			m.TemplateParams[string(rune('i'-i))] = `"` + strconv.Itoa(i) + `\`
		}
		var bodies []string
		for range 5 {
			_, err := c.PushToRegID(context.Background(), []string{"r"}, m)
			require.NoError(t, err)
			bodies = append(bodies, lastRequest(t, srv, "POST", "/v3/message/regid").Form.Get("extra.template_param"))
		}
		for _, b := range bodies {
			assert.Equal(t, bodies[0], b)
		}
		var got map[string]string
		require.NoError(t, json.Unmarshal([]byte(bodies[0]), &got))
		assert.Equal(t, m.TemplateParams, got)
		assert.True(t, strings.HasPrefix(bodies[0], `{"a":"\"8\\"`), bodies[0])
	})
}

// extra.callback.param may hold 256 bytes (the 2024–2025 documentation),
// single and batched, sync and async.
func TestCallbackParam256OnTheWire(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Batch: batchOn(2, time.Hour)})
		ctx := context.Background()
		param := strings.Repeat("p", 256)
		m := func(i int) *mipush.Message {
			m := note(i)
			m.Callback = &mipush.Callback{URL: "https://hooks.example.com/r", Param: param}
			return m
		}
		_, err := c.PushToRegID(ctx, []string{"r"}, m(1))
		require.NoError(t, err)
		assert.Equal(t, param, lastRequest(t, srv, "POST", "/v3/message/regid").Form.Get("extra.callback.param"))
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r2"}, m(2)))
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r3"}, m(3)))
		require.NoError(t, c.Flush(ctx))
		r := lastRequest(t, srv, "POST", "/v2/multi_messages/regids")
		require.Len(t, r.Messages, 2)
		for _, bm := range r.Messages {
			assert.Equal(t, param, bm.Form.Get("extra.callback.param"))
		}
		long := m(4)
		long.Callback.Param += "p"
		requireInvalid(t, c.PushToRegIDAsync(ctx, []string{"r"}, long), "extra.callback.param")
	})
}
