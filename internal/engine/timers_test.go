package engine

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/wire"
)

func TestTimersFireOrCancelOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tm Timers
		tm.Init()
		fired := make(chan *wire.Exchange, 2)
		early, late := new(wire.Exchange), new(wire.Exchange)
		require.True(t, tm.After(early, time.Second, func() { fired <- early }))
		require.True(t, tm.After(late, time.Hour, func() { fired <- late }))
		time.Sleep(2 * time.Second) // synctest: the fake clock passes the first timer
		synctest.Wait()
		require.Len(t, fired, 1)
		assert.Same(t, early, <-fired)

		assert.Equal(t, []*wire.Exchange{late}, tm.Cancel(), "Cancel takes what still waits, and only that")
		assert.False(t, tm.After(early, time.Second, func() { fired <- early }), "After refuses once cancelled")
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		assert.Empty(t, fired, "a cancelled timer never runs")
	})
}
