package mipush_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// batchOutcome is every outcome one message had.
type batchOutcome struct {
	results []*mipush.SendResult
	errs    []*mipush.SendError
}

// batchOutcomes records the outcomes of async sends by payload.
type batchOutcomes struct {
	mu sync.Mutex
	m  map[string]*batchOutcome
}

func (o *batchOutcomes) get(p string) *batchOutcome {
	if o.m == nil {
		o.m = map[string]*batchOutcome{}
	}
	if o.m[p] == nil {
		o.m[p] = &batchOutcome{}
	}
	return o.m[p]
}

func (o *batchOutcomes) options(opts mipush.Options) mipush.Options {
	opts.OnSuccess = func(r *mipush.SendResult) {
		o.mu.Lock()
		defer o.mu.Unlock()
		b := o.get(r.Message.Payload)
		b.results = append(b.results, r)
	}
	opts.OnError = func(e *mipush.SendError) {
		o.mu.Lock()
		defer o.mu.Unlock()
		b := o.get(e.Message.Payload)
		b.errs = append(b.errs, e)
	}
	return opts
}

// one returns the single outcome of the message with payload p, failing
// the test unless it had exactly one.
func (o *batchOutcomes) one(t *testing.T, p string) (*mipush.SendResult, *mipush.SendError) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.m[p]
	require.NotNil(t, b, "%s: no outcome", p)
	require.Equal(t, 1, len(b.results)+len(b.errs), "%s: outcomes", p)
	if len(b.results) == 1 {
		return b.results[0], nil
	}
	return nil, b.errs[0]
}

func batchOn(max int, linger time.Duration) mipush.BatchOptions {
	return mipush.BatchOptions{Enabled: true, MaxMessages: max, Linger: linger}
}

// multiPayloads returns the payloads of the messages of a recorded
// multi-message request.
func multiPayloads(r *mipushtest.Request) []string {
	var p []string
	for _, m := range r.Messages {
		p = append(p, m.Form.Get("payload"))
	}
	return p
}

func TestBatchCoalescesOneTargetSends(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv, c := newPair(t, h2, out.options(mipush.Options{Batch: batchOn(10, time.Hour)}))
		ctx := context.Background()
		for i := range 25 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(i)}, note(i)))
		}
		require.NoError(t, c.Flush(ctx), "Flush sends the last, partial batch at once")

		reqs := srv.Requests()
		require.Len(t, reqs, 3, "25 messages in batches of 10")
		ids := map[string]string{} // payload -> the message id of its batch
		var sizes []int
		for _, r := range reqs {
			assert.Equal(t, "/v2/multi_messages/regids", r.Path)
			assert.Equal(t, "0", r.Form.Get("time_to_send"))
			sizes = append(sizes, len(r.Messages))
			for _, m := range r.Messages {
				p := m.Form.Get("payload")
				assert.Equal(t, "r"+p[len("payload-"):], m.Target, "each message keeps its own target")
				assert.Equal(t, "message "+p[len("payload-"):], m.Form.Get("description"))
				assert.Equal(t, "com.example.app", m.Form.Get("restricted_package_name"))
				ids[p] = r.MsgID
			}
		}
		assert.ElementsMatch(t, []int{10, 10, 5}, sizes)
		for i := range 25 {
			p := "payload-" + strconv.Itoa(i)
			res, serr := out.one(t, p)
			require.Nil(t, serr)
			assert.True(t, res.Batched)
			assert.Equal(t, 1, res.Attempts)
			assert.Equal(t, ids[p], res.Result.ID, "%s carries its batch's message id", p)
			assert.Equal(t, []string{"r" + strconv.Itoa(i)}, res.Target.IDs)
		}
	})
}

