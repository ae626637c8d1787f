//go:build !engine

package main

import (
	"context"
	"errors"
	"io"
)

// The management calls of the library (stats, trace, subscriptions,
// revoke) are built only with the library's "engine" build tag for now;
// without it these commands say so. Build with -tags engine to use them.

// statsCmd, traceCmd, topicCmd and revokeCmd report errNotBuilt.
func statsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return notBuilt("stats", stderr)
}

func traceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return notBuilt("trace", stderr)
}

func topicCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return notBuilt("topic", stderr)
}

func revokeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return notBuilt("revoke", stderr)
}

// errNotBuilt is what the management commands say in this build.
var errNotBuilt = errors.New(`not available in this build: the library's management calls are behind its "engine" build tag; build with -tags engine`)

// notBuilt reports errNotBuilt for the command name.
func notBuilt(name string, stderr io.Writer) int {
	return fail(stderr, name, errNotBuilt)
}
