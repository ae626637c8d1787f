package ascii

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEqualFold(t *testing.T) {
	assert.True(t, EqualFold("Content-Length", "content-length"))
	assert.True(t, EqualFold([]byte("CHUNKED"), "chunked"))
	assert.True(t, EqualFold("", ""))
	assert.False(t, EqualFold("chunked ", "chunked"), "lengths differ")
	assert.False(t, EqualFold("chunke", "chunked"))
	assert.False(t, EqualFold("chunkeD!", "chunked!x"))
	assert.False(t, EqualFold("\u212Aeep-alive", "keep-alive"), "no Unicode folding")
	assert.False(t, EqualFold("[", "{"), "only A-Z fold: '[' is not 'Z'+1 folded")
}

func TestHasPrefixFold(t *testing.T) {
	assert.True(t, HasPrefixFold("Application/X-WWW-Form-Urlencoded; charset=utf-8", "application/x-www-form-urlencoded"))
	assert.True(t, HasPrefixFold([]byte("X-Push-Host-List"), "x-push-"))
	assert.True(t, HasPrefixFold("anything", ""))
	assert.False(t, HasPrefixFold("x-pus", "x-push-"))
	assert.False(t, HasPrefixFold("text/plain", "application/"))
}
