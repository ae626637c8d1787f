package mipush

import (
	"slices"
	"strconv"

	"github.com/mipush-go/mipush/internal/jsontext"
)

// The form body and the multi-message JSON carry the same fields, and
// formSizeHint must count exactly what appendForm writes, so one walk over
// the fields (Message.encode) drives all three through an encoder whose mode
// picks the output. The encoder lives on the caller's stack: encoding
// allocates nothing beyond the growth of the caller's buffer.

// appendForm appends the message's form fields, each as "&key=value"
// (every field preceded by '&'), in a fixed deterministic order:
// the documented top-level fields first, then typed extras, then Extra
// sorted by key (documented keys too, unless a typed field sent them),
// then the iOS aps_proper_fields.* fields. Values escaped
// exactly once.
func (m *Message) appendForm(b []byte) []byte {
	e := encoder{b: b, mode: modeForm}
	m.encode(&e)
	return e.b
}

// formSizeHint estimates the bytes appendForm will append (for pre-sizing).
// The estimate is exact: a buffer with that much spare capacity is never
// grown by appendForm.
func (m *Message) formSizeHint() int {
	e := encoder{mode: modeSize}
	m.encode(&e)
	return e.n
}

// appendJSON appends the message as the JSON object used inside
// /v2/multi_messages/* bodies, as the official Java SDK writes it: keys
// payload, title, description, notify_type, notify_id, pass_through,
// restricted_package_name, time_to_live, time_to_send (only when set),
// extras nested under "extra" WITHOUT the "extra." prefix, iOS aps fields
// under "aps_proper_fields".
// Numbers at the top level are JSON numbers; extras are strings, as in the
// form. Fields left out of the form are left out here too.
func (m *Message) appendJSON(b []byte) []byte {
	e := encoder{b: append(b, '{'), mode: modeJSON}
	m.encode(&e)
	return append(e.b, '}')
}

