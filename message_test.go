package mipush

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/rules"
	"github.com/mipush-go/mipush/receipt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/message")

// trickyPayload holds every byte the form encoding treats specially, and
// text outside ASCII.
const trickyPayload = `{"q":"a&b=c+d%e/f?g#h i","zh":"小米推送","emoji":"🚀👍🏽","nl":"x
y","tab":"	","bs":"\\"}`

// fullAndroid sets every Android field.
func fullAndroid() *Message {
	return &Message{
		RestrictedPackageName: "com.example.app,com.example.lite",
		Payload:               trickyPayload,
		Title:                 "标题 & title",
		Description:           "描述 + description",
		NotifyType:            NotifyDefaultSound | NotifyDefaultVibrate,
		NotifyID:              2147483647,
		TimeToLive:            90*time.Minute + 1500*time.Microsecond, // sent as 5400001
		TimeToSend:            time.UnixMilli(1767225600123),
		Extra:                 map[string]string{"z": "last", "a key": "a value", "m": "=&"},
		SoundURI:              "android.resource://com.example.app/raw/ding",
		Ticker:                "ticker 滚动",
		NotifyForeground:      ForegroundHide,
		NotifyEffect:          NotifyEffectWeb,
		IntentURI:             "intent:#Intent;component=com.example.app/.Main;end",
		WebURI:                "https://example.com/a?b=c&d=e#f",
		ClassName:             "com.example.app.Main",
		IntentFlag:            268435456,
		FlowControl:           3000,
		JobKey:                "job-2024_01",
		Callback: &Callback{
			URL:   "https://hooks.example.com/mipush?token=s3cr3t",
			Param: "batch=7",
			Type:  receipt.Delivered | receipt.InvalidTarget,
		},
		Locales:            []string{"zh_CN", "zh_TW"},
		LocalesNotIn:       []string{"en_US"},
		Models:             []string{"samsung", "2000-3999", "4000+"},
		ModelsNotIn:        []string{"0-999"},
		AppVersions:        []string{"1.2.0", "1.3.0"},
		AppVersionsNotIn:   []string{"1.0.0"},
		OnlyWiFi:           true,
		OnlySendOnce:       true,
		InstantNotify:      true,
		ChannelID:          "orders",
		ChannelName:        "订单",
		ChannelDescription: "Order updates",
		TemplateID:         "tpl-1",
		TemplateParams:     map[string]string{"order": "A&B \"42\"", "name": "李"},
		Style:              StyleBigPicture,
		LargeIconURI:       "https://img.example.com/l.png",
		BigPictureURI:      "https://img.example.com/b.png",
		SmallIconURI:       "https://img.example.com/s.png",
		SmallIconColor:     "#1E90FF",
		LeftButton:         &Button{Name: "Open", Effect: NotifyEffectLauncher},
		MidButton:          &Button{Name: "View", Effect: NotifyEffectActivity, IntentURI: "intent:#Intent;end", IntentClass: "com.example.app.View"},
		RightButton:        &Button{Name: "Web", Effect: NotifyEffectWeb, WebURI: "https://example.com/"},
		LayoutName:         "custom_layout",
		LayoutValue:        `{"text":{"title":"t"}}`,
	}
}

// fullIOS sets every iOS field.
func fullIOS() *Message {
	return &Message{
		Description: "You have mail",
		TimeToLive:  time.Hour,
		IOS: &IOS{
			Badge:             new(0),
			Category:          "MAIL",
			SoundURL:          "default",
			Channel:           IOSChannelAPNs,
			ContentAvailable:  true,
			ShowContent:       true,
			AlertTitle:        "Mail",
			AlertBody:         "New mail",
			AlertTitleLocKey:  "MAIL_TITLE",
			AlertTitleLocArgs: "a,b",
			AlertActionLocKey: "OPEN",
			AlertLocKey:       "MAIL_BODY",
			AlertLocArgs:      "c",
			AlertLaunchImage:  "launch.png",
			ApsTitle:          "标题",
			ApsSubtitle:       "sub",
			ApsBody:           "body\u2028line",
			MutableContent:    true,
		},
		Extra: map[string]string{"thread": "42"},
	}
}

