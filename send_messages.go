package mipush

import (
	"context"
	"strconv"
	"time"
)

// MaxBatch is the most messages in one multi-message send. No public source
// documents a cap; the library applies the per-request target limit.
const MaxBatch = MaxTargets

// TargetedMessage is one element of a multi-message send: Message for one
// Target, a registration id, an alias or a user account as the method
// says. A batch names no kind per element, so one batch cannot mix kinds.
type TargetedMessage struct {
	Target  string
	Message *Message
}

// PushMessagesToRegIDs sends a different message to each registration id
// in one request: POST /v2/multi_messages/regids with messages, the JSON
// array [{"target":…,"message":{…}}], and time_to_send. The batch is sent
// at one time: at, or now when at is zero (at most 7 days ahead); a
// message's own TimeToSend must be zero or equal to at. Up to MaxBatch
// messages. Invalid input is returned as a *ValidationError before
// anything is sent; a failure after acceptance is a *SendError whose
// Message is nil and whose Target lists the batch's targets.
func (c *Client) PushMessagesToRegIDs(ctx context.Context, msgs []TargetedMessage, at time.Time) (*Result, error) {
	return c.pushBatch(ctx, TargetRegID, msgs, at, false)
}

// PushMessagesToRegIDsAsync is the async twin of PushMessagesToRegIDs: it
// validates and encodes at once, then queues the batch; its outcome is
// reported once, later, to Options.OnError or Options.OnSuccess.
func (c *Client) PushMessagesToRegIDsAsync(ctx context.Context, msgs []TargetedMessage, at time.Time) error {
	_, err := c.pushBatch(ctx, TargetRegID, msgs, at, true)
	return err
}

// PushMessagesToAliases is PushMessagesToRegIDs for aliases: POST
// /v2/multi_messages/aliases.
func (c *Client) PushMessagesToAliases(ctx context.Context, msgs []TargetedMessage, at time.Time) (*Result, error) {
	return c.pushBatch(ctx, TargetAlias, msgs, at, false)
}

// PushMessagesToAliasesAsync is the async twin of PushMessagesToAliases.
func (c *Client) PushMessagesToAliasesAsync(ctx context.Context, msgs []TargetedMessage, at time.Time) error {
	_, err := c.pushBatch(ctx, TargetAlias, msgs, at, true)
	return err
}

// PushMessagesToUserAccounts is PushMessagesToRegIDs for user accounts:
// POST /v2/multi_messages/user_accounts.
func (c *Client) PushMessagesToUserAccounts(ctx context.Context, msgs []TargetedMessage, at time.Time) (*Result, error) {
	return c.pushBatch(ctx, TargetUserAccount, msgs, at, false)
}

// PushMessagesToUserAccountsAsync is the async twin of
// PushMessagesToUserAccounts.
func (c *Client) PushMessagesToUserAccountsAsync(ctx context.Context, msgs []TargetedMessage, at time.Time) error {
	_, err := c.pushBatch(ctx, TargetUserAccount, msgs, at, true)
	return err
}

// batchPaths are the endpoints of the multi-message sends by target kind.
func batchPath(kind TargetKind) string {
	switch kind {
	case TargetAlias:
		return "/v2/multi_messages/aliases"
	case TargetUserAccount:
		return "/v2/multi_messages/user_accounts"
	}
	return "/v2/multi_messages/regids"
}

func (c *Client) pushBatch(ctx context.Context, kind TargetKind, msgs []TargetedMessage, at time.Time, async bool) (*Result, error) {
	body, err := encodeBatch(msgs, at, time.Now())
	if err != nil {
		return nil, err
	}
	targets := make([]string, len(msgs))
	for i, m := range msgs {
		targets[i] = m.Target
	}
	r := postRequest(batchPath(kind), body)
	r.target = Target{Kind: kind, IDs: targets}
	r.batch = true
	if async {
		return nil, c.doAsync(ctx, r)
	}
	return c.do(ctx, r)
}

// encodeBatch validates a batch and returns its form body:
// messages=<escaped JSON array>&time_to_send=<ms, or 0 for now>.
func encodeBatch(msgs []TargetedMessage, at, now time.Time) ([]byte, error) {
	if len(msgs) == 0 || len(msgs) > MaxBatch {
		return nil, fieldError("messages", "needs 1 to "+strconv.Itoa(MaxBatch)+" messages, got "+strconv.Itoa(len(msgs)))
	}
	var atMS int64
	if !at.IsZero() {
		if err := checkTimeToSend(at, now); err != nil {
			return nil, err
		}
		atMS = at.UnixMilli()
	}
	size := 0
	for i, m := range msgs {
		field := "messages[" + strconv.Itoa(i) + "]"
		if err := ValidateTargetID(m.Target); err != nil {
			return nil, fieldError(field+".target", err.Error())
		}
		if m.Message == nil {
			return nil, fieldError(field+".message", "is nil")
		}
		if err := m.Message.validateAt(now); err != nil {
			if ve, ok := err.(*ValidationError); ok {
				return nil, fieldError(field+"."+ve.Field, ve.Reason)
			}
			return nil, err
		}
		if t := m.Message.TimeToSend; !t.IsZero() && (at.IsZero() || t.UnixMilli() != atMS) {
			return nil, fieldError(field+".time_to_send", "must be zero or the batch's time: a batch is sent at one time")
		}
		size += len(m.Target) + 2*m.Message.formSizeHint() + 32
	}
	// Escaping a concatenation is concatenating the escapes, so each
	// element is escaped on its own, as the coalescer (batch.go) does.
	js := make([]byte, 0, size/len(msgs)+64)
	body := make([]byte, 0, 3*size/2+48)
	body = append(body, batchBodyStart...)
	for i, m := range msgs {
		if i > 0 {
			body = append(body, batchBodySep...)
		}
		js = appendTargeted(js[:0], m.Target, m.Message)
		body = appendFormEscaped(body, js)
	}
	return appendBatchBodyEnd(body, atMS), nil
}

// The form body of a multi-message send is
// messages=<form-escaped JSON array>&time_to_send=<ms, or 0 for now>;
// these are the escaped "[", "," and "]" around and between its elements.
const (
	batchBodyStart = "messages=%5B"
	batchBodySep   = "%2C"
)

// appendTargeted appends one element of the messages array:
// {"target":"<target>","message":{...}}.
func appendTargeted(js []byte, target string, m *Message) []byte {
	js = append(js, `{"target":"`...)
	js = appendJSONText(js, target)
	js = append(js, `","message":`...)
	js = m.appendJSON(js)
	return append(js, '}')
}

// appendBatchBodyEnd closes the messages array begun with batchBodyStart
// and adds time_to_send.
func appendBatchBodyEnd(body []byte, atMS int64) []byte {
	body = append(body, "%5D&time_to_send="...)
	return strconv.AppendInt(body, atMS, 10)
}
