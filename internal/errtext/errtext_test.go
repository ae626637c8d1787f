package errtext

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	assert.Equal(t, `"abc"`, Quote("abc", 3))
	assert.Equal(t, `"ab"...`, Quote("abc", 2))
	assert.Equal(t, `""...`, Quote("abc", 0))
	assert.Equal(t, `""...`, Quote("abc", -1), "a negative limit cuts everything")
	// "中" is three bytes: a cut inside it backs off to its start.
	assert.Equal(t, `"a"...`, Quote("a中b", 2))
	assert.Equal(t, `"a中"...`, Quote("a中b", 4))
	assert.Equal(t, `"\n"`, Quote("\n", 1), "quoted as Go does")
}

func TestShort(t *testing.T) {
	s := strings.Repeat("x", ShortLimit)
	assert.Equal(t, `"`+s+`"`, Short(s))
	assert.Equal(t, `"`+s+`"...`, Short(s+"y"))
}

func TestBody(t *testing.T) {
	assert.Equal(t, `"<html>bad gateway</html>"`, Body([]byte("\n <html>bad gateway</html>\r\n")))
	long := strings.Repeat("x", BodyLimit)
	assert.Equal(t, `"`+long+`"`, Body([]byte(long+"  ")), "trimmed before cutting")
	assert.Equal(t, `"`+long+`"...`, Body([]byte(long+"yz")))
	assert.Equal(t, `""`, Body(nil))
}
