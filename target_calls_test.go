package mipush_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// TestTargetIDRuleAcrossCalls runs every call that takes target ids with
// an id holding a control character, which every one refuses before
// sending, and with an id holding a space, which every one sends: one
// rule (ValidateTargetID) for all.
func TestTargetIDRuleAcrossCalls(t *testing.T) {
	const pkg = "com.example.app"
	calls := map[string]func(c *mipush.Client, id string) error{
		"PushToRegID": func(c *mipush.Client, id string) error {
			_, err := c.PushToRegID(ctx0, []string{id}, note(1))
			return err
		},
		"PushToRegIDAsync": func(c *mipush.Client, id string) error { return c.PushToRegIDAsync(ctx0, []string{id}, note(1)) },
		"PushToAlias": func(c *mipush.Client, id string) error {
			_, err := c.PushToAlias(ctx0, []string{id}, note(1))
			return err
		},
		"PushToUserAccount": func(c *mipush.Client, id string) error {
			_, err := c.PushToUserAccount(ctx0, []string{id}, note(1))
			return err
		},
		"PushToTopic": func(c *mipush.Client, id string) error { _, err := c.PushToTopic(ctx0, id, note(1)); return err },
		"PushToTopics": func(c *mipush.Client, id string) error {
			_, err := c.PushToTopics(ctx0, []string{id, "b"}, mipush.TopicUnion, note(1))
			return err
		},
		"PushMessagesToRegIDs": func(c *mipush.Client, id string) error {
			_, err := c.PushMessagesToRegIDs(ctx0, []mipush.TargetedMessage{{Target: id, Message: note(1)}}, time.Time{})
			return err
		},
		"PushBulk": func(c *mipush.Client, id string) error {
			res, err := c.PushBulk(ctx0, mipush.TargetRegID, []string{id}, note(1))
			if err == nil {
				err = res.Err()
			}
			return err
		},
		"RevokeRegIDs": func(c *mipush.Client, id string) error {
			_, err := c.RevokeRegIDs(ctx0, pkg, 1, []string{id})
			return err
		},
		"RevokeAliases": func(c *mipush.Client, id string) error {
			_, err := c.RevokeAliases(ctx0, pkg, 1, []string{id})
			return err
		},
		"RevokeUserAccounts": func(c *mipush.Client, id string) error {
			_, err := c.RevokeUserAccounts(ctx0, pkg, 1, []string{id})
			return err
		},
		"SubscribeRegIDs": func(c *mipush.Client, id string) error {
			_, err := c.SubscribeRegIDs(ctx0, []string{id}, "news", nil)
			return err
		},
		"SubscribeRegIDs topic": func(c *mipush.Client, id string) error {
			_, err := c.SubscribeRegIDs(ctx0, []string{"r1"}, id, nil)
			return err
		},
		"UnsubscribeAliases": func(c *mipush.Client, id string) error {
			_, err := c.UnsubscribeAliases(ctx0, []string{id}, "news", nil)
			return err
		},
		"AliasesOf":      func(c *mipush.Client, id string) error { _, err := c.AliasesOf(ctx0, pkg, id); return err },
		"TopicsOf":       func(c *mipush.Client, id string) error { _, err := c.TopicsOf(ctx0, pkg, id); return err },
		"AccountsOf":     func(c *mipush.Client, id string) error { _, err := c.AccountsOf(ctx0, pkg, id); return err },
		"Presence":       func(c *mipush.Client, id string) error { _, err := c.Presence(ctx0, pkg, id); return err },
		"Presences":      func(c *mipush.Client, id string) error { _, err := c.Presences(ctx0, pkg, []string{id}); return err },
		"ValidateRegIDs": func(c *mipush.Client, id string) error { _, err := c.ValidateRegIDs(ctx0, []string{id}); return err },
		"RegionsOf":      func(c *mipush.Client, id string) error { _, err := c.RegionsOf(ctx0, []string{id}); return err },
	}
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		for name, call := range calls {
			err := call(c, "r\x01")
			var ve *mipush.ValidationError
			require.True(t, errors.As(err, &ve), "%s: a control character is refused: %v", name, err)
			assert.Contains(t, ve.Reason, "control characters", name)
		}
		require.Zero(t, srv.Count(), "nothing refused was sent")
		for name, call := range calls {
			require.NoError(t, call(c, "r 1"), "%s: a space is allowed", name)
		}
		require.NoError(t, c.Flush(ctx0))
		for _, r := range srv.Requests() {
			assert.Zero(t, r.Code, "%s answered %d", r.Path, r.Code)
		}
		assert.EqualValues(t, len(calls), srv.Count())
	})
}

var ctx0 = context.Background()
