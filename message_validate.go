package mipush

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mipush-go/mipush/internal/ascii"
	"github.com/mipush-go/mipush/internal/errtext"
	"github.com/mipush-go/mipush/internal/rules"
	"github.com/mipush-go/mipush/receipt"
)

// Limits of a Message, from the service's rule table (internal/rules).
// "Characters" are runes: a CJK character counts as one, as the server
// counts it.
const (
	maxTitleRunes       = rules.TitleMaxRunes
	maxDescriptionRunes = rules.DescriptionMaxRunes
	maxPayloadBytes     = rules.PayloadMaxBytes
	maxExtras           = rules.MaxCustomExtras
	maxExtraRunes       = rules.ExtraMaxRunes
	maxJobKeyLen        = rules.JobKeyMaxLen
	maxCallbackURL      = rules.CallbackURLMaxBytes
	maxCallbackParam    = rules.CallbackParamMaxBytes
	maxScheduleAhead    = rules.MaxScheduleAhead
)

// Validate reports whether m can be sent, as a *ValidationError naming the
// first offending field (its form name, such as "title" or "extra.jobkey")
// and the limit. Every send validates its message again before writing a
// byte, so calling Validate first is optional.
//
// The rules:
//   - A nil message is invalid.
//   - Which fields are required depends on the kind of message. An iOS
//     message (IOS set) needs nothing more. A pass-through message
//     (PassThrough true) needs a Payload. An Android notification (neither)
//     needs a Title that is not all white space and a Description.
//   - RestrictedPackageName, when set, is package names of [A-Za-z0-9_.]
//     joined with ",".
//   - Title is shorter than 50 characters, Description shorter than 128
//     (runes, not bytes); Payload is shorter than 4096 bytes, counted
//     before escaping. A Title, when set, is not all white space.
//   - NotifyType is 0, -1, or a combination of 1, 2 and 4; NotifyID is in
//     0..2147483647.
//   - TimeToLive is 0, or at least 1ms (it is sent in whole milliseconds).
//   - TimeToSend is zero, or no earlier than 1970 and no more than 7 days
//     after now. A past time is allowed.
//   - Enumerations (NotifyForeground, NotifyEffect, Style, IOS.Channel,
//     Button.Effect, Callback.Type) hold one of their constants.
//   - NotifyEffectActivity needs IntentURI, NotifyEffectWeb needs WebURI;
//     a button's activity effect needs its IntentURI or IntentClass, its
//     web effect its WebURI. A button needs a Name and an Effect.
//   - WebURI, Button.WebURI and Callback.URL are absolute http or https
//     URLs; Callback.URL is required in a Callback and is at most 128
//     bytes, Callback.Param at most 256 bytes (the server answers 65036 to
//     65038 otherwise).
//   - JobKey is 1 to 20 of [0-9A-Za-z_-] and does not start with '_'.
//   - FlowControl and IOS.Badge are not negative; IntentFlag fits a Java
//     int (32 bits).
//   - The elements of Locales, Models, AppVersions and their NotIn twins
//     are not empty and contain no ','.
//   - Extra holds at most 10 custom entries; documented keys (those of
//     the typed fields, such as "channel_id", and the quick-app keys) do
//     not count. Keys are not empty and carry no "extra." prefix, in any
//     case; keys and values are at most 1024 characters. The value of a
//     documented key follows the rule of its typed field ("1", "2" or "3"
//     for "notify_effect", a job key for "jobkey", ...), and the rules
//     that tie keys together apply to both ways of setting them
//     ("notify_effect" 2 needs "intent_uri" or IntentURI). A key set in
//     Extra and by its typed field must have the same value there.
//   - TemplateID has no control characters and is not all white space;
//     TemplateParams needs a template id (TemplateID or
//     Extra["template_id"]) and holds at most 9 variables, each named, each
//     value 1 to 128 characters, not all white space, without symbols of
//     category So (such as emoji) and without unassigned code points.
//     Extra["template_param"] is a JSON object of strings checked the same
//     way. Whether a channel is private, and so needs a template, only the
//     server knows.
//   - Every string is valid UTF-8 without a NUL byte. Identifier-like
//     values (package names, keys, URIs, ids, the Extra keys) contain no
//     control characters at all, CR and LF included; free text (payload,
//     title, description, ticker, channel name and description, button
//     names, layout value, iOS alert and aps text, Extra values) may hold
//     line breaks.
func (m *Message) Validate() error {
	return m.validateAt(time.Time{})
}

