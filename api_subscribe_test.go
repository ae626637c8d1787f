package mipush_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

func TestSubscribe(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		opts := &mipush.SubscribeOptions{Category: "c1", RestrictedPackageName: apiPkg}

		_, err := c.SubscribeRegIDs(ctx, []string{"r1", "r2"}, "news", opts)
		require.NoError(t, err)
		r := lastRequest(t, srv, "POST", "/v2/topic/subscribe")
		assert.Equal(t, []string{"r1,r2"}, r.Form["registration_id"], "one comma-joined value")
		assert.Equal(t, "news", r.Form.Get("topic"))
		assert.Equal(t, "c1", r.Form.Get("category"))
		assert.Equal(t, apiPkg, r.Form.Get("restricted_package_name"))

		_, err = c.SubscribeRegIDs(ctx, []string{"r1"}, "sport", nil)
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/topic/subscribe")
		assert.Equal(t, "registration_id=r1&topic=sport", string(r.Body), "nil options send nothing more")

		topics, err := c.TopicsOf(ctx, apiPkg, "r1")
		require.NoError(t, err)
		assert.Equal(t, []string{"news", "sport"}, topics)

		_, err = c.UnsubscribeRegIDs(ctx, []string{"r1"}, "news", opts)
		require.NoError(t, err)
		lastRequest(t, srv, "POST", "/v2/topic/unsubscribe")
		topics, err = c.TopicsOf(ctx, apiPkg, "r1")
		require.NoError(t, err)
		assert.Equal(t, []string{"sport"}, topics)

		_, err = c.SubscribeAliases(ctx, []string{"a1", "a2"}, "news", opts)
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/topic/subscribe/alias")
		assert.Equal(t, []string{"a1,a2"}, r.Form["aliases"])
		assert.Equal(t, []string{"a1", "a2"}, r.Targets)
		assert.Equal(t, "c1", r.Form.Get("category"))

		_, err = c.UnsubscribeAliases(ctx, []string{"a1"}, "news", nil)
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/topic/unsubscribe/alias")
		assert.Equal(t, "aliases=a1&topic=news", string(r.Body))
	})
}

func TestSubscribeValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	tooMany := make([]string, mipush.MaxTargets+1)
	for i := range tooMany {
		tooMany[i] = "r"
	}
	for _, tc := range []struct {
		name  string
		call  func() error
		field string
	}{
		{"no regids", func() error { _, err := c.SubscribeRegIDs(ctx, nil, "t", nil); return err }, "registration_id"},
		{"too many", func() error { _, err := c.UnsubscribeRegIDs(ctx, tooMany, "t", nil); return err }, "registration_id"},
		{"comma", func() error { _, err := c.SubscribeAliases(ctx, []string{"a,b"}, "t", nil); return err }, "aliases"},
		{"no topic", func() error { _, err := c.UnsubscribeAliases(ctx, []string{"a"}, "", nil); return err }, "topic"},
		{"CRLF category", func() error {
			_, err := c.SubscribeRegIDs(ctx, []string{"r"}, "t", &mipush.SubscribeOptions{Category: "a\r\nb"})
			return err
		}, "category"},
		{"NUL package", func() error {
			_, err := c.SubscribeRegIDs(ctx, []string{"r"}, "t", &mipush.SubscribeOptions{RestrictedPackageName: "a\x00"})
			return err
		}, "restricted_package_name"},
	} {
		t.Run(tc.name, func(t *testing.T) { requireInvalid(t, tc.call(), tc.field) })
	}
	assert.Zero(t, srv.Count())
}
