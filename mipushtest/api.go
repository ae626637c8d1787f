package mipushtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mipush-go/mipush/internal/chinatime"
	"github.com/mipush-go/mipush/internal/rules"
)

// Limits the server enforces, from the service's rule table
// (internal/rules), which the client reads too.
const (
	maxTargets     = rules.MaxTargets              // regids, aliases or accounts per call
	maxTopics      = rules.MaxTopics               // topics of a multi_topic send
	maxTitle       = rules.TitleMaxRunes + 1       // title: fewer runes than this
	maxDescription = rules.DescriptionMaxRunes + 1 // description: fewer runes than this
	maxPayload     = rules.PayloadMaxBytes + 1     // payload: fewer bytes than this
	maxSchedule    = rules.MaxScheduleAhead        // time_to_send: at most this far ahead
	maxStatsDays   = 366
)

// reasonNoTarget is the real server's reason for a send without targets.
const reasonNoTarget = "Must input one of: regid/topic/alias/userAccount/miid/geoId/groupId/region"

// require answers 21305 and returns false unless every parameter (or one of
// each "a|b") is present and not empty.
func (x *exchange) require(names ...string) bool {
	f := x.req.Form
	for _, name := range names {
		found := false
		for alt := range strings.SplitSeq(name, "|") {
			if f.Get(alt) != "" {
				found = true
				break
			}
		}
		if !found {
			x.fail(http.StatusOK, 21305, "Must input "+strings.ReplaceAll(name, "|", " or "), "")
			return false
		}
	}
	return true
}

// invalid answers 10017 with reason.
func (x *exchange) invalid(reason string) {
	x.fail(http.StatusOK, 10017, reason, "")
}

// checkTargets checks a list of targets split from one parameter: at most
// maxTargets, none empty, none with spaces around it (a ", " join).
func (x *exchange) checkTargets(targets []string) bool {
	ep := x.ep
	if len(targets) > maxTargets {
		x.invalid(ep.target + ": " + strconv.Itoa(len(targets)) + " targets, at most " + strconv.Itoa(maxTargets) + " allowed")
		return false
	}
	for _, t := range targets {
		if t == "" {
			x.invalid(ep.target + ": empty item; join the list with \"" + ep.sep + "\"")
			return false
		}
		if strings.TrimSpace(t) != t {
			x.invalid(ep.target + ": item " + strconv.Quote(t) + " has spaces; join the list with \"" + ep.sep + "\" and no spaces")
			return false
		}
	}
	return true
}

// checkTopicOp checks topic_op.
func (x *exchange) checkTopicOp() bool {
	switch op := x.req.Form.Get("topic_op"); op {
	case "UNION", "INTERSECTION", "EXCEPT":
		return true
	case "":
		x.fail(http.StatusOK, 21305, "Must input topic_op with topics", "")
	default:
		x.invalid("topic_op must be UNION, INTERSECTION or EXCEPT, not " + strconv.Quote(op))
	}
	return false
}

// handleSend serves the sends of one message to its targets.
func (x *exchange) handleSend() {
	r, ep := x.req, x.ep
	f := r.Form
	switch ep.target {
	case "registration_id", "alias", "user_account":
		if len(r.Targets) == 0 {
			x.fail(http.StatusOK, 21305, reasonNoTarget, "")
			return
		}
		if !x.checkTargets(r.Targets) {
			return
		}
	case "topic":
		t := f.Get("topic")
		if t == "" {
			x.fail(http.StatusOK, 21305, reasonNoTarget, "")
			return
		}
		if strings.Contains(t, ";$;") {
			x.invalid("topic must be one topic; send several with multi_topic")
			return
		}
	case "topics":
		if len(r.Targets) == 0 {
			x.fail(http.StatusOK, 21305, reasonNoTarget, "")
			return
		}
		if len(r.Targets) > maxTopics {
			x.invalid("topics: " + strconv.Itoa(len(r.Targets)) + " topics, at most " + strconv.Itoa(maxTopics) + " allowed")
			return
		}
		for _, t := range r.Targets {
			if t == "" || strings.Contains(t, ":$") || strings.Contains(t, "$;") || strings.Contains(t, ";$") {
				x.invalid("topics must be joined with \";$;\"")
				return
			}
		}
		if !x.checkTopicOp() {
			return
		}
	}
	if pkg := f.Get("restricted_package_name"); strings.HasPrefix(r.Path, "/v2/") && strings.Contains(pkg, ",") {
		x.invalid("restricted_package_name: v2 accepts one package; use v3 for several")
		return
	}
	if code, reason := x.checkMessage(f, time.Now(), ""); code != 0 {
		x.fail(http.StatusOK, code, reason, "")
		return
	}
	if !x.sendQuota() {
		return
	}
	x.sendOK(r.Targets, f.Get("time_to_send"), f.Get("extra.jobkey"))
}