// validateAt is Validate with now given, for tests; the zero time means
// the clock, read only when a check needs it.
func (m *Message) validateAt(now time.Time) error {
	if m == nil {
		return fieldError("message", "is nil")
	}
	for _, check := range [...]func(*Message, time.Time) error{
		(*Message).validateTop,
		(*Message).validateAndroid,
		(*Message).validateIOS,
		(*Message).validateTemplate,
		(*Message).validateExtra,
	} {
		if err := check(m, now); err != nil {
			return err
		}
	}
	return nil
}

// validateTop checks the documented top-level fields.
func (m *Message) validateTop(now time.Time) error {
	if err := checkPackageNames("restricted_package_name", m.RestrictedPackageName); err != nil {
		return err
	}
	if err := checkText("payload", m.Payload); err != nil {
		return err
	}
	if n := len(m.Payload); n > maxPayloadBytes {
		return fieldError("payload", "must be shorter than "+strconv.Itoa(maxPayloadBytes+1)+" bytes (4 KB), got "+strconv.Itoa(n))
	}
	if err := checkTextRunes("title", m.Title, maxTitleRunes); err != nil {
		return err
	}
	if err := checkTextRunes("description", m.Description, maxDescriptionRunes); err != nil {
		return err
	}
	switch {
	case m.PassThrough:
		if m.Payload == "" {
			return fieldError("payload", "is required for a pass-through message")
		}
	case m.IOS == nil:
		if m.Title == "" {
			return fieldError("title", "is required for an Android notification shown in the notification bar (not pass-through, not iOS)")
		}
		if m.Description == "" {
			return fieldError("description", "is required for an Android notification shown in the notification bar (not pass-through, not iOS)")
		}
	}
	if m.Title != "" && strings.TrimSpace(m.Title) == "" {
		return fieldError("title", "must not be all white space")
	}
	if t := m.NotifyType; t < NotifyDefaultAll || t > NotifyDefaultSound|NotifyDefaultVibrate|NotifyDefaultLights {
		return fieldError("notify_type", "must be -1 (NotifyDefaultAll) or a combination of 1, 2 and 4, got "+strconv.Itoa(int(t)))
	}
	if id := m.NotifyID; id < 0 || id > maxNotifyID {
		return fieldError("notify_id", "must be in 0.."+strconv.Itoa(maxNotifyID)+", got "+strconv.Itoa(id))
	}
	if ttl := m.TimeToLive; ttl < 0 {
		return fieldError("time_to_live", "must not be negative, got "+ttl.String())
	} else if ttl > 0 && ttl < time.Millisecond {
		return fieldError("time_to_live", "must be 0 or at least 1ms (it is sent in whole milliseconds), got "+ttl.String())
	}
	if t := m.TimeToSend; !t.IsZero() {
		if now.IsZero() {
			now = time.Now()
		}
		return checkTimeToSend(t, now)
	}
	return nil
}

// checkTimeToSend checks a scheduled time t (not zero) against now: not
// before 1970, at most maxScheduleAhead ahead.
func checkTimeToSend(t, now time.Time) error {
	if t.UnixMilli() < 0 {
		return fieldError("time_to_send", "must not be before 1970, got "+t.UTC().Format(time.RFC3339))
	}
	if ahead := t.Sub(now); ahead > maxScheduleAhead {
		return fieldError("time_to_send", "must be at most "+strconv.Itoa(int(maxScheduleAhead/(24*time.Hour)))+" days ("+
			strconv.Itoa(int(maxScheduleAhead.Hours()))+"h) ahead, got "+ahead.Round(time.Second).String()+" ahead")
	}
	return nil
}

