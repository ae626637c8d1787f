package mipush_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestPushMessages(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		ctx := context.Background()
		batch := []mipush.TargetedMessage{
			{Target: "t1", Message: note(1)},
			{Target: "t2", Message: &mipush.Message{RestrictedPackageName: apiPkg, PassThrough: true, Payload: "a&b=c",
				Extra: map[string]string{"k": "v"}}},
		}
		for _, tc := range []struct {
			name  string
			sync  func(context.Context, []mipush.TargetedMessage, time.Time) (*mipush.Result, error)
			async func(context.Context, []mipush.TargetedMessage, time.Time) error
			path  string
		}{
			{"regids", c.PushMessagesToRegIDs, c.PushMessagesToRegIDsAsync, "/v2/multi_messages/regids"},
			{"aliases", c.PushMessagesToAliases, c.PushMessagesToAliasesAsync, "/v2/multi_messages/aliases"},
			{"accounts", c.PushMessagesToUserAccounts, c.PushMessagesToUserAccountsAsync, "/v2/multi_messages/user_accounts"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				srv.Reset()
				at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
				res, err := tc.sync(ctx, batch, time.Time{})
				require.NoError(t, err)
				require.NotEmpty(t, res.ID)
				require.NoError(t, tc.async(ctx, batch, at))
				require.NoError(t, c.Flush(ctx))

				reqs := srv.RequestsTo(tc.path)
				require.Len(t, reqs, 2)
				for i, r := range reqs {
					assert.Equal(t, "POST", r.Method)
					assert.Empty(t, r.RawQuery)
					assert.Equal(t, 0, r.Code)
					assert.Equal(t, []string{"t1", "t2"}, r.Targets)
					want := "0"
					if i == 1 {
						want = strconv.FormatInt(at.UnixMilli(), 10)
					}
					assert.Equal(t, want, r.Form.Get("time_to_send"))

					var got []struct {
						Target  string         `json:"target"`
						Message map[string]any `json:"message"`
					}
					require.NoError(t, json.Unmarshal([]byte(r.Form.Get("messages")), &got))
					require.Len(t, got, 2)
					assert.Equal(t, "t1", got[0].Target)
					assert.Equal(t, "Hello", got[0].Message["title"])
					assert.Equal(t, "payload-1", got[0].Message["payload"])
					assert.Equal(t, "a&b=c", got[1].Message["payload"], "the JSON is form-escaped once")
					assert.EqualValues(t, 1, got[1].Message["pass_through"])
					assert.Equal(t, map[string]any{"k": "v"}, got[1].Message["extra"])
				}
				assert.Equal(t, res.ID, reqs[0].MsgID)
			})
		}
	})
}

func TestPushMessagesScheduledJob(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		ctx := context.Background()
		msg := note(1)
		at := time.Now().Add(time.Hour)
		msg.TimeToSend = at // equal to the batch's time: allowed
		res, err := c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "r1", Message: msg}}, at)
		require.NoError(t, err)
		ok, err := c.JobExists(ctx, res.ID)
		require.NoError(t, err)
		assert.True(t, ok, "a scheduled batch is a job")
		_, err = c.DeleteJob(ctx, res.ID)
		require.NoError(t, err)
		ok, err = c.JobExists(ctx, res.ID)
		require.NoError(t, err)
		assert.False(t, ok)
		assert.Len(t, srv.Requests(), 4)
	})
}

func TestPushMessagesValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	ok := mipush.TargetedMessage{Target: "r", Message: note(1)}
	late := note(2)
	late.TimeToSend = time.Now().Add(time.Hour)
	many := make([]mipush.TargetedMessage, mipush.MaxBatch+1)
	for i := range many {
		many[i] = ok
	}
	for _, tc := range []struct {
		name  string
		batch []mipush.TargetedMessage
		at    time.Time
		field string
	}{
		{"empty", nil, time.Time{}, "messages"},
		{"too many", many, time.Time{}, "messages"},
		{"empty target", []mipush.TargetedMessage{ok, {Message: note(1)}}, time.Time{}, "messages[1].target"},
		{"CRLF target", []mipush.TargetedMessage{{Target: "r\r\n", Message: note(1)}}, time.Time{}, "messages[0].target"},
		{"nil message", []mipush.TargetedMessage{{Target: "r"}}, time.Time{}, "messages[0].message"},
		{"bad message", []mipush.TargetedMessage{ok, {Target: "r", Message: &mipush.Message{Title: strings.Repeat("x", 60), Description: "d"}}},
			time.Time{}, "messages[1].title"},
		{"own time", []mipush.TargetedMessage{{Target: "r", Message: late}}, time.Time{}, "messages[0].time_to_send"},
		{"other time", []mipush.TargetedMessage{{Target: "r", Message: late}}, late.TimeToSend.Add(time.Minute), "messages[0].time_to_send"},
		{"too far ahead", []mipush.TargetedMessage{ok}, time.Now().Add(8 * 24 * time.Hour), "time_to_send"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PushMessagesToRegIDs(ctx, tc.batch, tc.at)
			requireInvalid(t, err, tc.field)
			err = c.PushMessagesToAliasesAsync(ctx, tc.batch, tc.at)
			requireInvalid(t, err, tc.field)
		})
	}
	assert.Zero(t, srv.Count(), "nothing was sent")
}

func TestPushMessagesAsyncOutcome(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		failed := make(chan *mipush.SendError, 1)
		srv, c := newPair(t, h2, mipush.Options{OnError: func(e *mipush.SendError) { failed <- e }})
		srv.FailPath("/v2/multi_messages/user_accounts", mipushtest.ErrorAnswer(10017, "bad"))
		batch := []mipush.TargetedMessage{{Target: "u1", Message: note(1)}, {Target: "u2", Message: note(2)}}
		require.NoError(t, c.PushMessagesToUserAccountsAsync(context.Background(), batch, time.Time{}))
		e := <-failed
		assert.Nil(t, e.Message, "a batch has no single message")
		assert.Equal(t, mipush.Target{Kind: mipush.TargetUserAccount, IDs: []string{"u1", "u2"}}, e.Target)
		requireCode(t, e, 10017)
	})
}