// sendOK answers a successful send to targets, with data.bad_regids for a
// regid send, or 20301 if every regid is bad.
func (x *exchange) sendOK(targets []string, timeToSend, jobKey string) {
	ep, b := x.ep, x.beh
	var bad []string
	if ep.kind == "REGID" && b.hasBad() {
		for _, t := range targets {
			if b.isBad(t) {
				bad = append(bad, t)
			}
		}
		if len(bad) == len(targets) {
			x.fail(http.StatusOK, 20301, "No valid targets!", "")
			return
		}
	}
	x.s.state.countSend(ep.kind, len(targets)-len(bad))
	x.beginOK()
	x.out = append(x.out, `{"id":"`...)
	idStart := len(x.out)
	x.out = x.s.appendID(x.out, 's', x.n)
	// Most sends are not scheduled: no ParseInt, whose error allocates.
	if timeToSend != "" {
		if ts, _ := strconv.ParseInt(timeToSend, 10, 64); ts > 0 {
			x.s.state.addJob(string(x.out[idStart:]), jobKey)
		}
	}
	if max := x.s.opts.RememberSends; max > 0 {
		m := sentMessage{created: x.req.Time, jobKey: jobKey}
		if ep.kind == "REGID" || ep.kind == "ALIAS" || ep.kind == "USERACCOUNT" {
			m.targets = len(targets) - len(bad)
		}
		x.s.state.remember(string(x.out[idStart:]), m, max)
	}
	x.out = append(x.out, '"')
	if len(bad) > 0 {
		x.out = appendStringField(x.out, "bad_regids", strings.Join(bad, ","))
	}
	x.out = append(x.out, x.dataTail...)
	x.out = append(x.out, '}')
	x.out = append(x.out, `,"description":"成功","info":"Received push messages for `...)
	switch ep.kind {
	case "ALL", "TOPIC", "MULTI_TOPIC":
		x.out = append(x.out, ep.kind...)
	default:
		x.out = strconv.AppendInt(x.out, int64(len(targets)-len(bad)), 10)
		x.out = append(x.out, ' ')
		x.out = append(x.out, ep.kind...)
	}
	x.out = append(x.out, `"}`...)
}

// androidOnly lists the message fields that only an Android message
// carries; a notification with none of them is taken for an iOS one, which
// needs no title.
func isAndroidOnly(key string) bool {
	switch key {
	case "notify_type", "notify_id", "extra.notify_effect", "extra.channel_id",
		"extra.intent_uri", "extra.web_uri", "extra.sound_uri", "extra.notify_foreground":
		return true
	}
	return strings.HasPrefix(key, "extra.notification_")
}