// validateAndroid checks the typed Android extras.
func (m *Message) validateAndroid(time.Time) error {
	for _, f := range [...]struct{ field, v string }{
		{"extra.sound_uri", m.SoundURI},
		{"extra.intent_uri", m.IntentURI},
		{"extra.class_name", m.ClassName},
		{"extra.channel_id", m.ChannelID},
		{"extra.notification_large_icon_uri", m.LargeIconURI},
		{"extra.notification_bigPic_uri", m.BigPictureURI},
		{"extra.notification_small_icon_uri", m.SmallIconURI},
		{"extra.notification_small_icon_color", m.SmallIconColor},
		{"extra.layout_name", m.LayoutName},
	} {
		if err := checkToken(f.field, f.v); err != nil {
			return err
		}
	}
	for _, f := range [...]struct{ field, v string }{
		{"extra.ticker", m.Ticker},
		{"extra.channel_name", m.ChannelName},
		{"extra.channel_description", m.ChannelDescription},
		{"extra.layout_value", m.LayoutValue},
	} {
		if err := checkText(f.field, f.v); err != nil {
			return err
		}
	}
	if f := m.NotifyForeground; f < ForegroundUnset || f > ForegroundHide {
		return fieldError("extra.notify_foreground", "must be ForegroundUnset, ForegroundShow or ForegroundHide, got "+strconv.Itoa(int(f)))
	}
	if err := checkEffect("extra.notify_effect", m.NotifyEffect, false); err != nil {
		return err
	}
	if m.NotifyEffect == NotifyEffectActivity && m.extraValue("intent_uri") == "" {
		return fieldError("extra.intent_uri", "is required by NotifyEffectActivity (notify_effect 2)")
	}
	if m.NotifyEffect == NotifyEffectWeb && m.extraValue("web_uri") == "" {
		return fieldError("extra.web_uri", "is required by NotifyEffectWeb (notify_effect 3)")
	}
	if err := checkHTTPURL("extra.web_uri", m.WebURI); err != nil {
		return err
	}
	if f := m.IntentFlag; f < math.MinInt32 || f > math.MaxInt32 {
		return fieldError("extra.intent_flag", "must fit in 32 bits (a Java int), got "+strconv.Itoa(f))
	}
	if r := m.FlowControl; r < 0 {
		return fieldError("extra.flow_control", "must not be negative, got "+strconv.Itoa(r))
	}
	if err := checkJobKey(m.JobKey); err != nil {
		return err
	}
	if err := m.Callback.validate(); err != nil {
		return err
	}
	for _, f := range [...]struct {
		field string
		vs    []string
	}{
		{"extra.locale", m.Locales},
		{"extra.locale_not_in", m.LocalesNotIn},
		{"extra.model", m.Models},
		{"extra.model_not_in", m.ModelsNotIn},
		{"extra.app_version", m.AppVersions},
		{"extra.app_version_not_in", m.AppVersionsNotIn},
	} {
		if err := checkList(f.field, f.vs); err != nil {
			return err
		}
	}
	if s := m.Style; s < 0 || s > StyleBigPicture {
		return fieldError("extra.notification_style_type", "must be 0, StyleBigText or StyleBigPicture, got "+strconv.Itoa(int(s)))
	}
	for _, b := range m.buttons() {
		if err := b.b.validate(b.prefix); err != nil {
			return err
		}
	}
	return nil
}

// namedButton is a button with the prefix of its extras.
type namedButton struct {
	prefix string
	b      *Button
}

// buttons returns the message's three buttons, nil or not, with their
// prefixes, in the order they are sent.
func (m *Message) buttons() [3]namedButton {
	return [...]namedButton{
		{buttonLeft, m.LeftButton},
		{buttonMid, m.MidButton},
		{buttonRight, m.RightButton},
	}
}

// validate checks a button whose fields are sent as extra.<prefix><field>.
// Field names are built only for an error, to keep the valid path free of
// allocations.
func (b *Button) validate(prefix string) error {
	if b == nil {
		return nil
	}
	fail := func(name string, err error) error {
		err.(*ValidationError).Field = "extra." + prefix + name
		return err
	}
	if b.Name == "" {
		return fail("name", fieldError("", "is required in a Button"))
	}
	if err := checkText("", b.Name); err != nil {
		return fail("name", err)
	}
	if err := checkEffect("", b.Effect, true); err != nil {
		return fail("notify_effect", err)
	}
	if err := checkToken("", b.IntentURI); err != nil {
		return fail("intent_uri", err)
	}
	if err := checkToken("", b.IntentClass); err != nil {
		return fail("intent_class", err)
	}
	if err := checkHTTPURL("", b.WebURI); err != nil {
		return fail("web_uri", err)
	}
	switch {
	case b.Effect == NotifyEffectActivity && b.IntentURI == "" && b.IntentClass == "":
		return fail("intent_uri", fieldError("", "or intent_class is required by NotifyEffectActivity (notify_effect 2)"))
	case b.Effect == NotifyEffectWeb && b.WebURI == "":
		return fail("web_uri", fieldError("", "is required by NotifyEffectWeb (notify_effect 3)"))
	}
	return nil
}

// validate checks a callback; nil is valid.
func (c *Callback) validate() error {
	if c == nil {
		return nil
	}
	if c.URL == "" {
		return fieldError("extra.callback", "is required in a Callback")
	}
	if err := checkCallbackURL(c.URL); err != nil {
		return err
	}
	if err := checkCallbackParam(c.Param); err != nil {
		return err
	}
	if t := c.Type; t < 0 || t&^receipt.All != 0 {
		return fieldError("extra.callback.type", "must be a sum of the receipt.Type flags (1, 2, 16, 32, 64, 128, 1024), got "+strconv.Itoa(int(t)))
	}
	return nil
}

