// Package mipush is a client for the Xiaomi Push (MiPush) server REST API,
// built for services that send notifications in bulk.
//
// A Client owns a small pool of long-lived TLS connections to the MiPush host
// and drives them as a pipeline: many requests in flight per connection
// (HTTP/2 streams where the server offers h2, pipelined HTTP/1.1 otherwise),
// each response matched back to its own request. The blocking calls
// and the asynchronous ones share that one pipeline and may be mixed
// freely.
//
// # Sending
//
// A send is a Send: whom it addresses, the message, and a Value of the
// caller's own that comes back with its outcome. It goes out in one of
// three ways: Client.Send waits for the server's answer; Client.SendAsync
// queues it and reports its outcome later to Options.OnSuccess or
// Options.OnError; Client.Start queues it and returns a Pending to await,
// as Google's Pub/Sub client returns a PublishResult from Publish. The
// PushTo* methods are Send and SendAsync for a Send without a Value:
// PushToRegID(ctx, ids, msg) sends as Send(ctx, Send{Target: Target{Kind:
// TargetRegID, IDs: ids}, Message: msg}) does, PushToRegIDAsync as its
// SendAsync does.
//
// The package mipushtest provides an in-process fake MiPush server for tests,
// and the package receipt reads the delivery receipts a Message.Callback
// asks for.
//
// # Outcomes
//
// Every send is validated and encoded before any byte is written: bad input
// is returned at once as a *ValidationError naming the field and the limit,
// and nothing is queued. Every accepted send then gets exactly one outcome:
// for a blocking call its return value, for an async call one call of
// OnSuccess or OnError (a *SendError), whatever happens to the connections.
//
//   - A request the server surely did not process — never written; on
//     HTTP/1.1 written after a response that carried "Connection: close";
//     on HTTP/2 above a GOAWAY's last stream id or refused with
//     REFUSED_STREAM; or whose connection could not be dialled — is sent
//     again on another connection without the caller noticing.
//   - A request whose connection broke, or timed out, after it was written
//     may have been processed: it fails with an error for which
//     errors.Is(err, ErrMaybeProcessed) holds, and is sent again only with
//     Options.RetryMaybeProcessed (at-least-once; pair it with
//     Options.AutoJobKey so devices drop a second delivery). HTTP 5xx
//     answers other than 503 count as maybe processed too.
//   - Answers that mean the server refused the request (API codes such as
//     10002 "system busy" or 10027 "too frequent", HTTP 503) are retried
//     with jittered exponential backoff, within Options.MaxAttempts, the
//     caller's context (blocking calls) and a client-wide retry budget.
//   - Other answers fail at once. Two of them also make the client stop,
//     itself, what cannot succeed for a while, failing it without sending
//     it (errors.Is(err, ErrStopped) holds): after a wrong app secret
//     (21301, 22008), every call with that secret; after a daily-quota
//     answer (10034, 200001) to a single send, the single sends of the same
//     message class (its channel id, "" for the default class) with that
//     secret. The quota is per class, so other classes (private channels
//     have no daily quota), multi-message sends and every management call
//     still go out. Each stop is a circuit breaker: after
//     Options.QuotaProbeInterval (1 minute) or Options.AuthProbeInterval
//     (5 minutes) one request goes out as a probe; an answer other than
//     the one that armed the stop lifts it, the same answer arms it again.
//     Client.Unblock lifts the stops at once, Options.DisableFailFast turns
//     them off, and Metrics and Options.Logger show them start and end.
//
// IsRetryable, IsQuotaExceeded, IsInvalidTarget and IsAuth classify errors;
// Code names every documented error code.
//
// A blocking call returns when the server has answered or its context
// ends. If the context ends after the request was written, the error wraps
// both ctx.Err() and ErrMaybeProcessed; before that, the request is
// withdrawn and never sent. For an async call the context bounds only its
// acceptance: the wait for room when Options.MaxPending sends are already
// unfinished.
//
// # Messages and answers
//
// Every documented extra has a typed field of Message, and Message.Extra
// takes the same keys as Xiaomi's documentation writes them
// (Extra["channel_id"] = "orders"): such an entry is sent verbatim as
// extra.<key>, checked by the rule of the typed field, and not counted
// towards the limit of 10 custom extras; a key set both ways to two values
// is refused. See Message.Validate.
//
// Answers are decoded leniently and by one rule for numbers (a JSON number
// or a string holding one): an odd optional value, such as "day_quota":
// "N/A", is reported as absent and never costs the other fields. A data
// array where an object belongs is a *DataError. Where no public source
// shows an answer's shape (presence, regid validation, regions, channels),
// the calls say so and read every plausible shape.
//
// In the China region, with Options.Host unset, the client follows the
// server's host list as Xiaomi's Java SDK does (see Options.Region).
//
// # Callbacks
//
// OnInvalidTargets, OnError and OnSuccess run on a goroutine of the
// client's own, never on a connection's reader, one at a time and in the
// order outcomes are decided: a callback never runs beside another, nor
// beside itself, so it needs no lock for state only callbacks touch. The
// invalid targets of a blocking send (each request of PushBulk included)
// take their turn there too: the call returns once its OnInvalidTargets
// call has run, or when its context ends (the call then still runs). A
// send's place in Options.MaxPending is freed when its outcome
// is decided, before its callback runs, so a callback that sends finds
// room as soon as any send in flight ends. A slow callback delays the
// callbacks behind it, the blocking sends whose answers name invalid
// targets and, once Options.MaxPending outcomes wait for callbacks, new
// sends: keep callbacks short, or hand the work to a queue of your own.
//
// A callback may call any method of the Client without deadlock, and wait
// for a Pending. Callbacks overlap in exactly one case: when a callback
// waits inside the client — in Flush, Close or Shutdown, in a send held
// back because Options.MaxPending outcomes wait for callbacks, in a
// blocking send whose answer names invalid targets, or for a Pending
// whose outcome is not known yet (Pending.Get, Pending.Ready) — the
// outcomes after it are delivered on a new goroutine of the client's, one
// at a time and in order, while it waits; it goes on when its wait ends.
// Such a wait does not wait for the callbacks that are themselves waiting
// this way (it would wait for itself): Flush and Close called from a
// callback return once every other outcome has been reported. Called from
// any other goroutine they wait for every callback. (A client call counts
// as made from a callback when it is at most 256 frames deeper on the
// callback's goroutine.)
//
// A callback that panics does not end the process, nor the delivery of
// the outcomes behind it: the panic is recovered and logged at error
// level, with its stack, through Options.Logger (slog.Default() when it
// is nil), and delivery goes on. The client cannot tell which outcomes a
// panic concerns, and a long-running client has no end of delivery at
// which to panic again, so it does as net/http does with a panicking
// handler. A panic of OnInvalidTargets costs only that call: the send's
// OnSuccess or OnError, its Pending or its blocking caller still get the
// outcome.
//
// A nil context passed to any method is an error (as in net/http's
// NewRequestWithContext), not a panic.
//
// # What an outcome carries
//
// Client.Send and Client.SendAsync take a Send, whose Value (any value of
// the caller's: a job row, a Kafka offset) comes back in SendError,
// SendResult and InvalidTargets, so an outcome finds the caller's record
// without a lookup table. The Target of every outcome holds the ids that
// went on the wire, in a slice of the client's own.
//
// Options.OnInvalidTargets receives every target the server calls
// invalid, whichever other callbacks are set: the bad_regids of an
// accepted send and every target of a send answered 20301
// (CodeNoValidTargets), for single sends, multi-message batches and the
// requests of PushBulk. It runs on the callback goroutine, one call at a
// time (see Callbacks): for an async send just before the send's
// OnSuccess or OnError, for a blocking send before the call returns.
//
// With OnError nil, each failed async send is logged at warn level through
// Options.Logger (slog.Default() when it is nil), at most one line a
// second with a count of the failures left out in between, unless
// Options.DisableFailureLog is set.
package mipush

