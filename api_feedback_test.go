package mipush_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// Feedback calls go to the region's feedback host, everything else to its
// message host, each host with its own pool.
func TestFeedbackHost(t *testing.T) {
	const msgHost, fbHost = "fr-api.xmpush.global.xiaomi.com", "fr.feedback.xmpush.global.xiaomi.com"
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c, log := regionPair(t, h2, mipush.RegionEurope, msgHost, fbHost)
		srv.SetBadRegIDs("r2")
		ctx := context.Background()

		_, err := c.PushToRegID(ctx, []string{"r1"}, note(1))
		require.NoError(t, err)
		assert.Equal(t, []string{msgHost + ":443"}, log.dialled())

		regions, err := c.RegionsOf(ctx, []string{"r1", "r2"})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"r1": "China", "r2": "Unknown"}, regions)
		r := lastRequest(t, srv, "POST", "/v1/feedback/get_region_by_regid")
		assert.Equal(t, "regIds=r1%2Cr2", string(r.Body))
		assert.Equal(t, []string{msgHost + ":443", fbHost + ":443"}, log.dialled())

		_, err = c.Channels(ctx) // a message-host call again
		require.NoError(t, err)
		assert.Len(t, log.dialled(), 2, "one connection per host, reused")
		if !h2 { // HTTP/1.1 requests carry the host in a header field
			hosts := map[string]string{}
			for _, r := range srv.Requests() {
				hosts[r.Path] = r.Header.Get("Host")
			}
			assert.Equal(t, map[string]string{
				"/v3/message/regid":                msgHost,
				"/v1/feedback/get_region_by_regid": fbHost,
				"/v1/channel/list":                 msgHost,
			}, hosts)
		}
		assert.Equal(t, 2, srv.Stats().Conns)
	})
}

// Options.Host pins every call, feedback calls included.
func TestFeedbackHostPinned(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Region: mipush.RegionIndia})
		_, err := c.RegionsOf(context.Background(), []string{"r1"})
		require.NoError(t, err)
		r := onlyRequest(t, srv, "POST", "/v1/feedback/get_region_by_regid")
		assert.Equal(t, 0, r.Code)
	})
}

func TestRegionsOfValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	_, err := c.RegionsOf(context.Background(), []string{"r", ""})
	requireInvalid(t, err, "regIds")
	_, err = c.RegionsOf(context.Background(), nil)
	requireInvalid(t, err, "regIds")
	assert.Zero(t, srv.Count())
}
