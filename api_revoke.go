package mipush

import (
	"context"
	"strconv"
)

// Revoking withdraws a notification already shown on devices; it is
// addressed by the app (restricted_package_name) and the notify_id the
// message was sent with (Message.NotifyID). Stopping halts a message that
// is still being delivered.

// maxNotifyID is the largest notify_id: it is a Java int in the official
// SDKs.
const maxNotifyID = 2147483647

// RevokeRegIDs withdraws the notification notifyID of the app pkg from up
// to 1000 devices: POST /v1/message/regid/revoke with registration_ids
// (comma-joined), restricted_package_name and notify_id.
func (c *Client) RevokeRegIDs(ctx context.Context, pkg string, notifyID int, regIDs []string) (*Result, error) {
	return c.revoke(ctx, "/v1/message/regid/revoke", "registration_ids", Target{Kind: TargetRegID, IDs: regIDs}, pkg, notifyID)
}

// RevokeAliases withdraws the notification notifyID of the app pkg from the
// devices of up to 1000 aliases: POST /v1/message/alias/revoke with aliases
// (comma-joined), restricted_package_name and notify_id.
func (c *Client) RevokeAliases(ctx context.Context, pkg string, notifyID int, aliases []string) (*Result, error) {
	return c.revoke(ctx, "/v1/message/alias/revoke", "aliases", Target{Kind: TargetAlias, IDs: aliases}, pkg, notifyID)
}

// RevokeUserAccounts withdraws the notification notifyID of the app pkg
// from the devices of up to 1000 user accounts: POST
// /v1/message/user_account/revoke with user_accounts (comma-joined),
// restricted_package_name and notify_id.
func (c *Client) RevokeUserAccounts(ctx context.Context, pkg string, notifyID int, accounts []string) (*Result, error) {
	return c.revoke(ctx, "/v1/message/user_account/revoke", "user_accounts", Target{Kind: TargetUserAccount, IDs: accounts}, pkg, notifyID)
}

// RevokeTopic withdraws the notification notifyID of the app pkg from the
// subscribers of topic: POST /v1/message/topic/revoke with topic,
// restricted_package_name and notify_id.
func (c *Client) RevokeTopic(ctx context.Context, pkg string, notifyID int, topic string) (*Result, error) {
	return c.revoke(ctx, "/v1/message/topic/revoke", "topic", Target{Kind: TargetTopic, IDs: []string{topic}}, pkg, notifyID)
}

// RevokeTopics withdraws the notification notifyID of the app pkg from the
// devices selected by combining up to 5 topics with op: POST
// /v1/message/multi_topic/revoke with topics (one parameter per topic, as
// the official SDK sends them), topic_op, restricted_package_name and
// notify_id.
func (c *Client) RevokeTopics(ctx context.Context, pkg string, notifyID int, topics []string, op TopicOp) (*Result, error) {
	return c.revoke(ctx, "/v1/message/multi_topic/revoke", "topics", Target{Kind: TargetTopics, IDs: topics, Op: op}, pkg, notifyID)
}

// revoke validates and sends a revoke call to the targets t, sent as
// field: comma-joined, except topics, which are repeated and need t.Op.
func (c *Client) revoke(ctx context.Context, path, field string, t Target, pkg string, notifyID int) (*Result, error) {
	max := MaxTargets
	switch t.Kind {
	case TargetTopic:
		max = 1
	case TargetTopics:
		max = MaxTopics
		if err := t.Validate(); err != nil { // topic_op
			return nil, err
		}
	}
	if err := checkValues(field, t.IDs, max); err != nil {
		return nil, err
	}
	if err := checkPackage(pkg, true); err != nil {
		return nil, err
	}
	if notifyID < 0 || notifyID > maxNotifyID {
		return nil, fieldError("notify_id", "must be 0 to "+strconv.Itoa(maxNotifyID)+", got "+strconv.Itoa(notifyID))
	}
	p := make([]byte, 0, listSize(t.IDs)+len(pkg)+80)
	switch t.Kind {
	case TargetTopic:
		p = appendParam(p, field, t.IDs[0])
	case TargetTopics:
		p = appendRepeatedParam(p, field, t.IDs)
		p = appendParam(p, "topic_op", string(t.Op))
	default:
		p = appendJoinedParam(p, field, t.IDs)
	}
	p = appendParam(p, "restricted_package_name", pkg)
	p = appendIntParam(p, "notify_id", int64(notifyID))
	r := postRequest(path, p)
	r.target = t
	return c.do(ctx, r)
}

