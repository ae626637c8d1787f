package engine

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingLimiter records the apps it gave turns to.
type countingLimiter struct {
	mu   sync.Mutex
	apps []string
}

func (l *countingLimiter) Wait(_ context.Context, app string, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range n {
		l.apps = append(l.apps, app)
	}
	return nil
}

func digestForTest(secret string) string { return "digest(" + secret + ")" }

func TestPacerTurnsNameTheAppByItsDigest(t *testing.T) {
	var l countingLimiter
	var p Pacer
	p.Init(&l, digestForTest)
	require.True(t, p.Limited())
	require.NoError(t, p.Turn(context.Background(), "key=s1"))
	require.NoError(t, p.Pace(context.Background(), "key=s2"))
	assert.Equal(t, []string{"digest(s1)", "digest(s2)"}, l.apps, "the Limiter never sees the secret")

	var unpaced Pacer
	unpaced.Init(nil, digestForTest)
	assert.False(t, unpaced.Limited())
	assert.NoError(t, unpaced.Turn(context.Background(), "key=s1"))
}

func TestPacerPausesOnlyTheAppAnsweredTooFrequent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var p Pacer
		p.Init(nil, digestForTest)
		assert.Zero(t, p.Pause("key=a"), "no pause before any answer")
		d := p.TooFrequent("key=a")
		require.Positive(t, d)
		assert.Positive(t, p.Pause("key=a"))
		assert.Zero(t, p.Pause("key=b"), "another app goes on")

		start := time.Now()
		require.NoError(t, p.Pace(context.Background(), "key=a"))
		assert.GreaterOrEqual(t, time.Since(start), d-time.Millisecond, "Pace waits out the pause")
		assert.Zero(t, p.Pause("key=a"))

		p.TooFrequent("key=a")
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, p.Pace(ctx, "key=a"), context.DeadlineExceeded, "a pause ends with ctx")

		p.OK("key=a")
		time.Sleep(time.Minute)
		p.TooFrequent("key=a")
		assert.LessOrEqual(t, p.Pause("key=a"), retryBase*3/2, "a success resets the run: the next pause is a first one (a third in a row would be at least 2*retryBase)")
	})
}
