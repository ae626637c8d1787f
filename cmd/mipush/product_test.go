package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	r := mipushCmd("--version")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^mipush   github.com/mipush-go/mipush/cmd/mipush \S+$`, r.stdout)
	assert.Contains(t, r.stdout, "go       "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n")
	assert.Equal(t, r, mipushCmd("version"), "mipush version is mipush --version")

	// An installed build names the module versions it was built from.
	var b strings.Builder
	printVersion(&b, &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/mipush-go/mipush/cmd/mipush", Version: "v0.1.0"},
		Deps:      []*debug.Module{{Path: "golang.org/x/net", Version: "v0.62.0"}, {Path: libraryPath, Version: "v0.1.0"}},
	})
	assert.Equal(t, "mipush   github.com/mipush-go/mipush/cmd/mipush v0.1.0\nlibrary  github.com/mipush-go/mipush v0.1.0\ngo       go1.26.8 "+runtime.GOOS+"/"+runtime.GOARCH+"\n", b.String())
}

// Every subcommand's --help lists its flags, and offers none it refuses.
func TestHelpListsFlags(t *testing.T) {
	want := map[string][]string{
		"send":    {"-regid", "-all", "-title", "-json", "-host"},
		"bulk":    {"-skip-invalid", "-retry", "-at-least-once", "-format", "-report", "-json"},
		"stats":   {"-package", "-from", "-json"},
		"trace":   {"-job", "-from", "-json"},
		"topic":   {"-topic", "-regid", "-alias", "-json", "-host"},
		"revoke":  {"-package", "-message", "-notify-id", "-regid", "-stop"},
		"fake":    {"-addr", "-proto", "-ca-file"},
		"version": {},
	}
	for name, flags := range want {
		t.Run(name, func(t *testing.T) {
			r := mipushCmd(name, "--help")
			require.Equal(t, exitOK, r.code, r.stderr)
			for _, f := range flags {
				assert.Regexp(t, `(?m)^  `+regexp.QuoteMeta(f)+`\b`, r.stdout)
			}
		})
	}
	r := mipushCmd("revoke", "--help")
	assert.NotRegexp(t, `(?m)^  -all\b`, r.stdout, "revoke refuses --all, so it does not offer it")
	r = mipushCmd("revoke", "--package", "p", "--notify-id", "1", "--all")
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, "flag provided but not defined: -all")
}

// A refused connection fails at once with a plain message, not after the
// library's dial retries (over 10 s), and --json prints the failure.
func TestSendUnreachableAndJSONFailure(t *testing.T) {
	srv, flags := testServer(t, mipushtest.Options{})
	down := append([]string{}, flags...)
	down[1] = closedAddr(t)
	r := mipushCmd(append([]string{"send", "--regid", "r1", "--title", "T", "--description", "D"}, down...)...)
	assert.Equal(t, exitFailed, r.code)
	requireOneLine(t, r, "mipush send: cannot connect to "+down[1]+": connection refused")

	srv.FailTarget("r2", mipushtest.ErrorAnswer(10017, "Invalid parameter"))
	r = mipushCmd(append([]string{"send", "--json", "--regid", "r2", "--title", "T", "--description", "D"}, flags...)...)
	assert.Equal(t, exitFailed, r.code)
	requireOneLine(t, r, "the send to 1 regid failed after 1 attempt: the server answered error 10017 (invalid parameter value): Invalid parameter (trace id ")
	assert.NotContains(t, r.stderr, "regid[1]")
	var f failure
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
	assert.Equal(t, 10017, f.Code)
	assert.Equal(t, "Invalid parameter", f.Reason)
	assert.False(t, f.MaybeProcessed)
	assert.NotEmpty(t, f.TraceID)

	// The management commands too.
	srv.FailPath("/v1/trace/message/status", mipushtest.ErrorAnswer(10039, "too frequent"))
	r = mipushCmd(append(append([]string{"trace", "--json"}, flags...), "slm1")...)
	assert.Equal(t, exitFailed, r.code)
	f = failure{}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
	assert.Equal(t, 10039, f.Code)
	assert.Equal(t, "too frequent", f.Reason)

	// Bad input, found before sending, is marked so.
	r = mipushCmd(append([]string{"send", "--json", "--regid", "r;$;1", "--title", "T", "--description", "D"}, flags...)...)
	assert.Equal(t, exitUsage, r.code)
	requireOneLine(t, r, `invalid --regid: value 0 must not contain "," or ";$;"`)
	f = failure{}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &f), r.stdout)
	assert.True(t, f.BadInput)
}

// syncWriter is a buffer safe for the command's goroutine and the test's.
type syncWriter struct{ lines chan string }

func (w syncWriter) Write(p []byte) (int, error) {
	for l := range strings.SplitSeq(strings.TrimSuffix(string(p), "\n"), "\n") {
		w.lines <- l
	}
	return len(p), nil
}

// mipush fake runs on its own until stopped, and what one command sends
// another traces and counts.
func TestFakeCommand(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			dir := t.TempDir()
			ca := filepath.Join(dir, "ca.pem")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := syncWriter{make(chan string, 100)}
			done := make(chan int)
			go func() {
				done <- fakeCmd(ctx, []string{"--addr", "127.0.0.1:0", "--proto", proto, "--ca-file", ca}, out, out)
			}()
			first := <-out.lines
			m := regexp.MustCompile(`^fake MiPush server on (127\.0\.0\.1:\d+) `).FindStringSubmatch(first)
			require.NotNil(t, m, first)
			host := m[1]
			pem, err := os.ReadFile(ca)
			require.NoError(t, err)
			assert.Contains(t, string(pem), "BEGIN CERTIFICATE")

			t.Setenv(envSecret, "any")
			at := []string{"--host", host, "--ca", ca}
			r := mipushCmd(append([]string{"send", "--json", "--regid", "r1,r2,bad-3", "--title", "T", "--description", "D", "--extra", "jobkey=j1"}, at...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			var sent sendResult
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &sent))
			assert.Equal(t, []string{"bad-3"}, sent.BadRegIDs)

			input := writeFile(t, "p.jsonl", `{"regid":"r4","title":"A"}`, `{"regid":"r5","title":"B"}`)
			r = mipushCmd(append([]string{"bulk", "--progress", "none", "--title", "T", "--description", "D", "--extra", "jobkey=j1"}, append(at, input)...)...)
			require.Equal(t, exitOK, r.code, r.stderr)

			r = mipushCmd(append(append([]string{"trace", "--json"}, at...), sent.ID)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			var st status
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
			assert.Equal(t, sent.ID, st.ID)
			assert.EqualValues(t, 2, st.Resolved, "the two valid regids of that send")

			r = mipushCmd(append([]string{"trace", "--json", "--job", "j1"}, at...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
			assert.EqualValues(t, 4, st.Resolved, "every send of the job")

			r = mipushCmd(append([]string{"stats", "--json", "--package", "com.example.app"}, at...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			var days []dayStats
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &days))
			require.NotEmpty(t, days)
			assert.EqualValues(t, 4, days[len(days)-1].RegID, "today's regid recipients")

			cancel()
			assert.Equal(t, exitOK, <-done)
		})
	}
}

func TestFakeCommandBadFlags(t *testing.T) {
	for args, want := range map[string]string{
		"--proto h3":           "--proto",
		"--addr nonsense":      "--addr",
		"--addr 127.0.0.1:0 x": "unexpected argument",
	} {
		r := runArgs(context.Background(), append([]string{"fake"}, strings.Fields(args)...)...)
		assert.Equal(t, exitUsage, r.code, args)
		requireOneLine(t, r, want)
	}
}