// RevokeMessage withdraws the message msgID (a Result.ID) of the app pkg
// from every device it reached: POST /v2/message/revoke with msg_id and
// restricted_package_name. (Only the later official SDK knows this path.)
func (c *Client) RevokeMessage(ctx context.Context, pkg, msgID string) (*Result, error) {
	if err := checkRequired("msg_id", msgID); err != nil {
		return nil, err
	}
	return c.revokeMessage(ctx, pkg, "msg_id", msgID)
}

// RevokeJob withdraws the messages of the app pkg sent with extra.jobkey
// jobKey (Message.JobKey): POST /v2/message/revoke with job_key and
// restricted_package_name.
func (c *Client) RevokeJob(ctx context.Context, pkg, jobKey string) (*Result, error) {
	if err := checkJobKeyParam("job_key", jobKey); err != nil {
		return nil, err
	}
	return c.revokeMessage(ctx, pkg, "job_key", jobKey)
}

func (c *Client) revokeMessage(ctx context.Context, pkg, key, value string) (*Result, error) {
	if err := checkPackage(pkg, true); err != nil {
		return nil, err
	}
	p := appendParam(make([]byte, 0, len(pkg)+len(value)+48), key, value)
	p = appendParam(p, "restricted_package_name", pkg)
	return c.do(ctx, postRequest("/v2/message/revoke", p))
}

// StopMessages stops the delivery of up to 1000 messages of the app pkg,
// by message id (Result.ID): POST /v1/message/switch/stop_by_id with
// msg_ids (one parameter per id, as the official SDK sends them) and
// restricted_package_name.
func (c *Client) StopMessages(ctx context.Context, pkg string, msgIDs []string) (*Result, error) {
	return c.stop(ctx, "/v1/message/switch/stop_by_id", "msg_ids", msgIDs, pkg)
}

// StopJobs stops the delivery of the messages of the app pkg sent with any
// of up to 1000 job keys (Message.JobKey): POST
// /v1/message/switch/stop_by_jobkey with job_keys (one parameter per key)
// and restricted_package_name.
func (c *Client) StopJobs(ctx context.Context, pkg string, jobKeys []string) (*Result, error) {
	for _, k := range jobKeys {
		if err := checkJobKeyParam("job_keys", k); err != nil {
			return nil, err
		}
	}
	return c.stop(ctx, "/v1/message/switch/stop_by_jobkey", "job_keys", jobKeys, pkg)
}

func (c *Client) stop(ctx context.Context, path, field string, ids []string, pkg string) (*Result, error) {
	if err := checkValues(field, ids, MaxTargets); err != nil {
		return nil, err
	}
	if err := checkPackage(pkg, true); err != nil {
		return nil, err
	}
	p := appendRepeatedParam(make([]byte, 0, len(pkg)+listSize(ids)+32), field, ids)
	p = appendParam(p, "restricted_package_name", pkg)
	return c.do(ctx, postRequest(path, p))
}

// DeleteBroadcast deletes the topic or broadcast message msgID (the
// Result.ID of a PushToTopic, PushToTopics or PushToAll send), typically a
// scheduled one: POST /v2/message/delete with id. The server answers 20315
// when it cannot.
func (c *Client) DeleteBroadcast(ctx context.Context, msgID string) (*Result, error) {
	if err := checkRequired("id", msgID); err != nil {
		return nil, err
	}
	return c.do(ctx, postRequest("/v2/message/delete", appendParam(nil, "id", msgID)))
}