func TestBatchKeepsApartWhatOneRequestCannotShare(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv, c := newPair(t, h2, out.options(mipush.Options{Batch: batchOn(100, time.Hour)}))
		other := c.WithSecret("other-secret")
		ctx := context.Background()
		later := time.Now().Add(time.Hour).Truncate(time.Millisecond)
		scheduled := func(i int) *mipush.Message { m := note(i); m.TimeToSend = later; return m }
		twoPkgs := func(i int) *mipush.Message { m := note(i); m.RestrictedPackageName = "a.b,c.d"; return m }

		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(0)))
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(1)))
		require.NoError(t, c.PushToAliasAsync(ctx, []string{"a"}, note(2)))
		require.NoError(t, c.PushToUserAccountAsync(ctx, []string{"u"}, note(3)))
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, scheduled(4)))
		require.NoError(t, other.PushToRegIDAsync(ctx, []string{"r"}, note(5)))
		// Not batched: several targets, a topic, several packages, sync.
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r", "s"}, note(6)))
		require.NoError(t, c.PushToTopicAsync(ctx, "news", note(7)))
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, twoPkgs(8)))
		_, err := c.PushToRegID(ctx, []string{"r"}, note(9))
		require.NoError(t, err)
		require.NoError(t, c.Flush(ctx))

		type req struct {
			path, secret, at string
			payloads         []string
		}
		var got []req
		for _, r := range srv.Requests() {
			q := req{path: r.Path, secret: r.Secret, at: r.Form.Get("time_to_send")}
			if r.Messages != nil {
				q.payloads = multiPayloads(r)
			} else {
				q.payloads = []string{r.Form.Get("payload")}
			}
			got = append(got, q)
		}
		laterMS := strconv.FormatInt(later.UnixMilli(), 10)
		assert.ElementsMatch(t, []req{
			{"/v2/multi_messages/regids", "test-secret", "0", []string{"payload-0", "payload-1"}},
			{"/v2/multi_messages/aliases", "test-secret", "0", []string{"payload-2"}},
			{"/v2/multi_messages/user_accounts", "test-secret", "0", []string{"payload-3"}},
			{"/v2/multi_messages/regids", "test-secret", laterMS, []string{"payload-4"}},
			{"/v2/multi_messages/regids", "other-secret", "0", []string{"payload-5"}},
			{"/v3/message/regid", "test-secret", "", []string{"payload-6"}},
			{"/v2/message/topic", "test-secret", "", []string{"payload-7"}},
			{"/v3/message/regid", "test-secret", "", []string{"payload-8"}},
			{"/v3/message/regid", "test-secret", "", []string{"payload-9"}},
		}, got)
		for i := range 9 {
			res, serr := out.one(t, "payload-"+strconv.Itoa(i))
			require.Nil(t, serr)
			assert.Equal(t, i <= 5, res.Batched, "payload-%d", i)
		}
	})
}

func TestBatchGoesOutWhenFullOrAfterLinger(t *testing.T) {
	// HTTP/1.1 only: see the note above TestConnectionRecycledOnFakeClock.
	synctest.Test(t, func(t *testing.T) {
		var out batchOutcomes
		srv, c := inMemoryPair(t, false, out.options(mipush.Options{Batch: batchOn(3, 10*time.Millisecond)}))
		ctx := context.Background()
		for i := range 4 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		synctest.Wait()
		reqs := srv.Requests()
		require.Len(t, reqs, 1, "the full batch went out at once")
		assert.Equal(t, []string{"payload-0", "payload-1", "payload-2"}, multiPayloads(reqs[0]))

		time.Sleep(9 * time.Millisecond)
		synctest.Wait()
		assert.Len(t, srv.Requests(), 1, "the fourth message lingers")
		time.Sleep(time.Millisecond)
		synctest.Wait()
		reqs = srv.Requests()
		require.Len(t, reqs, 2, "and goes out when its linger has passed")
		assert.Equal(t, []string{"payload-3"}, multiPayloads(reqs[1]))
		require.NoError(t, c.Flush(ctx))
	})
}

func TestBatchCountsOneRateLimitTurnPerRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out batchOutcomes
		opts := out.options(mipush.Options{RateLimit: 10, RateBurst: 1, Batch: batchOn(10, time.Hour)})
		srv, c := inMemoryPair(t, false, opts)
		ctx := context.Background()
		start := time.Now()
		for i := range 100 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		// Ten requests at 10 per second with a burst of 1: 0.9 s; one
		// turn per message would take 9.9 s.
		assert.Equal(t, 900*time.Millisecond, time.Since(start).Round(100*time.Millisecond))
		assert.Equal(t, int64(10), srv.Count())
	})
}

