package mipush

import (
	"time"

	"github.com/mipush-go/mipush/receipt"
)

// NotifyType selects the default effects of a notification (sound,
// vibration, lights). Its values may be OR-ed together; it is sent as
// notify_type, and 0 leaves the field out.
type NotifyType int

// Notification effects. NotifyDefaultAll turns all of them on.
const (
	NotifyDefaultAll     NotifyType = -1
	NotifyDefaultSound   NotifyType = 1
	NotifyDefaultVibrate NotifyType = 2
	NotifyDefaultLights  NotifyType = 4
)

// NotifyEffect is what a tap on a notification (or on one of its buttons)
// does. It is sent as extra.notify_effect. On a message's own effect, 0
// means NotifyEffectLauncher for an Android notification (see
// Message.NotifyEffect) and leaves the field out otherwise.
type NotifyEffect int

// Tap effects, sent as "1", "2" and "3".
const (
	// NotifyEffectLauncher opens the app's launcher activity.
	NotifyEffectLauncher NotifyEffect = 1
	// NotifyEffectActivity opens the component named by IntentURI
	// (extra.intent_uri), which must then be set.
	NotifyEffectActivity NotifyEffect = 2
	// NotifyEffectWeb opens the web page at WebURI (extra.web_uri),
	// which must then be set.
	NotifyEffectWeb NotifyEffect = 3
)

// Foreground says whether a notification is shown while the app is in the
// foreground. It is sent as extra.notify_foreground.
type Foreground int

// Foreground settings.
const (
	// ForegroundUnset leaves extra.notify_foreground out; the device
	// shows the notification (its default).
	ForegroundUnset Foreground = iota
	// ForegroundShow sends extra.notify_foreground=1.
	ForegroundShow
	// ForegroundHide sends extra.notify_foreground=0: no notification is
	// shown while the app is in the foreground.
	ForegroundHide
)

// NotificationStyle is the layout of an expanded notification, sent as
// extra.notification_style_type; 0 leaves it out.
type NotificationStyle int

// Notification styles, sent as "1" and "2".
const (
	// StyleBigText shows the whole description.
	StyleBigText NotificationStyle = 1
	// StyleBigPicture shows the image at Message.BigPictureURI. Pushed
	// big pictures are no longer displayed since 2023-08.
	StyleBigPicture NotificationStyle = 2
)

