package mipush_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// protocols runs f once against an HTTP/1.1-only fake server and once
// against an h2 one.
func protocols(t *testing.T, f func(t *testing.T, h2 bool)) {
	for _, h2 := range []bool{false, true} {
		name := "h1"
		if h2 {
			name = "h2"
		}
		t.Run(name, func(t *testing.T) { f(t, h2) })
	}
}

// newPair starts a fake server and a client for it.
func newPair(t *testing.T, h2 bool, opts mipush.Options, sopts ...mipushtest.Options) (*mipushtest.Server, *mipush.Client) {
	t.Helper()
	var so mipushtest.Options
	if len(sopts) > 0 {
		so = sopts[0]
	}
	so.HTTP2 = h2
	srv := mipushtest.NewServer(so)
	if opts.AppSecret == "" {
		opts.AppSecret = "test-secret"
	}
	opts.Host = srv.Host()
	opts.TLSConfig = srv.ClientTLSConfig()
	c := mipush.NewClient(opts)
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		srv.Close()
	})
	return srv, c
}

func wantProto(h2 bool) string {
	if h2 {
		return "h2"
	}
	return "h1"
}

func note(i int) *mipush.Message {
	return &mipush.Message{
		RestrictedPackageName: "com.example.app",
		Title:                 "Hello",
		Description:           "message " + strconv.Itoa(i),
		Payload:               "payload-" + strconv.Itoa(i),
	}
}

func TestPushToRegIDSync(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		res, err := c.PushToRegID(context.Background(), []string{"r1", "r2"}, note(1))
		require.NoError(t, err)
		require.NotEmpty(t, res.ID)

		reqs := srv.Requests()
		require.Len(t, reqs, 1)
		r := reqs[0]
		assert.Equal(t, "POST", r.Method)
		assert.Equal(t, "/v3/message/regid", r.Path)
		assert.Equal(t, wantProto(h2), r.Proto)
		assert.Equal(t, "key=test-secret", r.Authorization)
		assert.Contains(t, r.ContentType, "application/x-www-form-urlencoded")
		assert.Equal(t, []string{"r1", "r2"}, r.Targets)
		assert.Equal(t, "payload-1", r.Form.Get("payload"))
		assert.Equal(t, res.ID, r.MsgID)
	})
}

func TestEveryTarget(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		ctx := context.Background()
		msg := note(0)
		type send struct {
			name  string
			sync  func() (*mipush.Result, error)
			async func() error
			path  string
			param string
			value string
		}
		for _, s := range []send{
			{"regid", func() (*mipush.Result, error) { return c.PushToRegID(ctx, []string{"r"}, msg) },
				func() error { return c.PushToRegIDAsync(ctx, []string{"r"}, msg) }, "/v3/message/regid", "registration_id", "r"},
			{"alias", func() (*mipush.Result, error) { return c.PushToAlias(ctx, []string{"a1", "a2"}, msg) },
				func() error { return c.PushToAliasAsync(ctx, []string{"a1", "a2"}, msg) }, "/v3/message/alias", "alias", "a1,a2"},
			{"account", func() (*mipush.Result, error) { return c.PushToUserAccount(ctx, []string{"u"}, msg) },
				func() error { return c.PushToUserAccountAsync(ctx, []string{"u"}, msg) }, "/v2/message/user_account", "user_account", "u"},
			{"topic", func() (*mipush.Result, error) { return c.PushToTopic(ctx, "news", msg) },
				func() error { return c.PushToTopicAsync(ctx, "news", msg) }, "/v2/message/topic", "topic", "news"},
			{"topics", func() (*mipush.Result, error) {
				return c.PushToTopics(ctx, []string{"a", "b"}, mipush.TopicIntersection, msg)
			}, func() error { return c.PushToTopicsAsync(ctx, []string{"a", "b"}, mipush.TopicIntersection, msg) },
				"/v2/message/multi_topic", "topics", "a;$;b"},
			{"all", func() (*mipush.Result, error) { return c.PushToAll(ctx, msg) },
				func() error { return c.PushToAllAsync(ctx, msg) }, "/v2/message/all", "", ""},
		} {
			t.Run(s.name, func(t *testing.T) {
				srv.Reset()
				res, err := s.sync()
				require.NoError(t, err)
				assert.NotEmpty(t, res.ID)
				require.NoError(t, s.async())
				require.NoError(t, c.Flush(ctx))
				reqs := srv.Requests()
				require.Len(t, reqs, 2)
				for _, r := range reqs {
					assert.Equal(t, s.path, r.Path)
					assert.Equal(t, 200, r.Status)
					assert.Equal(t, 0, r.Code)
					if s.param != "" {
						assert.Equal(t, s.value, r.Form.Get(s.param))
					}
					if s.name == "topics" {
						assert.Equal(t, "INTERSECTION", r.Form.Get("topic_op"))
					}
				}
			})
		}
	})
}

