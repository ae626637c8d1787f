package mipush

import "context"

// PushToRegID sends msg to up to 1000 registration ids (POST
// /v3/message/regid) and waits for the server's answer or for ctx to end.
// Invalid input is returned as a *ValidationError before anything is sent;
// a failure after acceptance is a *SendError.
func (c *Client) PushToRegID(ctx context.Context, regIDs []string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetRegID, IDs: regIDs}, msg, nil, nil, false)
}

// PushToRegIDAsync validates and encodes at once (returning bad input and
// queueing nothing), then queues the send; it blocks only while the client
// is at Options.MaxPending or until ctx ends. Its outcome is reported
// exactly once, later, to Options.OnError or Options.OnSuccess.
func (c *Client) PushToRegIDAsync(ctx context.Context, regIDs []string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetRegID, IDs: regIDs}, msg, nil, nil, true)
	return err
}

// PushToAlias sends msg to up to 1000 aliases (POST /v3/message/alias,
// comma-joined).
func (c *Client) PushToAlias(ctx context.Context, aliases []string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetAlias, IDs: aliases}, msg, nil, nil, false)
}

// PushToAliasAsync is the async twin of PushToAlias.
func (c *Client) PushToAliasAsync(ctx context.Context, aliases []string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetAlias, IDs: aliases}, msg, nil, nil, true)
	return err
}

// PushToUserAccount sends msg to up to 1000 user accounts (POST
// /v2/message/user_account; there is no v3).
func (c *Client) PushToUserAccount(ctx context.Context, accounts []string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetUserAccount, IDs: accounts}, msg, nil, nil, false)
}

// PushToUserAccountAsync is the async twin of PushToUserAccount.
func (c *Client) PushToUserAccountAsync(ctx context.Context, accounts []string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetUserAccount, IDs: accounts}, msg, nil, nil, true)
	return err
}

// PushToTopic broadcasts msg to the subscribers of topic (POST
// /v2/message/topic, or /v3/message/topic when the message names no
// package or several packages).
func (c *Client) PushToTopic(ctx context.Context, topic string, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetTopic, IDs: []string{topic}}, msg, nil, nil, false)
}

// PushToTopicAsync is the async twin of PushToTopic.
func (c *Client) PushToTopicAsync(ctx context.Context, topic string, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetTopic, IDs: []string{topic}}, msg, nil, nil, true)
	return err
}

// PushToTopics broadcasts msg to the devices selected by combining up to 5
// topics with op (POST /v2/message/multi_topic or its v3 twin; topics are
// joined with ";$;"). With one topic it is PushToTopic, as in the official SDK.
func (c *Client) PushToTopics(ctx context.Context, topics []string, op TopicOp, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetTopics, IDs: topics, Op: op}, msg, nil, nil, false)
}

// PushToTopicsAsync is the async twin of PushToTopics.
func (c *Client) PushToTopicsAsync(ctx context.Context, topics []string, op TopicOp, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetTopics, IDs: topics, Op: op}, msg, nil, nil, true)
	return err
}

// PushToAll broadcasts msg to every device of the app (POST
// /v2/message/all, or /v3/message/all when the message names no package or
// several packages).
func (c *Client) PushToAll(ctx context.Context, msg *Message) (*Result, error) {
	return c.start(ctx, Target{Kind: TargetAll}, msg, nil, nil, false)
}

// PushToAllAsync is the async twin of PushToAll.
func (c *Client) PushToAllAsync(ctx context.Context, msg *Message) error {
	_, err := c.start(ctx, Target{Kind: TargetAll}, msg, nil, nil, true)
	return err
}
