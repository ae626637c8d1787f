package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/receipt"
)

// setExtra sets the extra key (without the "extra." prefix) on msg. A
// documented key with an entry here sets its typed field of
// mipush.Message, so that a bad value is named by its flag; any other key
// goes to Message.Extra as given, where the library checks a documented
// key by its typed field's rule.
func setExtra(msg *mipush.Message, key, value string) error {
	key = strings.TrimPrefix(key, "extra.")
	if set, ok := extraSetters[key]; ok {
		return set(msg, value)
	}
	if msg.Extra == nil {
		msg.Extra = make(map[string]string)
	}
	msg.Extra[key] = value
	return nil
}

// extraSetters maps documented extras to the typed fields of mipush.Message.
var extraSetters = map[string]func(m *mipush.Message, v string) error{
	"sound_uri":                     textField(func(m *mipush.Message) *string { return &m.SoundURI }),
	"ticker":                        textField(func(m *mipush.Message) *string { return &m.Ticker }),
	"intent_uri":                    textField(func(m *mipush.Message) *string { return &m.IntentURI }),
	"web_uri":                       textField(func(m *mipush.Message) *string { return &m.WebURI }),
	"class_name":                    textField(func(m *mipush.Message) *string { return &m.ClassName }),
	"jobkey":                        textField(func(m *mipush.Message) *string { return &m.JobKey }),
	"channel_id":                    textField(func(m *mipush.Message) *string { return &m.ChannelID }),
	"channel_name":                  textField(func(m *mipush.Message) *string { return &m.ChannelName }),
	"channel_description":           textField(func(m *mipush.Message) *string { return &m.ChannelDescription }),
	"notification_large_icon_uri":   textField(func(m *mipush.Message) *string { return &m.LargeIconURI }),
	"notification_bigPic_uri":       textField(func(m *mipush.Message) *string { return &m.BigPictureURI }),
	"notification_small_icon_uri":   textField(func(m *mipush.Message) *string { return &m.SmallIconURI }),
	"notification_small_icon_color": textField(func(m *mipush.Message) *string { return &m.SmallIconColor }),
	"layout_name":                   textField(func(m *mipush.Message) *string { return &m.LayoutName }),
	"layout_value":                  textField(func(m *mipush.Message) *string { return &m.LayoutValue }),
	"intent_flag":                   intField(func(m *mipush.Message) *int { return &m.IntentFlag }),
	"flow_control":                  intField(func(m *mipush.Message) *int { return &m.FlowControl }),
	"locale":                        listField(func(m *mipush.Message) *[]string { return &m.Locales }),
	"locale_not_in":                 listField(func(m *mipush.Message) *[]string { return &m.LocalesNotIn }),
	"model":                         listField(func(m *mipush.Message) *[]string { return &m.Models }),
	"model_not_in":                  listField(func(m *mipush.Message) *[]string { return &m.ModelsNotIn }),
	"app_version":                   listField(func(m *mipush.Message) *[]string { return &m.AppVersions }),
	"app_version_not_in":            listField(func(m *mipush.Message) *[]string { return &m.AppVersionsNotIn }),
	"only_send_once":                boolField(func(m *mipush.Message) *bool { return &m.OnlySendOnce }),
	"instant_notify":                boolField(func(m *mipush.Message) *bool { return &m.InstantNotify }),
	"template_id":                   textField(func(m *mipush.Message) *string { return &m.TemplateID }),
	"template_param":                setTemplateParams,
	"notify_effect":                 setNotifyEffect,
	"notification_style_type":       setStyle,
	"notify_foreground":             setForeground,
	"connpt":                        setConnpt,
	"callback":                      setCallback,
	"callback.param":                setCallbackParam,
	"callback.type":                 setCallbackType,
	"badge":                         setBadge,
	"category":                      iosText(func(i *mipush.IOS) *string { return &i.Category }),
	"sound_url":                     iosText(func(i *mipush.IOS) *string { return &i.SoundURL }),
	"apsAlert-title":                iosText(func(i *mipush.IOS) *string { return &i.AlertTitle }),
	"apsAlert-body":                 iosText(func(i *mipush.IOS) *string { return &i.AlertBody }),
	"content-available":             iosBool(func(i *mipush.IOS) *bool { return &i.ContentAvailable }),
	"show-content":                  iosBool(func(i *mipush.IOS) *bool { return &i.ShowContent }),
	"ios_msg_channel":               setIOSChannel,
	// Buttons (notification_style_button_*) and the rarer iOS alert keys
	// have no entry: the library rejects them in Message.Extra with an
	// error that names the key.
}