// checkCallbackURL checks extra.callback: an absolute http or https URL
// of at most 128 bytes.
func checkCallbackURL(u string) error {
	const field = "extra.callback"
	if err := checkHTTPURL(field, u); err != nil {
		return err
	}
	if n := len(u); n > maxCallbackURL {
		return fieldError(field, "must be at most "+strconv.Itoa(maxCallbackURL)+" bytes, got "+strconv.Itoa(n))
	}
	return nil
}

// checkCallbackParam checks extra.callback.param: at most 256 bytes (the
// 2024–2025 documentation; a 2022 copy said 64), without control
// characters.
func checkCallbackParam(p string) error {
	const field = "extra.callback.param"
	if err := checkToken(field, p); err != nil {
		return err
	}
	if n := len(p); n > maxCallbackParam {
		return fieldError(field, "must be at most "+strconv.Itoa(maxCallbackParam)+" bytes, got "+strconv.Itoa(n))
	}
	return nil
}

// validateIOS checks the iOS fields, if any.
func (m *Message) validateIOS(time.Time) error {
	i := m.IOS
	if i == nil {
		return nil
	}
	if i.Badge != nil && *i.Badge < 0 {
		return fieldError("extra.badge", "must not be negative, got "+strconv.Itoa(*i.Badge))
	}
	if err := checkToken("extra.category", i.Category); err != nil {
		return err
	}
	if err := checkToken("extra.sound_url", i.SoundURL); err != nil {
		return err
	}
	if c := i.Channel; c < 0 || c > IOSChannelLongConn {
		return fieldError("extra.ios_msg_channel", "must be 0, IOSChannelAPNs or IOSChannelLongConn, got "+strconv.Itoa(int(c)))
	}
	for _, f := range [...]struct{ field, v string }{
		{"extra.apsAlert-title", i.AlertTitle},
		{"extra.apsAlert-body", i.AlertBody},
		{"extra.apsAlert-title-loc-key", i.AlertTitleLocKey},
		{"extra.apsAlert-title-loc-args", i.AlertTitleLocArgs},
		{"extra.apsAlert-action-loc-key", i.AlertActionLocKey},
		{"extra.apsAlert-loc-key", i.AlertLocKey},
		{"extra.apsAlert-loc-args", i.AlertLocArgs},
		{"extra.apsAlert-launch-image", i.AlertLaunchImage},
		{"aps_proper_fields.title", i.ApsTitle},
		{"aps_proper_fields.subtitle", i.ApsSubtitle},
		{"aps_proper_fields.body", i.ApsBody},
	} {
		if err := checkText(f.field, f.v); err != nil {
			return err
		}
	}
	return nil
}

// validateExtra checks the extras. They are checked in map order; only
// when one is wrong are they checked again in key order, so that the error
// reported is always the same one.
func (m *Message) validateExtra(time.Time) error {
	if len(m.Extra) == 0 {
		return nil
	}
	custom, wrong := 0, false
	for k, v := range m.Extra {
		if m.checkExtra(k, v, &custom) != nil {
			wrong = true
			break
		}
	}
	if !wrong {
		if custom > maxExtras {
			return fieldError("extra", "must hold at most "+strconv.Itoa(maxExtras)+" custom extras (documented keys do not count), got "+strconv.Itoa(custom))
		}
		return nil
	}
	var arr [maxExtras]string
	keys := arr[:0]
	for k := range m.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := m.checkExtra(k, m.Extra[k], &custom); err != nil {
			return err
		}
	}
	return nil
}

// checkExtra checks one entry of Extra, counting custom (undocumented)
// keys in *custom.
func (m *Message) checkExtra(k, v string, custom *int) error {
	if k == "" {
		return fieldError("extra", "has an empty key")
	}
	// Characters are counted only when the bytes might be too many.
	if n := len(k); n > maxExtraRunes && utf8.RuneCountInString(k) > maxExtraRunes {
		n = utf8.RuneCountInString(k)
		return fieldError("extra", "keys must be at most "+strconv.Itoa(maxExtraRunes)+" characters, got one of "+strconv.Itoa(n))
	}
	if indexControl(k) >= 0 || !utf8.ValidString(k) {
		// Not in Field: the key may hold a line break.
		return fieldError("extra", "keys must be valid UTF-8 without control characters (CR, LF, NUL, ...), got "+errtext.Short(k))
	}
	// The field name is built only for an error: no allocation otherwise.
	if ascii.HasPrefixFold(k, groupExtra) {
		return fieldError("extra."+k, "key must be given without the \"extra.\" prefix (in any case)")
	}
	if doc := documentedExtra(k); doc.kind != extraCustom {
		return m.checkDocumentedExtra(k, v, doc)
	}
	*custom++
	if err := checkTextRunes("", v, maxExtraRunes); err != nil {
		err.(*ValidationError).Field = "extra." + k
		return err
	}
	return nil
}

