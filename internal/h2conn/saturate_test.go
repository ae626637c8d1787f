package h2conn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// TestOnSaturated: the server's stream limit, below Window, with requests
// waiting, is reported once, with the limit.
func TestOnSaturated(t *testing.T) {
	got := make(chan int, 8)
	f := startPeer(t, func(cfg *wire.Config) {
		cfg.Window = 8
		cfg.OnSaturated = func(limit int) { got <- limit }
	}, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 2})
	f.send(6, "m")
	assert.Equal(t, 2, <-got)
	for range 3 {
		for _, r := range f.p.nextReqs(t, 2) {
			require.NoError(t, f.p.respond(r.ID, "200", "ok"))
		}
	}
	for _, o := range collect(t, f.out, 6) {
		require.NoError(t, o.err)
	}
	assert.Empty(t, got, "reported more than once")
}

// TestNotSaturatedByWindow: a connection full because of its own Window
// reports nothing: more connections would not be what the caller asked.
func TestNotSaturatedByWindow(t *testing.T) {
	got := make(chan int, 8)
	f := startPeer(t, func(cfg *wire.Config) {
		cfg.Window = 2
		cfg.OnSaturated = func(limit int) { got <- limit }
	}, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 4})
	f.send(6, "m")
	for range 3 {
		for _, r := range f.p.nextReqs(t, 2) {
			require.NoError(t, f.p.respond(r.ID, "200", "ok"))
		}
	}
	for _, o := range collect(t, f.out, 6) {
		require.NoError(t, o.err)
	}
	assert.Empty(t, got)
}