var encodeCases = []struct {
	name string
	msg  *Message
}{
	{"pass_through", &Message{RestrictedPackageName: "com.example.app", Payload: "hello", PassThrough: true}},
	{"notification", &Message{
		RestrictedPackageName: "com.example.app",
		Title:                 "Hi",
		Description:           "Your order shipped",
		NotifyType:            NotifyDefaultAll,
		NotifyID:              7,
	}},
	{"tricky_payload", &Message{RestrictedPackageName: "com.example.app", Payload: trickyPayload, PassThrough: true}},
	{"android_full", fullAndroid()},
	{"ios_full", fullIOS()},
}

func TestMessageEncodeGolden(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			form := tc.msg.appendForm(nil)
			js := tc.msg.appendJSON(nil)
			checkGolden(t, tc.name+".form.golden", form)
			checkGolden(t, tc.name+".json.golden", js)
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "message", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestMessageEncodeGolden -update to create it")
	assert.Equal(t, string(bytes.TrimSuffix(want, []byte("\n"))), string(got))
}

func TestMessageEncodeFormRoundTrip(t *testing.T) {
	m := fullAndroid()
	form := m.appendForm(nil)
	require.True(t, bytes.HasPrefix(form, []byte("&")), "every field starts with '&'")
	require.NotContains(t, string(form), "&&")

	v, err := url.ParseQuery(string(form[1:]))
	require.NoError(t, err)
	for k, vs := range v {
		require.Len(t, vs, 1, "field %s sent more than once", k)
	}
	want := map[string]string{
		"restricted_package_name":       m.RestrictedPackageName,
		"payload":                       trickyPayload,
		"title":                         m.Title,
		"description":                   m.Description,
		"notify_type":                   "3",
		"notify_id":                     "2147483647",
		"time_to_live":                  "5400001",
		"time_to_send":                  "1767225600123",
		"extra.z":                       "last",
		"extra.a key":                   "a value",
		"extra.m":                       "=&",
		"extra.sound_uri":               m.SoundURI,
		"extra.notify_foreground":       "0",
		"extra.notify_effect":           "3",
		"extra.web_uri":                 m.WebURI,
		"extra.intent_flag":             "268435456",
		"extra.flow_control":            "3000",
		"extra.jobkey":                  "job-2024_01",
		"extra.callback":                m.Callback.URL,
		"extra.callback.param":          "batch=7",
		"extra.callback.type":           "17",
		"extra.locale":                  "zh_CN,zh_TW",
		"extra.model":                   "samsung,2000-3999,4000+",
		"extra.connpt":                  "wifi",
		"extra.only_send_once":          "1",
		"extra.instant_notify":          "1",
		"extra.channel_name":            "订单",
		"extra.notification_style_type": "2",
		"extra.notification_bigPic_uri": m.BigPictureURI,
		"extra.notification_style_button_left_name":          "Open",
		"extra.notification_style_button_left_notify_effect": "1",
		"extra.notification_style_button_mid_intent_class":   "com.example.app.View",
		"extra.notification_style_button_right_web_uri":      "https://example.com/",
		"extra.layout_value":                                 `{"text":{"title":"t"}}`,
	}
	for k, w := range want {
		assert.Equal(t, w, v.Get(k), "field %s", k)
	}
	assert.NotContains(t, v, "pass_through", "a notification leaves pass_through out")
}

// TestMessageEncodeOrder checks the documented field order: top-level
// fields, typed extras, Extra by key, aps_proper_fields.
func TestMessageEncodeOrder(t *testing.T) {
	m := fullIOS()
	m.Title = "t"
	m.Extra = map[string]string{"b": "2", "a": "1", "c": "3"}
	var keys []string
	for f := range strings.SplitSeq(string(m.appendForm(nil)[1:]), "&") {
		k, _, _ := strings.Cut(f, "=")
		keys = append(keys, k)
	}
	assert.Equal(t, []string{
		"title", "description", "time_to_live",
		"extra.badge", "extra.category", "extra.sound_url", "extra.ios_msg_channel",
		"extra.content-available", "extra.show-content",
		"extra.apsAlert-title", "extra.apsAlert-body", "extra.apsAlert-title-loc-key",
		"extra.apsAlert-title-loc-args", "extra.apsAlert-action-loc-key", "extra.apsAlert-loc-key",
		"extra.apsAlert-loc-args", "extra.apsAlert-launch-image",
		"extra.a", "extra.b", "extra.c",
		"aps_proper_fields.title", "aps_proper_fields.subtitle", "aps_proper_fields.body",
		"aps_proper_fields.mutable-content",
	}, keys)
}

