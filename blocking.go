package mipush

import "context"

// PushToRegID sends msg to up to 1000 registration ids (POST
// /v3/message/regid) and waits for the server's answer or for ctx to end.
// Invalid input is returned as a *ValidationError before anything is sent;
// a failure after acceptance is a *SendError.
func (c *Client) PushToRegID(ctx context.Context, regIDs []string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetRegID, IDs: regIDs}, msg, nil, nil, false)
}

// PushToAlias sends msg to up to 1000 aliases (POST /v3/message/alias,
// comma-joined).
func (c *Client) PushToAlias(ctx context.Context, aliases []string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetAlias, IDs: aliases}, msg, nil, nil, false)
}

// PushToUserAccount sends msg to up to 1000 user accounts (POST
// /v2/message/user_account; there is no v3).
func (c *Client) PushToUserAccount(ctx context.Context, accounts []string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetUserAccount, IDs: accounts}, msg, nil, nil, false)
}

// PushToTopic broadcasts msg to the subscribers of topic (POST
// /v2/message/topic, or /v3/message/topic when the message names no
// package or several packages).
func (c *Client) PushToTopic(ctx context.Context, topic string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetTopic, IDs: []string{topic}}, msg, nil, nil, false)
}

// PushToTopics broadcasts msg to the devices selected by combining up to 5
// topics with op (POST /v2/message/multi_topic or its v3 twin; topics are
// joined with ";$;"). With one topic it is PushToTopic, as in the official SDK.
func (c *Client) PushToTopics(ctx context.Context, topics []string, op TopicOp, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetTopics, IDs: topics, Op: op}, msg, nil, nil, false)
}

// PushToAll broadcasts msg to every device of the app (POST
// /v2/message/all, or /v3/message/all when the message names no package or
// several packages).
func (c *Client) PushToAll(ctx context.Context, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetAll}, msg, nil, nil, false)
}

// Send is PushToRegID and its siblings for a Send value: it sends s and
// waits for the server's answer or for ctx to end. A failure after
// acceptance is a *SendError carrying s.Value.
func (c *Client) Send(ctx context.Context, s Send) (*Result, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	return c.start(ctx, s.Target, s.Message, s.Value, nil, false)
}

// reportInvalidSync passes the invalid targets of blocking send c to the
// invalid-targets hook before the call returns. The hook runs on the
// dispatcher, in order with the callbacks, so that it never runs on two
// goroutines at once: c goes into the dispatcher's queue as a hook job
// and the caller waits for it (handing delivery on first if it is itself
// a callback), or until ctx ends, after which the hook still runs.
func (e *pipeline) reportInvalidSync(ctx context.Context, c *call) {
	if _, _, ok := e.invalidIDs(c, c.res, c.err); !ok {
		return
	}
	c.hooked = make(chan struct{})
	d := &e.disp
	if d.OnCallback() {
		d.Unblock()
	}
	if !d.Push(c) {
		// The client is closed and its dispatcher gone: no callback runs
		// any more but the hooks of blocking sends that end this late,
		// which take turns.
		e.lateHooks.Lock()
		defer e.lateHooks.Unlock()
		e.runHook(c)
		return
	}
	select {
	case <-c.hooked:
	case <-ctx.Done():
	}
}
