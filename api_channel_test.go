package mipush_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

func TestChannels(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		news := mipush.Channel{ID: "news", Name: "News & more", Description: "Daily news",
			NotifyType: mipush.NotifyDefaultSound, SoundURL: "android.resource://com.example.app/raw/ding"}
		_, err := c.AddChannel(ctx, news)
		require.NoError(t, err)
		r := lastRequest(t, srv, "GET", "/v1/channel/add")
		assert.Equal(t, "channel_id=news&channel_name=News+%26+more&channel_description=Daily+news&notify_type=1"+
			"&sound_url=android.resource%3A%2F%2Fcom.example.app%2Fraw%2Fding", r.RawQuery)

		_, err = c.AddChannel(ctx, mipush.Channel{ID: "promo", Name: "Promotions"})
		require.NoError(t, err)
		r = lastRequest(t, srv, "GET", "/v1/channel/add")
		assert.Equal(t, "channel_id=promo&channel_name=Promotions", r.RawQuery, "zero fields are left out")

		list, err := c.Channels(ctx)
		require.NoError(t, err)
		lastRequest(t, srv, "GET", "/v1/channel/list")
		assert.Equal(t, []mipush.Channel{news, {ID: "promo", Name: "Promotions"}}, list)

		_, err = c.DiscardChannel(ctx, "news")
		require.NoError(t, err)
		r = lastRequest(t, srv, "GET", "/v1/channel/discard")
		assert.Equal(t, "channel_id=news", r.RawQuery)

		list, err = c.Channels(ctx)
		require.NoError(t, err)
		assert.Equal(t, []mipush.Channel{{ID: "promo", Name: "Promotions"}}, list)
	})
}

func TestChannelsValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		ch    mipush.Channel
		field string
	}{
		{mipush.Channel{Name: "n"}, "channel_id"},
		{mipush.Channel{ID: "a\nb", Name: "n"}, "channel_id"},
		{mipush.Channel{ID: "c"}, "channel_name"},
		{mipush.Channel{ID: "c", Name: "n\x00"}, "channel_name"},
		{mipush.Channel{ID: "c", Name: "n", NotifyType: 8}, "notify_type"},
		{mipush.Channel{ID: "c", Name: "n", SoundURL: "x\r\n"}, "sound_url"},
	} {
		_, err := c.AddChannel(ctx, tc.ch)
		requireInvalid(t, err, tc.field)
	}
	_, err := c.DiscardChannel(ctx, "")
	requireInvalid(t, err, "channel_id")
	assert.Zero(t, srv.Count())
}
