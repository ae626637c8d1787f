package mipush

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExtraDocumentedKeysEncoded: documented keys in Extra are sent
// verbatim as extra.<key>; one also set by its typed field, to the same
// value, is sent once; the size hint stays exact.
func TestExtraDocumentedKeysEncoded(t *testing.T) {
	m := &Message{
		Title: "t", Description: "d",
		ChannelID:    "orders",
		NotifyEffect: NotifyEffectLauncher,
		Extra: map[string]string{
			"channel_id":     "orders", // the same as the typed field
			"notify_effect":  "1",      // likewise
			"callback":       "https://h.example.com/cb?k=1",
			"callback.param": "batch 7",
			"locale":         "zh_CN,en_US",
			"hybrid_pn":      "/page",
			"custom":         "v",
		},
	}
	require.NoError(t, m.Validate())
	form := m.appendForm(nil)
	assert.Equal(t, m.formSizeHint(), len(form))
	raw := string(form[1:])
	v, err := url.ParseQuery(raw)
	require.NoError(t, err)
	assert.Equal(t, []string{"orders"}, v["extra.channel_id"], "sent once")
	assert.Equal(t, []string{"1"}, v["extra.notify_effect"], "sent once")
	assert.Equal(t, "https://h.example.com/cb?k=1", v.Get("extra.callback"))
	assert.Equal(t, "batch 7", v.Get("extra.callback.param"))
	assert.Equal(t, "zh_CN,en_US", v.Get("extra.locale"))
	assert.Equal(t, "/page", v.Get("extra.hybrid_pn"))
	assert.Equal(t, "v", v.Get("extra.custom"))
	assert.Contains(t, raw, "&extra.callback.param=batch+7", "verbatim key, value escaped once")

	var j struct {
		Extra map[string]string `json:"extra"`
	}
	require.NoError(t, json.Unmarshal(m.appendJSON(nil), &j))
	assert.Equal(t, map[string]string{
		"channel_id": "orders", "notify_effect": "1", "callback": "https://h.example.com/cb?k=1",
		"callback.param": "batch 7", "locale": "zh_CN,en_US", "hybrid_pn": "/page", "custom": "v",
	}, j.Extra)
	body := string(m.appendJSON(nil))
	assert.Equal(t, 1, strings.Count(body, `"channel_id"`), "sent once in JSON too: %s", body)
}

// TestExtraKeysAndHelpers covers the accessors other code uses to read a
// documented extra set either way.
func TestExtraKeysAndHelpers(t *testing.T) {
	m := &Message{Extra: map[string]string{"jobkey": "k1", "channel_id": "c1"}}
	assert.Equal(t, "k1", m.jobKey())
	assert.Equal(t, "c1", m.channelID())
	m.JobKey, m.ChannelID = "k2", "c2"
	assert.Equal(t, "k2", m.jobKey())
	assert.Equal(t, "c2", m.channelID())
	assert.Equal(t, extraCustom, documentedExtra("order_id").kind)
	assert.Equal(t, "LeftButton.WebURI", documentedExtra("notification_style_button_left_web_uri").field)
	assert.Equal(t, extraCustom, documentedExtra("notification_style_button_left_other").kind)
}
