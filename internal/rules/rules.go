// Package rules is the one table of the MiPush service's rules: limits,
// required extras, retired paths, template rules and the answers that stop
// sending. The client (package mipush) and the fake server (package
// mipushtest) both read it, so a new notice from Xiaomi is a change here
// and nowhere else.
//
// Each rule carries its evidence: a tag, [C] confirmed by the named source,
// [I] inferred from it, [N] no public evidence (a choice of ours), and the
// source. Sources are pages of dev.mi.com's xiaomihyperos documentation,
// named by their pId: D1559 server API parameters, D1560 error codes
// (2024-10-18), D1656 push limits (2026-02-04), D1854 time_to_live notice
// (2024-10-21), D1856 custom-notification shutdown (2024-10-21), D2314
// template guide (2026-06-02), D2320 subscription messages (2026-07-03),
// D2367 revoke-endpoint change (2026-10-22); J2 is the decompiled official
// Java HTTP/2 SDK. Table lists every rule with its evidence, for the
// fidelity page the README links, docs/fidelity.md (a test keeps the two
// in step).
package rules

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a message and of a request. "Characters" are runes.
const (
	TitleMaxRunes         = 49                 // [C D1559] title "fewer than 50 characters"
	DescriptionMaxRunes   = 127                // [C D1559] description "fewer than 128 characters"
	PayloadMaxBytes       = 4095               // [C D1559] payload "shorter than 4 KB"
	MaxCustomExtras       = 10                 // [C D1559] extra pairs; [N] whether documented keys count (we say no)
	ExtraMaxRunes         = 1024               // [C D1559] each extra key and value
	JobKeyMaxLen          = 20                 // [C D1559] extra.jobkey; older copies said 12
	CallbackURLMaxBytes   = 128                // [C D1559] extra.callback
	CallbackParamMaxBytes = 256                // [C D1559, 2024–2025 copies; 64 in a 2022 copy] extra.callback.param
	MaxScheduleAhead      = 7 * 24 * time.Hour // [C D1559] time_to_send
	MaxTargets            = 1000               // [C D1559] regids, aliases or accounts per request
	MaxTopics             = 5                  // [C D1559] topics of a multi-topic send
	MaxNotifyID           = 2147483647         // [C J2] notify_id is a Java int
)

// Offline-storage caps since 2024-09-03 [C D1854]. The server applies them;
// the client only documents them.
const (
	TTLCapSince      = "2024-09-03"
	PublicTTLCap     = 24 * time.Hour      // public (and default-class) messages
	PrivateTTLCap    = 10 * 24 * time.Hour // private-channel messages
	TTLCapSource     = "D1854"
	ImagesHiddenFrom = "2023-08" // [C three push vendors] pushed icons and big pictures not displayed
)

// Predefined notifications. Since 2024-09-30 a notification (not
// pass-through) without extra.notify_effect is a "custom notification
// message", and those are offline [C D1856]. What the server answers to one
// is [N].
const (
	NotifyEffectRequiredSince = "2024-09-30"
	NotifyEffectSource        = "D1856"
	// DefaultNotifyEffect is what the client sends for a notification
	// whose effect is unset: "1", open the app's launcher activity, which
	// is what the device did for a notification without the key.
	DefaultNotifyEffect = "1"
)

// Templates: every private-channel message needs one since 2026-06 [C
// D2314]; the 2026 subscription categories count as private [C D2320].
const (
	TemplateRequiredSince = "2026-06"
	TemplateSource        = "D2314"
	TemplateMaxVars       = 9   // [C D2314] variables of a template
	TemplateValueMaxRunes = 128 // [C D2314] each variable's value, at least 1
)

// Answers the fake server gives where the real one is unknown [N]: our
// guesses, documented as such.
const (
	// CodeNoTemplate refuses a private-channel send without
	// extra.template_id, or a template_param without a template_id:
	// 21305, "missing required parameter".
	CodeNoTemplate = 21305
	// CodeBadTemplate refuses a template the channel does not have, or
	// variables that do not match it: 10017, "invalid parameter value".
	CodeBadTemplate = 10017
	// CodeCustomNotification refuses a custom notification (no
	// extra.notify_effect) when the fake is strict: 21305.
	CodeCustomNotification = 21305
	// CodeBadCallback refuses an extra.callback or extra.callback.param
	// over its limit: 10017 (the real 65036-65038 mapping is unknown).
	CodeBadCallback = 10017
)

// Retirement is one path the service took offline.
type Retirement struct {
	Path        string
	Since       string // the date it went offline (Beijing time)
	Source      string // the notice
	Replacement string // the path to use instead, or "" if there is none
}

// Notice names the retirement for an error or a log line, e.g.
// "/v1/message/topic/revoke is offline since 2026-12-01 (notice D2367);
// there is no replacement".
func (r Retirement) Notice() string {
	s := r.Path + " is offline since " + r.Since + " (notice " + r.Source + "); "
	if r.Replacement == "" {
		return s + "there is no replacement"
	}
	return s + "use " + r.Replacement
}

