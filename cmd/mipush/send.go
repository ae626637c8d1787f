package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mipush-go/mipush"
)

// targetFlags say whom send addresses: exactly one kind of target.
type targetFlags struct {
	regids, aliases, accounts, topics listFlag
	topic                             string
	op                                string
	all                               bool
	withAll                           bool // --all is defined
}

// register defines the flags on fs; withAll adds --all.
func (f *targetFlags) register(fs *flagSet, withAll bool) {
	f.withAll = withAll
	fs.Var(&f.regids, "regid", "send to these registration `ids` (comma-separated, repeatable; up to 1000)")
	fs.Var(&f.aliases, "alias", "send to these `aliases` (comma-separated, repeatable; up to 1000)")
	fs.Var(&f.accounts, "account", "send to these user `accounts` (comma-separated, repeatable; up to 1000)")
	fs.StringVar(&f.topic, "topic", "", "broadcast to the subscribers of this `topic`")
	fs.Var(&f.topics, "topics", "broadcast to a combination of up to 5 `topics` (comma-separated; see --op)")
	fs.StringVar(&f.op, "op", "union", "how --topics combine: union, intersection or except")
	if withAll {
		fs.BoolVar(&f.all, "all", false, "broadcast to every device of the app")
	}
}

// target returns the one target the flags name.
func (f *targetFlags) target() (mipush.Target, error) {
	var ts []mipush.Target
	if len(f.regids) > 0 {
		ts = append(ts, mipush.Target{Kind: mipush.TargetRegID, IDs: f.regids})
	}
	if len(f.aliases) > 0 {
		ts = append(ts, mipush.Target{Kind: mipush.TargetAlias, IDs: f.aliases})
	}
	if len(f.accounts) > 0 {
		ts = append(ts, mipush.Target{Kind: mipush.TargetUserAccount, IDs: f.accounts})
	}
	if f.topic != "" {
		ts = append(ts, mipush.Target{Kind: mipush.TargetTopic, IDs: []string{f.topic}})
	}
	if len(f.topics) > 0 {
		op := mipush.TopicOp(strings.ToUpper(f.op))
		switch op {
		case mipush.TopicUnion, mipush.TopicIntersection, mipush.TopicExcept:
		default:
			return mipush.Target{}, usagef("--op: want union, intersection or except, got %q", f.op)
		}
		ts = append(ts, mipush.Target{Kind: mipush.TargetTopics, IDs: f.topics, Op: op})
	}
	if f.all {
		ts = append(ts, mipush.Target{Kind: mipush.TargetAll})
	}
	if len(ts) != 1 {
		if !f.withAll {
			return mipush.Target{}, usagef("name exactly one target: --regid, --alias, --account, --topic or --topics")
		}
		return mipush.Target{}, usagef("name exactly one target: --regid, --alias, --account, --topic, --topics or --all")
	}
	t := ts[0]
	if len(t.IDs) > mipush.MaxTargets {
		return t, usagef("at most %d %ss per send, got %d (mipush bulk sends to more, paced with --rate)", mipush.MaxTargets, t.Kind, len(t.IDs))
	}
	if err := t.Validate(); err != nil {
		return t, &usageError{msg: describe(err)}
	}
	return t, nil
}

// confirmAll refuses a broadcast to all devices typed at a terminal
// (interactive) without --yes: a script knows what it does, a person may
// have meant --topic.
func confirmAll(all, yes, interactive bool) error {
	if all && !yes && interactive {
		return usagef("--all sends to every device of the app: add --yes to confirm")
	}
	return nil
}

// pushTo sends msg to t and waits for the answer.
func pushTo(ctx context.Context, c *mipush.Client, t mipush.Target, msg *mipush.Message) (*mipush.Result, error) {
	switch t.Kind {
	case mipush.TargetRegID:
		return c.PushToRegID(ctx, t.IDs, msg)
	case mipush.TargetAlias:
		return c.PushToAlias(ctx, t.IDs, msg)
	case mipush.TargetUserAccount:
		return c.PushToUserAccount(ctx, t.IDs, msg)
	case mipush.TargetTopic:
		return c.PushToTopic(ctx, t.IDs[0], msg)
	case mipush.TargetTopics:
		return c.PushToTopics(ctx, t.IDs, t.Op, msg)
	}
	return c.PushToAll(ctx, msg)
}

// sendCmd sends one message and prints the server's answer.
func sendCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("send", "[flags] --regid ID,... | --alias A,... | --account U,... | --topic T | --topics T,... | --all",
		"Send one message to up to 1000 targets, or broadcast it, and print the\nserver's answer: the message id, the trace id and any bad regids.\n"+messageHelp(), stderr)
	var sf serverFlags
	var mf messageFlags
	var tf targetFlags
	sf.register(fs)
	mf.register(fs)
	tf.register(fs, true)
	var pf paceFlags
	pf.register(fs, false)
	yes := fs.Bool("yes", false, "confirm --all: send to every device of the app (asked for when standard input is a terminal)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if code, ok := fs.parse(args, stdout, 0); !ok {
		return code
	}
	mf.noteSet(fs)
	if err := confirmAll(tf.all, *yes, isTerminal(os.Stdin)); err != nil {
		return failAs(stdout, stderr, "send", err, *asJSON)
	}

	t, err := tf.target()
	if err != nil {
		return failAs(stdout, stderr, "send", err, *asJSON)
	}
	msg, err := mf.build()
	if err != nil {
		return failAs(stdout, stderr, "send", err, *asJSON)
	}
	opts, err := sf.options()
	if err == nil {
		err = pf.apply(&opts)
	}
	if err != nil {
		return failAs(stdout, stderr, "send", err, *asJSON)
	}
	s := sf.connect(ctx, opts)
	defer s.close()

	res, err := pushTo(s.ctx, s.client, t, msg)
	if err != nil {
		return failAs(stdout, stderr, "send", s.callErr(err), *asJSON)
	}
	if *asJSON {
		return printJSON(stdout, stderr, "send", sendResultJSON(res))
	}
	fmt.Fprintf(stdout, "message id  %s\ntrace id    %s\n", res.ID, res.TraceID)
	if res.Info != "" {
		fmt.Fprintf(stdout, "info        %s\n", res.Info)
	}
	if len(res.BadRegIDs) > 0 {
		fmt.Fprintf(stdout, "bad regids  %s\n", strings.Join(res.BadRegIDs, ","))
	}
	return exitOK
}

// sendResult is the JSON form of a send's result.
type sendResult struct {
	ID        string   `json:"id"`
	TraceID   string   `json:"trace_id"`
	Info      string   `json:"info,omitempty"`
	BadRegIDs []string `json:"bad_regids"`
	DayQuota  *int64   `json:"day_quota,omitempty"`
	DayAcked  *int64   `json:"day_acked,omitempty"`
}

// sendResultJSON returns the JSON form of r.
func sendResultJSON(r *mipush.Result) sendResult {
	out := sendResult{ID: r.ID, TraceID: r.TraceID, Info: r.Info, BadRegIDs: r.BadRegIDs}
	if out.BadRegIDs == nil {
		out.BadRegIDs = []string{}
	}
	if r.DayQuota >= 0 {
		out.DayQuota = &r.DayQuota
	}
	if r.DayAcked >= 0 {
		out.DayAcked = &r.DayAcked
	}
	return out
}

// printJSON writes v as indented JSON to stdout.
func printJSON(stdout, stderr io.Writer, name string, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(stderr, name, err)
	}
	return exitOK
}
