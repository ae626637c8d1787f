package mipush_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// Metrics.Stopped counts the sends an earlier answer stopped, not the
// answer itself.
func TestMetricsCountStoppedSends(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		srv.FailPath("/v3/message/regid", mipushtest.ErrorAnswer(21301, "Invalid application secret."))
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r1"}, note(1))
		require.True(t, mipush.IsAuth(err), "%v", err)
		assert.Zero(t, c.Metrics().Stopped, "the answer itself is no stop")
		for i := range 2 {
			_, err = c.PushToRegID(ctx, []string{"r1"}, note(i))
			require.True(t, mipush.IsAuth(err), "%v", err)
		}
		m := c.Metrics()
		assert.EqualValues(t, 2, m.Stopped)
		assert.EqualValues(t, 1, m.FailedAPI)
		assert.EqualValues(t, 1, srv.Count())
	})
}