func TestMessageEncodeDeterministic(t *testing.T) {
	m := fullAndroid()
	m.Extra = map[string]string{}
	for _, k := range strings.Fields("k0 k1 k2 k3 k4 k5 k6 k7 k8 k9") {
		m.Extra[k] = "v" + k
	}
	first, firstJSON := m.appendForm(nil), m.appendJSON(nil)
	// Map iteration order differs from run to run; the output must not.
	for range 50 {
		require.Equal(t, string(first), string(m.appendForm(nil)))
		require.Equal(t, string(firstJSON), string(m.appendJSON(nil)))
	}
	assert.Contains(t, string(first), "&extra.k0=vk0&extra.k1=vk1&extra.k2=vk2")
}

// TestMessageEncodeJSON decodes the JSON with encoding/json and checks it
// carries what the form carries.
func TestMessageEncodeJSON(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			form, err := url.ParseQuery(string(tc.msg.appendForm(nil)[1:]))
			require.NoError(t, err)
			var obj map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(tc.msg.appendJSON(nil), &obj))

			fromJSON := map[string]string{}
			for k, raw := range obj {
				switch k {
				case "extra", "aps_proper_fields":
					var inner map[string]string
					require.NoError(t, json.Unmarshal(raw, &inner), "%s holds strings", k)
					require.NotEmpty(t, inner, "an empty %s object is left out", k)
					for ik, iv := range inner {
						fromJSON[k+"."+ik] = iv
					}
				case "payload", "title", "description", "restricted_package_name":
					var s string
					require.NoError(t, json.Unmarshal(raw, &s))
					fromJSON[k] = s
				default: // numbers
					var n json.Number
					require.NoError(t, json.Unmarshal(raw, &n), "%s is a number", k)
					fromJSON[k] = n.String()
				}
			}
			fromForm := map[string]string{}
			for k, vs := range form {
				fromForm[k] = vs[0]
			}
			assert.Equal(t, fromForm, fromJSON)
		})
	}
}

func TestMessageEncodeJSONKeys(t *testing.T) {
	js := string((&Message{Payload: "p", PassThrough: true, TimeToSend: time.UnixMilli(5)}).appendJSON(nil))
	assert.Equal(t, `{"payload":"p","pass_through":1,"time_to_send":5}`, js)
	js = string((&Message{Title: "t", Description: "d"}).appendJSON(nil))
	assert.Equal(t, `{"title":"t","description":"d","extra":{"notify_effect":"1"}}`, js, "no time_to_send unless set; notify_effect 1 by default")
	js = string((&Message{Title: "t", JobKey: "j", IOS: &IOS{ApsBody: "b"}}).appendJSON(nil))
	assert.Equal(t, `{"title":"t","extra":{"jobkey":"j"},"aps_proper_fields":{"body":"b"}}`, js)
	js = string((&Message{IOS: &IOS{ApsBody: "b"}}).appendJSON([]byte("[")))
	assert.Equal(t, `[{"aps_proper_fields":{"body":"b"}}`, js, "appends to b")
}

func TestMessageFormSizeHint(t *testing.T) {
	cases := append([]struct {
		name string
		msg  *Message
	}{{"empty", &Message{}}}, encodeCases...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hint := tc.msg.formSizeHint()
			require.Equal(t, len(tc.msg.appendForm(nil)), hint, "the hint is exact")
			buf := make([]byte, 3, 3+hint)
			out := tc.msg.appendForm(buf)
			assert.Equal(t, cap(buf), cap(out), "a buffer of the hinted size is not grown")
		})
	}
}

func TestAppendFormEscaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"AZaz09.-*_", "AZaz09.-*_"},
		{"a b", "a+b"},
		{"&=+%/?#", "%26%3D%2B%25%2F%3F%23"},
		{"~!'()", "%7E%21%27%28%29"}, // Java's URLEncoder escapes these too
		{"é", "%C3%A9"},
		{"小", "%E5%B0%8F"},
		{"🚀", "%F0%9F%9A%80"},
		{"\x00\r\n\x7f\xff", "%00%0D%0A%7F%FF"},
	} {
		got := string(appendFormEscaped([]byte("x="), tc.in))
		assert.Equal(t, "x="+tc.want, got, "escaping %q", tc.in)
		assert.Equal(t, len(tc.want), formEscapedLen(tc.in), "length of %q", tc.in)
		back, err := url.QueryUnescape(tc.want)
		require.NoError(t, err)
		assert.Equal(t, tc.in, back)
	}
}

