package mipush_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

func bulkIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = prefix + strconv.Itoa(i)
	}
	return ids
}

func TestPushBulk(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 2})
		ids := bulkIDs("r", 2500)
		// r7 and r1500 are bad; every regid of the last chunk (r2000..r2499) is too.
		srv.SetBadRegIDFunc(func(id string) bool {
			n, _ := strconv.Atoi(strings.TrimPrefix(id, "r"))
			return n == 7 || n == 1500 || n >= 2000
		})
		res, err := c.PushBulk(context.Background(), mipush.TargetRegID, ids, note(1))
		requireCode(t, err, 20301)
		require.NotNil(t, res)
		require.Len(t, res.Chunks, 3)
		for i, ch := range res.Chunks {
			lo, hi := i*1000, min((i+1)*1000, len(ids))
			assert.Equal(t, mipush.TargetRegID, ch.Target.Kind)
			assert.Equal(t, ids[lo:hi], ch.Target.IDs)
			if i < 2 {
				require.NoError(t, ch.Err)
				assert.NotEmpty(t, ch.Result.ID)
			} else {
				requireCode(t, ch.Err, 20301)
				assert.Nil(t, ch.Result)
			}
		}
		assert.Equal(t, []string{"r7", "r1500"}, res.Invalid[:2])
		assert.Equal(t, ids[2000:], res.Invalid[2:], "a chunk answered 20301 is all bad")
		assert.Contains(t, res.Err().Error(), "1 of 3 bulk requests failed")

		reqs := srv.RequestsTo("/v3/message/regid")
		require.Len(t, reqs, 3)
		var got []string
		for _, r := range reqs {
			assert.LessOrEqual(t, len(r.Targets), mipush.MaxTargets)
			got = append(got, r.Targets...)
		}
		assert.ElementsMatch(t, ids, got, "every id sent exactly once")
		ids[0] = "changed"
		assert.Equal(t, "r0", res.Chunks[0].Target.IDs[0], "the result reports what was sent")
	})
}

func TestPushBulkKinds(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		for _, tc := range []struct {
			kind mipush.TargetKind
			path string
		}{
			{mipush.TargetAlias, "/v3/message/alias"},
			{mipush.TargetUserAccount, "/v2/message/user_account"},
		} {
			srv.Reset()
			res, err := c.PushBulk(ctx, tc.kind, bulkIDs("x", 1001), note(1))
			require.NoError(t, err)
			require.Len(t, res.Chunks, 2)
			assert.Empty(t, res.Invalid)
			reqs := srv.RequestsTo(tc.path)
			require.Len(t, reqs, 2)
			assert.ElementsMatch(t, []int{1000, 1}, []int{len(reqs[0].Targets), len(reqs[1].Targets)})
		}
	})
}

func TestPushBulkAsync(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var mu sync.Mutex
		var bad []string
		var sizes []int
		opts := mipush.Options{
			OnSuccess: func(r *mipush.SendResult) {
				mu.Lock()
				defer mu.Unlock()
				bad = append(bad, r.Result.BadRegIDs...)
				sizes = append(sizes, len(r.Target.IDs))
			},
			OnError: func(e *mipush.SendError) { t.Errorf("unexpected failure: %v", e) },
		}
		srv, c := newPair(t, h2, opts)
		srv.SetBadRegIDs("r3", "r2222")
		ctx := context.Background()
		ids := bulkIDs("r", 2345)
		n, err := c.PushBulkAsync(ctx, mipush.TargetRegID, ids, note(1))
		require.NoError(t, err)
		assert.Equal(t, len(ids), n)
		require.NoError(t, c.Flush(ctx))
		mu.Lock()
		defer mu.Unlock()
		assert.ElementsMatch(t, []int{1000, 1000, 345}, sizes)
		assert.ElementsMatch(t, []string{"r3", "r2222"}, bad)
		assert.Len(t, srv.RequestsTo("/v3/message/regid"), 3)
	})
}

func TestPushBulkAsyncStopsAtClose(t *testing.T) {
	_, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	_, err := c.PushToRegID(ctx, []string{"r"}, note(1)) // start the pool
	require.NoError(t, err)
	require.NoError(t, c.Close())
	n, err := c.PushBulkAsync(ctx, mipush.TargetRegID, bulkIDs("r", 1500), note(1))
	require.ErrorIs(t, err, mipush.ErrClosed)
	assert.Zero(t, n)
}

func TestPushBulkContextEnded(t *testing.T) {
	srv, c := newPair(t, true, mipush.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := c.PushBulk(ctx, mipush.TargetRegID, bulkIDs("r", 1200), note(1))
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, res.Chunks, 2)
	for _, ch := range res.Chunks {
		require.ErrorIs(t, ch.Err, context.Canceled)
	}
	assert.Zero(t, srv.Count())
}

func TestPushBulkValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	ids := bulkIDs("r", 2100)
	ids[2050] = "bad,id"
	for _, tc := range []struct {
		name  string
		kind  mipush.TargetKind
		ids   []string
		msg   *mipush.Message
		field string
	}{
		{"topic kind", mipush.TargetTopic, []string{"t"}, note(1), "kind"},
		{"no ids", mipush.TargetRegID, nil, note(1), "registration_id"},
		{"bad id in last chunk", mipush.TargetRegID, ids, note(1), "registration_id"},
		{"empty alias", mipush.TargetAlias, []string{"a", ""}, note(1), "alias"},
		{"bad message", mipush.TargetUserAccount, []string{"u"}, &mipush.Message{}, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.PushBulk(ctx, tc.kind, tc.ids, tc.msg)
			requireInvalid(t, err, tc.field)
			assert.Nil(t, res)
			n, err := c.PushBulkAsync(ctx, tc.kind, tc.ids, tc.msg)
			requireInvalid(t, err, tc.field)
			assert.Zero(t, n)
		})
	}
	assert.Zero(t, srv.Count(), "nothing was sent")
}

// A bulk send from a callback runs its requests on the callback's
// goroutine and still completes.
func TestPushBulkFromCallback(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		type outcome struct {
			res *mipush.BulkResult
			err error
		}
		done := make(chan outcome, 1)
		var c *mipush.Client
		var once sync.Once
		opts := mipush.Options{Window: 1, Conns: 1, MaxPending: 2, OnSuccess: func(*mipush.SendResult) {
			once.Do(func() {
				res, err := c.PushBulk(context.Background(), mipush.TargetRegID, bulkIDs("r", 1500), note(2))
				done <- outcome{res, err}
			})
		}}
		srv, client := newPair(t, h2, opts)
		c = client
		require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"first"}, note(1)))
		o := <-done
		require.NoError(t, o.err)
		assert.Len(t, o.res.Chunks, 2)
		require.NoError(t, c.Flush(context.Background()))
		assert.Len(t, srv.RequestsTo("/v3/message/regid"), 3)
	})
}
