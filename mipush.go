// Package mipush is a client for the Xiaomi Push (MiPush) server REST API,
// built for services that send notifications in bulk.
//
// A Client owns a small pool of long-lived TLS connections to the MiPush host
// and drives them as a pipeline: many requests in flight per connection
// (HTTP/2 streams where the server offers h2, pipelined HTTP/1.1 otherwise),
// each response matched back to its own request. The blocking calls
// (PushToRegID and friends) and the asynchronous ones (PushToRegIDAsync and
// friends, whose outcomes go to Options.OnError and Options.OnSuccess) share
// that one engine and may be mixed freely.
//
// The package mipushtest provides an in-process fake MiPush server for tests.
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
//   - Other answers fail at once. After an authentication failure (21301)
//     or a daily-quota answer (10034, 200001), the client fails every
//     further send of that app secret without sending it: until
//     Client.Unblock, or for the quota until the quota day ends (midnight,
//     Beijing time).
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
// # Callbacks
//
// OnError and OnSuccess run on a goroutine of the client's own, never on a
// connection's reader, one at a time and in the order outcomes are
// decided. A send's place in Options.MaxPending is freed when its outcome
// is decided, before its callback runs, so a callback that sends finds
// room as soon as any send in flight ends. A slow callback delays the
// callbacks behind it and, once Options.MaxPending outcomes wait for
// callbacks, new sends: keep callbacks short, or hand the work to a queue
// of your own.
//
// A callback may call any method of the Client without deadlock.
// Callbacks overlap in exactly one case: when a callback waits inside the
// client — in Flush, Close or Shutdown, or in a send held back because
// Options.MaxPending outcomes wait for callbacks — the outcomes after it
// are delivered on a new goroutine of the client's, one at a time and in
// order, while it waits; it goes on when its wait ends. Such a wait does
// not wait for the callbacks that are themselves waiting this way (it
// would wait for itself): Flush and Close called from a callback return
// once every other outcome has been reported. Called from any other
// goroutine they wait for every callback. (A client call counts as made
// from a callback when it is at most 256 frames deeper on the callback's
// goroutine.)
//
// A nil context passed to any method is an error (as in net/http's
// NewRequestWithContext), not a panic.
package mipush

// Hosts of the MiPush server API.
const (
	// ProductionHost is the message host for China, the default.
	ProductionHost = "api.xmpush.xiaomi.com"
	// SandboxHost serves iOS test messages only.
	SandboxHost = "sandbox.xmpush.xiaomi.com"
)