// outcomes counts async outcomes by payload.
type outcomes struct {
	mu      sync.Mutex
	ok      map[string]int
	failed  map[string]error
	okCount atomic.Int64
}

func newOutcomes() *outcomes {
	return &outcomes{ok: map[string]int{}, failed: map[string]error{}}
}

func (o *outcomes) options(opts mipush.Options) mipush.Options {
	opts.OnSuccess = func(r *mipush.SendResult) {
		o.mu.Lock()
		o.ok[r.Message.Payload]++
		o.mu.Unlock()
		o.okCount.Add(1)
	}
	opts.OnError = func(e *mipush.SendError) {
		o.mu.Lock()
		if _, dup := o.failed[e.Message.Payload]; dup {
			panic("two outcomes for " + e.Message.Payload)
		}
		o.failed[e.Message.Payload] = e.Err
		o.mu.Unlock()
	}
	return opts
}

func TestAsyncPipelines(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		out := newOutcomes()
		srv, c := newPair(t, h2, out.options(mipush.Options{Conns: 1, Window: 64}))
		ctx := context.Background()
		const n = 2000
		for i := range n {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(i)}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))

		assert.Empty(t, out.failed)
		require.Len(t, out.ok, n)
		for p, k := range out.ok {
			require.Equal(t, 1, k, "payload %s reported %d times", p, k)
		}
		seen := map[string]int{}
		for _, r := range srv.Requests() {
			seen[r.Form.Get("payload")]++
		}
		require.Len(t, seen, n, "the server did not receive every send")
		for p, k := range seen {
			require.Equal(t, 1, k, "the server received %s %d times", p, k)
		}
		st := srv.Stats()
		assert.Equal(t, 1, st.Conns)
		// The h2 fake server runs a handler per stream; how many overlap
		// depends on its scheduling, so only ask for overlap there.
		want := int64(8)
		if h2 {
			want = 1
		}
		assert.Greater(t, st.MaxInFlight, want, "requests were not pipelined")
		assert.LessOrEqual(t, st.MaxInFlight, int64(64), "the window was not respected")
	})
}

