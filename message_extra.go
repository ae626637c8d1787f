package mipush

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush/internal/errtext"
	"github.com/mipush-go/mipush/receipt"
)

// Users who read Xiaomi's documentation write its extras as it names them:
// Extra["channel_id"] = "orders". Message.Extra takes every documented key
// that way too, beside the typed fields: such an entry is sent as is, as
// extra.<key>, and its value is checked by the rule of the typed field that
// sets the same key. A key set both ways must have one value (it is then
// sent once). Documented keys do not count towards the limit of 10 custom
// extras: no source says they do, and counting them would refuse messages
// the typed fields allow.

// extraKind is the rule a documented extra's value follows: the rule of
// its typed field.
type extraKind uint8

const (
	extraCustom        extraKind = iota // not documented: a custom extra
	extraToken                          // identifier-like (checkToken)
	extraText                           // free text (checkText)
	extraURL                            // an absolute http or https URL
	extraCallback                       // a URL of at most 128 bytes
	extraCallbackParam                  // a token of at most 256 bytes
	extraCallbackType                   // a sum of receipt.Type flags
	extraJobKey                         // checkJobKey
	extraList                           // tokens joined with ","
	extraEffect                         // "1", "2" or "3"
	extraBinary                         // "0" or "1"
	extraConnpt                         // "wifi"
	extraOneTwo                         // "1" or "2"
	extraInt32                          // a decimal Java int
	extraNonNegative                    // a decimal integer >= 0
	extraTemplateID                     // checkTemplateID
	extraTemplateParam                  // a JSON object of strings, checkTemplateParams
)

// extraDoc describes an extra key: the typed field that sets it ("" for
// none) and the rule of its value.
type extraDoc struct {
	field string
	kind  extraKind
}

