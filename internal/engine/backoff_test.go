package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoffBounds(t *testing.T) {
	for n, base := range map[int]time.Duration{1: retryBase, 2: 2 * retryBase, 3: 4 * retryBase, 10: retryMax, 1 << 20: retryMax} {
		for range 50 {
			d := Backoff(n)
			assert.GreaterOrEqual(t, d, base/2, "retry %d", n)
			assert.Less(t, d, base/2+base, "retry %d", n)
		}
	}
}

func TestBudget(t *testing.T) {
	b := NewBudget(12)
	assert.True(t, b.Take(RetryCostTransport))
	assert.False(t, b.Take(RetryCost), "2 tokens left: a retry costing 5 is refused")
	assert.Equal(t, int64(2), b.Tokens(), "a refused take draws nothing")
	for range 20 {
		b.Refund(RetryRefund)
	}
	assert.Equal(t, int64(12), b.Tokens(), "refunds stop at the bucket's size")

	var unlimited *Budget = NewBudget(-1)
	assert.Nil(t, unlimited)
	assert.True(t, unlimited.Take(1<<40), "a nil budget is unlimited")
	unlimited.Refund(1) // no panic
}

func TestThrottle(t *testing.T) {
	var th Throttle
	assert.Zero(t, th.Wait(), "no pause before a \"too frequent\" answer")
	var d, longest time.Duration
	for range 5 {
		d = th.TooFrequent() // each answer in a row doubles the pause
		longest = max(longest, d)
	}
	assert.GreaterOrEqual(t, d, 8*retryBase, "the fifth answer in a row: at least half of 16 × base")
	assert.Greater(t, th.Wait(), time.Duration(0))
	assert.LessOrEqual(t, th.Wait(), longest, "the pause ends with the longest one asked for")
	th.OK()
	assert.Less(t, th.TooFrequent(), 2*retryBase, "OK ended the run: the pause is the first one's again")
}
