package mipush

import (
	"context"
	"errors"
	"strconv"

	"github.com/mipush-go/mipush/internal/rules"
)

// Revoking withdraws a notification already shown on devices; it is
// addressed by the app (restricted_package_name) and the notify_id the
// message was sent with (Message.NotifyID). Stopping halts a message that
// is still being delivered.

// maxNotifyID is the largest notify_id: it is a Java int in the official
// SDKs.
const maxNotifyID = rules.MaxNotifyID

// ErrRetired marks a call of a path the service has taken offline: the
// client fails it without sending anything. The error names the path, the
// date and the notice; see RevokeTopic.
var ErrRetired = errors.New("mipush: not sent: the service retired this call")

// retiredError fails a call of a retired path.
type retiredError struct{ r rules.Retirement }

func (e *retiredError) Error() string { return "mipush: not sent: " + e.r.Notice() }

// Is makes errors.Is(err, ErrRetired) hold.
func (e *retiredError) Is(target error) bool { return target == ErrRetired }

// retired returns the error of a call of the retired path.
func retired(path string) error {
	r, ok := rules.Retired(path)
	if !ok {
		panic("mipush: no retirement rule for " + path) // a path named in rules; tests reach every caller
	}
	return &retiredError{r}
}

// Revoke went to v3 on 2026-12-01 (dev.mi.com notice pId=2367 of
// 2026-10-22): the v1 and v2 revoke paths are offline. The v3 paths'
// parameters are in no public source we have; the calls send the v1
// parameter set, the likeliest one (inferred).

// RevokeRegIDs withdraws the notification notifyID of the app pkg from up
// to 1000 devices: POST /v3/message/regid/revoke with registration_ids
// (comma-joined), restricted_package_name and notify_id. The parameters
// are inferred: they are those of the v1 path this one replaced on
// 2026-12-01.
func (c *Client) RevokeRegIDs(ctx context.Context, pkg string, notifyID int, regIDs []string) (*Result, error) {
	return c.revoke(ctx, rules.RevokeRegIDs, "registration_ids", Target{Kind: TargetRegID, IDs: regIDs}, pkg, notifyID)
}

// RevokeAliases withdraws the notification notifyID of the app pkg from the
// devices of up to 1000 aliases: POST /v3/message/alias/revoke with aliases
// (comma-joined), restricted_package_name and notify_id. The parameters
// are inferred, as for RevokeRegIDs.
func (c *Client) RevokeAliases(ctx context.Context, pkg string, notifyID int, aliases []string) (*Result, error) {
	return c.revoke(ctx, rules.RevokeAliases, "aliases", Target{Kind: TargetAlias, IDs: aliases}, pkg, notifyID)
}

// RevokeUserAccounts withdraws the notification notifyID of the app pkg
// from the devices of up to 1000 user accounts: POST
// /v3/message/user_account/revoke with user_accounts (comma-joined),
// restricted_package_name and notify_id. The parameters are inferred, as
// for RevokeRegIDs.
func (c *Client) RevokeUserAccounts(ctx context.Context, pkg string, notifyID int, accounts []string) (*Result, error) {
	return c.revoke(ctx, rules.RevokeUserAccounts, "user_accounts", Target{Kind: TargetUserAccount, IDs: accounts}, pkg, notifyID)
}

// RevokeTopic used to withdraw a notification from the subscribers of a
// topic (POST /v1/message/topic/revoke). It sends nothing and returns an
// error that satisfies errors.Is(err, ErrRetired).
//
// Deprecated: the path is offline since 2026-12-01 (dev.mi.com notice
// pId=2367 of 2026-10-22) and has no replacement. Revoke by regid, alias or
// user account instead.
func (c *Client) RevokeTopic(ctx context.Context, pkg string, notifyID int, topic string) (*Result, error) {
	return nil, retired(rules.RetiredRevokeTopic)
}

// RevokeTopics used to withdraw a notification from the devices of a
// combination of topics (POST /v1/message/multi_topic/revoke). It sends
// nothing and returns an error that satisfies errors.Is(err, ErrRetired).
//
// Deprecated: the path is offline since 2026-12-01 (dev.mi.com notice
// pId=2367 of 2026-10-22) and has no replacement. Revoke by regid, alias or
// user account instead.
func (c *Client) RevokeTopics(ctx context.Context, pkg string, notifyID int, topics []string, op TopicOp) (*Result, error) {
	return nil, retired(rules.RetiredRevokeTopics)
}

// revoke validates and sends a revoke call to the targets t, sent as
// field, comma-joined.
func (c *Client) revoke(ctx context.Context, path, field string, t Target, pkg string, notifyID int) (*Result, error) {
	if err := checkValues(field, t.IDs, MaxTargets); err != nil {
		return nil, err
	}
	if err := checkPackage(pkg, true); err != nil {
		return nil, err
	}
	if notifyID < 0 || notifyID > maxNotifyID {
		return nil, fieldError("notify_id", "must be 0 to "+strconv.Itoa(maxNotifyID)+", got "+strconv.Itoa(notifyID))
	}
	p := make([]byte, 0, listSize(t.IDs)+len(pkg)+80)
	p = appendJoinedParam(p, field, t.IDs)
	p = appendParam(p, "restricted_package_name", pkg)
	p = appendIntParam(p, "notify_id", int64(notifyID))
	r := postRequest(path, p)
	r.target = t
	return c.do(ctx, r)
}

// RevokeMessage used to withdraw a message by its id from every device it
// reached (POST /v2/message/revoke). It sends nothing and returns an error
// that satisfies errors.Is(err, ErrRetired).
//
// Deprecated: the path is offline since 2026-12-01 (dev.mi.com notice
// pId=2367 of 2026-10-22) and has no replacement. StopMessages still stops
// a message being delivered.
func (c *Client) RevokeMessage(ctx context.Context, pkg, msgID string) (*Result, error) {
	return nil, retired(rules.RetiredRevokeMessageJob)
}

// RevokeJob used to withdraw the messages of a job key (POST
// /v2/message/revoke with job_key). It sends nothing and returns an error
// that satisfies errors.Is(err, ErrRetired).
//
// Deprecated: the path is offline since 2026-12-01 (dev.mi.com notice
// pId=2367 of 2026-10-22) and has no replacement. StopJobs still stops
// the messages of a job key being delivered.
func (c *Client) RevokeJob(ctx context.Context, pkg, jobKey string) (*Result, error) {
	return nil, retired(rules.RetiredRevokeMessageJob)
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