// checkMessage checks the message fields of a send and returns the
// error code and reason, or 0. Warnings go to the request, each prefixed
// with at (which message of a multi-message send it is about).
func (x *exchange) checkMessage(f url.Values, now time.Time, at string) (int, string) {
	passThrough := false
	switch v := f.Get("pass_through"); v {
	case "", "0":
	case "1":
		passThrough = true
	default:
		return 10017, "pass_through must be 0 or 1, not " + strconv.Quote(v)
	}
	payload := f.Get("payload")
	if len(payload) >= maxPayload {
		return 65009, "payload is " + strconv.Itoa(len(payload)) + " bytes, must be less than " + strconv.Itoa(maxPayload)
	}
	title, hasTitle := f.Get("title"), f.Has("title")
	if n := utf8.RuneCountInString(title); n >= maxTitle {
		return 10017, "title is " + strconv.Itoa(n) + " characters, must be fewer than " + strconv.Itoa(maxTitle)
	}
	if hasTitle && strings.TrimFunc(title, unicode.IsSpace) == "" {
		return 10017, "title must not be blank"
	}
	desc := f.Get("description")
	if n := utf8.RuneCountInString(desc); n >= maxDescription {
		return 10017, "description is " + strconv.Itoa(n) + " characters, must be fewer than " + strconv.Itoa(maxDescription)
	}
	if passThrough {
		if payload == "" {
			return 21305, "Must input payload for a pass-through message"
		}
	} else {
		if desc == "" {
			return 21305, "Must input description for a notification message"
		}
		if !hasTitle {
			for k := range f {
				if isAndroidOnly(k) {
					return 21305, "Must input title for a notification message"
				}
			}
		}
	}
	if v := f.Get("notify_type"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 || n > 7 {
			return 10017, "notify_type must be -1 or a sum of 1, 2 and 4, not " + strconv.Quote(v)
		}
	}
	if v := f.Get("notify_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > rules.MaxNotifyID {
			return 10017, "notify_id must be an integer from 0 to " + strconv.Itoa(rules.MaxNotifyID) + ", not " + strconv.Quote(v)
		}
	}
	if v := f.Get("time_to_live"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 10017, "time_to_live must be a number of milliseconds, not " + strconv.Quote(v)
		}
	}
	if code, reason := checkTimeToSend(f.Get("time_to_send"), now); code != 0 {
		return code, reason
	}
	if v := f.Get("extra.jobkey"); v != "" && !validJobKey(v) {
		return 10017, "extra.jobkey must be at most " + strconv.Itoa(rules.JobKeyMaxLen) + " of [0-9a-zA-Z_-] and not start with _, not " + strconv.Quote(v)
	}
	// Which code the real server answers here is not documented: see
	// rules.CodeBadCallback.
	if n := len(f.Get("extra.callback")); n > rules.CallbackURLMaxBytes {
		return rules.CodeBadCallback, "extra.callback is " + strconv.Itoa(n) + " bytes, at most " + strconv.Itoa(rules.CallbackURLMaxBytes) + " allowed"
	}
	if n := len(f.Get("extra.callback.param")); n > rules.CallbackParamMaxBytes {
		return rules.CodeBadCallback, "extra.callback.param is " + strconv.Itoa(n) + " bytes, at most " + strconv.Itoa(rules.CallbackParamMaxBytes) + " allowed"
	}
	switch v := f.Get("extra.notify_effect"); v {
	case "", "1":
	case "2":
		if f.Get("extra.intent_uri") == "" {
			return 21305, "Must input extra.intent_uri with extra.notify_effect 2"
		}
	case "3":
		if f.Get("extra.web_uri") == "" {
			return 21305, "Must input extra.web_uri with extra.notify_effect 3"
		}
	default:
		return 10017, "extra.notify_effect must be 1, 2 or 3, not " + strconv.Quote(v)
	}
	if !passThrough && f.Get("extra.notify_effect") == "" && isAndroidNotification(f) {
		if x.s.opts.Strict {
			return rules.CodeCustomNotification, "Must input extra.notify_effect: " + customNotification
		}
		x.req.Warnings = append(x.req.Warnings, at+"notification without extra.notify_effect: "+customNotification+"; the real server's answer is unknown")
	}
	return x.checkTemplate(f)
}

// customNotification says why a notification needs extra.notify_effect.
const customNotification = "custom notification messages are offline since " + rules.NotifyEffectRequiredSince +
	" (notice " + rules.NotifyEffectSource + ")"

// isAndroidNotification reports whether the fields f of a notification
// look like an Android one: a package name, a title or an Android-only
// field, and no iOS field. An iOS message needs no notify_effect.
func isAndroidNotification(f url.Values) bool {
	android := f.Get("restricted_package_name") != "" || f.Has("title")
	for k := range f {
		switch {
		case isIOSOnly(k):
			return false
		case isAndroidOnly(k):
			android = true
		}
	}
	return android
}

// isIOSOnly reports whether key is a field only an iOS message carries.
func isIOSOnly(key string) bool {
	switch key {
	case "extra.badge", "extra.category", "extra.sound_url", "extra.ios_msg_channel",
		"extra.content-available", "extra.show-content":
		return true
	}
	return strings.HasPrefix(key, "extra.apsAlert-") || strings.HasPrefix(key, "aps_proper_fields.")
}

