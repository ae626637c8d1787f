package mipush_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// TestExtraAsUsersWriteIt sends documented extras written in Extra, as
// Xiaomi's documentation names them, through both protocols: single sends
// carry them as extra.<key>, multi-message sends under "extra".
func TestExtraAsUsersWriteIt(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{AutoJobKey: true})
		ctx := context.Background()
		msg := note(1)
		msg.Extra = map[string]string{
			"channel_id":    "orders",
			"notify_effect": "1",
			"callback":      "https://hooks.example.com/cb",
			"jobkey":        "order-1",
		}
		_, err := c.PushToRegID(ctx, []string{"r1"}, msg)
		require.NoError(t, err)
		r := lastRequest(t, srv, "POST", "/v3/message/regid")
		assert.Equal(t, "orders", r.Form.Get("extra.channel_id"))
		assert.Equal(t, "1", r.Form.Get("extra.notify_effect"))
		assert.Equal(t, "https://hooks.example.com/cb", r.Form.Get("extra.callback"))
		assert.Equal(t, []string{"order-1"}, r.Form["extra.jobkey"], "the user's job key, and no automatic one beside it")
		assert.Zero(t, r.Code)

		_, err = c.PushMessagesToRegIDs(ctx, []mipush.TargetedMessage{{Target: "r2", Message: msg}}, time.Time{})
		require.NoError(t, err)
		r = lastRequest(t, srv, "POST", "/v2/multi_messages/regids")
		var batch []struct {
			Message struct {
				Extra map[string]string `json:"extra"`
			} `json:"message"`
		}
		require.NoError(t, json.Unmarshal([]byte(r.Form.Get("messages")), &batch))
		require.Len(t, batch, 1)
		assert.Equal(t, "orders", batch[0].Message.Extra["channel_id"])
		assert.Zero(t, r.Code)

		// Before sending: a key set two ways to two values, or over the
		// documented limit, is refused and nothing is sent.
		n := srv.Count()
		bad := note(2)
		bad.ChannelID = "news"
		bad.Extra = map[string]string{"channel_id": "orders"}
		_, err = c.PushToRegID(ctx, []string{"r1"}, bad)
		requireInvalid(t, err, "extra.channel_id")
		assert.ErrorContains(t, err, "ChannelID")
		bad = note(3)
		bad.Extra = map[string]string{"callback": "https://h.example.com/", "callback.param": strings.Repeat("p", 257)}
		err = c.PushToRegIDAsync(ctx, []string{"r1"}, bad)
		requireInvalid(t, err, "extra.callback.param")
		assert.ErrorContains(t, err, "at most 256 bytes")
		assert.Equal(t, n, srv.Count())
	})
}
