package main

import (
	"context"
	"io"

	"github.com/mipush-go/mipush"
)

const topicAbout = `
Subscribe up to 1000 regids (--regid) or aliases (--alias) to a topic, or
unsubscribe them from it. ACTION is subscribe or unsubscribe.
`

// topicCmd subscribes devices to a topic or unsubscribes them.
func topicCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, sf, asJSON := managementFlags("topic", "subscribe|unsubscribe [flags] --topic T (--regid ID,... | --alias A,...)", topicAbout, stderr)
	var regids, aliases listFlag
	topic := fs.String("topic", "", "the `topic` (required)")
	fs.Var(&regids, "regid", "these registration `ids` (comma-separated, repeatable; up to 1000)")
	fs.Var(&aliases, "alias", "the devices of these `aliases` (comma-separated, repeatable; up to 1000)")
	category := fs.String("category", "", "the optional `category` parameter")
	pkg := fs.String("package", "", "the app's `package` name (optional)")
	if len(args) == 0 || (args[0] != "subscribe" && args[0] != "unsubscribe") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fs.printUsage(stdout)
			return exitOK
		}
		return fail(stderr, "topic", usagef("want subscribe or unsubscribe first (see \"mipush topic --help\")"))
	}
	subscribe := args[0] == "subscribe"
	if code, ok := fs.parse(args[1:], stdout, 0); !ok {
		return code
	}
	switch {
	case *topic == "":
		return fail(stderr, "topic", usagef("--topic is required"))
	case (len(regids) > 0) == (len(aliases) > 0):
		return fail(stderr, "topic", usagef("name either --regid or --alias"))
	}
	opts := &mipush.SubscribeOptions{Category: *category, RestrictedPackageName: *pkg}
	call := func(ctx context.Context, c *mipush.Client) (*mipush.Result, error) {
		switch {
		case len(regids) > 0 && subscribe:
			return c.SubscribeRegIDs(ctx, regids, *topic, opts)
		case len(regids) > 0:
			return c.UnsubscribeRegIDs(ctx, regids, *topic, opts)
		case subscribe:
			return c.SubscribeAliases(ctx, aliases, *topic, opts)
		}
		return c.UnsubscribeAliases(ctx, aliases, *topic, opts)
	}
	return manage(ctx, "topic", sf, stdout, stderr, *asJSON, asCallResult(call), printCallResult)
}
