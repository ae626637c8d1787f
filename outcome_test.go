package mipush_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// hookLog records what the callbacks saw, in order.
type hookLog struct {
	mu      sync.Mutex
	events  []string // "invalid <value>", "error <value>", "ok <value>"
	invalid []*mipush.InvalidTargets
	errs    []*mipush.SendError
}

func (h *hookLog) add(ev string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *hookLog) options(opts mipush.Options, withSuccess bool) mipush.Options {
	opts.OnInvalidTargets = func(inv *mipush.InvalidTargets) {
		h.mu.Lock()
		h.invalid = append(h.invalid, inv)
		h.mu.Unlock()
		h.add("invalid " + valueName(inv.Value))
	}
	opts.OnError = func(e *mipush.SendError) {
		h.mu.Lock()
		h.errs = append(h.errs, e)
		h.mu.Unlock()
		h.add("error " + valueName(e.Value))
	}
	if withSuccess {
		opts.OnSuccess = func(r *mipush.SendResult) { h.add("ok " + valueName(r.Value)) }
	}
	return opts
}

func valueName(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return "<nil>"
	}
	return "?"
}

// The hook hears of every invalid target whichever callbacks are set: the
// bad_regids of an accepted send (with only OnError set, as in the Quick
// start) and every target of a send rejected with 20301, with the send's
// value and message, before that send's own callback.
func TestInvalidTargetsAsync(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		for _, withSuccess := range []bool{false, true} {
			t.Run("OnSuccess="+strconv.FormatBool(withSuccess), func(t *testing.T) {
				var h hookLog
				srv, c := newPair(t, h2, h.options(mipush.Options{Conns: 1, Window: 1}, withSuccess))
				srv.SetBadRegIDs("stale-1", "stale-2", "stale-3")
				ctx := context.Background()
				partly, all := note(1), note(2)
				require.NoError(t, c.SendAsync(ctx, mipush.Send{
					Target:  mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"good", "stale-1"}},
					Message: partly, Value: "row-1",
				}))
				require.NoError(t, c.SendAsync(ctx, mipush.Send{
					Target:  mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"stale-2", "stale-3"}},
					Message: all, Value: "row-2",
				}))
				require.NoError(t, c.PushToRegIDAsync(ctx, []string{"good"}, note(3)))
				require.NoError(t, c.Flush(ctx))

				h.mu.Lock()
				defer h.mu.Unlock()
				want := []string{"invalid row-1", "invalid row-2", "error row-2"}
				if withSuccess {
					want = []string{"invalid row-1", "ok row-1", "invalid row-2", "error row-2", "ok <nil>"}
				}
				assert.Equal(t, want, h.events, "hook first, then the send's own callback, in order")
				require.Len(t, h.invalid, 2)
				got := h.invalid[0]
				assert.Equal(t, mipush.TargetRegID, got.Kind)
				assert.Equal(t, []string{"stale-1"}, got.IDs)
				assert.NoError(t, got.Err, "the send itself succeeded")
				assert.Same(t, partly, got.Message)
				assert.Equal(t, []string{"good", "stale-1"}, got.Target.IDs)
				got = h.invalid[1]
				assert.Equal(t, []string{"stale-2", "stale-3"}, got.IDs)
				assert.True(t, mipush.IsInvalidTarget(got.Err))
				assert.Same(t, all, got.Message)
				require.Len(t, h.errs, 1)
				assert.Equal(t, "row-2", h.errs[0].Value)
			})
		}
	})
}

// Blocking sends, multi-message batches and each request of PushBulk
// report their invalid targets to the same hook.
func TestInvalidTargetsSyncBatchBulk(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var h hookLog
		srv, c := newPair(t, h2, h.options(mipush.Options{}, false))
		srv.SetBadRegIDs("stale-1", "stale-2")
		ctx := context.Background()

		_, err := c.Send(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"stale-1"}}, Message: note(1), Value: "sync"})
		var se *mipush.SendError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "sync", se.Value)
		res, err := c.PushToRegID(ctx, []string{"ok", "stale-2"}, note(2))
		require.NoError(t, err)
		assert.Equal(t, []string{"stale-2"}, res.BadRegIDs)

		h.mu.Lock()
		require.Len(t, h.invalid, 2, "a blocking send's hook has run when the call returns")
		assert.Equal(t, []string{"stale-1"}, h.invalid[0].IDs)
		assert.Equal(t, "sync", h.invalid[0].Value)
		assert.True(t, mipush.IsInvalidTarget(h.invalid[0].Err))
		assert.Equal(t, []string{"stale-2"}, h.invalid[1].IDs)
		assert.NoError(t, h.invalid[1].Err)
		h.invalid = nil
		h.mu.Unlock()

		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "ok", Message: note(3)}, {Target: "stale-1", Message: note(4)}}, time.Time{})
		require.NoError(t, err)
		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "stale-2", Message: note(5)}}, time.Time{})
		require.Error(t, err)
		h.mu.Lock()
		require.Len(t, h.invalid, 2)
		assert.Equal(t, []string{"stale-1"}, h.invalid[0].IDs)
		assert.Nil(t, h.invalid[0].Message, "a batch has no one message")
		assert.Equal(t, []string{"stale-2"}, h.invalid[1].IDs)
		assert.True(t, mipush.IsInvalidTarget(h.invalid[1].Err))
		h.invalid = nil
		h.mu.Unlock()

		ids := bulkIDs("r", 1500)
		srv.SetBadRegIDFunc(func(id string) bool { n, _ := strconv.Atoi(id[1:]); return n == 7 || n >= 1000 })
		bulk, err := c.PushBulk(ctx, mipush.TargetRegID, ids, note(6))
		require.Error(t, err)
		want := append([]string{"r7"}, ids[1000:]...)
		assert.Equal(t, want, bulk.Invalid)
		h.mu.Lock()
		var heard []string
		for _, inv := range h.invalid {
			heard = append(heard, inv.IDs...)
		}
		h.mu.Unlock()
		assert.ElementsMatch(t, want, heard, "the hook heard of the same targets as BulkResult.Invalid")
	})
}

