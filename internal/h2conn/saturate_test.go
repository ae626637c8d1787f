package h2conn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// TestOnSaturated: the server's stream limit, below Window, with requests
// waiting, is reported once, with the limit. A connection full because of
// its own Window reports nothing: more connections would not be what the
// caller asked for.
func TestOnSaturated(t *testing.T) {
	for _, tc := range []struct {
		name            string
		window, streams int
		want            []int
	}{
		{"server limit below Window", 8, 2, []int{2}},
		{"Window below server limit", 2, 4, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan int, 8)
			f := startPeer(t, func(cfg *wire.Config) {
				cfg.Window = tc.window
				cfg.OnSaturated = func(limit int) { got <- limit }
			}, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: uint32(tc.streams)})
			f.send(6, "m")
			for range 3 {
				for _, r := range f.p.nextReqs(t, 2) {
					require.NoError(t, f.p.respond(r.ID, "200", "ok"))
				}
			}
			for _, o := range collect(t, f.out, 6) {
				require.NoError(t, o.err)
			}
			close(got)
			var reports []int
			for l := range got {
				reports = append(reports, l)
			}
			assert.Equal(t, tc.want, reports)
		})
	}
}
