package mipush_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// Every fmt verb, on Options, *Options, Client and *Client, leaves the
// secret out. (%p of an Options value is a vet error and bypasses every
// method; see the Options doc.)
func TestSecretNoVerbPrintsIt(t *testing.T) {
	const secret = "s3cr3t-QQQ"
	opts := mipush.Options{AppSecret: secret, Host: "127.0.0.1:1"}
	c := mipush.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	view := c.WithSecret(secret + "-view")
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%o", "%b", "%e", "%f", "%g", "%c", "%U", "%T", "%10.3v", "%-x"}
	values := map[string]any{"Options": opts, "*Options": &opts, "Client": *c, "*Client": c, "view": *view, "*view": view}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, secret, "%s %s", name, verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", secret), "%s %s", name, verb)
			assert.NotContains(t, out, fmt.Sprintf("%X", secret), "%s %s", name, verb)
		}
	}
	// %p of the pointers is an address; of a Client value fmt prints the
	// raw fields, which hold the secret only behind a pointer.
	for _, v := range []any{&opts, c, *c, *view, view} {
		assert.NotContains(t, fmt.Sprintf("%p", v), secret)
	}
	assert.NotContains(t, fmt.Sprint([]any{opts, *c, c}), secret)
}

// Control characters and invalid UTF-8 in the values sent in headers fail
// Validate, naming the field and never echoing the secret.
func TestValidateRejectsControlCharacters(t *testing.T) {
	for _, tc := range []struct {
		opts  mipush.Options
		field string
	}{
		{mipush.Options{AppSecret: "QZ\x01cd"}, "Options.AppSecret"},
		{mipush.Options{AppSecret: "QZ\tcd"}, "Options.AppSecret"},
		{mipush.Options{AppSecret: "QZ\x7fcd"}, "Options.AppSecret"},
		{mipush.Options{AppSecret: "QZ\xffcd"}, "Options.AppSecret"},
		{mipush.Options{AppSecret: "s", UserAgent: "ua\x01"}, "Options.UserAgent"},
		{mipush.Options{AppSecret: "s", UserAgent: "ua\xc3"}, "Options.UserAgent"},
		{mipush.Options{AppSecret: "s", Host: "h\x01st"}, "Options.Host"},
		{mipush.Options{AppSecret: "s", Host: "h\xffst"}, "Options.Host"},
	} {
		err := tc.opts.Validate()
		var ve *mipush.ValidationError
		require.ErrorAs(t, err, &ve, "%q", tc.opts.UserAgent+tc.opts.Host)
		assert.Equal(t, tc.field, ve.Field)
		assert.NotContains(t, err.Error(), "QZ")
		c := mipush.NewClient(tc.opts)
		_, err = c.PushToAll(context.Background(), &mipush.Message{RestrictedPackageName: "p", PassThrough: true, Payload: "x"})
		require.ErrorAs(t, err, &ve)
	}
	c := mipush.NewClient(mipush.Options{AppSecret: "s", Host: "127.0.0.1:1"})
	defer c.Close()
	var ve *mipush.ValidationError
	_, err := c.WithSecret("x\x01y").PushToAll(context.Background(), &mipush.Message{})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "secret", ve.Field)
	assert.NoError(t, (&mipush.Options{AppSecret: "ключ", UserAgent: "агент/1"}).Validate(), "valid UTF-8 is fine")
}

// Options that cannot be honoured are bounded by Validate, naming the
// field and the limit, so NewClient never runs out of memory or panics.
func TestValidateBoundsSizes(t *testing.T) {
	for _, tc := range []struct {
		opts  mipush.Options
		field string
		limit int
	}{
		{mipush.Options{MaxPending: 1 << 40}, "Options.MaxPending", 1 << 20},
		{mipush.Options{Window: 1 << 40}, "Options.Window", 1 << 16},
		{mipush.Options{Conns: 1 << 61}, "Options.Conns", 1024},
		{mipush.Options{MaxAttempts: 1 << 40}, "Options.MaxAttempts", 100},
		{mipush.Options{MaxResponseBytes: 1 << 40}, "Options.MaxResponseBytes", 1 << 30},
		{mipush.Options{RateBurst: 1 << 40}, "Options.RateBurst", 1 << 20},
	} {
		tc.opts.AppSecret = "s"
		c := mipush.NewClient(tc.opts) // must not die
		var ve *mipush.ValidationError
		require.ErrorAs(t, tc.opts.Validate(), &ve)
		assert.Equal(t, tc.field, ve.Field)
		assert.Contains(t, ve.Reason, fmt.Sprint(tc.limit))
		require.ErrorAs(t, c.Flush(context.Background()), &ve)
		require.NoError(t, c.Close())
	}
	// The largest Conns and Window together still give a bounded MaxPending.
	c := mipush.NewClient(mipush.Options{AppSecret: "s", Host: "127.0.0.1:1", Conns: 1024, Window: 1 << 16})
	require.NoError(t, c.Close())
}

// A nil *Message is a *ValidationError whatever the options; the zero
// Client and a nil context return errors instead of panicking.
func TestNoCrashOnNilOrZero(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		for _, auto := range []bool{false, true} {
			_, c := newPair(t, h2, mipush.Options{AutoJobKey: auto})
			var ve *mipush.ValidationError
			_, err := c.PushToRegID(context.Background(), []string{"r"}, nil)
			require.ErrorAs(t, err, &ve, "AutoJobKey %v", auto)
			require.ErrorAs(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, nil), &ve)
			_, err = c.PushToAll(context.Background(), nil)
			require.ErrorAs(t, err, &ve)
			//lint:ignore SA1012 a nil context is what is tested
			_, err = c.PushToAll(nil, note(1)) //nolint:staticcheck
			require.Error(t, err)
			//lint:ignore SA1012 a nil context is what is tested
			require.Error(t, c.Flush(nil)) //nolint:staticcheck
		}
	})
	var zero mipush.Client
	ctx := context.Background()
	_, err := zero.PushToRegID(ctx, []string{"r"}, note(1))
	require.Error(t, err)
	require.Error(t, zero.PushToRegIDAsync(ctx, []string{"r"}, note(1)))
	require.Error(t, zero.Flush(ctx))
	require.Error(t, zero.Close())
	require.Error(t, zero.Shutdown(ctx))
	assert.Equal(t, mipush.Metrics{}, zero.Metrics())
	zero.Unblock()
	_, err = zero.WithSecret("k").PushToAll(ctx, note(1))
	require.Error(t, err)
	_, err = zero.PushBulk(ctx, mipush.TargetRegID, []string{"r"}, note(1))
	require.Error(t, err)
	_, err = zero.TraceMessage(ctx, "m")
	require.Error(t, err)
	assert.NotEmpty(t, fmt.Sprint(zero, &zero))
}