// encode walks the fields in wire order. Zero values are skipped here, so
// the encoder writes whatever it is given.
func (m *Message) encode(e *encoder) {
	e.str("restricted_package_name", m.RestrictedPackageName)
	e.str("payload", m.Payload)
	e.str("title", m.Title)
	e.str("description", m.Description)
	if m.PassThrough {
		e.num("pass_through", 1)
	}
	e.num("notify_type", int64(m.NotifyType))
	e.num("notify_id", int64(m.NotifyID))
	e.num("time_to_live", m.TimeToLive.Milliseconds())
	if !m.TimeToSend.IsZero() {
		e.number("time_to_send", "", m.TimeToSend.UnixMilli())
	}

	e.begin(groupExtra)
	e.str("sound_uri", m.SoundURI)
	e.str("ticker", m.Ticker)
	switch m.NotifyForeground {
	case ForegroundUnset:
	case ForegroundShow:
		e.str("notify_foreground", "1")
	case ForegroundHide:
		e.str("notify_foreground", "0")
	default: // invalid; Validate rejects it, the wire shows it
		e.num("notify_foreground", int64(m.NotifyForeground))
	}
	e.num("notify_effect", int64(m.effect()))
	e.str("intent_uri", m.IntentURI)
	e.str("web_uri", m.WebURI)
	e.str("class_name", m.ClassName)
	e.num("intent_flag", int64(m.IntentFlag))
	e.num("flow_control", int64(m.FlowControl))
	e.str("jobkey", m.JobKey)
	if c := m.Callback; c != nil {
		e.str("callback", c.URL)
		e.str("callback.param", c.Param)
		e.num("callback.type", int64(c.Type))
	}
	e.list("locale", m.Locales)
	e.list("locale_not_in", m.LocalesNotIn)
	e.list("model", m.Models)
	e.list("model_not_in", m.ModelsNotIn)
	e.list("app_version", m.AppVersions)
	e.list("app_version_not_in", m.AppVersionsNotIn)
	e.flag("connpt", m.OnlyWiFi, "wifi")
	e.flag("only_send_once", m.OnlySendOnce, "1")
	e.flag("instant_notify", m.InstantNotify, "1")
	e.str("channel_id", m.ChannelID)
	e.str("channel_name", m.ChannelName)
	e.str("channel_description", m.ChannelDescription)
	e.str("template_id", m.TemplateID)
	if len(m.TemplateParams) > 0 {
		var buf [512]byte // room for most templates, on the stack
		e.bytes("template_param", appendTemplateParam(buf[:0], m.TemplateParams))
	}
	e.num("notification_style_type", int64(m.Style))
	e.str("notification_large_icon_uri", m.LargeIconURI)
	e.str("notification_bigPic_uri", m.BigPictureURI)
	e.str("notification_small_icon_uri", m.SmallIconURI)
	e.str("notification_small_icon_color", m.SmallIconColor)
	e.button(buttonLeft, m.LeftButton)
	e.button(buttonMid, m.MidButton)
	e.button(buttonRight, m.RightButton)
	e.str("layout_name", m.LayoutName)
	e.str("layout_value", m.LayoutValue)
	if i := m.IOS; i != nil {
		if i.Badge != nil {
			e.number("badge", "", int64(*i.Badge))
		}
		e.str("category", i.Category)
		e.str("sound_url", i.SoundURL)
		e.num("ios_msg_channel", int64(i.Channel))
		e.flag("content-available", i.ContentAvailable, "1")
		e.flag("show-content", i.ShowContent, "1")
		e.str("apsAlert-title", i.AlertTitle)
		e.str("apsAlert-body", i.AlertBody)
		e.str("apsAlert-title-loc-key", i.AlertTitleLocKey)
		e.str("apsAlert-title-loc-args", i.AlertTitleLocArgs)
		e.str("apsAlert-action-loc-key", i.AlertActionLocKey)
		e.str("apsAlert-loc-key", i.AlertLocKey)
		e.str("apsAlert-loc-args", i.AlertLocArgs)
		e.str("apsAlert-launch-image", i.AlertLaunchImage)
	}
	e.custom(m)

	if i := m.IOS; i != nil {
		e.begin(groupAps)
		e.str("title", i.ApsTitle)
		e.str("subtitle", i.ApsSubtitle)
		e.str("body", i.ApsBody)
		e.flag("mutable-content", i.MutableContent, "1")
	}
	e.begin(groupTop)
}

// effect returns the extra.notify_effect the typed field sends: NotifyEffect,
// or for an Android notification that has none (in Extra neither)
// NotifyEffectLauncher. Since 2024-09-30 a notification without the key is
// a "custom notification message", which the service no longer delivers
// (see Message.NotifyEffect).
func (m *Message) effect() NotifyEffect {
	if m.NotifyEffect != 0 || m.PassThrough || m.IOS != nil {
		return m.NotifyEffect
	}
	if _, ok := m.Extra["notify_effect"]; ok {
		return 0
	}
	return NotifyEffectLauncher
}

// Key prefixes of the buttons' fields.
const (
	buttonLeft  = "notification_style_button_left_"
	buttonMid   = "notification_style_button_mid_"
	buttonRight = "notification_style_button_right_"
)

// encodeMode selects what an encoder produces.
type encodeMode uint8

const (
	modeForm encodeMode = iota // "&key=value" fields
	modeJSON                   // members of one JSON object
	modeSize                   // count the bytes modeForm would write
)

// A group is a family of fields: in the form its name prefixes each key, in
// JSON it is a nested object named without the trailing dot.
const (
	groupTop   = ""
	groupExtra = "extra."
	groupAps   = "aps_proper_fields."
)

// encoder writes fields in one of the encodeModes.
type encoder struct {
	b     []byte // modeForm, modeJSON: the output
	n     int    // modeSize: the count
	mode  encodeMode
	group string // the current group
	open  bool   // modeJSON: the current group's object has been written
	top   int    // modeJSON: members written in the outer object
	inner int    // modeJSON: members written in the current group's object
}

// begin ends the current group (closing its JSON object, if any) and starts
// group g.
func (e *encoder) begin(g string) {
	if e.open {
		e.b = append(e.b, '}')
		e.open = false
	}
	e.group, e.inner = g, 0
}

