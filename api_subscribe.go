package mipush

import "context"

// SubscribeOptions are the optional parameters of the topic subscription
// calls. The zero value (or nil) sends neither.
type SubscribeOptions struct {
	// Category is sent as category when set.
	Category string
	// RestrictedPackageName is sent as restricted_package_name when set:
	// the app (or, comma-joined, the apps) the targets belong to.
	RestrictedPackageName string
}

// SubscribeRegIDs subscribes up to 1000 registration ids to topic: POST
// /v2/topic/subscribe with registration_id (comma-joined), topic and the
// optional category and restricted_package_name.
func (c *Client) SubscribeRegIDs(ctx context.Context, regIDs []string, topic string, opts *SubscribeOptions) (*Result, error) {
	return c.subscription(ctx, "/v2/topic/subscribe", TargetRegID, "registration_id", regIDs, topic, opts)
}

// UnsubscribeRegIDs unsubscribes up to 1000 registration ids from topic:
// POST /v2/topic/unsubscribe with the parameters of SubscribeRegIDs.
func (c *Client) UnsubscribeRegIDs(ctx context.Context, regIDs []string, topic string, opts *SubscribeOptions) (*Result, error) {
	return c.subscription(ctx, "/v2/topic/unsubscribe", TargetRegID, "registration_id", regIDs, topic, opts)
}

// SubscribeAliases subscribes the devices of up to 1000 aliases to topic:
// POST /v2/topic/subscribe/alias with aliases (comma-joined), topic and the
// optional category and restricted_package_name.
func (c *Client) SubscribeAliases(ctx context.Context, aliases []string, topic string, opts *SubscribeOptions) (*Result, error) {
	return c.subscription(ctx, "/v2/topic/subscribe/alias", TargetAlias, "aliases", aliases, topic, opts)
}

// UnsubscribeAliases unsubscribes the devices of up to 1000 aliases from
// topic: POST /v2/topic/unsubscribe/alias with the parameters of
// SubscribeAliases.
func (c *Client) UnsubscribeAliases(ctx context.Context, aliases []string, topic string, opts *SubscribeOptions) (*Result, error) {
	return c.subscription(ctx, "/v2/topic/unsubscribe/alias", TargetAlias, "aliases", aliases, topic, opts)
}

// subscription validates and sends one of the four subscription calls.
func (c *Client) subscription(ctx context.Context, path string, kind TargetKind, field string, ids []string, topic string, opts *SubscribeOptions) (*Result, error) {
	if err := checkValues(field, ids, MaxTargets); err != nil {
		return nil, err
	}
	if err := checkValues("topic", []string{topic}, 1); err != nil {
		return nil, err
	}
	var o SubscribeOptions
	if opts != nil {
		o = *opts
	}
	if err := checkOptional("category", o.Category); err != nil {
		return nil, err
	}
	if err := checkPackage(o.RestrictedPackageName, false); err != nil {
		return nil, err
	}
	p := make([]byte, 0, listSize(ids)+len(topic)+len(o.Category)+len(o.RestrictedPackageName)+64)
	p = appendJoinedParam(p, field, ids)
	p = appendParam(p, "topic", topic)
	if o.Category != "" {
		p = appendParam(p, "category", o.Category)
	}
	if o.RestrictedPackageName != "" {
		p = appendParam(p, "restricted_package_name", o.RestrictedPackageName)
	}
	r := postRequest(path, p)
	r.target = Target{Kind: kind, IDs: ids}
	return c.do(ctx, r)
}