// Revoke paths [C D2367]: the v1 and v2 revoke paths went offline on
// 2026-12-01 00:00 Beijing time. The v3 parameters are [N]; the v1
// parameter set is the likeliest [I].
const (
	RevokeRegIDs        = "/v3/message/regid/revoke"
	RevokeAliases       = "/v3/message/alias/revoke"
	RevokeUserAccounts  = "/v3/message/user_account/revoke"
	RevokeRetiredSince  = "2026-12-01"
	RevokeRetiredSource = "D2367"

	// The retired paths that have no replacement.
	RetiredRevokeTopic      = "/v1/message/topic/revoke"
	RetiredRevokeTopics     = "/v1/message/multi_topic/revoke"
	RetiredRevokeMessageJob = "/v2/message/revoke" // by msg_id or job_key
)

// Retirements returns the retired paths whose date is known.
func Retirements() []Retirement {
	r := func(path, replacement string) Retirement {
		return Retirement{path, RevokeRetiredSince, RevokeRetiredSource, replacement}
	}
	return []Retirement{
		r("/v1/message/regid/revoke", RevokeRegIDs),
		r("/v1/message/alias/revoke", RevokeAliases),
		r("/v1/message/user_account/revoke", RevokeUserAccounts),
		r(RetiredRevokeTopic, ""),
		r(RetiredRevokeTopics, ""),
		r(RetiredRevokeMessageJob, ""),
	}
}

// Retired returns the retirement of path, if it is retired.
func Retired(path string) (Retirement, bool) {
	for _, r := range Retirements() {
		if r.Path == path {
			return r, true
		}
	}
	return Retirement{}, false
}

// StopsApp reports whether an answer with code refuses every call of the
// app, so that sending more is pointless until it is fixed: a wrong secret
// (21301, 22008) [C D1560, a public issue], or an app in the blacklist
// (10031, "AppId(...) in the blacklist, forbid to send messages") [C D1560].
func StopsApp(code int) bool {
	switch code {
	case 21301, 22008, 10031:
		return true
	}
	return false
}

// StopsClass reports whether an answer with code refuses the single sends
// of one message class for the rest of the day: 10034 and 200001 [C D1656,
// D1560]. The quota is per class; private channels have none [C D1656].
func StopsClass(code int) bool { return code == 10034 || code == 200001 }

// CheckTemplateValue checks the value of one template variable [C D2314]:
// 1 to 128 characters, not all white space, no symbol of category So (such
// as emoji), no unassigned code point (by the Unicode version of Go's
// unicode package). It returns why v is refused, or "".
func CheckTemplateValue(v string) string {
	if !utf8.ValidString(v) {
		return "must be valid UTF-8"
	}
	n := utf8.RuneCountInString(v)
	if n < 1 || n > TemplateValueMaxRunes {
		return "must be 1 to " + strconv.Itoa(TemplateValueMaxRunes) + " characters, got " + strconv.Itoa(n)
	}
	if strings.TrimFunc(v, unicode.IsSpace) == "" {
		return "must not be all white space"
	}
	for i, r := range v {
		switch {
		case unicode.Is(unicode.So, r):
			return "must not hold symbols of category So (such as emoji), got " + strconv.QuoteRune(r) + " at byte " + strconv.Itoa(i)
		case !assigned(r):
			return "must not hold unassigned code points, got U+" + strings.ToUpper(strconv.FormatInt(int64(r), 16)) + " at byte " + strconv.Itoa(i)
		case r == 0:
			return "must not hold a NUL byte"
		}
	}
	return ""
}

