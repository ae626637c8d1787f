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
// Every send is validated and encoded before any byte is written: bad input is
// returned at once as a *ValidationError naming the field and the limit, and
// nothing is queued. Every accepted send then gets exactly one outcome.
//
// The package mipushtest provides an in-process fake MiPush server for tests.
package mipush

// Hosts of the MiPush server API.
const (
	// ProductionHost is the message host for China, the default.
	ProductionHost = "api.xmpush.xiaomi.com"
	// SandboxHost serves iOS test messages only.
	SandboxHost = "sandbox.xmpush.xiaomi.com"
)
