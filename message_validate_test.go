package mipush

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refNow is the fixed "now" of the validation table.
var refNow = time.Date(2025, 12, 30, 8, 0, 0, 0, time.UTC)

// wide is just above what a Java int holds (a variable, so that the test
// compiles where int has 32 bits).
var wide int64 = math.MaxInt32 + 1

func notification() *Message {
	return &Message{RestrictedPackageName: "com.example.app", Title: "t", Description: "d"}
}

func passThrough() *Message {
	return &Message{RestrictedPackageName: "com.example.app", Payload: "p", PassThrough: true}
}

func iosMessage() *Message {
	return &Message{Description: "d", IOS: &IOS{}}
}

func TestMessageValidate(t *testing.T) {
	// Each case changes a valid base message; field is the Field of the
	// expected error, or "" when the result is valid.
	cases := []struct {
		name   string
		base   func() *Message
		change func(m *Message)
		field  string
		reason string // a part of the expected Reason
	}{
		{"notification", notification, func(*Message) {}, "", ""},
		{"pass-through", passThrough, func(*Message) {}, "", ""},
		{"iOS", iosMessage, func(*Message) {}, "", ""},
		{"full Android", fullAndroid, func(*Message) {}, "", ""},
		{"full iOS", fullIOS, func(*Message) {}, "", ""},

		// Required fields by kind.
		{"pass-through needs payload", passThrough, func(m *Message) { m.Payload = "" }, "payload", "required"},
		{"pass-through needs no title", passThrough, func(m *Message) { m.Title, m.Description = "", "" }, "", ""},
		{"notification needs title", notification, func(m *Message) { m.Title = "" }, "title", "required"},
		{"notification needs description", notification, func(m *Message) { m.Description = "" }, "description", "required"},
		{"blank title", notification, func(m *Message) { m.Title = " \t\u3000" }, "title", "white space"},
		{"blank title in pass-through", passThrough, func(m *Message) { m.Title = "  " }, "title", "white space"},
		{"iOS needs no title or description", iosMessage, func(m *Message) { m.Description = "" }, "", ""},
		{"iOS needs no package", iosMessage, func(m *Message) { m.RestrictedPackageName = "" }, "", ""},
		{"Android package may be empty", notification, func(m *Message) { m.RestrictedPackageName = "" }, "", ""},

		// restricted_package_name.
		{"two packages", notification, func(m *Message) { m.RestrictedPackageName = "a.b,c_d.E9" }, "", ""},
		{"empty package in list", notification, func(m *Message) { m.RestrictedPackageName = "a.b," }, "restricted_package_name", "empty"},
		{"package with space", notification, func(m *Message) { m.RestrictedPackageName = "a.b, c.d" }, "restricted_package_name", "[A-Za-z0-9_.]"},
		{"package with CRLF", notification, func(m *Message) { m.RestrictedPackageName = "a.b\r\nX-Evil: 1" }, "restricted_package_name", ""},

		// Lengths: characters, not bytes.
		{"title 49 CJK", notification, func(m *Message) { m.Title = strings.Repeat("小", 49) }, "", ""},
		{"title 50 CJK", notification, func(m *Message) { m.Title = strings.Repeat("小", 50) }, "title", "shorter than 50 characters, got 50"},
		{"title 49 emoji", notification, func(m *Message) { m.Title = strings.Repeat("🚀", 49) }, "", ""},
		{"title 73", notification, func(m *Message) { m.Title = strings.Repeat("a", 73) }, "title", "got 73"},
		{"description 127", notification, func(m *Message) { m.Description = strings.Repeat("é", 127) }, "", ""},
		{"description 128", notification, func(m *Message) { m.Description = strings.Repeat("é", 128) }, "description", "shorter than 128 characters, got 128"},
		{"payload 4095 bytes", passThrough, func(m *Message) { m.Payload = strings.Repeat("a", 4095) }, "", ""},
		{"payload 4096 bytes", passThrough, func(m *Message) { m.Payload = strings.Repeat("a", 4096) }, "payload", "shorter than 4096 bytes (4 KB), got 4096"},
		{"payload counts bytes", passThrough, func(m *Message) { m.Payload = strings.Repeat("小", 1366) }, "payload", "got 4098"},
		{"payload invalid UTF-8", passThrough, func(m *Message) { m.Payload = "a\xffb" }, "payload", "UTF-8"},
		{"payload NUL", passThrough, func(m *Message) { m.Payload = "a\x00b" }, "payload", "NUL"},
		{"payload line breaks", passThrough, func(m *Message) { m.Payload = "a\r\nb" }, "", ""},

		// notify_type and notify_id.
		{"notify_type all", notification, func(m *Message) { m.NotifyType = NotifyDefaultAll }, "", ""},
		{"notify_type 7", notification, func(m *Message) { m.NotifyType = 7 }, "", ""},
		{"notify_type 8", notification, func(m *Message) { m.NotifyType = 8 }, "notify_type", "got 8"},
		{"notify_type -2", notification, func(m *Message) { m.NotifyType = -2 }, "notify_type", "got -2"},
		{"notify_id max", notification, func(m *Message) { m.NotifyID = 2147483647 }, "", ""},
		{"64-bit: notify_id max+1", notification, func(m *Message) { m.NotifyID = int(wide) }, "notify_id", "0..2147483647"},
		{"notify_id -1", notification, func(m *Message) { m.NotifyID = -1 }, "notify_id", "got -1"},

		// time_to_live.
		{"ttl 1ms", notification, func(m *Message) { m.TimeToLive = time.Millisecond }, "", ""},
		{"ttl sub-ms", notification, func(m *Message) { m.TimeToLive = 999 * time.Microsecond }, "time_to_live", "at least 1ms"},
		{"ttl negative", notification, func(m *Message) { m.TimeToLive = -time.Second }, "time_to_live", "negative"},

		// time_to_send, against refNow.
		{"tts 7 days - 1m", notification, func(m *Message) { m.TimeToSend = refNow.Add(7*24*time.Hour - time.Minute) }, "", ""},
		{"tts 7 days", notification, func(m *Message) { m.TimeToSend = refNow.Add(7 * 24 * time.Hour) }, "", ""},
		{"tts 7 days + 1m", notification, func(m *Message) { m.TimeToSend = refNow.Add(7*24*time.Hour + time.Minute) }, "time_to_send", "got 168h1m0s ahead"},
		{"tts past", notification, func(m *Message) { m.TimeToSend = refNow.Add(-time.Hour) }, "", ""},
		{"tts before 1970", notification, func(m *Message) { m.TimeToSend = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }, "time_to_send", "1970"},

		// Enumerations and their dependencies.
		{"foreground hide", notification, func(m *Message) { m.NotifyForeground = ForegroundHide }, "", ""},
		{"foreground 3", notification, func(m *Message) { m.NotifyForeground = 3 }, "extra.notify_foreground", "got 3"},
		{"effect launcher", notification, func(m *Message) { m.NotifyEffect = NotifyEffectLauncher }, "", ""},
		{"effect 4", notification, func(m *Message) { m.NotifyEffect = 4 }, "extra.notify_effect", "got 4"},
		{"effect activity needs intent", notification, func(m *Message) { m.NotifyEffect = NotifyEffectActivity }, "extra.intent_uri", "NotifyEffectActivity"},
		{"effect activity", notification, func(m *Message) { m.NotifyEffect, m.IntentURI = NotifyEffectActivity, "intent:#Intent;end" }, "", ""},
		{"effect web needs URL", notification, func(m *Message) { m.NotifyEffect = NotifyEffectWeb }, "extra.web_uri", "NotifyEffectWeb"},
		{"effect web", notification, func(m *Message) { m.NotifyEffect, m.WebURI = NotifyEffectWeb, "HTTPS://example.com" }, "", ""},
		{"web_uri relative", notification, func(m *Message) { m.NotifyEffect, m.WebURI = NotifyEffectWeb, "/path" }, "extra.web_uri", "absolute http"},
		{"web_uri ftp", notification, func(m *Message) { m.WebURI = "ftp://example.com/" }, "extra.web_uri", "absolute http"},
		{"style 3", notification, func(m *Message) { m.Style = 3 }, "extra.notification_style_type", "got 3"},
		{"64-bit: intent_flag too big", notification, func(m *Message) { m.IntentFlag = int(wide) }, "extra.intent_flag", "32 bits"},
		{"flow_control negative", notification, func(m *Message) { m.FlowControl = -1 }, "extra.flow_control", "negative"},

		// jobkey.
		{"jobkey 20", notification, func(m *Message) { m.JobKey = strings.Repeat("a", 20) }, "", ""},
		{"jobkey 21", notification, func(m *Message) { m.JobKey = strings.Repeat("a", 21) }, "extra.jobkey", "at most 20 characters (older documentation: 12), got 21"},
		{"jobkey charset", notification, func(m *Message) { m.JobKey = "aZ09_-" }, "", ""},
		{"jobkey leading dash", notification, func(m *Message) { m.JobKey = "-a" }, "", ""},
		{"jobkey leading underscore", notification, func(m *Message) { m.JobKey = "_a" }, "extra.jobkey", "'_'"},
		{"jobkey dot", notification, func(m *Message) { m.JobKey = "a.b" }, "extra.jobkey", "[0-9A-Za-z_-]"},
		{"jobkey CJK", notification, func(m *Message) { m.JobKey = "任务" }, "extra.jobkey", "[0-9A-Za-z_-]"},
		{"jobkey space", notification, func(m *Message) { m.JobKey = "a b" }, "extra.jobkey", ""},

		// callback.
		{"callback", notification, func(m *Message) { m.Callback = &Callback{URL: "http://h/cb", Type: 243 + 1024} }, "", ""},
		{"callback without URL", notification, func(m *Message) { m.Callback = &Callback{Param: "p"} }, "extra.callback", "required"},
		{"callback relative URL", notification, func(m *Message) { m.Callback = &Callback{URL: "h/cb"} }, "extra.callback", "absolute"},
		{"callback URL no host", notification, func(m *Message) { m.Callback = &Callback{URL: "http:///cb"} }, "extra.callback", "absolute"},
		{"callback URL with LF", notification, func(m *Message) { m.Callback = &Callback{URL: "http://h/\ncb"} }, "extra.callback", "control"},
		{"callback param 256", notification, func(m *Message) { m.Callback = &Callback{URL: "http://h", Param: strings.Repeat("p", 256)} }, "", ""},
		{"callback param 257", notification, func(m *Message) { m.Callback = &Callback{URL: "http://h", Param: strings.Repeat("p", 257)} }, "extra.callback.param", "at most 256 bytes, got 257"},
		{"callback URL 128", notification, func(m *Message) { m.Callback = &Callback{URL: "https://h.example.com/" + strings.Repeat("p", 106)} }, "", ""},
		{"callback URL 129", notification, func(m *Message) { m.Callback = &Callback{URL: "https://h.example.com/" + strings.Repeat("p", 107)} }, "extra.callback", "at most 128 bytes, got 129"},
		{"callback type 4", notification, func(m *Message) { m.Callback = &Callback{URL: "http://h", Type: 4} }, "extra.callback.type", "got 4"},
		{"callback type negative", notification, func(m *Message) { m.Callback = &Callback{URL: "http://h", Type: -1} }, "extra.callback.type", ""},

		// Lists.
		{"locale list", notification, func(m *Message) { m.Locales = []string{"zh_CN", "en_US"} }, "", ""},
		{"locale empty element", notification, func(m *Message) { m.Locales = []string{"zh_CN", ""} }, "extra.locale", "index 1"},
		{"model with comma", notification, func(m *Message) { m.ModelsNotIn = []string{"a,b"} }, "extra.model_not_in", "','"},
		{"app version CR", notification, func(m *Message) { m.AppVersions = []string{"1.0\r"} }, "extra.app_version", "control"},

		// Buttons.
		{"button", notification, func(m *Message) { m.MidButton = &Button{Name: "Go", Effect: NotifyEffectLauncher} }, "", ""},
		{"button needs name", notification, func(m *Message) { m.LeftButton = &Button{Effect: NotifyEffectLauncher} }, "extra.notification_style_button_left_name", "required"},
		{"button needs effect", notification, func(m *Message) { m.RightButton = &Button{Name: "x"} }, "extra.notification_style_button_right_notify_effect", "required"},
		{"button activity by class", notification, func(m *Message) { m.LeftButton = &Button{Name: "x", Effect: NotifyEffectActivity, IntentClass: "a.B"} }, "", ""},
		{"button activity needs target", notification, func(m *Message) { m.LeftButton = &Button{Name: "x", Effect: NotifyEffectActivity} }, "extra.notification_style_button_left_intent_uri", "intent_class"},
		{"button web needs URL", notification, func(m *Message) { m.MidButton = &Button{Name: "x", Effect: NotifyEffectWeb} }, "extra.notification_style_button_mid_web_uri", "required"},
		{"button bad URL", notification, func(m *Message) { m.MidButton = &Button{Name: "x", Effect: NotifyEffectWeb, WebURI: "example.com"} }, "extra.notification_style_button_mid_web_uri", "absolute"},

		// Control characters: strict in identifiers, line breaks allowed in text.
		{"channel_id LF", notification, func(m *Message) { m.ChannelID = "a\nb" }, "extra.channel_id", "control"},
		{"ticker LF", notification, func(m *Message) { m.Ticker = "a\nb" }, "", ""},
		{"ticker NUL", notification, func(m *Message) { m.Ticker = "a\x00b" }, "extra.ticker", "NUL"},
		{"title LF", notification, func(m *Message) { m.Title = "a\nb" }, "", ""},
		{"description NUL", notification, func(m *Message) { m.Description = "\x00" }, "description", "NUL"},
		{"layout_value invalid UTF-8", notification, func(m *Message) { m.LayoutValue = "\xc3" }, "extra.layout_value", "UTF-8"},

		// iOS.
		{"badge 0", iosMessage, func(m *Message) { m.IOS.Badge = new(0) }, "", ""},
		{"badge negative", iosMessage, func(m *Message) { m.IOS.Badge = new(-1) }, "extra.badge", "negative"},
		{"ios channel 3", iosMessage, func(m *Message) { m.IOS.Channel = 3 }, "extra.ios_msg_channel", "got 3"},
		{"aps body NUL", iosMessage, func(m *Message) { m.IOS.ApsBody = "\x00" }, "aps_proper_fields.body", "NUL"},
		{"category CR", iosMessage, func(m *Message) { m.IOS.Category = "\r" }, "extra.category", "control"},

		// Extra.
		{"10 extras", notification, func(m *Message) { m.Extra = extras(10) }, "", ""},
		{"11 extras", notification, func(m *Message) { m.Extra = extras(11) }, "extra", "at most 10 custom extras (documented keys do not count), got 11"},
		{"extra empty key", notification, func(m *Message) { m.Extra = map[string]string{"": "v"} }, "extra", "empty key"},
		{"extra prefixed key", notification, func(m *Message) { m.Extra = map[string]string{"extra.k": "v"} }, "extra.extra.k", "prefix"},
		{"extra prefixed key upper case", notification, func(m *Message) { m.Extra = map[string]string{"EXTRA.k": "v"} }, "extra.EXTRA.k", "prefix"},
		{"extra prefixed key mixed case", notification, func(m *Message) { m.Extra = map[string]string{"Extra.channel_id": "c"} }, "extra.Extra.channel_id", "prefix"},
		// Documented keys in Extra: the typed field's rule, no conflict.
		{"extra documented jobkey", notification, func(m *Message) { m.Extra = map[string]string{"jobkey": "j"} }, "", ""},
		{"extra documented jobkey bad", notification, func(m *Message) { m.Extra = map[string]string{"jobkey": "_j"} }, "extra.jobkey", "start with '_'"},
		{"extra documented jobkey same as typed", notification, func(m *Message) { m.JobKey = "j"; m.Extra = map[string]string{"jobkey": "j"} }, "", ""},
		{"extra documented jobkey differs from typed", notification, func(m *Message) { m.JobKey = "j"; m.Extra = map[string]string{"jobkey": "k"} }, "extra.jobkey", `Extra["jobkey"] = "k" and JobKey = "j"`},
		{"extra documented channel_id", notification, func(m *Message) { m.Extra = map[string]string{"channel_id": "orders"} }, "", ""},
		{"extra documented channel_id LF", notification, func(m *Message) { m.Extra = map[string]string{"channel_id": "a\nb"} }, "extra.channel_id", "control"},
		{"extra documented channel_id differs", notification, func(m *Message) { m.ChannelID = "a"; m.Extra = map[string]string{"channel_id": "b"} }, "extra.channel_id", "ChannelID"},
		{"extra documented notify_effect", notification, func(m *Message) { m.Extra = map[string]string{"notify_effect": "1"} }, "", ""},
		{"extra documented notify_effect 4", notification, func(m *Message) { m.Extra = map[string]string{"notify_effect": "4"} }, "extra.notify_effect", `must be "1" or "2" or "3"`},
		{"extra documented notify_effect same as typed", notification, func(m *Message) {
			m.NotifyEffect = NotifyEffectLauncher
			m.Extra = map[string]string{"notify_effect": "1"}
		}, "", ""},
		{"extra documented notify_effect differs", notification, func(m *Message) {
			m.NotifyEffect = NotifyEffectLauncher
			m.Extra = map[string]string{"notify_effect": "2", "intent_uri": "i"}
		}, "extra.notify_effect", "NotifyEffect"},
		{"extra notify_effect 3 needs web_uri", notification, func(m *Message) { m.Extra = map[string]string{"notify_effect": "3"} }, "extra.web_uri", "required"},
		{"extra notify_effect 3 with typed web_uri", notification, func(m *Message) { m.WebURI = "https://e.com"; m.Extra = map[string]string{"notify_effect": "3"} }, "", ""},
		{"typed NotifyEffectWeb with extra web_uri", notification, func(m *Message) {
			m.NotifyEffect = NotifyEffectWeb
			m.Extra = map[string]string{"web_uri": "https://e.com"}
		}, "", ""},
		{"extra web_uri not a URL", notification, func(m *Message) { m.Extra = map[string]string{"web_uri": "e.com"} }, "extra.web_uri", "absolute http"},
		{"extra callback", notification, func(m *Message) {
			m.Extra = map[string]string{"callback": "https://h/cb", "callback.param": "p", "callback.type": "17"}
		}, "", ""},
		{"extra callback 129 bytes", notification, func(m *Message) {
			m.Extra = map[string]string{"callback": "https://h.example.com/" + strings.Repeat("p", 107)}
		}, "extra.callback", "at most 128 bytes, got 129"},
		{"extra callback.param 256 bytes", notification, func(m *Message) {
			m.Extra = map[string]string{"callback": "https://h/cb", "callback.param": strings.Repeat("p", 256)}
		}, "", ""},
		{"extra callback.param 257 bytes", notification, func(m *Message) {
			m.Extra = map[string]string{"callback": "https://h/cb", "callback.param": strings.Repeat("p", 257)}
		}, "extra.callback.param", "at most 256 bytes, got 257"},
		{"extra callback.param without callback", notification, func(m *Message) { m.Extra = map[string]string{"callback.param": "p"} }, "extra.callback", "required"},
		{"extra callback.param with typed callback", notification, func(m *Message) {
			m.Callback = &Callback{URL: "https://h/cb"}
			m.Extra = map[string]string{"callback.param": "p"}
		}, "", ""},
		{"extra callback.type bad", notification, func(m *Message) { m.Extra = map[string]string{"callback": "https://h/cb", "callback.type": "4"} }, "extra.callback.type", "receipt.Type"},
		{"extra intent_flag", notification, func(m *Message) { m.Extra = map[string]string{"intent_flag": "-5"} }, "", ""},
		{"extra intent_flag too big", notification, func(m *Message) { m.Extra = map[string]string{"intent_flag": "4294967296"} }, "extra.intent_flag", "32 bits"},
		{"extra flow_control negative", notification, func(m *Message) { m.Extra = map[string]string{"flow_control": "-1"} }, "extra.flow_control", "0 or more"},
		{"extra locale list", notification, func(m *Message) { m.Extra = map[string]string{"locale": "zh_CN,en_US"} }, "", ""},
		{"extra locale empty element", notification, func(m *Message) { m.Extra = map[string]string{"locale": "zh_CN,"} }, "extra.locale", "empty element"},
		{"extra connpt", notification, func(m *Message) { m.Extra = map[string]string{"connpt": "wifi"} }, "", ""},
		{"extra connpt 4g", notification, func(m *Message) { m.Extra = map[string]string{"connpt": "4g"} }, "extra.connpt", `"wifi"`},
		{"extra only_send_once", notification, func(m *Message) { m.Extra = map[string]string{"only_send_once": "1"} }, "", ""},
		{"extra typed iOS key", notification, func(m *Message) { m.Extra = map[string]string{"badge": "1"} }, "", ""},
		{"extra iOS badge differs", notification, func(m *Message) { m.IOS = &IOS{Badge: new(2)}; m.Extra = map[string]string{"badge": "1"} }, "extra.badge", "IOS.Badge"},
		{"extra typed button key", notification, func(m *Message) { m.Extra = map[string]string{"notification_style_button_mid_web_uri": "x"} }, "extra.notification_style_button_mid_web_uri", "absolute http"},
		{"extra button key differs", notification, func(m *Message) {
			m.MidButton = &Button{Name: "Go", Effect: NotifyEffectLauncher}
			m.Extra = map[string]string{"notification_style_button_mid_name": "Stop"}
		}, "extra.notification_style_button_mid_name", "MidButton.Name"},
		{"extra 10 custom and documented keys", notification, func(m *Message) {
			m.Extra = extras(10)
			m.Extra["channel_id"], m.Extra["notify_effect"], m.Extra["jobkey"] = "c", "1", "j"
		}, "", ""},
		{"extra untyped documented key", notification, func(m *Message) { m.Extra = map[string]string{"hybrid_pn": "/p"} }, "", ""},
		{"extra key with = and &", notification, func(m *Message) { m.Extra = map[string]string{"a=b&c": "v"} }, "", ""},
		{"extra key LF", notification, func(m *Message) { m.Extra = map[string]string{"a\nb": "v"} }, "extra", "control"},
		{"extra key 1024", notification, func(m *Message) { m.Extra = map[string]string{strings.Repeat("小", 1024): "v"} }, "", ""},
		{"extra key 1025", notification, func(m *Message) { m.Extra = map[string]string{strings.Repeat("小", 1025): "v"} }, "extra", "1024 characters, got one of 1025"},
		{"extra value 1024", notification, func(m *Message) { m.Extra = map[string]string{"k": strings.Repeat("🚀", 1024)} }, "", ""},
		{"extra value 1025", notification, func(m *Message) { m.Extra = map[string]string{"k": strings.Repeat("🚀", 1025)} }, "extra.k", "shorter than 1025 characters, got 1025"},
		{"extra empty value", notification, func(m *Message) { m.Extra = map[string]string{"k": ""} }, "", ""},
		{"extra value NUL", notification, func(m *Message) { m.Extra = map[string]string{"k": "\x00"} }, "extra.k", "NUL"},
		{"extra first bad key reported", notification, func(m *Message) { m.Extra = map[string]string{"ticker": "", "callback": ""} }, "extra.callback", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "64-bit:") && strconv.IntSize < 64 {
				t.Skip("every int fits in 32 bits here")
			}
			m := tc.base()
			if !m.TimeToSend.IsZero() {
				m.TimeToSend = refNow.Add(time.Hour) // fullAndroid's own schedule
			}
			tc.change(m)
			err := m.validateAt(refNow)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, ve.Reason, tc.reason)
			assert.NotContains(t, ve.Error(), "\n", "errors are one line")
		})
	}
}