// documentedExtra describes extra.<key>; a key it does not know is a
// custom extra (kind extraCustom).
func documentedExtra(key string) extraDoc {
	switch key {
	case "sound_uri":
		return extraDoc{"SoundURI", extraToken}
	case "ticker":
		return extraDoc{"Ticker", extraText}
	case "notify_foreground":
		return extraDoc{"NotifyForeground", extraBinary}
	case "notify_effect":
		return extraDoc{"NotifyEffect", extraEffect}
	case "intent_uri":
		return extraDoc{"IntentURI", extraToken}
	case "web_uri":
		return extraDoc{"WebURI", extraURL}
	case "class_name":
		return extraDoc{"ClassName", extraToken}
	case "intent_flag":
		return extraDoc{"IntentFlag", extraInt32}
	case "flow_control":
		return extraDoc{"FlowControl", extraNonNegative}
	case "jobkey":
		return extraDoc{"JobKey", extraJobKey}
	case "callback":
		return extraDoc{"Callback.URL", extraCallback}
	case "callback.param":
		return extraDoc{"Callback.Param", extraCallbackParam}
	case "callback.type":
		return extraDoc{"Callback.Type", extraCallbackType}
	case "locale":
		return extraDoc{"Locales", extraList}
	case "locale_not_in":
		return extraDoc{"LocalesNotIn", extraList}
	case "model":
		return extraDoc{"Models", extraList}
	case "model_not_in":
		return extraDoc{"ModelsNotIn", extraList}
	case "app_version":
		return extraDoc{"AppVersions", extraList}
	case "app_version_not_in":
		return extraDoc{"AppVersionsNotIn", extraList}
	case "connpt":
		return extraDoc{"OnlyWiFi", extraConnpt}
	case "only_send_once":
		return extraDoc{"OnlySendOnce", extraBinary}
	case "instant_notify":
		return extraDoc{"InstantNotify", extraBinary}
	case "channel_id":
		return extraDoc{"ChannelID", extraToken}
	case "channel_name":
		return extraDoc{"ChannelName", extraText}
	case "channel_description":
		return extraDoc{"ChannelDescription", extraText}
	case "template_id":
		return extraDoc{"TemplateID", extraTemplateID}
	case "template_param":
		return extraDoc{"TemplateParams", extraTemplateParam}
	case "notification_style_type":
		return extraDoc{"Style", extraOneTwo}
	case "notification_large_icon_uri":
		return extraDoc{"LargeIconURI", extraToken}
	case "notification_bigPic_uri":
		return extraDoc{"BigPictureURI", extraToken}
	case "notification_small_icon_uri":
		return extraDoc{"SmallIconURI", extraToken}
	case "notification_small_icon_color":
		return extraDoc{"SmallIconColor", extraToken}
	case "layout_name":
		return extraDoc{"LayoutName", extraToken}
	case "layout_value":
		return extraDoc{"LayoutValue", extraText}
	case "badge":
		return extraDoc{"IOS.Badge", extraNonNegative}
	case "category":
		return extraDoc{"IOS.Category", extraToken}
	case "sound_url":
		return extraDoc{"IOS.SoundURL", extraToken}
	case "ios_msg_channel":
		return extraDoc{"IOS.Channel", extraOneTwo}
	case "content-available":
		return extraDoc{"IOS.ContentAvailable", extraBinary}
	case "show-content":
		return extraDoc{"IOS.ShowContent", extraBinary}
	case "apsAlert-title":
		return extraDoc{"IOS.AlertTitle", extraText}
	case "apsAlert-body":
		return extraDoc{"IOS.AlertBody", extraText}
	case "apsAlert-title-loc-key":
		return extraDoc{"IOS.AlertTitleLocKey", extraText}
	case "apsAlert-title-loc-args":
		return extraDoc{"IOS.AlertTitleLocArgs", extraText}
	case "apsAlert-action-loc-key":
		return extraDoc{"IOS.AlertActionLocKey", extraText}
	case "apsAlert-loc-key":
		return extraDoc{"IOS.AlertLocKey", extraText}
	case "apsAlert-loc-args":
		return extraDoc{"IOS.AlertLocArgs", extraText}
	case "apsAlert-launch-image":
		return extraDoc{"IOS.AlertLaunchImage", extraText}
	case "hybrid_pn", "push_server_action", "hybrid_debug": // quick apps: no typed field
		return extraDoc{"", extraToken}
	}
	if len(key) > len(buttonMid) && key[0] == 'n' { // cheap test first: most keys are not buttons
		for _, b := range [...]struct{ prefix, field string }{
			{buttonLeft, "LeftButton"},
			{buttonMid, "MidButton"},
			{buttonRight, "RightButton"},
		} {
			if rest, ok := strings.CutPrefix(key, b.prefix); ok {
				switch rest {
				case "name":
					return extraDoc{b.field + ".Name", extraText}
				case "notify_effect":
					return extraDoc{b.field + ".Effect", extraEffect}
				case "intent_uri":
					return extraDoc{b.field + ".IntentURI", extraToken}
				case "intent_class":
					return extraDoc{b.field + ".IntentClass", extraToken}
				case "web_uri":
					return extraDoc{b.field + ".WebURI", extraURL}
				}
			}
		}
	}
	return extraDoc{}
}

