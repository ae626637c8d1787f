package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/require"
)

// testSecret is the app secret the tests put in the environment.
const testSecret = "s3cr3t-never-printed"

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// runArgs runs the command with args and ctx.
func runArgs(ctx context.Context, args ...string) result {
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// mipushCmd runs the command with args and a background context.
func mipushCmd(args ...string) result { return runArgs(context.Background(), args...) }

// testServer starts a fake server for a test and returns it with the
// flags that point the command at it (--host and --ca). It sets the app
// secret in the environment, so tests using it cannot run in parallel.
func testServer(t *testing.T, opts mipushtest.Options) (*mipushtest.Server, []string) {
	t.Helper()
	srv := mipushtest.NewServer(opts)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, srv.CACertPEM(), 0o600))
	t.Setenv(envSecret, testSecret)
	t.Setenv(envRegion, "")
	return srv, []string{"--host", srv.Host(), "--ca", ca}
}

// writeFile writes lines to a new file in the test's temporary directory.
func writeFile(t *testing.T, name string, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return p
}

// regIDs returns n regids "r-00000", "r-00001", ...
func regIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("r-%05d", i)
	}
	return ids
}

// readReport parses a bulk report and returns its records after the job
// record, which it checks is first.
func readReport(t *testing.T, path string) []reportRecord {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var recs []reportRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r reportRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "report line %q", sc.Text())
		recs = append(recs, r)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, recs, "a report starts with its job record")
	require.Equal(t, kindJob, recs[0].Kind)
	require.NotEmpty(t, recs[0].MessageDigest)
	return recs[1:]
}

// summaryOf parses the --json summary of a bulk run.
func summaryOf(t *testing.T, r result) bulkSummary {
	t.Helper()
	var s bulkSummary
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	return s
}

// requireOneLine checks that stderr is one line containing want.
func requireOneLine(t *testing.T, r result, want string) {
	t.Helper()
	require.Equal(t, 1, strings.Count(r.stderr, "\n"), "stderr: %q", r.stderr)
	require.Contains(t, r.stderr, want)
}

// errNotBuiltText is in the message of a command left out of the build.
const errNotBuiltText = "not available in this build"

// closedAddr returns a loopback address where nothing listens, so that a
// connection to it is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
