package main

import (
	"context"
	"io"

	"github.com/mipush-go/mipush"
)

const revokeAbout = `
Revoke a message of the app --package: recall it from the devices that
have not shown it yet, or remove its notification:

  by message id     mipush revoke --package P --message MSG_ID
  by job key        mipush revoke --package P --job KEY
  by notify id      mipush revoke --package P --notify-id N (--regid ... |
                    --alias ... | --account ... | --topic T | --topics T,...)

With --stop, do not revoke: stop delivering messages still being
delivered instead:
--message and --job then take up to 1000 comma-separated values.
`

// revokeCmd recalls or stops a message.
func revokeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("revoke", "[flags] --package PKG (--message ID | --job KEY | --notify-id N TARGET)", revokeAbout, stderr)
	var sf serverFlags
	var tf targetFlags
	var msgIDs, jobs listFlag
	sf.register(fs)
	tf.register(fs, false)
	pkg := fs.String("package", "", "the app's `package` name (required)")
	fs.Var(&msgIDs, "message", "the message `id` to revoke (with --stop: ids, comma-separated)")
	fs.Var(&jobs, "job", "the job `key` whose messages to revoke (with --stop: keys, comma-separated)")
	notifyID := fs.Int("notify-id", -1, "revoke the notification with this notify_id on the devices of a target")
	stop := fs.Bool("stop", false, "stop delivering the messages of --message or --job instead of revoking them")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if code, ok := fs.parse(args, stdout); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, "revoke", usagef("unexpected argument %q", fs.Arg(0)))
	}
	if *pkg == "" {
		return fail(stderr, "revoke", usagef("--package is required"))
	}
	call, err := revokeCall(*pkg, msgIDs, jobs, *notifyID, *stop, &tf)
	if err != nil {
		return fail(stderr, "revoke", err)
	}
	return manage(ctx, "revoke", &sf, stdout, stderr, *asJSON, asCallResult(call), printCallResult)
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
	case len(msgIDs) > 1 || len(jobs) > 1:
		return nil, usagef("recall one message at a time (or use --stop)")
	case len(msgIDs) == 1:
		return func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) {
			return c.RevokeMessage(ctx, pkg, msgIDs[0])
		}, nil
	case len(jobs) == 1:
		return func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) {
			return c.RevokeJob(ctx, pkg, jobs[0])
		}, nil
	}
	t, err := tf.target()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) {
		switch t.Kind {
		case mipush.TargetRegID:
			return c.RevokeRegIDs(ctx, pkg, notifyID, t.IDs)
		case mipush.TargetAlias:
			return c.RevokeAliases(ctx, pkg, notifyID, t.IDs)
		case mipush.TargetUserAccount:
			return c.RevokeUserAccounts(ctx, pkg, notifyID, t.IDs)
		case mipush.TargetTopic:
			return c.RevokeTopic(ctx, pkg, notifyID, t.IDs[0])
		case mipush.TargetTopics:
			return c.RevokeTopics(ctx, pkg, notifyID, t.IDs, t.Op)
		}
		return nil, usagef("--notify-id needs regids, aliases, accounts or topics")
	}, nil
}