// Outcomes report the ids that went on the wire although the caller
// reuses its slice as soon as each call returns, and the value of each
// send comes back with its outcome; run with -race.
func TestOutcomeReportsWhatWasSent(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		type seen struct{ ids, value string }
		var mu sync.Mutex
		var got []seen
		record := func(tg mipush.Target, v any) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, seen{strings.Join(tg.IDs, ","), v.(string)})
		}
		srv, c := newPair(t, h2, mipush.Options{
			OnError:   func(e *mipush.SendError) { record(e.Target, e.Value) },
			OnSuccess: func(r *mipush.SendResult) { record(r.Target, r.Value) },
		})
		srv.FailTarget("fail-0", mipushtest.ErrorAnswer(10017, "invalid"))
		ctx := context.Background()
		one := make([]string, 1)
		two := make([]string, 2)
		const n = 200
		for i := range n {
			s := strconv.Itoa(i)
			one[0] = "fail-" + strconv.Itoa(i%2) // half of them fail
			require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: one}, Message: note(i), Value: one[0]}))
			two[0], two[1] = "a-"+s, "b-"+s
			require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetAlias, IDs: two}, Message: note(i), Value: "a-" + s + ",b-" + s}))
		}
		one[0], two[0], two[1] = "changed", "changed", "changed"
		require.NoError(t, c.Flush(ctx))
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, got, 2*n)
		for _, g := range got {
			assert.Equal(t, g.value, g.ids)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for a slog handler and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// With OnError nil a failed async send is logged at warn, rate-limited:
// every failure is either a line or counted in a later line's
// "suppressed" (the last count is written at Close). DisableFailureLog,
// or an OnError, turns it off. The secret is never in a line.
func TestFailureLog(t *testing.T) {
	const secret = "s3cr3t-app-secret"
	for _, tc := range []struct {
		name    string
		opts    mipush.Options
		logged  bool
		onError bool
	}{
		{name: "default", logged: true},
		{name: "disabled", opts: mipush.Options{DisableFailureLog: true}},
		{name: "OnError", opts: mipush.Options{OnError: func(*mipush.SendError) {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			opts := tc.opts
			opts.AppSecret = secret
			opts.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			srv, c := newPair(t, true, opts)
			srv.FailTarget("bad", mipushtest.ErrorAnswer(10017, "invalid"))
			ctx := context.Background()
			const n = 50
			for i := range n {
				require.NoError(t, c.PushToRegIDAsync(ctx, []string{"bad"}, note(i)))
			}
			require.NoError(t, c.Close())
			out := buf.String()
			assert.NotContains(t, out, secret)
			count := 0
			for line := range strings.Lines(out) {
				if !strings.Contains(line, "async send") && !strings.Contains(line, "async sends failed") {
					continue
				}
				assert.Contains(t, line, "level=WARN")
				if strings.Contains(line, "async send failed") {
					count++
					assert.Contains(t, line, "target=regid[1]")
					assert.Contains(t, line, "10017")
				}
				if _, after, ok := strings.Cut(line, "suppressed="); ok {
					k, err := strconv.Atoi(strings.TrimSpace(after))
					require.NoError(t, err, line)
					count += k
				}
			}
			if tc.logged {
				assert.Equal(t, n, count, "every failure is a line or counted as suppressed:\n%s", out)
				assert.Less(t, strings.Count(out, "async send failed"), n, "rate-limited")
			} else {
				assert.Zero(t, count, out)
			}
		})
	}
}

// The value of a blocking Send comes back in its *SendError, and a
// successful Send returns the Result.
func TestSendSyncValue(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		srv.FailTarget("bad", mipushtest.ErrorAnswer(10017, "invalid"))
		ctx := context.Background()
		row := &struct{ id int }{42}
		_, err := c.Send(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"bad"}}, Message: note(1), Value: row})
		var se *mipush.SendError
		require.ErrorAs(t, err, &se)
		assert.Same(t, row, se.Value)
		res, err := c.Send(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetTopic, IDs: []string{"news"}}, Message: note(2), Value: row})
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
		for _, tc := range []struct {
			send  mipush.Send
			field string
		}{
			{mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID}, Message: note(3)}, "registration_id"},
			{mipush.Send{Target: mipush.Target{IDs: []string{"r1"}}, Message: note(3)}, "Send.Target.Kind"},
			{mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"r1"}}}, "Send.Message"},
		} {
			var ve *mipush.ValidationError
			require.ErrorAs(t, c.SendAsync(ctx, tc.send), &ve)
			assert.Equal(t, tc.field, ve.Field)
		}
		require.NoError(t, c.Flush(ctx))
		assert.Len(t, srv.Requests(), 2, "nothing sent for bad input")
	})
}

