package main

import (
	"testing"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeMessage(t *testing.T) {
	m, err := decodeMessage([]byte(`{
		"restricted_package_name": "com.example.app", "title": "T", "description": "D",
		"payload": "p", "pass_through": 1, "notify_type": 3, "notify_id": 9,
		"time_to_live": 60000, "time_to_send": 1700000000000,
		"extra": {"channel_id": "c", "locale": "zh_CN,en_US", "callback": "https://example.com/cb",
			"callback.type": "3", "only_send_once": "1", "custom": "v"}}`))
	require.NoError(t, err)
	want := &mipush.Message{
		RestrictedPackageName: "com.example.app", Title: "T", Description: "D", Payload: "p",
		PassThrough: true, NotifyType: 3, NotifyID: 9,
		TimeToLive: time.Minute, TimeToSend: time.UnixMilli(1700000000000),
		ChannelID: "c", Locales: []string{"zh_CN", "en_US"}, OnlySendOnce: true,
		Callback: &mipush.Callback{URL: "https://example.com/cb", Type: 3},
		Extra:    map[string]string{"custom": "v"},
	}
	assert.Equal(t, want, m)

	m, err = decodeMessage([]byte(`{"time_to_live": "90s", "time_to_send": "2026-01-02T15:04:05Z", "pass_through": false}`))
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, m.TimeToLive)
	assert.Equal(t, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), m.TimeToSend.UTC())
	assert.False(t, m.PassThrough)
}

func TestSetExtra(t *testing.T) {
	m := new(mipush.Message)
	require.NoError(t, setExtra(m, "extra.notify_effect", "3"))
	require.NoError(t, setExtra(m, "web_uri", "https://example.com"))
	require.NoError(t, setExtra(m, "badge", "2"))
	require.NoError(t, setExtra(m, "notify_foreground", "0"))
	assert.Equal(t, mipush.NotifyEffectWeb, m.NotifyEffect)
	assert.Equal(t, "https://example.com", m.WebURI)
	require.NotNil(t, m.IOS)
	assert.Equal(t, 2, *m.IOS.Badge)
	assert.Equal(t, mipush.ForegroundHide, m.NotifyForeground)

	assert.ErrorContains(t, setExtra(m, "notify_effect", "web"), "want 1")
	assert.ErrorContains(t, setExtra(m, "connpt", "4g"), "wifi")
	assert.ErrorContains(t, setExtra(m, "intent_flag", "x"), "integer")
	assert.ErrorContains(t, setExtra(m, "instant_notify", "yes"), "want 1 or 0")
}