func TestSyncAndAsyncMixed(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		out := newOutcomes()
		srv, c := newPair(t, h2, out.options(mipush.Options{Conns: 2, Window: 16}))
		ctx := context.Background()
		var wg sync.WaitGroup
		ids := make([]string, 200)
		for g := range 4 {
			wg.Go(func() {
				for i := g; i < len(ids); i += 4 {
					if i%2 == 0 {
						res, err := c.PushToRegID(ctx, []string{"r"}, note(i))
						if assert.NoError(t, err) {
							ids[i] = res.ID
						}
					} else {
						assert.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, int64(len(ids)/2), out.okCount.Load())
		byPayload := map[string]string{}
		for _, r := range srv.Requests() {
			byPayload[r.Form.Get("payload")] = r.MsgID
		}
		for i := 0; i < len(ids); i += 2 {
			// Each sync caller got the answer to its own request.
			assert.Equal(t, byPayload["payload-"+strconv.Itoa(i)], ids[i], "send %d", i)
		}
	})
}

func TestAPIErrors(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		out := newOutcomes()
		srv, c := newPair(t, h2, out.options(mipush.Options{Conns: 1}))
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "No valid targets!"))
		ctx := context.Background()

		msg := note(1)
		_, err := c.PushToRegID(ctx, []string{"bad"}, msg)
		var se *mipush.SendError
		require.ErrorAs(t, err, &se)
		assert.Same(t, msg, se.Message)
		assert.Equal(t, mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"bad"}}, se.Target)
		assert.Equal(t, 1, se.Attempts)
		assert.False(t, se.MaybeProcessed())
		var ae *mipush.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, mipush.CodeNoValidTargets, ae.Code)
		assert.Equal(t, "No valid targets!", ae.Reason)

		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"bad"}, note(2)))
		require.NoError(t, c.Flush(ctx))
		require.Contains(t, out.failed, "payload-2")
		require.ErrorAs(t, out.failed["payload-2"], &ae)
		assert.Equal(t, mipush.CodeNoValidTargets, ae.Code)
	})
}

func TestRetryableCodeIsRetried(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, MaxAttempts: 3})
		var calls atomic.Int32
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			if calls.Add(1) == 1 {
				return mipushtest.ErrorAnswer(10002, "busy")
			}
			return nil
		})
		res, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
		assert.Equal(t, int32(2), calls.Load())
	})
}

func TestValidationBeforeSending(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	long := &mipush.Message{RestrictedPackageName: "com.a", Title: string(make([]rune, 60)), Description: "d"}
	_, err := c.PushToRegID(ctx, []string{"r"}, long)
	var ve *mipush.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "title", ve.Field)

	err = c.PushToRegIDAsync(ctx, make([]string, 1001), note(1))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "registration_id", ve.Field)

	err = c.PushToTopicsAsync(ctx, []string{"a", "b", "c", "d", "e", "f"}, mipush.TopicUnion, note(1))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "topics", ve.Field)

	require.NoError(t, c.Flush(ctx))
	assert.Zero(t, srv.Count(), "invalid input reached the server")
}

func TestInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		opts  mipush.Options
		field string
	}{
		{mipush.Options{}, "Options.AppSecret"},
		{mipush.Options{AppSecret: "s\r\nX-Evil: 1"}, "Options.AppSecret"},
		{mipush.Options{AppSecret: "s", Host: "https://api.xmpush.xiaomi.com"}, "Options.Host"},
		{mipush.Options{AppSecret: "s", Host: "h:99999"}, "Options.Host"},
		{mipush.Options{AppSecret: "s", Conns: -1}, "Options.Conns"},
	} {
		c := mipush.NewClient(tc.opts)
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		var ve *mipush.ValidationError
		require.ErrorAs(t, err, &ve, "%v", tc.opts)
		assert.Equal(t, tc.field, ve.Field)
		assert.ErrorAs(t, c.PushToAllAsync(context.Background(), note(1)), &ve)
		assert.ErrorAs(t, c.Flush(context.Background()), &ve)
		assert.NoError(t, c.Close())
		assert.NotContains(t, err.Error(), "X-Evil")
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const secret = "s3cr3t-value"
	opts := mipush.Options{AppSecret: secret, Host: "127.0.0.1:1"}
	for _, s := range []string{
		fmt.Sprintf("%v", opts), fmt.Sprintf("%+v", opts), fmt.Sprintf("%#v", opts), fmt.Sprint(&opts),
	} {
		assert.NotContains(t, s, secret)
		assert.Contains(t, s, "redacted")
	}
	c := mipush.NewClient(opts)
	defer c.Close()
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		assert.NotContains(t, s, secret)
	}
	bad := mipush.NewClient(mipush.Options{AppSecret: secret + "\n"})
	_, err := bad.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", bad, bad, err), secret)
}