// With no OnSuccess the ids of a multi-target async send are not copied
// but read back from the request when an outcome needs them: they must
// come back exactly, whatever characters they hold, after the caller has
// reused its slice, in OnError and in the invalid-targets hook alike.
func TestOutcomeIDsFromRequest(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var mu sync.Mutex
		failed := map[string]string{}  // value → ids reported
		invalid := map[string]string{} // value → invalid ids reported
		srv, c := newPair(t, h2, mipush.Options{
			OnError: func(e *mipush.SendError) {
				mu.Lock()
				defer mu.Unlock()
				failed[e.Value.(string)] = strings.Join(e.Target.IDs, "|")
			},
			OnInvalidTargets: func(inv *mipush.InvalidTargets) {
				mu.Lock()
				defer mu.Unlock()
				invalid[inv.Value.(string)] = strings.Join(inv.IDs, "|")
			},
		})
		srv.FailTarget("fail", mipushtest.ErrorAnswer(10017, "invalid"))
		srv.SetBadRegIDs("stale 1", "stale+2")
		ctx := context.Background()
		odd := []string{"a b", "c+d/e=", "100%", "é-ü", "x&y", "fail"}
		buf := make([]string, len(odd))
		for i := range 50 {
			copy(buf, odd)
			buf[0] += strconv.Itoa(i)
			require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetAlias, IDs: buf}, Message: note(i), Value: "alias-" + strconv.Itoa(i)}))
			clear(buf) // reused at once
		}
		regids := []string{"stale 1", "stale+2"}
		require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: regids}, Message: note(99), Value: "stale"}))
		regids[0], regids[1] = "changed", "changed"
		require.NoError(t, c.Flush(ctx))

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, failed, 51)
		for i := range 50 {
			want := append([]string{odd[0] + strconv.Itoa(i)}, odd[1:]...)
			assert.Equal(t, strings.Join(want, "|"), failed["alias-"+strconv.Itoa(i)])
		}
		assert.Equal(t, "stale 1|stale+2", failed["stale"])
		assert.Equal(t, map[string]string{"stale": "stale 1|stale+2"}, invalid)
	})
}

// A Pending reports its send's outcome instead of the callbacks (the
// invalid-targets hook still runs first), Get waits only as long as its
// ctx allows without stopping the send, and Flush waits for it.
func TestStartPending(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		var h hookLog
		opts := h.options(mipush.Options{Conns: 1}, true)
		srv, c := newPair(t, h2, opts)
		srv.SetBadRegIDs("stale")
		release := make(chan struct{})
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			if slices.Contains(r.Targets, "slow") {
				<-release
			}
			return nil
		})
		ctx := context.Background()
		to := func(ids ...string) mipush.Target { return mipush.Target{Kind: mipush.TargetRegID, IDs: ids} }

		slow, err := c.Start(ctx, mipush.Send{Target: to("slow"), Message: note(1), Value: "slow"})
		require.NoError(t, err)
		short, cancel := context.WithCancel(ctx)
		cancel()
		_, err = slow.Get(short)
		require.ErrorIs(t, err, context.Canceled, "Get stops waiting when its ctx ends")
		select {
		case <-slow.Ready():
			t.Fatal("ready before the server answered")
		default:
		}
		close(release)
		res, err := slow.Get(ctx)
		require.NoError(t, err, "the send went on")
		assert.NotEmpty(t, res.ID)
		<-slow.Ready()

		stale, err := c.Start(ctx, mipush.Send{Target: to("stale"), Message: note(2), Value: "row-2"})
		require.NoError(t, err)
		require.NoError(t, c.Flush(ctx), "Flush waits for a Pending")
		select {
		case <-stale.Ready():
		default:
			t.Fatal("not ready after Flush")
		}
		_, err = stale.Get(ctx)
		var se *mipush.SendError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "row-2", se.Value)
		assert.Equal(t, []string{"stale"}, se.Target.IDs)
		assert.True(t, mipush.IsInvalidTarget(err))
		_, again := stale.Get(ctx)
		assert.Same(t, err, again, "Get returns the same outcome every time")

		_, err = c.Start(ctx, mipush.Send{Target: to(), Message: note(3)})
		var ve *mipush.ValidationError
		require.ErrorAs(t, err, &ve, "bad input is returned at once")

		h.mu.Lock()
		defer h.mu.Unlock()
		assert.Equal(t, []string{"invalid row-2"}, h.events, "no OnSuccess or OnError for a Pending; the hook still runs")
	})
}
