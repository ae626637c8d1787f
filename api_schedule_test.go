package mipush_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestScheduleJobs(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		ctx := context.Background()
		scheduled := func(jobKey string) string {
			msg := note(1)
			msg.TimeToSend = time.Now().Add(time.Hour)
			msg.JobKey = jobKey
			res, err := c.PushToRegID(ctx, []string{"r1"}, msg)
			require.NoError(t, err)
			return res.ID
		}
		id := scheduled("")

		ok, err := c.JobExists(ctx, id)
		require.NoError(t, err)
		assert.True(t, ok)
		r := lastRequest(t, srv, "POST", "/v2/schedule_job/exist")
		assert.Equal(t, id, r.Form.Get("job_id"))

		_, err = c.DeleteJob(ctx, id)
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/schedule_job/delete")
		assert.Equal(t, id, r.Form.Get("job_id"))

		ok, err = c.JobExists(ctx, id)
		require.NoError(t, err)
		assert.False(t, ok, "65028 means no such job")
		_, err = c.DeleteJob(ctx, id)
		requireCode(t, err, 65028)

		// By job key: /v3/schedule_job/delete takes jobkey, not job_key.
		id1, id2, other := scheduled("promo-1"), scheduled("promo-1"), scheduled("promo-2")
		_, err = c.DeleteJobsByKey(ctx, "promo-1")
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v3/schedule_job/delete")
		assert.Equal(t, "jobkey=promo-1", string(r.Body))
		for _, id := range []string{id1, id2} {
			ok, err := c.JobExists(ctx, id)
			require.NoError(t, err)
			assert.False(t, ok)
		}
		ok, err = c.JobExists(ctx, other)
		require.NoError(t, err)
		assert.True(t, ok, "other job keys are kept")
	})
}

func TestScheduleJobsValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	_, err := c.JobExists(ctx, "")
	requireInvalid(t, err, "job_id")
	_, err = c.DeleteJob(ctx, "a\nb")
	requireInvalid(t, err, "job_id")
	_, err = c.DeleteJobsByKey(ctx, "")
	requireInvalid(t, err, "jobkey")
	_, err = c.DeleteJobsByKey(ctx, "_bad")
	requireInvalid(t, err, "jobkey")
	_, err = c.DeleteBroadcast(ctx, "")
	requireInvalid(t, err, "id")
	assert.Zero(t, srv.Count())
}

func TestJobExistsOtherErrors(t *testing.T) {
	srv, c := newPair(t, true, mipush.Options{})
	srv.SetSecrets("other")
	ok, err := c.JobExists(context.Background(), "slm1")
	requireCode(t, err, 21301)
	assert.False(t, ok)
}

// TestJobExistsNonZeroCode: any error answer about the job means it does
// not exist; app-level and retried failures stay errors.
func TestJobExistsNonZeroCode(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{MaxAttempts: 1})
		ctx := context.Background()
		for _, code := range []int{65028, 10017, 20301, 1234} {
			srv.FailPath("/v2/schedule_job/exist", mipushtest.ErrorAnswer(code, "no such job"))
			ok, err := c.JobExists(ctx, "slm1")
			require.NoError(t, err, "code %d", code)
			assert.False(t, ok, "code %d", code)
		}
		for _, code := range []int{10002, 22000, 10031} {
			srv.FailPath("/v2/schedule_job/exist", mipushtest.ErrorAnswer(code, "not about the job"))
			ok, err := c.JobExists(ctx, "slm1")
			requireCode(t, err, mipush.Code(code))
			assert.False(t, ok)
		}
		srv.FailPath("/v2/schedule_job/exist", mipushtest.StatusAnswer(404))
		_, err := c.JobExists(ctx, "slm1")
		require.Error(t, err, "an HTTP error says nothing about the job")
	})
}