func TestBatchRefusedAsAWholeIsSplitOnce(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv, c := newPair(t, h2, out.options(mipush.Options{Batch: batchOn(10, time.Hour)}))
		srv.FailTarget("bad", mipushtest.ErrorAnswer(10017, "messages[2]: invalid"))
		ctx := context.Background()
		for i := range 5 {
			target := "r" + strconv.Itoa(i)
			if i == 2 {
				target = "bad"
			}
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{target}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))

		reqs := srv.Requests()
		require.Len(t, reqs, 6, "the batch, then each message alone")
		assert.Len(t, reqs[0].Messages, 5)
		assert.Equal(t, 10017, reqs[0].Code)
		var alone []string
		for _, r := range reqs[1:] {
			assert.Equal(t, "/v2/multi_messages/regids", r.Path)
			require.Len(t, r.Messages, 1)
			alone = append(alone, r.Messages[0].Form.Get("payload"))
			assert.Equal(t, reqs[0].Messages[indexOf(multiPayloads(reqs[0]), r.Messages[0].Form.Get("payload"))], r.Messages[0], "sent again as it was")
		}
		assert.ElementsMatch(t, multiPayloads(reqs[0]), alone)

		for i := range 5 {
			res, serr := out.one(t, "payload-"+strconv.Itoa(i))
			if i == 2 {
				require.NotNil(t, serr)
				var ae *mipush.APIError
				require.ErrorAs(t, serr, &ae)
				assert.EqualValues(t, 10017, ae.Code)
				assert.True(t, serr.Batched)
				assert.Equal(t, 2, serr.Attempts, "its batch's request and its own")
				continue
			}
			require.Nil(t, serr, "payload-%d", i)
			assert.True(t, res.Batched)
			assert.Equal(t, 2, res.Attempts)
			assert.NotEqual(t, reqs[0].MsgID, res.Result.ID)
		}
	})
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestBatchRefusedForTheAppIsNotSplit(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv, c := newPair(t, h2, out.options(mipush.Options{Batch: batchOn(10, time.Hour)}))
		srv.SetSecrets("right")
		ctx := context.Background()
		for i := range 3 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, int64(1), srv.Count(), "a wrong secret refuses every part alike: no split")
		for i := range 3 {
			_, serr := out.one(t, "payload-"+strconv.Itoa(i))
			require.NotNil(t, serr)
			assert.True(t, mipush.IsAuth(serr), "%v", serr)
			assert.True(t, serr.Batched)
		}
		// Fail-fast: refused at once, nothing queued.
		err := c.PushToRegIDAsync(ctx, []string{"r"}, note(3))
		assert.True(t, mipush.IsAuth(err), "%v", err)
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, int64(1), srv.Count())
	})
}

func TestBatchRetriedAsAWhole(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv, c := newPair(t, h2, out.options(mipush.Options{Batch: batchOn(10, time.Hour)}))
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			if r.Seq == 1 {
				return mipushtest.ErrorAnswer(10002, "busy")
			}
			return nil
		})
		ctx := context.Background()
		for i := range 3 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		reqs := srv.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, multiPayloads(reqs[0]), multiPayloads(reqs[1]), "the same batch again")
		for i := range 3 {
			res, serr := out.one(t, "payload-"+strconv.Itoa(i))
			require.Nil(t, serr)
			assert.Equal(t, 2, res.Attempts)
			assert.Equal(t, reqs[1].MsgID, res.Result.ID)
		}
	})
}

func TestBatchMaybeProcessedForEveryMessage(t *testing.T) {
	for _, atLeastOnce := range []bool{false, true} {
		t.Run("retry="+strconv.FormatBool(atLeastOnce), func(t *testing.T) {
			protocols(t, func(t *testing.T, h2 bool) {
				var out batchOutcomes
				srv, c := newPair(t, h2, out.options(mipush.Options{
					Conns: 1, RetryMaybeProcessed: atLeastOnce, Batch: batchOn(10, time.Hour),
				}))
				srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
					if r.Seq == 1 {
						return &mipushtest.Answer{Action: mipushtest.Drop}
					}
					return nil
				})
				ctx := context.Background()
				for i := range 3 {
					require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
				}
				require.NoError(t, c.Flush(ctx))
				want := int64(1)
				if atLeastOnce {
					want = 2
				}
				assert.Equal(t, want, srv.Count())
				for i := range 3 {
					res, serr := out.one(t, "payload-"+strconv.Itoa(i))
					if atLeastOnce {
						require.Nil(t, serr)
						assert.Equal(t, 2, res.Attempts)
						continue
					}
					require.NotNil(t, serr)
					assert.True(t, serr.MaybeProcessed())
					assert.True(t, errors.Is(serr, mipush.ErrMaybeProcessed))
					assert.True(t, serr.Batched)
				}
			})
		})
	}
}

func TestBatchCloseSendsWhatIsGathered(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var out batchOutcomes
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		c := mipush.NewClient(out.options(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), Batch: batchOn(10, time.Hour),
		}))
		ctx := context.Background()
		for i := range 3 {
			require.NoError(t, c.PushToAliasAsync(ctx, []string{"a"}, note(i)))
		}
		require.NoError(t, c.Close())
		for i := range 3 {
			res, serr := out.one(t, "payload-"+strconv.Itoa(i))
			require.Nil(t, serr)
			assert.True(t, res.Batched)
		}
		require.Len(t, srv.Requests(), 1)
		assert.ErrorIs(t, c.PushToAliasAsync(ctx, []string{"a"}, note(3)), mipush.ErrClosed)
	})
}

