// Package mipushtest provides an in-process fake Xiaomi Push (MiPush) server
// for tests and benchmarks, as net/http/httptest does for HTTP.
//
// A Server listens on 127.0.0.1 with TLS, using a certificate authority
// generated for it in memory. It speaks the MiPush REST wire protocol: the
// paths, parameters, limits, answers and error codes of the MiPush server
// API. It does not import the mipush client package, so it serves the
// client's own tests as well as the tests of programs that use the client,
// or any other client.
//
// A typical test:
//
//	srv := mipushtest.NewServer(mipushtest.Options{})
//	defer srv.Close()
//	// Point the client under test at srv.Host(), trusting srv.ClientTLSConfig().
//	// ... send ...
//	for _, r := range srv.Requests() {
//		// r.Path, r.Form, r.Targets, r.Code ...
//	}
//
// # Protocols
//
// By default the server offers only HTTP/1.1 (ALPN "http/1.1"), served by a
// small HTTP/1.1 loop of its own that answers pipelined requests in order,
// coalesces the answers to a pipelined burst into few writes, and closes
// connections gracefully (see Server.SetCloseAfter). With Options.HTTP2 it
// prefers h2 and still accepts http/1.1. HTTP/2 is served by a lean loop of
// its own too (frames by golang.org/x/net/http2's Framer): one goroutine
// reads frames, another processes the requests in arrival order and writes
// the answers, delayed ones at their due time, coalescing them into few
// writes; there is no goroutine per stream.
//
// # Validation
//
// The server checks what the reference of the MiPush API documents and
// answers the way the real server does: HTTP 200 with a JSON body whose
// "result" is "error" and whose "code" says what is wrong (21301 for a bad
// Authorization, 21305 for a missing parameter, 10017 for an invalid value,
// 65009 for a payload too long, ...). Unknown paths answer HTTP 404 and a
// path used with the wrong method answers HTTP 405, both with a JSON error.
// See Endpoints for the paths it knows.
//
// Parameters of a POST may come in the query string as well as in the
// form body, as the real server took them: they are merged, the query's
// first, and Request.Source says where each came from. A body needs the
// form Content-Type; with two Content-Type fields the first one counts.
// On HTTP/2, a request whose DATA do not add up to its content-length is
// reset with PROTOCOL_ERROR (RFC 9113 §8.1.1).
//
// A notification message (pass_through absent or 0) needs a description.
// It also needs a title, unless it carries no Android-only field
// (notify_type, notify_id, extra.notify_effect, extra.channel_id,
// extra.intent_uri, extra.web_uri, extra.sound_uri, extra.notify_foreground
// or any extra.notification_* field): such a message is taken for an iOS
// message, which has no title.
//
// # Answers
//
// Answers follow the shapes public sources show: a send's data.id and
// data.bad_regids, stats' data.data, data.list of the alias and topic
// lists, and the trace answer of a real send (time_to_live as a string in
// seconds, "86400s", and the counters invalid_target, raw_counter,
// bar_closed, device_condition_unmatch and app_not_register). The retired
// feedback paths /v1/feedback/fetch_invalid_regids and
// fetch_invalid_aliases answer 10036, as the real server took them
// offline. The retired v1 and v2 revoke paths (rule "revoke retired" in
// docs/fidelity.md lists them, with their date) answer as removed routes,
// HTTP 404 with a JSON error naming the notice; the real answer is
// unknown. Their v3 replacements are served.
//
// Some answers have no public source at all, and their shapes are this
// server's own, not confirmed: presence (/v1 and /v2/regid/presence, both
// taking comma lists; one object for one regid on v1, else data.list),
// regid validation (/v1/validation/regids: data.valid_regids and
// data.invalid_regids), regions (/v1/feedback/get_region_by_regid: data
// from regid to region) and channels (/v1/channel/list: data.list). Do not
// take a test that passes against them for proof of the real service.
//
// # Faults
//
// Methods of Server change its behaviour while it serves: answer an error
// code for some targets or paths (FailTarget, FailPath), any answer at all
// from a hook (SetHook), mark registration ids as bad (SetBadRegIDs), delay
// answers (SetDelay), close connections gracefully (SetCloseAfter), drop
// them abruptly (SetDropAfter, SetDropRate), or never answer (SetStall).
//
// # Daily quotas
//
// SetQuota and ExhaustQuota script the daily quota per message class (a
// message's extra.channel_id; "" is the default class), which is how the
// real server counts it: a class without a quota is unlimited, as private
// channels are. A single send of a class whose quota is spent answers
// code 200001 with the real reason text, "exceed quota, quota: N, have
// acked: M". A multi-message send (/v2/multi_messages/*) never fails for
// quota: it succeeds, drops the messages of spent classes and counts them
// per class in data.channel_exceed_quota, "no_channel" standing for the
// default class. That member's shape, a JSON object of class → number,
// is inferred (the public sources show only the text "no_channel:2
// a:3"); an Answer with a Body scripts any other shape.
//
// # The service's notices
//
// The server follows the rules of the package internal/rules, which the
// client reads too; docs/fidelity.md lists every rule with its source and
// date. A notification without extra.notify_effect, a retired custom
// notification message, is accepted with a warning in Request.Warnings
// (its real answer is unknown); Options.Strict refuses it. SetTemplate
// and SetPrivateChannel make channels private: a send on one then needs
// one of its templates (extra.template_id) with exactly the template's
// variables (extra.template_param, a JSON object), or it is refused
// (guessed codes: rule "template answers"). The variables' values are
// checked on every channel.
//
// # Recording
//
// Every request the server processes is recorded as a *Request (see
// Requests), with its form, its targets and what the server answered.
// Options.NoRecording or SetRecording(false) keeps only the counters, for
// benchmarks.
//
// # Benchmarks and synctest
//
// Options.RTT puts a latency proxy (see NewLatencyProxy) in front of the
// server, so benchmarks see a realistic round trip. Server.DialContext
// connects through an in-memory pipe instead of TCP; with Options.InMemory
// the server has no TCP listener at all, which lets a client run inside a
// testing/synctest bubble with a fake clock.
package mipushtest