func TestTLSVerificationOnByDefault(t *testing.T) {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()
	var got error
	done := make(chan struct{})
	c := mipush.NewClient(mipush.Options{
		AppSecret:   "s",
		Host:        srv.Host(),
		MaxAttempts: 1,
		OnError:     func(e *mipush.SendError) { got = e.Err; close(done) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate")
	require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(2)))
	<-done
	assert.Contains(t, got.Error(), "certificate")
	require.NoError(t, c.Close())
	assert.Zero(t, srv.Count())
}

func TestCloseSemantics(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		out := newOutcomes()
		srv, c := newPair(t, h2, out.options(mipush.Options{Conns: 2}))
		ctx := context.Background()
		for i := range 300 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Close(), "Close flushes")
		assert.Equal(t, int64(300), out.okCount.Load())
		assert.Equal(t, int64(300), srv.Count())
		require.NoError(t, c.Close(), "second Close")

		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		assert.ErrorIs(t, err, mipush.ErrClosed)
		assert.ErrorIs(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(1)), mipush.ErrClosed)
	})
}

func TestSendAndFlushFromCallback(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		var c *mipush.Client
		var flushed, ok atomic.Int32
		c = mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), Window: 4, MaxPending: 8,
			OnSuccess: func(r *mipush.SendResult) {
				ok.Add(1)
				if r.Message.Payload != "payload-3" {
					return
				}
				// Sending from a callback while the client is full, and
				// flushing from one, must not deadlock.
				for i := 100; i < 120; i++ {
					assert.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, note(i)))
				}
				assert.NoError(t, c.Flush(context.Background()))
				flushed.Add(1)
			},
		})
		for i := range 8 {
			require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(context.Background()))
		require.NoError(t, c.Close())
		assert.Equal(t, int32(1), flushed.Load())
		assert.Equal(t, int32(28), ok.Load())
		assert.Equal(t, int64(28), srv.Count())
	})
}

func TestCloseFromCallback(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2})
		defer srv.Close()
		var c *mipush.Client
		var outcomes, closed atomic.Int32
		report := func() {
			if outcomes.Add(1) == 1 {
				assert.NoError(t, c.Close())
				closed.Add(1)
			}
		}
		c = mipush.NewClient(mipush.Options{
			AppSecret: "s", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig(), Window: 4,
			OnSuccess: func(*mipush.SendResult) { report() },
			OnError:   func(*mipush.SendError) { report() },
		})
		const n = 50
		accepted := 0
		for i := range n {
			if c.PushToRegIDAsync(context.Background(), []string{"r"}, note(i)) == nil {
				accepted++
			}
		}
		require.NoError(t, c.Close())
		assert.Equal(t, int32(1), closed.Load())
		assert.Equal(t, int32(accepted), outcomes.Load(), "every accepted send has one outcome")
	})
}

func TestBackpressure(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1, Window: 2, MaxPending: 5})
		release := make(chan struct{})
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer { <-release; return nil })
		ctx := context.Background()
		for i := range 5 {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err := c.PushToRegIDAsync(short, []string{"r"}, note(5))
		assert.ErrorIs(t, err, context.DeadlineExceeded, "a sixth send was accepted beyond MaxPending")
		assert.LessOrEqual(t, srv.Stats().MaxInFlight, int64(2))
		close(release)
		require.NoError(t, c.Flush(ctx))
		assert.Equal(t, int64(5), srv.Count())
	})
}

func TestSyncContextEndsAfterWrite(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		arrived := make(chan struct{})
		release := make(chan struct{})
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
			close(arrived)
			<-release
			return nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, mipush.ErrMaybeProcessed)
		close(release)
	})
}

func TestSyncContextEndsBeforeWrite(t *testing.T) {
	_, c := newPair(t, false, mipush.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, mipush.ErrMaybeProcessed))
}
