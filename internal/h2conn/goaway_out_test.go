package h2conn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// TestGoAwayOnConnectionError: a connection error found in what the server
// sent is reported to it with GOAWAY and the matching code (RFC 9113
// §5.4.1) before the connection closes; exchanges in flight fail.
func TestGoAwayOnConnectionError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(fr *http2.Framer) error
		code  http2.ErrCode
	}{
		{"PUSH_PROMISE with push disabled", func(fr *http2.Framer) error {
			return fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"DATA on stream 0", func(fr *http2.Framer) error {
			return fr.WriteData(0, false, []byte("x"))
		}, http2.ErrCodeProtocol},
		{"undecodable header block", func(fr *http2.Framer) error {
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x80}, EndHeaders: true})
		}, http2.ErrCodeCompression},
		{"connection window overflow", func(fr *http2.Framer) error {
			if err := fr.WriteWindowUpdate(0, 1<<31-1); err != nil {
				return err
			}
			return fr.WriteWindowUpdate(0, 1<<31-1)
		}, http2.ErrCodeFlowControl},
		{"invalid initial window size", func(fr *http2.Framer) error {
			return fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, http2.ErrCodeFlowControl},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startPeer(t, nil)
			f.send(1, "m")
			f.p.nextReq(t)
			f.p.wmu.Lock()
			f.p.fr.AllowIllegalWrites = true
			tc.write(f.p.fr) // a second frame may fail: the client has hung up
			f.p.wmu.Unlock()

			ev := waitEvent[goAwayEvent](t, f.p, nil)
			assert.Equal(t, tc.code, ev.Code)
			assert.Zero(t, ev.Last)
			<-f.c.Done()
			err := <-f.closed
			var pe *protocolError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.code, pe.code)
			o := <-f.out
			require.Error(t, o.err, "the exchange in flight fails")
		})
	}
}
