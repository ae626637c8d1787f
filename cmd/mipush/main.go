// Command mipush sends Xiaomi Push (MiPush) messages from the shell.
//
// Usage:
//
//	mipush <command> [flags] [arguments]
//
// The commands:
//
//	demo     a bulk async send against the embedded fake server
//	send     send one message to regids, aliases, accounts, topics or all
//	bulk     send to a file of regids, or of personalised JSON lines
//	stats    message counters of an app over a range of days
//	trace    the delivery status of a message
//	topic    subscribe regids or aliases to a topic, or unsubscribe them
//	revoke   recall a message
//	bench    compare the client's throughput with other clients
//	fake     run the fake MiPush server on its own, until stopped
//	version  print the versions of the command, the library and Go
//
// Every command takes --help. The app secret comes from the
// MIPUSH_APP_SECRET environment variable (or --secret-file) and the region
// from MIPUSH_REGION (or --region). --fake runs any command against an
// in-process fake server, without an account or a network; --host and
// --ca point it at a private gateway.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// The first Ctrl-C (or SIGTERM) ends the command's context, so that it
	// stops cleanly; the second tells it to stop waiting (see stopper).
	st := newStopper(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		for sig := range sigs {
			st.signal(sig)
		}
	}()
	code := run(st.ctx, os.Args[1:], os.Stdout, os.Stderr)
	signal.Stop(sigs)
	st.release()
	os.Exit(code)
}

// A command is one subcommand of mipush.
type command struct {
	name    string
	summary string // one line, for the usage message
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
	hidden  bool // left out of the usage message
}

// commands lists the subcommands in the order the usage message shows them.
// A new subcommand is one more entry here.
var commands = []command{
	{name: "demo", summary: "a bulk async send against the embedded fake server (no account, no network)", run: demoCmd},
	{name: "send", summary: "send one message to regids, aliases, accounts, a topic, topics or all", run: sendCmd},
	{name: "bulk", summary: "send to a file of regids (one message, 1000 per request) or of personalised lines, with a report", run: bulkCmd},
	{name: "stats", summary: "message counters of an app over a range of days", run: statsCmd},
	{name: "trace", summary: "the delivery status of a message", run: traceCmd},
	{name: "topic", summary: "subscribe regids or aliases to a topic, or unsubscribe them", run: topicCmd},
	{name: "revoke", summary: "revoke (recall) a message, or stop its delivery", run: revokeCmd},
	{name: "bench", summary: "compare the client's throughput with other clients", run: benchCmd},
	{name: "fake", summary: "run the fake MiPush server on its own, until stopped, for any client to test against", run: fakeCmd},
	{name: "version", summary: "print the versions of the command, the library and Go", run: versionCmd},
}

// Exit codes, one meaning each whatever the command and its flags.
const (
	exitOK          = 0   // every request was accepted (targets the server rejected do not count)
	exitFailed      = 1   // the server or the network failed some or all of the work
	exitUsage       = 2   // bad flags or bad input: nothing was sent
	exitInterrupted = 130 // stopped by Ctrl-C (128 + SIGINT), after a clean stop
	exitTerminated  = 143 // stopped by SIGTERM (128 + SIGTERM), after a clean stop
)

// run runs the subcommand named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help":
		if len(args) > 1 { // "mipush help CMD" is "mipush CMD --help"
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return versionCmd(ctx, args[1:], stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			code := c.run(ctx, args[1:], stdout, stderr)
			var se *signalError
			if code == exitFailed && errors.As(context.Cause(ctx), &se) {
				code = exitInterruptedBy(ctx) // a call cut short by Ctrl-C or SIGTERM
			}
			return code
		}
	}
	fmt.Fprintf(stderr, "mipush: unknown command %q; run \"mipush help\" for the list\n", args[0])
	return exitUsage
}

// usage prints the list of commands.
func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: mipush <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands {
		if !c.hidden {
			fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprint(w, `
Run "mipush help <command>" (or "mipush <command> --help") for the flags
of a command. Flags may come before or after the arguments.

Environment:
  MIPUSH_APP_SECRET  the app secret (never printed); --secret-file overrides it
  MIPUSH_REGION      china (default), europe, russia, india or singapore;
                     --region overrides it
`)
}