// assigned reports whether r is an assigned code point: in any general
// category but Cn. (Go's unicode.C counts unassigned code points in, so the
// other categories are named one by one.)
func assigned(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z,
		unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// CheckTemplateParams checks the variables of a template [C D2314]: at most
// 9, each named (not empty, no control characters) and with a value that
// passes CheckTemplateValue. It returns the first bad variable in name
// order and why, or "", "".
func CheckTemplateParams(params map[string]string) (name, reason string) {
	if len(params) > TemplateMaxVars {
		return "", "must hold at most " + strconv.Itoa(TemplateMaxVars) + " variables, got " + strconv.Itoa(len(params))
	}
	// Map order first, without allocating; only a bad set is checked again
	// in name order, so that the error is always the same one.
	for k, v := range params {
		if checkTemplateVar(k, v) != "" {
			for _, k := range SortedKeys(params) {
				if why := checkTemplateVar(k, params[k]); why != "" {
					return k, why
				}
			}
		}
	}
	return "", ""
}

// checkTemplateVar checks one variable's name and value.
func checkTemplateVar(k, v string) string {
	if k == "" {
		return "variable names must not be empty"
	}
	if !utf8.ValidString(k) || strings.IndexFunc(k, unicode.IsControl) >= 0 {
		return "variable names must be valid UTF-8 without control characters"
	}
	return CheckTemplateValue(v)
}

// SortedKeys returns the keys of m in order: template_param is sent with
// its variables in that order, so a message always encodes the same way.
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Rule is one row of Table.
type Rule struct {
	Name   string // a short name, as docs/fidelity.md lists it
	Rule   string // what the rule says
	Tag    string // "C" confirmed, "I" inferred, "N" no evidence (our choice)
	Source string // where it comes from, with the date when one is known
}

// Table lists every rule of this package with its evidence.
func Table() []Rule {
	itoa := strconv.Itoa
	days := func(d time.Duration) string {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return itoa(n) + " days"
	}
	return []Rule{
		{"title", "fewer than " + itoa(TitleMaxRunes+1) + " characters", "C", "D1559"},
		{"description", "fewer than " + itoa(DescriptionMaxRunes+1) + " characters", "C", "D1559"},
		{"payload", "shorter than " + itoa(PayloadMaxBytes+1) + " bytes", "C", "D1559"},
		{"extras", "at most " + itoa(MaxCustomExtras) + " custom pairs, keys and values at most " + itoa(ExtraMaxRunes) + " characters; documented keys do not count", "C", "D1559 (not counting documented keys: N)"},
		{"jobkey", "at most " + itoa(JobKeyMaxLen) + " of [0-9A-Za-z_-], not starting with _", "C", "D1559"},
		{"callback", "extra.callback at most " + itoa(CallbackURLMaxBytes) + " bytes", "C", "D1559"},
		{"callback.param", "extra.callback.param at most " + itoa(CallbackParamMaxBytes) + " bytes (64 in a 2022 copy)", "C", "D1559, 2024-2025 copies"},
		{"callback answers", "the server refuses longer callback fields with 65036-65038 (which for which: N); the fake answers " + itoa(CodeBadCallback), "I", "D1560"},
		{"time_to_send", "at most " + itoa(int(MaxScheduleAhead/(24*time.Hour))) + " days ahead", "C", "D1559"},
		{"targets", "at most " + itoa(MaxTargets) + " regids, aliases or accounts per request; at most " + itoa(MaxTopics) + " topics", "C", "D1559"},
		{"notify_id", "0 to " + itoa(MaxNotifyID), "C", "J2"},
		{"time_to_live", "kept offline at most " + days(PublicTTLCap) + " (public) / " + days(PrivateTTLCap) + " (private) since " + TTLCapSince + "; documented, not checked", "C", TTLCapSource},
		{"notify_effect", "a notification without extra.notify_effect is a retired custom notification since " + NotifyEffectRequiredSince + "; the client sends " + DefaultNotifyEffect + " when unset", "C", NotifyEffectSource + " (the server's answer: N)"},
		{"template", "every private-channel message needs extra.template_id and extra.template_param since " + TemplateRequiredSince, "C", TemplateSource + ", D2320"},
		{"template_param", "a JSON object of at most " + itoa(TemplateMaxVars) + " variables, each 1-" + itoa(TemplateValueMaxRunes) + " characters, not all spaces, no \\p{So}, no unassigned code points", "C", TemplateSource + " (object shape: I)"},
		{"template answers", "the fake refuses a missing template with " + itoa(CodeNoTemplate) + " and wrong variables with " + itoa(CodeBadTemplate), "N", "our guess"},
		{"title with template", "title and description stay required with a template", "N", "our choice"},
		{"revoke v3", "revoke by regid, alias and user account on /v3/message/*/revoke with the v1 parameters", "C", RevokeRetiredSource + " " + RevokeRetiredSince + " (parameters: I)"},
		{"revoke retired", "v1 and v2 revoke paths offline since " + RevokeRetiredSince + "; topic, multi-topic and msg_id/job_key revoke have no replacement", "C", RevokeRetiredSource},
		{"retired answer", "the fake answers a retired path with HTTP 404 and a JSON error body", "N", "our guess"},
		{"wrong secret", "21301 and 22008 stop every call of the app secret until a probe succeeds", "C", "D1560 (stopping: I)"},
		{"blacklist", "10031 (app blacklisted) stops every call of the app secret until a probe succeeds", "C", "D1560, a public issue (stopping: I)"},
		{"daily quota", "10034 and 200001 stop the single sends of one message class; private channels have no quota", "C", "D1656, D1560"},
		{"custom notification answer", "the fake records a warning for a notification without extra.notify_effect; strict, it refuses it with " + itoa(CodeCustomNotification), "N", "our guess"},
		{"pass-through", "pass-through delivery announced as stopped; documented, not checked", "C", "D1529 (title only; date and answer: N)"},
		{"images", "pushed icons and big pictures not displayed since " + ImagesHiddenFrom + "; still accepted", "C", "three push vendors (accepted: I)"},
		{"overseas", "overseas MiPush reported discontinued from 2024-04-02; non-China regions are doubtful", "C", "two push vendors (third-party)"},
	}
}
