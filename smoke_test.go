package mipush_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// TestLiveSmoke talks to the real MiPush server. It runs only when
// MIPUSH_APP_SECRET, MIPUSH_PACKAGE and MIPUSH_SMOKE_REGID are all set, and
// never in CI (CI set). It sends one pass-through message (nothing is shown
// on the device) to the smoke regid, then calls each read-only endpoint
// once: server-side errors (quota, permissions) are logged, but an answer
// the client cannot decode fails the test.
func TestLiveSmoke(t *testing.T) {
	secret, pkg, regID := os.Getenv("MIPUSH_APP_SECRET"), os.Getenv("MIPUSH_PACKAGE"), os.Getenv("MIPUSH_SMOKE_REGID")
	if secret == "" || pkg == "" || regID == "" {
		t.Skip("set MIPUSH_APP_SECRET, MIPUSH_PACKAGE and MIPUSH_SMOKE_REGID to run against the live server")
	}
	if os.Getenv("CI") != "" {
		t.Skip("never against the live server in CI")
	}
	c := mipush.NewClient(mipush.Options{AppSecret: secret, Conns: 1, MaxAttempts: 1})
	defer func() { require.NoError(t, c.Close()) }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	msg := &mipush.Message{RestrictedPackageName: pkg, PassThrough: true, Payload: "mipush-go smoke test"}
	res, err := c.PushToRegID(ctx, []string{regID}, msg)
	require.NoError(t, err)
	t.Logf("sent: id=%s trace_id=%s info=%q", res.ID, res.TraceID, res.Info)

	check := func(name string, v any, err error) {
		t.Helper()
		var de *mipush.DataError
		require.False(t, errors.As(err, &de), "%s: %v", name, err)
		if err != nil {
			t.Logf("%s: %v", name, err)
			return
		}
		t.Logf("%s: %+v", name, v)
	}
	p, err := c.Presence(ctx, pkg, regID)
	check("presence", p, err)
	ps, err := c.Presences(ctx, pkg, []string{regID})
	check("presences", ps, err)
	v, err := c.ValidateRegIDs(ctx, []string{regID})
	check("validation", v, err)
	aliases, err := c.AliasesOf(ctx, pkg, regID)
	check("aliases", aliases, err)
	topics, err := c.TopicsOf(ctx, pkg, regID)
	check("topics", topics, err)
	accounts, err := c.AccountsOf(ctx, pkg, regID)
	check("accounts", accounts, err)
	regions, err := c.RegionsOf(ctx, []string{regID})
	check("regions", regions, err)
	channels, err := c.Channels(ctx)
	check("channels", channels, err)
	now := time.Now()
	stats, err := c.Stats(ctx, pkg, now.AddDate(0, 0, -1), now)
	check("stats", stats, err)
	st, err := c.TraceMessage(ctx, res.ID)
	check("trace", st, err)
	ok, err := c.JobExists(ctx, res.ID)
	check("job exists", ok, err)
}