// textField, intField, listField and boolField return setters of a
// field of mipush.Message; listField splits its value at ",".
func textField(field func(*mipush.Message) *string) func(*mipush.Message, string) error {
	return func(m *mipush.Message, v string) error { *field(m) = v; return nil }
}

func intField(field func(*mipush.Message) *int) func(*mipush.Message, string) error {
	return func(m *mipush.Message, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
		*field(m) = n
		return nil
	}
}

func listField(field func(*mipush.Message) *[]string) func(*mipush.Message, string) error {
	return func(m *mipush.Message, v string) error {
		*field(m) = strings.Split(v, ",")
		return nil
	}
}

func boolField(field func(*mipush.Message) *bool) func(*mipush.Message, string) error {
	return func(m *mipush.Message, v string) error {
		b, err := parseBool01(v)
		*field(m) = b
		return err
	}
}

// iosOf returns m.IOS, making m an iOS message if it was not.
func iosOf(m *mipush.Message) *mipush.IOS {
	if m.IOS == nil {
		m.IOS = new(mipush.IOS)
	}
	return m.IOS
}

// iosText and iosBool return setters of a field of mipush.IOS.
func iosText(field func(*mipush.IOS) *string) func(*mipush.Message, string) error {
	return func(m *mipush.Message, v string) error { *field(iosOf(m)) = v; return nil }
}

func iosBool(field func(*mipush.IOS) *bool) func(*mipush.Message, string) error {
	return func(m *mipush.Message, v string) error {
		b, err := parseBool01(v)
		*field(iosOf(m)) = b
		return err
	}
}

// parseBool01 parses "1"/"true" and "0"/"false".
func parseBool01(v string) (bool, error) {
	switch v {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return false, fmt.Errorf("want 1 or 0, got %q", v)
}

// The setters of extras with enumerated or structured values.

// setTemplateParams reads extra.template_param as Xiaomi's documentation
// writes it: a JSON object of the template's variables, each a string.
func setTemplateParams(m *mipush.Message, v string) error {
	var params map[string]string
	if err := json.Unmarshal([]byte(v), &params); err != nil || params == nil {
		return fmt.Errorf(`want a JSON object of strings such as {"order":"42"}, got %q`, v)
	}
	m.TemplateParams = params
	return nil
}

func setNotifyEffect(m *mipush.Message, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want 1 (launcher), 2 (activity) or 3 (web), got %q", v)
	}
	m.NotifyEffect = mipush.NotifyEffect(n)
	return nil
}

func setStyle(m *mipush.Message, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want 1 (big text) or 2 (big picture), got %q", v)
	}
	m.Style = mipush.NotificationStyle(n)
	return nil
}

func setForeground(m *mipush.Message, v string) error {
	switch v {
	case "1":
		m.NotifyForeground = mipush.ForegroundShow
	case "0":
		m.NotifyForeground = mipush.ForegroundHide
	default:
		return fmt.Errorf("want 1 or 0, got %q", v)
	}
	return nil
}

func setConnpt(m *mipush.Message, v string) error {
	if v != "wifi" {
		return fmt.Errorf(`the only value is "wifi", got %q`, v)
	}
	m.OnlyWiFi = true
	return nil
}

// callbackOf returns m.Callback, allocating it if needed.
func callbackOf(m *mipush.Message) *mipush.Callback {
	if m.Callback == nil {
		m.Callback = new(mipush.Callback)
	}
	return m.Callback
}

func setCallback(m *mipush.Message, v string) error      { callbackOf(m).URL = v; return nil }
func setCallbackParam(m *mipush.Message, v string) error { callbackOf(m).Param = v; return nil }

func setCallbackType(m *mipush.Message, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want a sum of receipt types such as 3, got %q", v)
	}
	callbackOf(m).Type = receipt.Type(n)
	return nil
}

func setBadge(m *mipush.Message, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want an integer, got %q", v)
	}
	iosOf(m).Badge = &n
	return nil
}

func setIOSChannel(m *mipush.Message, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want 1 (APNs) or 2 (long connection), got %q", v)
	}
	iosOf(m).Channel = mipush.IOSChannel(n)
	return nil
}