// key starts a field named key1+key2 (two parts so that button keys need no
// concatenation). The value follows.
func (e *encoder) key(key1, key2 string) {
	switch e.mode {
	case modeForm:
		e.b = append(e.b, '&')
		e.b = append(e.b, e.group...)
		e.b = appendFormEscaped(e.b, key1)
		e.b = appendFormEscaped(e.b, key2)
		e.b = append(e.b, '=')
	case modeJSON:
		if e.group != groupTop {
			if !e.open {
				e.comma(&e.top)
				e.b = append(e.b, '"')
				e.b = append(e.b, e.group[:len(e.group)-1]...)
				e.b = append(e.b, `":{`...)
				e.open = true
			}
			e.comma(&e.inner)
		} else {
			e.comma(&e.top)
		}
		e.b = append(e.b, '"')
		e.b = appendJSONText(e.b, key1)
		e.b = appendJSONText(e.b, key2)
		e.b = append(e.b, `":`...)
	case modeSize:
		e.n += len("&=") + len(e.group) + formEscapedLen(key1) + formEscapedLen(key2)
	}
}

// comma separates a JSON member from the one before it, counting members in
// *count.
func (e *encoder) comma(count *int) {
	if *count > 0 {
		e.b = append(e.b, ',')
	}
	*count++
}

// value writes a string value.
func (e *encoder) value(v string) {
	switch e.mode {
	case modeForm:
		e.b = appendFormEscaped(e.b, v)
	case modeJSON:
		e.b = append(e.b, '"')
		e.b = appendJSONText(e.b, v)
		e.b = append(e.b, '"')
	case modeSize:
		e.n += formEscapedLen(v)
	}
}

// bytes writes a string field whose value is v.
func (e *encoder) bytes(key string, v []byte) {
	e.key(key, "")
	switch e.mode {
	case modeForm:
		e.b = appendFormEscaped(e.b, v)
	case modeJSON:
		e.b = append(e.b, '"')
		e.b = jsontext.Append(e.b, string(v))
		e.b = append(e.b, '"')
	case modeSize:
		e.n += formEscapedLen(v)
	}
}

// str writes a string field, unless v is empty.
func (e *encoder) str(key, v string) {
	if v != "" {
		e.key(key, "")
		e.value(v)
	}
}

// flag writes key=v when on is set.
func (e *encoder) flag(key string, on bool, v string) {
	if on {
		e.key(key, "")
		e.value(v)
	}
}

// num writes a number field, unless v is 0.
func (e *encoder) num(key string, v int64) {
	if v != 0 {
		e.number(key, "", v)
	}
}

// number writes a number field, also when v is 0. Only top-level JSON
// members are JSON numbers: extras are strings.
func (e *encoder) number(key1, key2 string, v int64) {
	e.key(key1, key2)
	switch {
	case e.mode == modeSize:
		var d [20]byte
		e.n += len(strconv.AppendInt(d[:0], v, 10)) // '-' and digits need no escaping
	case e.mode == modeJSON && e.group != groupTop:
		e.b = append(e.b, '"')
		e.b = strconv.AppendInt(e.b, v, 10)
		e.b = append(e.b, '"')
	default:
		e.b = strconv.AppendInt(e.b, v, 10)
	}
}

// list writes the elements of vs joined with ",", unless vs is empty.
func (e *encoder) list(key string, vs []string) {
	if len(vs) == 0 {
		return
	}
	e.key(key, "")
	if e.mode == modeJSON {
		e.b = append(e.b, '"')
	}
	for i, v := range vs {
		if i > 0 {
			switch e.mode {
			case modeForm:
				e.b = append(e.b, "%2C"...)
			case modeJSON:
				e.b = append(e.b, ',')
			case modeSize:
				e.n += len("%2C")
			}
		}
		switch e.mode {
		case modeForm:
			e.b = appendFormEscaped(e.b, v)
		case modeJSON:
			e.b = appendJSONText(e.b, v)
		case modeSize:
			e.n += formEscapedLen(v)
		}
	}
	if e.mode == modeJSON {
		e.b = append(e.b, '"')
	}
}