// Message is one notification or pass-through message.
//
// Zero-valued optional fields are left out of the request. With
// RestrictedPackageName and PassThrough: true, a payload alone is a valid
// message. An Android notification (PassThrough false, IOS nil) needs a
// Title and a Description. A message with IOS set is an iOS message and
// needs neither; see [Message.Validate] for every rule.
//
// The fields after Extra set documented "extra.*" keys; each names its key.
// A Message is only read by the client, so one value may be sent many times
// and from several goroutines, as long as nobody modifies it meanwhile.
type Message struct {
	// RestrictedPackageName is the Android package (or, on /v3 paths,
	// several packages joined with ",") the message is for; sent as
	// restricted_package_name. iOS messages leave it empty.
	RestrictedPackageName string
	// Payload is delivered to the app as is (it is form-encoded once, on
	// the wire only). Sent as payload; shorter than 4 KB (4096 bytes).
	Payload string
	// Title is the notification title, shorter than 50 characters
	// (runes: CJK and Latin count as one each).
	Title string
	// Description is the notification text, shorter than 128 characters.
	Description string
	// PassThrough makes the message a pass-through (silent, handed to the
	// app) message: pass_through=1. When false the field is left out,
	// which the server reads as its default 0, a notification-bar message;
	// leaving it out also keeps iOS bodies free of it, as the official
	// SDK's iOS builder does.
	//
	// Xiaomi has announced that it stopped delivering pass-through
	// messages (the notice "关于停止提供透传消息下发的公告", listed on
	// dev.mi.com; its date and what the server now answers are unknown).
	// The client still sends them as asked: the server decides.
	PassThrough bool
	// NotifyType is -1 (all defaults) or an OR of NotifyDefaultSound,
	// NotifyDefaultVibrate and NotifyDefaultLights; 0 leaves it out.
	NotifyType NotifyType
	// NotifyID, 0 to 2147483647, identifies the notification on the
	// device: a new one with the same id replaces the old. 0 is the
	// server's default and is left out.
	NotifyID int
	// TimeToLive is how long the server keeps the message for an offline
	// device; 0 means the server's default. It is sent in whole
	// milliseconds (time_to_live), rounded down, so a positive value must
	// be at least a millisecond. Since 2024-09-03 the server keeps
	// offline messages at most 1 day (public and default-class messages)
	// or 10 days (private-channel messages), whatever is asked (dev.mi.com
	// notice pId=1854); expiry is reported as receipt type 1024. The
	// client does not refuse a longer value: the server decides.
	TimeToLive time.Duration
	// TimeToSend schedules the message, at most 7 days ahead; the zero
	// time means now. It is sent as epoch milliseconds (time_to_send). A
	// time already past is not rejected, since a send may simply be late:
	// it is sent as given. The server's handling of a past schedule is not
	// documented; leave TimeToSend zero to send at once.
	TimeToSend time.Time
	// Extra holds extras keyed without the "extra." prefix, sent as
	// extra.<key> in key order. Custom (undocumented) keys: at most 10,
	// keys and values at most 1024 characters each. Documented keys may
	// be given here too, as Xiaomi's documentation writes them
	// (Extra["channel_id"] = "orders", Extra["notify_effect"] = "1"): the
	// value is sent as is and checked by the rule of the typed field that
	// sets the same key, and such keys do not count towards the 10 (no
	// source says they do; counting them would refuse what the typed
	// fields allow). Setting a key both here and by its typed field is an
	// error unless both give the same value, which is then sent once.
	Extra map[string]string

	// SoundURI sets extra.sound_uri, a custom sound such as
	// "android.resource://<package>/raw/<file>".
	SoundURI string
	// Ticker sets extra.ticker, the status-bar ticker text.
	Ticker string
	// NotifyForeground sets extra.notify_foreground.
	NotifyForeground Foreground
	// NotifyEffect sets extra.notify_effect ("1", "2" or "3"). Left 0 on
	// an Android notification (not pass-through, not iOS, and no
	// Extra["notify_effect"]), the message is sent with
	// extra.notify_effect=1, NotifyEffectLauncher: since 2024-09-30 a
	// notification without the key is a "custom notification message",
	// which the service no longer delivers (dev.mi.com notice pId=1856),
	// while one with it is a "predefined" notification, and opening the
	// launcher activity is what the device did for a tap anyway.
	NotifyEffect NotifyEffect
	// IntentURI sets extra.intent_uri, the component opened by
	// NotifyEffectActivity, e.g. "intent:#Intent;component=<pkg>/.Main;end".
	IntentURI string
	// WebURI sets extra.web_uri, the absolute http or https URL opened by
	// NotifyEffectWeb.
	WebURI string
	// ClassName sets extra.class_name, a click-target class.
	ClassName string
	// IntentFlag sets extra.intent_flag, Android Intent flags as a
	// decimal number (a Java int). 0 leaves it out.
	IntentFlag int
	// FlowControl sets extra.flow_control: sending is smoothed to this
	// rate, in messages per second. The server's floor is 3000/s (a lower
	// setting sends at 3000/s); older SDKs sent 1 as an on switch. 0
	// leaves it out.
	FlowControl int
	// JobKey sets extra.jobkey. Messages with the same job key are
	// grouped in statistics, and the device drops duplicates, which makes
	// resending after an unclear failure safe. Allowed: 1 to 20 of
	// [0-9A-Za-z_-], not starting with '_' (older documentation said at
	// most 12).
	JobKey string
	// Callback asks for delivery receipts; nil sends none.
	Callback *Callback
	// Locales sets extra.locale: deliver only to devices with one of
	// these locales, such as "zh_CN". Sent joined with ",".
	Locales []string
	// LocalesNotIn sets extra.locale_not_in: skip devices with one of
	// these locales.
	LocalesNotIn []string
	// Models sets extra.model: deliver only to these device models,
	// brands (such as "samsung") or price bands ("0-999", "1000-1999",
	// "2000-3999", "4000+").
	Models []string
	// ModelsNotIn sets extra.model_not_in: skip these models, brands or
	// price bands.
	ModelsNotIn []string
	// AppVersions sets extra.app_version: deliver only to these app
	// versionName values.
	AppVersions []string
	// AppVersionsNotIn sets extra.app_version_not_in: skip these app
	// versionName values.
	AppVersionsNotIn []string
	// OnlyWiFi sets extra.connpt=wifi: deliver only to devices on Wi-Fi.
	OnlyWiFi bool
	// OnlySendOnce sets extra.only_send_once=1: deliver only to devices
	// online now; the server keeps no offline copy.
	OnlySendOnce bool
	// InstantNotify sets extra.instant_notify=1.
	InstantNotify bool
	// ChannelID sets extra.channel_id, the Android 8+ notification
	// channel and the message class. Private (私信) messages need an
	// approved one; they have no daily quota, and since 2026-06 they need
	// a template (TemplateID).
	ChannelID string
	// TemplateID sets extra.template_id. Since 2026-06 every message on a
	// private channel needs a template approved for that channel (the
	// 2026 subscription categories count as private; dev.mi.com pId=2314
	// and 2320). The client cannot know which channels are private, so it
	// does not require a template; the server refuses a private message
	// without one. Title and Description are still required with a
	// template: no source says the template replaces them.
	TemplateID string
	// TemplateParams sets extra.template_param, the values of the
	// template's variables, sent as a JSON object with its keys in order
	// (for example {"name":"Li","order":"42"}). At most 9 variables; each
	// value is 1 to 128 characters, not all white space, without symbols of
	// Unicode category So (such as emoji) and without unassigned code
	// points. It needs a TemplateID.
	TemplateParams map[string]string
	// ChannelName sets extra.channel_name.
	ChannelName string
	// ChannelDescription sets extra.channel_description.
	ChannelDescription string
	// Style sets extra.notification_style_type.
	Style NotificationStyle
	// LargeIconURI sets extra.notification_large_icon_uri. Pushed icons
	// and big pictures are no longer displayed on new devices since
	// 2023-08 (several push vendors' documentation); the fields are still
	// sent and, as far as is known, accepted.
	LargeIconURI string
	// BigPictureURI sets extra.notification_bigPic_uri, the picture of
	// StyleBigPicture; no longer displayed since 2023-08 (see
	// LargeIconURI).
	BigPictureURI string
	// SmallIconURI sets extra.notification_small_icon_uri; no longer
	// displayed since 2023-08 (see LargeIconURI).
	SmallIconURI string
	// SmallIconColor sets extra.notification_small_icon_color, such as
	// "#1E90FF".
	SmallIconColor string
	// LeftButton, MidButton and RightButton set the notification buttons,
	// extra.notification_style_button_{left,mid,right}_*; nil sends none.
	LeftButton, MidButton, RightButton *Button
	// LayoutName sets extra.layout_name, a custom notification layout.
	LayoutName string
	// LayoutValue sets extra.layout_value, the custom layout's values
	// (a JSON text).
	LayoutValue string

	// IOS marks the message as an iOS message and holds its iOS fields.
	IOS *IOS
}