func TestBatchAutoJobKeyInEachMessage(t *testing.T) {
	var out batchOutcomes
	srv, c := newPair(t, false, out.options(mipush.Options{AutoJobKey: true, Batch: batchOn(10, time.Hour)}))
	ctx := context.Background()
	for i := range 2 {
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
	}
	require.NoError(t, c.Flush(ctx))
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	for _, m := range reqs[0].Messages {
		res, _ := out.one(t, m.Form.Get("payload"))
		require.NotNil(t, res)
		assert.NotEmpty(t, res.JobKey)
		assert.Equal(t, res.JobKey, m.Form.Get("extra.jobkey"))
		assert.Empty(t, res.Message.JobKey, "the caller's message is not changed")
	}
}

func TestBatchInvalidInputIsReturnedAtOnce(t *testing.T) {
	var out batchOutcomes
	srv, c := newPair(t, false, out.options(mipush.Options{Batch: batchOn(10, time.Hour)}))
	ctx := context.Background()
	bad := note(0)
	bad.Title = ""
	var ve *mipush.ValidationError
	require.ErrorAs(t, c.PushToRegIDAsync(ctx, []string{"r"}, bad), &ve)
	require.ErrorAs(t, c.PushToRegIDAsync(ctx, []string{"a,b"}, note(1)), &ve)
	assert.Equal(t, "registration_id", ve.Field)
	require.NoError(t, c.Flush(ctx))
	assert.Zero(t, srv.Count())
}

func TestBatchOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		b     mipush.BatchOptions
		field string
	}{
		{mipush.BatchOptions{Enabled: true, MaxMessages: mipush.MaxBatch + 1}, "Options.Batch.MaxMessages"},
		{mipush.BatchOptions{Enabled: true, MaxMessages: -1}, "Options.Batch.MaxMessages"},
		{mipush.BatchOptions{Enabled: true, Linger: -time.Millisecond}, "Options.Batch.Linger"},
	} {
		o := mipush.Options{AppSecret: "s", Batch: tc.b}
		var ve *mipush.ValidationError
		require.ErrorAs(t, o.Validate(), &ve)
		assert.Equal(t, tc.field, ve.Field)
	}
	o := mipush.Options{AppSecret: "s", Batch: mipush.BatchOptions{Enabled: true, MaxMessages: mipush.MaxBatch}}
	assert.NoError(t, o.Validate())
}

// TestBatchOutcomesCarryTheirOwn: a batched message's outcome carries its
// own send value, its own target, and the batch's channel_exceed_quota;
// a message whose target the batch's answer lists in bad_regids fails
// with 20301, as it would alone.
func TestBatchOutcomesCarryTheirOwn(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var mu sync.Mutex
		values := map[any]*mipush.SendResult{}
		failed := map[any]*mipush.SendError{}
		var invalid []*mipush.InvalidTargets
		srv, c := newPair(t, h2, mipush.Options{
			Batch:     batchOn(10, time.Hour),
			OnSuccess: func(r *mipush.SendResult) { mu.Lock(); values[r.Value] = r; mu.Unlock() },
			OnError:   func(e *mipush.SendError) { mu.Lock(); failed[e.Value] = e; mu.Unlock() },
			OnInvalidTargets: func(inv *mipush.InvalidTargets) {
				mu.Lock()
				invalid = append(invalid, inv)
				mu.Unlock()
			},
		})
		srv.ExhaustQuota("")
		srv.SetBadRegIDs("bad-1", "bad-3")
		ctx := context.Background()
		targets := []string{"r0", "bad-1", "r2", "bad-3"}
		for i, id := range targets {
			s := mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{id}}, Message: note(i), Value: i}
			require.NoError(t, c.SendAsync(ctx, s))
		}
		require.NoError(t, c.Flush(ctx))
		require.Len(t, srv.Requests(), 1, "one multi-message request")

		require.Len(t, values, 2)
		require.Len(t, failed, 2)
		for i, id := range targets {
			if i%2 == 1 {
				e := failed[i]
				require.NotNil(t, e, "value %d came back", i)
				assert.True(t, e.Batched)
				assert.Equal(t, []string{id}, e.Target.IDs)
				assert.True(t, mipush.IsInvalidTarget(e), "%v", e)
				continue
			}
			r := values[i]
			require.NotNil(t, r, "value %d came back", i)
			assert.True(t, r.Batched)
			assert.Equal(t, []string{id}, r.Target.IDs)
			assert.Empty(t, r.Result.BadRegIDs, "the other messages' bad regids are not its own")
			assert.Equal(t, int64(len(targets)), r.Result.ChannelExceedQuota["no_channel"], "the batch's drops for quota reach each message")
		}
		require.Len(t, invalid, 2, "only the messages whose own target is bad")
		for _, inv := range invalid {
			require.Len(t, inv.IDs, 1)
			assert.Equal(t, targets[inv.Value.(int)], inv.IDs[0], "each message reports its own bad target")
			assert.True(t, mipush.IsInvalidTarget(inv.Err), "%v", inv.Err)
		}
	})
}
