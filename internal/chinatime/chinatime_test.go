package chinatime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLocation(t *testing.T) {
	// The documented example: 2018-02-28 22:17:48 in China is 14:17:48 UTC.
	at, err := time.ParseInLocation(time.DateTime, "2018-02-28 22:17:48", Location())
	assert.NoError(t, err)
	assert.Equal(t, int64(1519827468000), at.UnixMilli())
	// No daylight saving: the offset is the same in summer.
	_, off := time.Date(2026, 7, 1, 0, 0, 0, 0, Location()).Zone()
	assert.Equal(t, Offset, off)
	assert.Same(t, Location(), Location())
}