// typedValue returns the value m's typed fields send as extra.<key>, and
// whether they send it at all.
func (m *Message) typedValue(key string) (string, bool) {
	str := func(s string) (string, bool) { return s, s != "" }
	num := func(n int) (string, bool) { return strconv.Itoa(n), n != 0 }
	flag := func(on bool, v string) (string, bool) { return v, on }
	list := func(vs []string) (string, bool) { return strings.Join(vs, ","), len(vs) > 0 }
	switch key {
	case "sound_uri":
		return str(m.SoundURI)
	case "ticker":
		return str(m.Ticker)
	case "notify_foreground":
		switch m.NotifyForeground {
		case ForegroundUnset:
			return "", false
		case ForegroundShow:
			return "1", true
		case ForegroundHide:
			return "0", true
		}
		return num(int(m.NotifyForeground))
	case "notify_effect":
		return num(int(m.NotifyEffect))
	case "intent_uri":
		return str(m.IntentURI)
	case "web_uri":
		return str(m.WebURI)
	case "class_name":
		return str(m.ClassName)
	case "intent_flag":
		return num(m.IntentFlag)
	case "flow_control":
		return num(m.FlowControl)
	case "jobkey":
		return str(m.JobKey)
	case "callback", "callback.param", "callback.type":
		c := m.Callback
		switch {
		case c == nil:
			return "", false
		case key == "callback":
			return str(c.URL)
		case key == "callback.param":
			return str(c.Param)
		}
		return num(int(c.Type))
	case "locale":
		return list(m.Locales)
	case "locale_not_in":
		return list(m.LocalesNotIn)
	case "model":
		return list(m.Models)
	case "model_not_in":
		return list(m.ModelsNotIn)
	case "app_version":
		return list(m.AppVersions)
	case "app_version_not_in":
		return list(m.AppVersionsNotIn)
	case "connpt":
		return flag(m.OnlyWiFi, "wifi")
	case "only_send_once":
		return flag(m.OnlySendOnce, "1")
	case "instant_notify":
		return flag(m.InstantNotify, "1")
	case "channel_id":
		return str(m.ChannelID)
	case "channel_name":
		return str(m.ChannelName)
	case "channel_description":
		return str(m.ChannelDescription)
	case "template_id":
		return str(m.TemplateID)
	case "template_param":
		if len(m.TemplateParams) == 0 {
			return "", false
		}
		return string(appendTemplateParam(nil, m.TemplateParams)), true
	case "notification_style_type":
		return num(int(m.Style))
	case "notification_large_icon_uri":
		return str(m.LargeIconURI)
	case "notification_bigPic_uri":
		return str(m.BigPictureURI)
	case "notification_small_icon_uri":
		return str(m.SmallIconURI)
	case "notification_small_icon_color":
		return str(m.SmallIconColor)
	case "layout_name":
		return str(m.LayoutName)
	case "layout_value":
		return str(m.LayoutValue)
	}
	if i := m.IOS; i != nil {
		switch key {
		case "badge":
			if i.Badge == nil {
				return "", false
			}
			return strconv.Itoa(*i.Badge), true
		case "category":
			return str(i.Category)
		case "sound_url":
			return str(i.SoundURL)
		case "ios_msg_channel":
			return num(int(i.Channel))
		case "content-available":
			return flag(i.ContentAvailable, "1")
		case "show-content":
			return flag(i.ShowContent, "1")
		case "apsAlert-title":
			return str(i.AlertTitle)
		case "apsAlert-body":
			return str(i.AlertBody)
		case "apsAlert-title-loc-key":
			return str(i.AlertTitleLocKey)
		case "apsAlert-title-loc-args":
			return str(i.AlertTitleLocArgs)
		case "apsAlert-action-loc-key":
			return str(i.AlertActionLocKey)
		case "apsAlert-loc-key":
			return str(i.AlertLocKey)
		case "apsAlert-loc-args":
			return str(i.AlertLocArgs)
		case "apsAlert-launch-image":
			return str(i.AlertLaunchImage)
		}
	}
	for _, b := range m.buttons() {
		rest, ok := strings.CutPrefix(key, b.prefix)
		if !ok || b.b == nil {
			continue
		}
		switch rest {
		case "name":
			return str(b.b.Name)
		case "notify_effect":
			return num(int(b.b.Effect))
		case "intent_uri":
			return str(b.b.IntentURI)
		case "intent_class":
			return str(b.b.IntentClass)
		case "web_uri":
			return str(b.b.WebURI)
		}
	}
	return "", false
}

// extraValue returns what m sends as extra.<key>: the typed field's value
// when set, else Extra[key].
func (m *Message) extraValue(key string) string {
	if v, ok := m.typedValue(key); ok {
		return v
	}
	return m.Extra[key]
}

// sentByTyped reports whether the Extra entry key is left out of the
// request because a typed field sends the same key (with the same value:
// Validate refuses a different one).
func (m *Message) sentByTyped(key string) bool {
	if documentedExtra(key).field == "" {
		return false
	}
	_, ok := m.typedValue(key)
	return ok
}

