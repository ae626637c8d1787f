package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/mipush-go/mipush/mipushtest"
)

const fakeAbout = `
Run the fake MiPush server on its own until Ctrl-C (or SIGTERM), so that
any client, in any language, can run its tests against it. It speaks
HTTP/2 and HTTP/1.1 over TLS (--proto h1: HTTP/1.1 only), accepts any
non-empty app secret, answers every endpoint of the API, and keeps its
state (send counters for stats, the latest --remember messages sent for
trace, scheduled jobs, topic subscriptions) until it stops. Regids starting with "bad-" are
reported as bad.

It writes its CA certificate to --ca-file and prints the host and how to
point a client at it, e.g.:

  mipush fake --addr 127.0.0.1:4443 &
  export MIPUSH_APP_SECRET=any
  mipush send --host 127.0.0.1:4443 --ca mipush-fake-ca.pem --regid r1 --title Hi --description Hello
`

// fakeCmd runs the fake server until ctx ends.
func fakeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fake", "[flags]", fakeAbout, stderr)
	addr := fs.String("addr", "127.0.0.1:4443", "listen on this `host:port` (port 0: any free port)")
	proto := fs.String("proto", "h2", "protocols offered: h2 (HTTP/2, and HTTP/1.1) or h1 (HTTP/1.1 only)")
	caFile := fs.String("ca-file", "mipush-fake-ca.pem", "write the server's CA certificate (PEM) to this `file`")
	remember := fs.Int("remember", fakeRememberSends, "how many of the latest sends trace knows (about 200 bytes each)")
	if code, ok := fs.parse(args, stdout); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, "fake", usagef("unexpected argument %q", fs.Arg(0)))
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
	opts.Addr, opts.RememberSends = *addr, *remember
	if host != "" && net.ParseIP(host) == nil {
		opts.DNSNames = []string{host} // a name: make the certificate valid for it
	}
	srv, err := mipushtest.StartServer(opts)
	if err != nil {
		return fail(stderr, "fake", err)
	}
	defer srv.Close()
	setFakeBehaviour(srv)
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
	fmt.Fprintf(stdout, `fake MiPush server on %[1]s (%[2]s over TLS); Ctrl-C stops it
CA certificate  %[3]s
any non-empty app secret is accepted; regids starting with %[4]q are bad

point the mipush command at it:
  export MIPUSH_APP_SECRET=any
  mipush send --host %[1]s --ca %[3]s --regid r1 --title Hi --description Hello

or any HTTP client:
  curl --cacert %[3]s -H 'Authorization: key=any' \
    -d 'registration_id=r1&title=Hi&description=Hello&payload=x' https://%[1]s/v3/message/regid
`, srv.Host(), protos, ca, fakeBadPrefix)
	<-ctx.Done()
	fmt.Fprintln(stdout, "fake MiPush server stopped")
	return exitOK
}
