package receipt

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTypeString(t *testing.T) {
	for _, tc := range []struct {
		t    Type
		want string
	}{
		{0, "0"},
		{Delivered, "delivered"},
		{Delivered | Clicked, "delivered|clicked"},
		{243, "delivered|clicked|invalid_target|disabled|filtered|over_quota"},
		{Expired, "expired"},
		{Clicked | 4 | 8, "clicked|0xc"},
		{4, "0x4"},
	} {
		assert.Equal(t, tc.want, tc.t.String())
	}
	assert.Equal(t, Type(17), Delivered|InvalidTarget, "the documented example")
}
