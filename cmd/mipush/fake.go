package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/internal/rules"
	"github.com/mipush-go/mipush/mipushtest"
)

// fakeAbout is the help text of fake.
func fakeAbout() string {
	return `
Run the fake MiPush server on its own until Ctrl-C (or SIGTERM), so that
any client, in any language, can run its tests against it. It speaks
HTTP/2 and HTTP/1.1 over TLS (--proto h1: HTTP/1.1 only), accepts any
non-empty app secret, answers every endpoint of the API, and keeps its
state (send counters for stats, the latest --remember messages sent for
trace, scheduled jobs, topic subscriptions) until it stops. Regids starting with "bad-" are
reported as bad.

To rehearse a campaign, --log writes one JSON line per request (seq,
time, path, targets, status, code, the bad regids of an accepted send,
and warnings: what it accepted but the real service may not, such as a
notification without extra.notify_effect, retired on ` + rules.NotifyEffectRequiredSince + `; --strict
refuses those instead), and faults can be scripted: --drop-rate drops connections at that
share of requests (before processing them: the client cannot know),
--delay delays every answer, --fail CODE:PATTERN answers CODE to every
request naming a target that matches PATTERN (e.g. 10017:r-9*), and
--rate-limit N answers ` + tooFrequent() + ` ("too frequent") to the requests beyond N in
one second, as the real server does to an app over its quota.

It writes its CA certificate to --ca-file and prints the host and how to
point a client at it, e.g.:

  mipush fake --addr 127.0.0.1:4443 &
  export MIPUSH_APP_SECRET=any
  mipush send --host 127.0.0.1:4443 --ca mipush-fake-ca.pem --regid r1 --title Hi --description Hello
`
}

// tooFrequent returns the code the fake answers to the requests over
// --rate-limit.
func tooFrequent() string { return strconv.Itoa(int(mipush.CodeTooFrequent)) }

// fakeCmd runs the fake server until ctx ends.
func fakeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fake", "[flags]", fakeAbout(), stderr)
	addr := fs.String("addr", "127.0.0.1:4443", "listen on this `host:port` (port 0: any free port)")
	proto := fs.String("proto", "h2", "protocols offered: h2 (HTTP/2, and HTTP/1.1) or h1 (HTTP/1.1 only)")
	caFile := fs.String("ca-file", "mipush-fake-ca.pem", "write the server's CA certificate (PEM) to this `file`")
	remember := fs.Int("remember", fakeRememberSends, "how many of the latest sends trace knows (about 200 bytes each)")
	var script mipushtest.Script
	var fails listFlag
	logFile := fs.String("log", "", "append one JSON line per request to this `file` (\"-\": standard output)")
	fs.Float64Var(&script.DropRate, "drop-rate", 0, "drop the connection at this share of requests, 0 to 1, before processing them")
	fs.DurationVar(&script.Delay, "delay", 0, "delay every answer by this long")
	fs.Var(&fails, "fail", "answer error CODE to the requests naming a target that matches PATTERN, given as `CODE:PATTERN` (repeatable)")
	fs.IntVar(&script.RateLimit, "rate-limit", 0, "answer "+tooFrequent()+" to the requests beyond `N` in one second (0: no limit)")
	strict := fs.Bool("strict", false, "refuse what the real service may refuse (a notification without extra.notify_effect) instead of logging a warning")
	if code, ok := fs.parse(args, stdout, 0); !ok {
		return code
	}
	for _, f := range fails {
		pf, err := mipushtest.ParsePatternFailure(f)
		if err != nil {
			return fail(stderr, "fake", usagef("--fail: %v", err))
		}
		script.Failures = append(script.Failures, pf)
	}
	if *remember < 1 {
		return fail(stderr, "fake", usagef("--remember: want a positive number, got %d", *remember))
	}
	if *proto != "h1" && *proto != "h2" {
		return fail(stderr, "fake", usagef("--proto: want h1 or h2, got %q", *proto))
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fail(stderr, "fake", usagef("--addr: want host:port, got %q", *addr))
	}
	opts := fakeOptions(*proto == "h2")
	opts.Addr, opts.RememberSends, opts.Strict = *addr, *remember, *strict
	if host != "" && net.ParseIP(host) == nil {
		opts.DNSNames = []string{host} // a name: make the certificate valid for it
	}
	srv, err := mipushtest.StartServer(opts)
	if err != nil {
		return fail(stderr, "fake", err)
	}
	defer srv.Close()
	setFakeBehaviour(srv)
	switch *logFile {
	case "":
	case "-":
		script.Log = stdout
	default:
		f, err := os.OpenFile(*logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fail(stderr, "fake", usagef("--log: %v", err))
		}
		defer f.Close()
		script.Log = f
	}
	if err := srv.SetScript(script); err != nil {
		return fail(stderr, "fake", usagef("%v", strings.TrimPrefix(err.Error(), "mipushtest: ")))
	}
	if err := os.WriteFile(*caFile, srv.CACertPEM(), 0o644); err != nil {
		return fail(stderr, "fake", usagef("--ca-file: %v", err))
	}
	ca, err := filepath.Abs(*caFile)
	if err != nil {
		ca = *caFile
	}
	protos := "HTTP/2 and HTTP/1.1"
	if *proto == "h1" {
		protos = "HTTP/1.1"
	}
	host, all := clientHost(srv.Host())
	if all {
		fmt.Fprintf(stdout, "listening on all interfaces (%s); its certificate is valid for 127.0.0.1, ::1, localhost and the name of --addr only\n", *addr)
	}
	fmt.Fprintf(stdout, `fake MiPush server on %[1]s (%[2]s over TLS); Ctrl-C stops it
CA certificate  %[3]s
any non-empty app secret is accepted; regids starting with %[4]q are bad

point the mipush command at it:
  export MIPUSH_APP_SECRET=any
  mipush send --host %[1]s --ca %[3]s --regid r1 --title Hi --description Hello

or any HTTP client:
  curl --cacert %[3]s -H 'Authorization: key=any' \
    -d 'registration_id=r1&title=Hi&description=Hello&payload=x' https://%[1]s/v3/message/regid
`, host, protos, ca, fakeBadPrefix)
	<-ctx.Done()
	fmt.Fprintln(stdout, "fake MiPush server stopped")
	return exitOK
}

// clientHost returns the host:port a client on this machine uses to reach
// a server listening on hostport, and whether it listens on all
// interfaces (0.0.0.0 or ::), where a client cannot connect to the
// address as it is.
func clientHost(hostport string) (string, bool) {
	h, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport, false
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", port), true
	}
	return hostport, false
}
