package mipush_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// An app in the blacklist (10031) has every request refused: the client
// stops the app's calls as it does after a wrong secret, and lets one
// probe through per AuthProbeInterval.
func TestBlacklistStopsLikeWrongSecret(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		synctest.Test(t, func(t *testing.T) {
			srv, c := inMemoryPair(t, h2, mipush.Options{Conns: 1, AuthProbeInterval: 3 * time.Minute})
			blacklisted := mipushtest.ErrorAnswer(10031, "AppId(1) in the blacklist, forbid to send messages")
			srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer { return blacklisted })
			ctx := context.Background()
			_, err := c.PushToRegID(ctx, []string{"r"}, note(1))
			requireCode(t, err, mipush.CodeBlacklisted)
			require.False(t, errors.Is(err, mipush.ErrStopped))

			// Every call stops, sends of any class and the rest alike.
			_, err = c.PushToRegID(ctx, []string{"r"}, onChannel(2, "orders"))
			require.ErrorIs(t, err, mipush.ErrStopped)
			assert.Contains(t, err.Error(), "app is in its blacklist", "the stop says why, not 'authentication failure'")
			_, err = c.Stats(ctx, "com.example.app", time.Now().AddDate(0, 0, -1), time.Now())
			require.ErrorIs(t, err, mipush.ErrStopped)
			var ae *mipush.APIError
			require.ErrorAs(t, err, &ae, "the stop unwraps to the answer that armed it")
			assert.Equal(t, mipush.CodeBlacklisted, ae.Code)
			assert.False(t, mipush.IsRetryable(err))
			assert.Equal(t, int64(1), srv.Count())

			// One probe after the interval, refused again: re-armed.
			time.Sleep(3 * time.Minute)
			_, err = c.TraceMessage(ctx, "slm1")
			requireCode(t, err, mipush.CodeBlacklisted)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(3))
			require.ErrorIs(t, err, mipush.ErrStopped)
			assert.Equal(t, int64(2), srv.Count())

			// Out of the blacklist: the next probe lifts the stop.
			srv.SetHook(nil)
			time.Sleep(3 * time.Minute)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(4))
			require.NoError(t, err)
			_, err = c.PushToRegID(ctx, []string{"r"}, note(5))
			require.NoError(t, err)
			assert.Equal(t, int64(1), c.Metrics().StopsEnded)
		})
	})
}

// Every code of Xiaomi's error table (dev.mi.com pId=1560) has a name and a
// meaning; those whose meaning our sources lack say so.
func TestEveryDocumentedCodeNamed(t *testing.T) {
	listed := []mipush.Code{
		-1, 1, 10001, 10002, 10003, 10008, 10012, 10016, 10017, 10018, 10027, 10029, 10030, 10031,
		10032, 10033, 10034, 10035, 10036, 10037, 10038, 10039, 20209, 20215, 20216, 20301, 20315,
		20607, 21301, 21302, 21303, 21305, 22000, 22006, 22007, 22022, 22102, 26003, 26004, 26005,
		26006, 27001, 65003, 65006, 65007, 65008, 65009, 65010, 65011, 65012, 65013, 65014, 65015,
		65016, 65017, 65028, 65029, 65030, 65035, 65036, 65037, 65038, 65040, 65041, 200001,
	}
	for _, c := range listed {
		s := c.String()
		assert.False(t, strings.HasPrefix(s, "error ("), "%d has no meaning: %s", int(c), s)
	}
	assert.Equal(t, "app blacklisted (10031)", mipush.CodeBlacklisted.String())
	assert.Equal(t, "error listed by Xiaomi, meaning unknown (10033)", mipush.Code10033.String())
	assert.Equal(t, "callback URL or param too long or invalid (65037)", mipush.CodeCallback65037.String())
	assert.Equal(t, "error (99999)", mipush.Code(99999).String())
}