func extras(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[string(rune('a'+i))] = "v"
	}
	return m
}

func TestMessageValidateNil(t *testing.T) {
	var m *Message
	var ve *ValidationError
	require.ErrorAs(t, m.Validate(), &ve)
	assert.Equal(t, "message", ve.Field)
}

// TestMessageValidateNow checks that Validate measures TimeToSend against
// the current time; synctest's fake clock makes "now" exact.
func TestMessageValidateNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		m := notification()
		m.TimeToSend = now.Add(7 * 24 * time.Hour)
		require.NoError(t, m.Validate())
		m.TimeToSend = now.Add(7*24*time.Hour + time.Minute)
		require.Error(t, m.Validate())

		time.Sleep(2 * time.Minute) // the same schedule becomes valid
		require.NoError(t, m.Validate())
	})
}

func TestMessageValidateDoesNotModify(t *testing.T) {
	m := fullAndroid()
	m.TimeToSend = time.Time{}
	before := string(m.appendForm(nil))
	require.NoError(t, m.Validate())
	assert.Equal(t, before, string(m.appendForm(nil)))
}

func TestMessageValidateAllocs(t *testing.T) {
	m := benchMessage()
	m.LeftButton = &Button{Name: "x", Effect: NotifyEffectActivity, IntentClass: "a.B"}
	allocs := testing.AllocsPerRun(100, func() {
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "validating a message without URLs allocates nothing")
}

// A message with a template validates and encodes without allocating.
func TestTemplateMessageAllocs(t *testing.T) {
	m := benchMessage()
	m.ChannelID, m.TemplateID = "orders", "tpl"
	m.TemplateParams = map[string]string{"name": "李雷", "order": "A-42", "day": "Friday"}
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		_ = m.formSizeHint()
		buf = m.appendForm(buf[:0])
	})
	assert.Zero(t, allocs)
	assert.Contains(t, string(buf), "&extra.template_param=%7B%22day%22%3A%22Friday%22%2C%22name%22")
}