// button writes the fields of a notification button, unless b is nil.
func (e *encoder) button(prefix string, b *Button) {
	if b == nil {
		return
	}
	if b.Name != "" {
		e.key(prefix, "name")
		e.value(b.Name)
	}
	if b.Effect != 0 {
		e.number(prefix, "notify_effect", int64(b.Effect))
	}
	if b.IntentURI != "" {
		e.key(prefix, "intent_uri")
		e.value(b.IntentURI)
	}
	if b.IntentClass != "" {
		e.key(prefix, "intent_class")
		e.value(b.IntentClass)
	}
	if b.WebURI != "" {
		e.key(prefix, "web_uri")
		e.value(b.WebURI)
	}
}

// custom writes the entries of m.Extra in key order, but those a typed
// field has written already (Validate ensures they hold the same value).
func (e *encoder) custom(m *Message) {
	extra := m.Extra
	if len(extra) == 0 {
		return
	}
	if e.mode == modeSize { // order does not change the size
		for k, v := range extra {
			if !m.sentByTyped(k) {
				e.key(k, "")
				e.value(v)
			}
		}
		return
	}
	// Validate allows 10 custom entries; the array keeps those on the
	// stack (documented keys beyond them may grow it).
	var arr [16]string
	keys := arr[:0]
	for k := range extra {
		if !m.sentByTyped(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.key(k, "")
		e.value(extra[k])
	}
}

// appendFormEscaped appends s escaped for application/x-www-form-urlencoded:
// space -> '+', bytes outside [A-Za-z0-9.*_-] -> %XX (upper-case hex), as Java's URLEncoder does (UTF-8).
// Unlike URLEncoder, which turns invalid UTF-8 into '?', it escapes every
// byte as is (Validate rejects invalid UTF-8). s may be a string or bytes
// (the coalescer escapes encoded JSON without copying it to a string).
func appendFormEscaped[S ~string | ~[]byte](b []byte, s S) []byte {
	const hex = "0123456789ABCDEF"
	// Room first, then a byte at a time by index: a quarter faster than
	// appending runs of plain bytes on typical texts and JSON payloads,
	// where escapes are frequent. A buffer with room for the worst case is
	// used as it is; otherwise it is grown by what s needs, so that a buffer
	// sized by formSizeHint is never grown.
	n := len(b)
	if cap(b)-n < 3*len(s) {
		b = slices.Grow(b, formEscapedLen(s))
	}
	b = b[:cap(b)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch formClass[c] {
		case formKeep:
			b[n] = c
			n++
		case formPlus:
			b[n] = '+'
			n++
		default:
			b[n], b[n+1], b[n+2] = '%', hex[c>>4], hex[c&0xF]
			n += 3
		}
	}
	return b[:n]
}

// formEscapedLen is len(appendFormEscaped(nil, s)).
func formEscapedLen[S ~string | ~[]byte](s S) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		n += int(formClass[s[i]] & formHex) // 2 more bytes for %XX
	}
	return n
}

// How appendFormEscaped writes a byte.
const (
	formKeep = 0 // as is: [A-Za-z0-9.*_-]
	formPlus = 1 // space, as '+'
	formHex  = 2 // as %XX
)

// formClass maps each byte to its form class. A table, as this is the
// innermost loop of encoding; TestAppendFormEscapedEveryByte checks it.
const formClass = "" +
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0x00
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0x10
	"\x01\x02\x02\x02\x02\x02\x02\x02\x02\x02\x00\x02\x02\x00\x00\x02" + // 0x20
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02\x02\x02\x02\x02" + // 0x30
	"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" + // 0x40
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02\x02\x02\x00" + // 0x50
	"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" + // 0x60
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02\x02\x02\x02" + // 0x70
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0x80
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0x90
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0xA0
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0xB0
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0xC0
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0xD0
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" + // 0xE0
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" // 0xF0

// appendJSONText appends s escaped as the inside of a JSON string.
func appendJSONText(b []byte, s string) []byte { return jsontext.Append(b, s) }