// typedExtraField returns the name of the typed field that sets
// extra.<key>, or "" when none does.
func typedExtraField(key string) string { return documentedExtra(key).field }

// fieldError returns a *ValidationError; helpers return error so that a nil
// one stays a nil interface.
func fieldError(field, reason string) error {
	return &ValidationError{Field: field, Reason: reason}
}

// checkText checks free text: valid UTF-8 without NUL. Line breaks are
// fine: such values only ever travel escaped, in the body.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return fieldError(field, "must be valid UTF-8")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return fieldError(field, "must not contain a NUL byte, got one at byte "+strconv.Itoa(i))
	}
	return nil
}

// checkTextRunes is checkText plus a limit of max characters.
func checkTextRunes(field, s string, max int) error {
	if err := checkText(field, s); err != nil {
		return err
	}
	// Characters are counted only when the bytes might be too many.
	if n := len(s); n > max && utf8.RuneCountInString(s) > max {
		n = utf8.RuneCountInString(s)
		return fieldError(field, "must be shorter than "+strconv.Itoa(max+1)+" characters, got "+strconv.Itoa(n))
	}
	return nil
}

// checkToken checks an identifier-like value: valid UTF-8 without any
// ASCII control character, so no CR, LF or NUL can reach a log line or a
// header by way of it.
func checkToken(field, s string) error {
	if !utf8.ValidString(s) {
		return fieldError(field, "must be valid UTF-8")
	}
	if i := indexControl(s); i >= 0 {
		return fieldError(field, "must not contain control characters (CR, LF, NUL, ...), got 0x"+
			strconv.FormatUint(uint64(s[i]), 16)+" at byte "+strconv.Itoa(i))
	}
	return nil
}

// indexControl returns the index of the first ASCII control character in
// s, or -1.
func indexControl(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7F {
			return i
		}
	}
	return -1
}

// checkPackageNames checks a list of Android package names joined with ",".
func checkPackageNames(field, s string) error {
	if s == "" {
		return nil
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i == start {
				return fieldError(field, "must be package names joined with \",\", got an empty one in "+errtext.Short(s))
			}
			start = i + 1
			continue
		}
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return fieldError(field, "package names may hold only [A-Za-z0-9_.], got "+errtext.Short(s))
		}
	}
	return nil
}

// checkEffect checks a NotifyEffect; required says whether 0 is an error.
func checkEffect(field string, e NotifyEffect, required bool) error {
	if e == 0 && required {
		return fieldError(field, "is required: NotifyEffectLauncher, NotifyEffectActivity or NotifyEffectWeb")
	}
	if e < 0 || e > NotifyEffectWeb {
		return fieldError(field, "must be NotifyEffectLauncher (1), NotifyEffectActivity (2) or NotifyEffectWeb (3), got "+strconv.Itoa(int(e)))
	}
	return nil
}

// checkHTTPURL checks that s, when set, is an absolute http or https URL.
func checkHTTPURL(field, s string) error {
	if s == "" {
		return nil
	}
	if err := checkToken(field, s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldError(field, "must be an absolute http or https URL, got "+errtext.Short(s))
	}
	return nil
}

// checkJobKey checks extra.jobkey.
func checkJobKey(k string) error {
	const field = "extra.jobkey"
	if k == "" {
		return nil
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fieldError(field, "may hold only [0-9A-Za-z_-], got "+errtext.Short(k))
		}
	}
	if k[0] == '_' {
		return fieldError(field, "must not start with '_', got "+errtext.Short(k))
	}
	if len(k) > maxJobKeyLen { // ASCII by now: bytes are characters
		return fieldError(field, "must be at most "+strconv.Itoa(maxJobKeyLen)+" characters (older documentation: 12), got "+strconv.Itoa(len(k)))
	}
	return nil
}

// checkList checks a list sent joined with ",".
func checkList(field string, vs []string) error {
	for i, v := range vs {
		if v == "" {
			return fieldError(field, "must not hold an empty element, got one at index "+strconv.Itoa(i))
		}
		if strings.IndexByte(v, ',') >= 0 {
			return fieldError(field, "elements must not contain ',' (the list is sent joined with \",\"), got "+errtext.Short(v))
		}
		if err := checkToken(field, v); err != nil {
			return err
		}
	}
	return nil
}
