package mipush_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

func TestRevoke(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		for _, tc := range []struct {
			name, path string
			call       func() (*mipush.Result, error)
			body       string
		}{
			{"regids", "/v3/message/regid/revoke",
				func() (*mipush.Result, error) { return c.RevokeRegIDs(ctx, apiPkg, 7, []string{"r1", "r2"}) },
				"registration_ids=r1%2Cr2&restricted_package_name=com.example.app&notify_id=7"},
			{"aliases", "/v3/message/alias/revoke",
				func() (*mipush.Result, error) { return c.RevokeAliases(ctx, apiPkg, 0, []string{"a 1", "a2"}) },
				"aliases=a+1%2Ca2&restricted_package_name=com.example.app&notify_id=0"},
			{"accounts", "/v3/message/user_account/revoke",
				func() (*mipush.Result, error) { return c.RevokeUserAccounts(ctx, apiPkg, 2147483647, []string{"u1"}) },
				"user_accounts=u1&restricted_package_name=com.example.app&notify_id=2147483647"},
			{"stop by id", "/v1/message/switch/stop_by_id",
				func() (*mipush.Result, error) { return c.StopMessages(ctx, apiPkg, []string{"slm1", "slm2"}) },
				"msg_ids=slm1&msg_ids=slm2&restricted_package_name=com.example.app"},
			{"stop by jobkey", "/v1/message/switch/stop_by_jobkey",
				func() (*mipush.Result, error) { return c.StopJobs(ctx, apiPkg, []string{"k1", "k2"}) },
				"job_keys=k1&job_keys=k2&restricted_package_name=com.example.app"},
			{"delete broadcast", "/v2/message/delete",
				func() (*mipush.Result, error) { return c.DeleteBroadcast(ctx, "slm9") },
				"id=slm9"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				srv.Reset()
				res, err := tc.call()
				require.NoError(t, err)
				assert.NotEmpty(t, res.TraceID)
				r := onlyRequest(t, srv, "POST", tc.path)
				assert.Equal(t, tc.body, string(r.Body))
			})
		}
	})
}

func TestRevokeValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		call  func() (*mipush.Result, error)
		field string
	}{
		{"no package", func() (*mipush.Result, error) { return c.RevokeRegIDs(ctx, "", 1, []string{"r"}) }, "restricted_package_name"},
		{"negative notify id", func() (*mipush.Result, error) { return c.RevokeAliases(ctx, apiPkg, -1, []string{"a"}) }, "notify_id"},
		{"no accounts", func() (*mipush.Result, error) { return c.RevokeUserAccounts(ctx, apiPkg, 1, nil) }, "user_accounts"},
		{"1001 regids", func() (*mipush.Result, error) {
			return c.RevokeRegIDs(ctx, apiPkg, 1, slices.Repeat([]string{"r"}, 1001)) // valid ids: only the count is wrong
		}, "registration_ids"},
		{"no msg ids", func() (*mipush.Result, error) { return c.StopMessages(ctx, apiPkg, nil) }, "msg_ids"},
		{"bad stop key", func() (*mipush.Result, error) { return c.StopJobs(ctx, apiPkg, []string{"k", "_k"}) }, "job_keys"},
		{"CRLF id", func() (*mipush.Result, error) { return c.StopMessages(ctx, apiPkg, []string{"a\r\n"}) }, "msg_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.call()
			requireInvalid(t, err, tc.field)
		})
	}
	assert.Zero(t, srv.Count())
}

// The revoke calls without a v3 replacement fail at once, without sending,
// with an error that names the retired path, the date and the notice.
func TestRevokeRetired(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		for _, tc := range []struct {
			name, path string
			call       func() (*mipush.Result, error)
		}{
			{"topic", "/v1/message/topic/revoke",
				func() (*mipush.Result, error) { return c.RevokeTopic(ctx, apiPkg, 7, "news") }},
			{"topics", "/v1/message/multi_topic/revoke", func() (*mipush.Result, error) {
				return c.RevokeTopics(ctx, apiPkg, 7, []string{"a", "b"}, mipush.TopicExcept)
			}},
			{"message", "/v2/message/revoke",
				func() (*mipush.Result, error) { return c.RevokeMessage(ctx, apiPkg, "slm1") }},
			{"job", "/v2/message/revoke",
				func() (*mipush.Result, error) { return c.RevokeJob(ctx, apiPkg, "promo-1") }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := tc.call()
				require.ErrorIs(t, err, mipush.ErrRetired)
				assert.Nil(t, res)
				assert.Contains(t, err.Error(), tc.path)
				assert.Contains(t, err.Error(), "offline since 2026-12-01")
				assert.Contains(t, err.Error(), "D2367")
				assert.Contains(t, err.Error(), "no replacement")
				assert.False(t, mipush.IsRetryable(err), "sending again cannot help")
			})
		}
		assert.Zero(t, srv.Count(), "nothing was sent")
	})
}