// checkTimeToSend checks a time_to_send value (epoch milliseconds, at most
// maxSchedule ahead).
func checkTimeToSend(v string, now time.Time) (int, string) {
	if v == "" {
		return 0, ""
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms < 0 {
		return 10017, "time_to_send must be epoch milliseconds, not " + strconv.Quote(v)
	}
	if ms > now.Add(maxSchedule).UnixMilli() {
		return 10017, "time_to_send is more than " + strconv.Itoa(int(maxSchedule/(24*time.Hour))) + " days ahead"
	}
	return 0, ""
}

// validJobKey reports whether k is a valid extra.jobkey.
func validJobKey(k string) bool {
	if len(k) > rules.JobKeyMaxLen || k[0] == '_' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// targetedMessage is one element of the messages parameter of
// /v2/multi_messages/*.
type targetedMessage struct {
	Target  string `json:"target"`
	Message any    `json:"message"`
}

// messageForm converts a decoded message object of a multi-message send
// to the form fields of a single send: top-level values as strings, "extra" entries as
// "extra.<key>", "aps_proper_fields" entries as "aps_proper_fields.<key>".
func messageForm(v any) (url.Values, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	f := make(url.Values, len(m))
	for k, v := range m {
		if group, ok := v.(map[string]any); ok {
			if k == "extra" || k == "aps_proper_fields" {
				for gk, gv := range group {
					f[k+"."+gk] = []string{jsonScalar(gv)}
				}
			}
			continue
		}
		f[k] = []string{jsonScalar(v)}
	}
	return f, true
}

// decodeMessages decodes the messages parameter of a multi-message send
// in one pass: err if it is not a JSON array, else the messages and bad, the index of the
// first element whose message is not an object (the messages before it
// are returned), or -1.
func decodeMessages(messages string) (ms []BatchMessage, bad int, err error) {
	var raw []targetedMessage
	if err := json.Unmarshal([]byte(messages), &raw); err != nil {
		return nil, -1, err
	}
	ms = make([]BatchMessage, 0, len(raw))
	for i, m := range raw {
		f, ok := messageForm(m.Message)
		if !ok {
			return ms, i, nil
		}
		ms = append(ms, BatchMessage{Target: m.Target, Form: f})
	}
	return ms, -1, nil
}

// jsonScalar formats a decoded JSON scalar as a form value.
func jsonScalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// handleMulti serves the multi-message sends (/v2/multi_messages/*). Each
// message is checked as a single send to its target is (its fields, its target, one
// package: the endpoint is v2), and the first bad one refuses the whole
// request with that send's code and a reason naming its index. How the
// real server treats one bad message in a batch has no public source;
// this is the cautious model. Its answer is a single send's: one data.id
// for the batch.
func (x *exchange) handleMulti() {
	r := x.req
	if !x.require("messages") {
		return
	}
	ms := x.msgs
	if x.msgsErr != nil {
		x.invalid("messages must be a JSON array of {\"target\":...,\"message\":{...}}: " + x.msgsErr.Error())
		return
	}
	if x.msgsBad >= 0 {
		x.invalid("messages[" + strconv.Itoa(x.msgsBad) + "].message must be a JSON object")
		return
	}
	if len(ms) == 0 {
		x.invalid("messages is empty")
		return
	}
	now := time.Now()
	classes := make([]string, len(ms))
	for i, m := range ms {
		at := "messages[" + strconv.Itoa(i) + "]"
		if m.Target == "" {
			x.fail(http.StatusOK, 21305, "Must input target of "+at, "")
			return
		}
		if strings.TrimSpace(m.Target) != m.Target {
			x.invalid(at + ".target " + strconv.Quote(m.Target) + " has spaces")
			return
		}
		if code, reason := x.checkMessage(m.Form, now, at+": "); code != 0 {
			x.fail(http.StatusOK, code, at+": "+reason, "")
			return
		}
		if strings.Contains(m.Form.Get("restricted_package_name"), ",") {
			x.invalid(at + ".restricted_package_name: v2 accepts one package; use v3 for several")
			return
		}
		classes[i] = m.Form.Get("extra.channel_id")
	}
	if code, reason := checkTimeToSend(r.Form.Get("time_to_send"), now); code != 0 {
		x.fail(http.StatusOK, code, reason, "")
		return
	}
	x.multiQuota(classes)
	x.sendOK(r.Targets, r.Form.Get("time_to_send"), "")
}

// handleOK serves the paths that only need their parameters.
func (x *exchange) handleOK() {
	if !x.require(x.ep.Required...) {
		return
	}
	if x.ep.sep != "" && !x.checkTargets(x.req.Targets) {
		return
	}
	if x.req.TargetParam == "topics" && !x.checkTopicOp() {
		return
	}
	if v := x.req.Form.Get("notify_id"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || n > rules.MaxNotifyID {
			x.invalid("notify_id must be an integer from 0 to " + strconv.Itoa(rules.MaxNotifyID) + ", not " + strconv.Quote(v))
			return
		}
	}
	if x.ep.Path == "/v2/message/delete" {
		x.s.state.deleteJob(x.req.Form.Get("id"))
	}
	x.ok()
}

// handleJobExist serves /v2/schedule_job/exist: code 0 if the job exists.
func (x *exchange) handleJobExist() {
	if !x.require("job_id") {
		return
	}
	if !x.s.state.hasJob(x.req.Form.Get("job_id")) {
		x.fail(http.StatusOK, 65028, "Job not found", "")
		return
	}
	x.ok()
}

// handleJobDelete serves /v2/schedule_job/delete.
func (x *exchange) handleJobDelete() {
	if !x.require("job_id") {
		return
	}
	if !x.s.state.deleteJob(x.req.Form.Get("job_id")) {
		x.fail(http.StatusOK, 65028, "Job not found", "")
		return
	}
	x.ok()
}

// handleJobKeyDelete serves /v3/schedule_job/delete.
func (x *exchange) handleJobKeyDelete() {
	if !x.require("jobkey") {
		return
	}
	x.s.state.deleteJobKey(x.req.Form.Get("jobkey"))
	x.ok()
}

// handleStats serves /v1/stats/message/counters: one entry per date, the
// server's own counts of recipients on today's date.
func (x *exchange) handleStats() {
	if !x.require(x.ep.Required...) {
		return
	}
	f := x.req.Form
	start, err1 := time.ParseInLocation("20060102", f.Get("start_date"), time.Local)
	end, err2 := time.ParseInLocation("20060102", f.Get("end_date"), time.Local)
	if err1 != nil || err2 != nil {
		x.invalid("start_date and end_date must be yyyyMMdd")
		return
	}
	if end.Before(start) || end.Sub(start) > maxStatsDays*24*time.Hour {
		x.invalid("end_date must be after start_date, within " + strconv.Itoa(maxStatsDays) + " days")
		return
	}
	today := time.Now().Format("20060102")
	c := x.s.state.counts()
	x.beginOK()
	x.out = append(x.out, `{"data":[`...)
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		if d != start {
			x.out = append(x.out, ',')
		}
		date := d.Format("20060102")
		var k sendCounts
		if date == today {
			k = c
		}
		x.out = append(x.out, '{')
		x.out = appendStringField(x.out, "date", date)
		x.out = appendIntField(x.out, "single_recipients", k.regid+k.alias+k.account)
		x.out = appendIntField(x.out, "broadcast_recipients", k.broadcast)
		x.out = appendIntField(x.out, "regid_recipients", k.regid)
		x.out = appendIntField(x.out, "alias_recipients", k.alias)
		x.out = appendIntField(x.out, "useraccount_recipients", k.account)
		x.out = appendIntField(x.out, "received", k.regid+k.alias+k.account)
		x.out = appendIntField(x.out, "click", 0)
		x.out = append(x.out, '}')
	}
	x.out = append(x.out, "]}"...)
	x.endOK("")
}

// appendTrace appends one trace entry for one delivered target.
func appendTrace(b []byte, id string, created time.Time) []byte {
	return appendTraceOf(b, id, created, 1)
}

// appendTraceOf appends one trace entry for n resolved and
// delivered targets.
func appendTraceOf(b []byte, id string, created time.Time, n int) []byte {
	b = append(b, '{')
	b = appendStringField(b, "id", id)
	b = appendStringField(b, "create_time", created.In(chinatime.Location()).Format(time.DateTime)) // as the servers keep it
	b = appendIntField(b, "create_timestamp", created.UnixMilli())
	b = appendStringField(b, "time_to_live", "86400s") // a string, in seconds, as the server writes it
	b = appendStringField(b, "msg_type", "Common")
	rate := "100%"
	if n == 0 {
		rate = "0%"
	}
	b = appendIntField(b, "delivered", int64(n))
	b = appendStringField(b, "delivery_rate", rate)
	b = appendIntField(b, "click", 0)
	b = appendStringField(b, "click_rate", "0%")
	b = appendIntField(b, "resolved", int64(n))
	b = appendIntField(b, "invalid_target", 0)
	b = appendIntField(b, "raw_counter", 1)
	b = appendIntField(b, "bar_closed", 0)
	b = appendIntField(b, "device_condition_unmatch", 0)
	b = appendIntField(b, "app_not_register", 0)
	return append(b, '}')
}

// handleTrace serves /v1/trace/message/status.
func (x *exchange) handleTrace() {
	if !x.require("msg_id|job_key") {
		return
	}
	id, jobKey := x.req.Form.Get("msg_id"), x.req.Form.Get("job_key")
	x.beginOK()
	x.out = append(x.out, `{"data":`...)
	switch {
	case x.s.opts.RememberSends > 0:
		m, ok := x.s.state.traced(id, jobKey)
		if !ok {
			m.created = x.req.Time // unknown: nothing resolved
		}
		x.out = appendTraceOf(x.out, firstNonEmpty(id, jobKey), m.created, m.targets)
	default:
		x.out = appendTrace(x.out, firstNonEmpty(id, jobKey), x.req.Time)
	}
	x.out = append(x.out, '}')
	x.endOK("")
}

// handleTraces serves /v1/trace/messages/status.
func (x *exchange) handleTraces() {
	if !x.require("begin_time", "end_time") {
		return
	}
	begin, err1 := strconv.ParseInt(x.req.Form.Get("begin_time"), 10, 64)
	end, err2 := strconv.ParseInt(x.req.Form.Get("end_time"), 10, 64)
	if err1 != nil || err2 != nil || end < begin {
		x.invalid("begin_time and end_time must be epoch milliseconds, begin_time first")
		return
	}
	x.beginOK()
	x.out = append(x.out, `{"data":[`...)
	id := string(x.s.appendID(nil, 's', x.n))
	x.out = appendTrace(x.out, id, time.UnixMilli(begin))
	x.out = append(x.out, "]}"...)
	x.endOK("")
}

// handleSubscribe serves the topic subscription paths.
func (x *exchange) handleSubscribe() {
	r, ep := x.req, x.ep
	if !x.require(ep.Required...) {
		return
	}
	targets := r.Targets
	if ep.Path == "/v2/topic/unsubscribe/all" && len(targets) == 0 {
		targets = strings.Split(r.Form.Get("aliases"), ",")
	}
	if !x.checkTargets(targets) {
		return
	}
	topic := r.Form.Get("topic")
	switch ep.Path {
	case "/v2/topic/subscribe", "/v2/topic/subscribe/alias":
		x.s.state.subscribe(targets, topic, true)
	case "/v2/topic/unsubscribe/all":
		x.s.state.unsubscribeAll(targets)
	default:
		x.s.state.subscribe(targets, topic, false)
	}
	x.ok()
}

// handleList serves the paths answering data.list: the alias, topic and
// account lists of a device.
func (x *exchange) handleList() {
	if !x.require(x.ep.Required...) {
		return
	}
	var list []string
	if x.ep.Path == "/v1/topic/all" {
		list = x.s.state.topicsOf(x.req.Form.Get("registration_id"))
	}
	x.beginOK()
	x.out = append(x.out, `{"list":`...)
	x.out = appendJSONStrings(x.out, list)
	x.out = append(x.out, '}')
	x.endOK("")
}

// handlePresence serves /v1/regid/presence and /v2/regid/presence; a bad
// regid is not present. Both take a comma list (two official SDKs send
// one to v1). No public source shows the answer: for one regid on v1,
// data is one presence object; otherwise data.list holds one per regid.
func (x *exchange) handlePresence() {
	r := x.req
	if !x.require(x.ep.Required...) || !x.checkTargets(r.Targets) {
		return
	}
	v1 := x.ep.Path == "/v1/regid/presence" && len(r.Targets) == 1
	entry := func(b []byte, id string) []byte {
		b = append(b, '{')
		b = appendStringField(b, "regid", id)
		present := !x.beh.isBad(id)
		b = appendBoolField(b, "presence", present)
		if present {
			b = appendIntField(b, "last_time", r.Time.UnixMilli())
		}
		return append(b, '}')
	}
	x.beginOK()
	if v1 {
		x.out = entry(x.out, r.Targets[0])
	} else {
		x.out = append(x.out, `{"list":[`...)
		for i, id := range r.Targets {
			if i > 0 {
				x.out = append(x.out, ',')
			}
			x.out = entry(x.out, id)
		}
		x.out = append(x.out, "]}"...)
	}
	x.endOK("")
}

// handleValidation serves /v1/validation/regids, whose registration_ids
// may be repeated (as the Java SDK sends them) or comma-joined: data lists
// the valid and the invalid (bad) regids. No public source shows the
// answer's shape; this one is the fake server's own.
func (x *exchange) handleValidation() {
	if !x.require("registration_ids") || !x.checkTargets(x.req.Targets) {
		return
	}
	var valid, invalid []string
	for _, id := range x.req.Targets {
		if x.beh.isBad(id) {
			invalid = append(invalid, id)
		} else {
			valid = append(valid, id)
		}
	}
	x.beginOK()
	x.out = append(x.out, `{"valid_regids":`...)
	x.out = appendJSONStrings(x.out, valid)
	x.out = append(x.out, `,"invalid_regids":`...)
	x.out = appendJSONStrings(x.out, invalid)
	x.out = append(x.out, '}')
	x.endOK("")
}

// handleRegion serves /v1/feedback/get_region_by_regid: data maps each
// regid to its region ("China", or "Unknown" for a bad one). No public
// source shows the answer's shape; this one is the fake server's own.
func (x *exchange) handleRegion() {
	if !x.require("regIds") || !x.checkTargets(x.req.Targets) {
		return
	}
	x.beginOK()
	x.out = append(x.out, '{')
	for _, id := range x.req.Targets {
		region := "China"
		if x.beh.isBad(id) {
			region = "Unknown"
		}
		x.out = appendStringField(x.out, id, region)
	}
	x.out = append(x.out, '}')
	x.endOK("")
}

// handleRetired serves /v1/feedback/fetch_invalid_regids and
// fetch_invalid_aliases, both taken offline ("该接口已下线" in the server
// Java SDK guide on dev.mi.com).
func (x *exchange) handleRetired() {
	x.fail(http.StatusOK, 10036, "该接口已下线,请使用消息回执callback接口(callback.type: 16)", "")
}

// handleChannelAdd serves /v1/channel/add.
func (x *exchange) handleChannelAdd() {
	f := x.req.Form
	if !x.require("channel_id", "channel_name") {
		return
	}
	if v := f.Get("notify_type"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < -1 || n > 7 {
			x.invalid("notify_type must be -1 or a sum of 1, 2 and 4, not " + strconv.Quote(v))
			return
		}
	}
	x.s.state.addChannel(channel{
		id: f.Get("channel_id"), name: f.Get("channel_name"), desc: f.Get("channel_description"),
		notifyType: f.Get("notify_type"), soundURL: f.Get("sound_url"),
	})
	x.beginOK()
	x.out = append(x.out, '{')
	x.out = appendStringField(x.out, "channel_id", f.Get("channel_id"))
	x.out = append(x.out, '}')
	x.endOK("")
}

// handleChannelDiscard serves /v1/channel/discard.
func (x *exchange) handleChannelDiscard() {
	if !x.require("channel_id") {
		return
	}
	x.s.state.discardChannel(x.req.Form.Get("channel_id"))
	x.ok()
}

// handleChannelList serves /v1/channel/list. Only that data is an object
// is inferred from the Java SDK; data.list and its fields are the fake
// server's own.
func (x *exchange) handleChannelList() {
	chs := x.s.state.channelList()
	x.beginOK()
	x.out = append(x.out, `{"list":[`...)
	for i, ch := range chs {
		if i > 0 {
			x.out = append(x.out, ',')
		}
		x.out = append(x.out, '{')
		x.out = appendStringField(x.out, "channel_id", ch.id)
		x.out = appendStringField(x.out, "channel_name", ch.name)
		x.out = appendStringField(x.out, "channel_description", ch.desc)
		x.out = appendStringField(x.out, "notify_type", ch.notifyType)
		x.out = appendStringField(x.out, "sound_url", ch.soundURL)
		x.out = append(x.out, '}')
	}
	x.out = append(x.out, "]}"...)
	x.endOK("")
}

// firstNonEmpty returns a if it is not empty, else b.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