// Button is one notification button. Its fields are sent as
// extra.notification_style_button_<pos>_<field>, where pos is left, mid or
// right.
type Button struct {
	// Name is the button label (<pos>_name); required.
	Name string
	// Effect is what a tap does (<pos>_notify_effect); required.
	// NotifyEffectActivity needs IntentURI or IntentClass,
	// NotifyEffectWeb needs WebURI.
	Effect NotifyEffect
	// IntentURI is the component to open (<pos>_intent_uri).
	IntentURI string
	// IntentClass is the class to open (<pos>_intent_class).
	IntentClass string
	// WebURI is the absolute http or https URL to open (<pos>_web_uri).
	WebURI string
}

// Callback asks the server to post delivery receipts for the message; the
// package [github.com/mipush-go/mipush/receipt] reads them.
type Callback struct {
	// URL sets extra.callback, the absolute http or https URL receipts
	// are posted to, at most 128 bytes; required. A secret token in its
	// query is the usual protection, as receipts are not signed.
	URL string
	// Param sets extra.callback.param, echoed in each receipt: at most
	// 256 bytes, as the 2024–2025 documentation says (a 2022 copy said
	// 64), checked before sending. Empty leaves it out.
	Param string
	// Type sets extra.callback.type, the receipts wanted. 0 leaves it out,
	// and the server sends receipt.Delivered|receipt.Clicked.
	Type receipt.Type
}

// IOSChannel is the route of an iOS message, sent as extra.ios_msg_channel;
// 0 leaves it out.
type IOSChannel int

// iOS routes, sent as "1" and "2".
const (
	// IOSChannelAPNs sends through APNs only.
	IOSChannelAPNs IOSChannel = 1
	// IOSChannelLongConn sends through the app's long connection only.
	IOSChannelLongConn IOSChannel = 2
)

// IOS holds the fields of an iOS message. Setting Message.IOS makes the
// message an iOS one: it then needs no title, description or package name
// (the official SDK's iOS builder sends the description, times and these
// fields only).
type IOS struct {
	// Badge sets extra.badge, the app icon badge; nil leaves it out and
	// new(0) clears the badge.
	Badge *int
	// Category sets extra.category, the notification category.
	Category string
	// SoundURL sets extra.sound_url: "default", or a sound file name in
	// the app bundle. Empty leaves it out.
	SoundURL string
	// Channel sets extra.ios_msg_channel.
	Channel IOSChannel
	// ContentAvailable sets extra.content-available=1 (a background
	// update).
	ContentAvailable bool
	// ShowContent sets extra.show-content=1.
	ShowContent bool

	// AlertTitle sets extra.apsAlert-title; the alert fields are the keys
	// of the APNs alert dictionary, sent as given.
	AlertTitle string
	// AlertBody sets extra.apsAlert-body.
	AlertBody string
	// AlertTitleLocKey sets extra.apsAlert-title-loc-key.
	AlertTitleLocKey string
	// AlertTitleLocArgs sets extra.apsAlert-title-loc-args.
	AlertTitleLocArgs string
	// AlertActionLocKey sets extra.apsAlert-action-loc-key.
	AlertActionLocKey string
	// AlertLocKey sets extra.apsAlert-loc-key.
	AlertLocKey string
	// AlertLocArgs sets extra.apsAlert-loc-args.
	AlertLocArgs string
	// AlertLaunchImage sets extra.apsAlert-launch-image.
	AlertLaunchImage string

	// ApsTitle sets aps_proper_fields.title (iOS 10+).
	ApsTitle string
	// ApsSubtitle sets aps_proper_fields.subtitle (iOS 10+).
	ApsSubtitle string
	// ApsBody sets aps_proper_fields.body (iOS 10+).
	ApsBody string
	// MutableContent sets aps_proper_fields.mutable-content=1, letting a
	// notification service extension modify the notification (iOS 10+).
	MutableContent bool
}
