package main

import (
	"context"
	"io"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/internal/rules"
)

const revokeAbout = `
Revoke a notification of the app --package: recall it from the devices
that have not shown it yet, or remove it, by the notify id it was sent with
(POST /v3/message/{regid,alias,user_account}/revoke):

  mipush revoke --package P --notify-id N (--regid ... | --alias ... | --account ...)

With --stop, do not revoke: stop delivering messages still being
delivered instead (--message and --job take up to 1000 comma-separated
values):
  mipush revoke --package P --stop (--message ID,... | --job KEY,...)

Revoking by message id, job key or topic is no longer possible: Xiaomi took
those paths offline on ` + rules.RevokeRetiredSince + ` (notice ` + rules.RevokeRetiredSource + `) without a replacement.
`

// retiredRevoke explains a recall by what the service no longer offers,
// in the words of the rule table: the retired path, its date and notice.
// A path the table does not hold is a bug: it panics.
func retiredRevoke(by, path, hint string) error {
	r, ok := rules.Retired(path)
	if !ok {
		panic("mipush revoke: no retirement rule for " + path)
	}
	return usagef("recalling by %s is retired: %s; %s", by, r.Notice(), hint)
}

// revokeCmd recalls or stops a message.
func revokeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, sf, asJSON := managementFlags("revoke", "[flags] --package PKG (--notify-id N TARGET | --stop (--message IDS | --job KEYS))", revokeAbout, stderr)
	var tf targetFlags
	var msgIDs, jobs listFlag
	tf.register(fs, false)
	pkg := fs.String("package", "", "the app's `package` name (required)")
	fs.Var(&msgIDs, "message", "with --stop: the message `ids` to stop, comma-separated")
	fs.Var(&jobs, "job", "with --stop: the job `keys` whose messages to stop, comma-separated")
	notifyID := fs.Int("notify-id", -1, "revoke the notification with this notify_id on the devices of a target")
	stop := fs.Bool("stop", false, "stop delivering the messages of --message or --job instead of revoking them")
	if code, ok := fs.parse(args, stdout, 0); !ok {
		return code
	}
	if *pkg == "" {
		return fail(stderr, "revoke", usagef("--package is required"))
	}
	call, err := revokeCall(*pkg, msgIDs, jobs, *notifyID, *stop, &tf)
	if err != nil {
		return fail(stderr, "revoke", err)
	}
	return manage(ctx, "revoke", sf, stdout, stderr, *asJSON, asCallResult(call), printCallResult)
}

// revokeCall chooses the call the flags ask for.
func revokeCall(pkg string, msgIDs, jobs []string, notifyID int, stop bool, tf *targetFlags) (func(context.Context, *mipush.Client) (*mipush.Result, error), error) {
	byTarget := notifyID >= 0
	n := 0
	for _, set := range []bool{len(msgIDs) > 0, len(jobs) > 0, byTarget} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, usagef("name one of --message, --job or --notify-id")
	}
	switch {
	case stop && byTarget:
		return nil, usagef("--stop takes --message or --job, not --notify-id")
	case stop && len(msgIDs) > 0:
		return func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) {
			return c.StopMessages(ctx, pkg, msgIDs)
		}, nil
	case stop:
		return func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) { return c.StopJobs(ctx, pkg, jobs) }, nil
	case len(msgIDs) > 0:
		return nil, retiredRevoke("message id", rules.RetiredRevokeMessageJob, "use --stop to stop its delivery, or --notify-id with its targets")
	case len(jobs) > 0:
		return nil, retiredRevoke("job key", rules.RetiredRevokeMessageJob, "use --stop to stop its delivery, or --notify-id with its targets")
	}
	t, err := tf.target()
	if err != nil {
		return nil, err
	}
	if t.Kind == mipush.TargetTopic || t.Kind == mipush.TargetTopics {
		path := rules.RetiredRevokeTopic
		if t.Kind == mipush.TargetTopics {
			path = rules.RetiredRevokeTopics
		}
		return nil, retiredRevoke("topic", path, "name the devices with --regid, --alias or --account")
	}
	return func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) {
		switch t.Kind {
		case mipush.TargetRegID:
			return c.RevokeRegIDs(ctx, pkg, notifyID, t.IDs)
		case mipush.TargetAlias:
			return c.RevokeAliases(ctx, pkg, notifyID, t.IDs)
		case mipush.TargetUserAccount:
			return c.RevokeUserAccounts(ctx, pkg, notifyID, t.IDs)
		}
		return nil, usagef("--notify-id needs regids, aliases or accounts")
	}, nil
}