import "github.com/mipush-go/mipush/internal/engine"

// Where things are (for readers of the code; not API). The root package
// is the API and the rules; the mechanism that needs no Message lives in
// internal/engine. One send goes down the list from encode to outcome:
//
//	pipeline.go            the pipelined sender: Send, the one way in (start, submit), the
//	                       async sends, Start and Pending, delivery of each outcome to
//	                       OnInvalidTargets, OnError and OnSuccess
//	blocking.go            the blocking sends (PushTo*, Send) and their invalid-targets turn
//	target.go              Target: kinds, limits, validation, the form of its ids
//	message*.go            Message, its extras, validation and encoding
//	engine.go              the call (the client's part; engine.Call is the engine's), the
//	                       lock order; accept (stops, pacing), shutdown
//	host.go                what the engine asks of the pipeline (engine.Host)
//	proxy.go               the Proxy option: NoProxy, ProxyFromEnvironment
//	internal/engine        sender.go: accepting a call (a MaxPending token), the attempts of a
//	                       call: the transport rules (re-queue the unprocessed,
//	                       RetryMaybeProcessed, attempts left, the budget) on the Judge's
//	                       verdict; call.go: engine.Call, who owns it, routing; pace.go:
//	                       pacing per app (the pause after "too frequent", the Limiter's turn);
//	                       pools.go, pool.go, pool_grow.go: a pool per host, the connections
//	                       to one host, their shared queue, ConnMaxAge, the QueueTimeout
//	                       sweep; dial.go dialling
//	internal/h1conn, h2conn, wire   the connections: write, read, match answers to requests
//	retry.go               the one table of what an answer means (decide): retry, re-queue,
//	                       maybe processed, permanent, stop, split; the Judge the engine asks:
//	                       the gate before a write, the reading of each attempt's end
//	result*.go             decoding the answer; lenient.go the number rules
//	failfast.go            client-side stops; stopshare.go sharing them through a Limiter;
//	                       limiter.go the Limiter interfaces, AppDigest, RateLimit's bucket;
//	                       quota.go the daily-quota answer
//	outcome.go             finish: the single outcome of a call, invalid targets
//	outcome_log.go         the failure log when OnError is nil
//	observe.go             Metrics and Observer
//	batch.go               coalescing async sends into multi-message requests
//	send_messages.go, send_bulk.go  sends of many messages, and of one message to many targets
//	client.go, options.go, view.go   Client, Options, WithSecret
//	api_*.go, request.go, params.go  management calls
//	codes.go               the error codes; errors.go the error types and their tests (IsRetryable, ...)
//	internal/engine        also: admission (MaxPending, the Flush/Close waits), the failover
//	                       host list, backoff and the retry budget, the retry timers, the
//	                       callback goroutine and its hand-over rule
//	receipt/               the delivery-receipt handler (a package of its own)
//	internal/lenient, errtext, chinatime, ascii  rules shared with mipushtest and receipt
//	internal/rules         the service's rules, each with its source: limits, templates, retired paths, stopping codes

// Hosts of the MiPush server API.
const (
	// ProductionHost is the message host for China, the default.
	ProductionHost = engine.DefaultHost
	// SandboxHost serves iOS test messages only.
	SandboxHost = "sandbox.xmpush.xiaomi.com"
)