func TestAppendFormEscapedEveryByte(t *testing.T) {
	for c := range 256 {
		s := string([]byte{byte(c)})
		esc := string(appendFormEscaped(nil, s))
		back, err := url.QueryUnescape(esc)
		require.NoError(t, err)
		require.Equal(t, s, back, "byte %#x", c)
		safe := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune(".-*_", rune(c))
		require.Equal(t, safe, esc == s, "byte %#x escaped as %s", c, esc)
	}
}

func TestAppendJSONText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{`"\`, `\"\\`},
		{"\n\r\t\b\f\x00\x1f", `\n\r\t\u0008\u000c\u0000\u001f`},
		{"\u2028\u2029", `\u2028\u2029`},
		{"小米🚀</>&", "小米🚀</>&"},
		{"a\xffb\xc3", "a\\ufffdb\\ufffd"},
	} {
		got := string(appendJSONText(nil, tc.in))
		assert.Equal(t, tc.want, got, "escaping %q", tc.in)
		var back string
		require.NoError(t, json.Unmarshal([]byte(`"`+got+`"`), &back))
		assert.Equal(t, strings.ToValidUTF8(tc.in, "\uFFFD"), back)
	}
}

// TestTypedExtraKeysReserved checks that Extra may not repeat any key a
// typed field writes, so that no key can be sent twice.
func TestTypedExtraKeysReserved(t *testing.T) {
	for _, m := range []*Message{fullAndroid(), fullIOS()} {
		m.Extra = nil
		v, err := url.ParseQuery(string(m.appendForm(nil)[1:]))
		require.NoError(t, err)
		n := 0
		for k := range v {
			if key, ok := strings.CutPrefix(k, "extra."); ok {
				n++
				assert.NotEmpty(t, typedExtraField(key), "extra.%s is not reserved", key)
			}
		}
		assert.Greater(t, n, 10)
	}
	assert.Empty(t, typedExtraField("hybrid_pn"))
	assert.Empty(t, typedExtraField("notification_style_button_left_other"))
}

func BenchmarkMessageAppendForm(b *testing.B) {
	m := benchMessage()
	buf := make([]byte, 0, 4096) // roomy, as the send path's reused buffer
	b.ReportAllocs()
	b.SetBytes(int64(m.formSizeHint()))
	for b.Loop() {
		buf = m.appendForm(buf[:0])
	}
}

func BenchmarkMessageFormSizeHint(b *testing.B) {
	m := benchMessage()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.formSizeHint()
	}
}

func BenchmarkMessageAppendJSON(b *testing.B) {
	m := benchMessage()
	buf := m.appendJSON(nil)
	b.ReportAllocs()
	for b.Loop() {
		buf = m.appendJSON(buf[:0])
	}
}

func BenchmarkMessageValidate(b *testing.B) {
	m := benchMessage()
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMessage is a typical notification: title, description, a payload of
// about 200 bytes and 3 custom extras.
func benchMessage() *Message {
	return &Message{
		RestrictedPackageName: "com.example.shop",
		Title:                 "Your order has shipped",
		Description:           "Order 12345 left our warehouse and arrives on Friday. 订单已发货",
		Payload:               `{"type":"order_shipped","order_id":"12345","carrier":"SF Express","tracking":"SF1234567890","eta":"2025-01-10","url":"https://shop.example.com/orders/12345?utm_source=push","items":3}`,
		NotifyType:            NotifyDefaultAll,
		NotifyID:              12345,
		TimeToLive:            24 * time.Hour,
		ChannelID:             "orders",
		Extra:                 map[string]string{"order_id": "12345", "kind": "shipped", "campaign": "none"},
	}
}

// The default tap effect is the rule table's.
func TestDefaultEffectIsTheRule(t *testing.T) {
	assert.Equal(t, rules.DefaultNotifyEffect, strconv.Itoa(int((&Message{Title: "t", Description: "d"}).effect())))
}