// checkDocumentedExtra checks the Extra entry key=v of a documented key
// against the typed field's rule and the typed field itself.
func (m *Message) checkDocumentedExtra(key, v string, doc extraDoc) error {
	field := "extra." + key // only built on this path: documented keys are rare in Extra
	if tv, ok := m.typedValue(key); ok && doc.field != "" && tv != v {
		return fieldError(field, "is set twice, to different values: Extra["+strconv.Quote(key)+"] = "+
			errtext.Short(v)+" and "+doc.field+" = "+errtext.Short(tv)+"; set one of them")
	}
	if err := checkExtraValue(field, v, doc.kind); err != nil {
		return err
	}
	// The rules that tie one documented key to another, as for the typed
	// fields.
	switch key {
	case "notify_effect":
		switch v {
		case "2":
			if m.extraValue("intent_uri") == "" {
				return fieldError("extra.intent_uri", "is required by notify_effect 2 (NotifyEffectActivity)")
			}
		case "3":
			if m.extraValue("web_uri") == "" {
				return fieldError("extra.web_uri", "is required by notify_effect 3 (NotifyEffectWeb)")
			}
		}
	case "callback.param", "callback.type":
		if m.extraValue("callback") == "" {
			return fieldError("extra.callback", "is required with extra."+key)
		}
	case "template_param":
		if m.extraValue("template_id") == "" {
			return fieldError("extra.template_id", "is required with extra.template_param (TemplateParams)")
		}
	}
	return nil
}

// checkExtraValue checks the value v of the documented extra field by the
// rule kind.
func checkExtraValue(field, v string, kind extraKind) error {
	oneOf := func(allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fieldError(field, "must be "+strings.Join(quoteAll(allowed), " or ")+", got "+errtext.Short(v))
	}
	switch kind {
	case extraToken:
		return checkToken(field, v)
	case extraText:
		return checkText(field, v)
	case extraURL:
		if v == "" {
			return fieldError(field, "must be an absolute http or https URL, got \"\"")
		}
		return checkHTTPURL(field, v)
	case extraCallback:
		if v == "" {
			return fieldError(field, "must be an absolute http or https URL, got \"\"")
		}
		return checkCallbackURL(v)
	case extraCallbackParam:
		return checkCallbackParam(v)
	case extraCallbackType:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || receipt.Type(n)&^receipt.All != 0 {
			return fieldError(field, "must be a sum of the receipt.Type flags (1, 2, 16, 32, 64, 128, 1024), got "+errtext.Short(v))
		}
	case extraJobKey:
		if v == "" {
			return fieldError(field, "must not be empty")
		}
		return checkJobKey(v)
	case extraList:
		if v == "" {
			return fieldError(field, "must not be empty")
		}
		return checkList(field, strings.Split(v, ","))
	case extraEffect:
		return oneOf("1", "2", "3")
	case extraBinary:
		return oneOf("0", "1")
	case extraConnpt:
		return oneOf("wifi")
	case extraOneTwo:
		return oneOf("1", "2")
	case extraInt32:
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < math.MinInt32 || n > math.MaxInt32 {
			return fieldError(field, "must be a decimal number that fits in 32 bits (a Java int), got "+errtext.Short(v))
		}
	case extraNonNegative:
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
			return fieldError(field, "must be a decimal number, 0 or more, got "+errtext.Short(v))
		}
	case extraTemplateID:
		if v == "" {
			return fieldError(field, "must not be empty")
		}
		return checkTemplateID(v)
	case extraTemplateParam:
		var params map[string]string
		if err := json.Unmarshal([]byte(v), &params); err != nil || params == nil {
			return fieldError(field, `must be a JSON object of strings, such as {"name":"Li"}, got `+errtext.Short(v))
		}
		return checkTemplateParams(params)
	}
	return nil
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strconv.Quote(v)
	}
	return out
}

// jobKey returns the extra.jobkey m sends, from JobKey or Extra.
func (m *Message) jobKey() string {
	if m.JobKey != "" {
		return m.JobKey
	}
	return m.Extra["jobkey"]
}

// channelID returns the extra.channel_id m sends, from ChannelID or Extra:
// the message's class for the daily quota ("" for the default class).
func (m *Message) channelID() string {
	if m == nil {
		return ""
	}
	if m.ChannelID != "" {
		return m.ChannelID
	}
	return m.Extra["channel_id"]
}
