package mipush

import (
	"context"
	"strconv"
)

// Channel is an Android 8+ notification channel of the app. A message
// selects it with Message.ChannelID (extra.channel_id), which private
// messages (私信) need for their quota.
type Channel struct {
	ID          string     // channel_id; required
	Name        string     // channel_name, shown to the user; required
	Description string     // channel_description
	NotifyType  NotifyType // notify_type; 0 leaves it out
	SoundURL    string     // sound_url, e.g. android.resource://<pkg>/raw/<file>
}

// channelJSON is one channel of data.list.
type channelJSON struct {
	ID          looseString `json:"channel_id"`
	Name        looseString `json:"channel_name"`
	Description looseString `json:"channel_description"`
	NotifyType  looseInt    `json:"notify_type"`
	SoundURL    looseString `json:"sound_url"`
}

// channelList is the data object of the channel list.
type channelList struct {
	List []channelJSON `json:"list"`
}

// AddChannel registers the notification channel ch, or replaces the one
// with its ID: GET /v1/channel/add with channel_id, channel_name and, when
// set, channel_description, notify_type and sound_url (a GET, as the
// official SDK sends it).
func (c *Client) AddChannel(ctx context.Context, ch Channel) (*Result, error) {
	if err := checkRequired("channel_id", ch.ID); err != nil {
		return nil, err
	}
	if ch.Name == "" {
		return nil, fieldError("channel_name", "is required")
	}
	for _, f := range [...]struct{ name, v string }{
		{"channel_name", ch.Name}, {"channel_description", ch.Description},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if err := checkOptional("sound_url", ch.SoundURL); err != nil {
		return nil, err
	}
	if ch.NotifyType < NotifyDefaultAll || ch.NotifyType > NotifyDefaultSound|NotifyDefaultVibrate|NotifyDefaultLights {
		return nil, fieldError("notify_type", "must be -1 or a sum of 1, 2 and 4, got "+strconv.Itoa(int(ch.NotifyType)))
	}
	p := make([]byte, 0, 64+formEscapedLen(ch.ID)+formEscapedLen(ch.Name)+formEscapedLen(ch.Description)+formEscapedLen(ch.SoundURL))
	p = appendParam(p, "channel_id", ch.ID)
	p = appendParam(p, "channel_name", ch.Name)
	if ch.Description != "" {
		p = appendParam(p, "channel_description", ch.Description)
	}
	if ch.NotifyType != 0 {
		p = appendIntParam(p, "notify_type", int64(ch.NotifyType))
	}
	if ch.SoundURL != "" {
		p = appendParam(p, "sound_url", ch.SoundURL)
	}
	return c.do(ctx, getRequest("/v1/channel/add", p))
}

// DiscardChannel removes the notification channel id: GET
// /v1/channel/discard with channel_id.
func (c *Client) DiscardChannel(ctx context.Context, id string) (*Result, error) {
	if err := checkRequired("channel_id", id); err != nil {
		return nil, err
	}
	return c.do(ctx, getRequest("/v1/channel/discard", appendParam(nil, "channel_id", id)))
}

// Channels lists the app's notification channels: GET /v1/channel/list.
// Only that data is an object is inferred from the official Java SDK; no
// public source shows its members, so data.list of objects with
// channel_id, channel_name, channel_description, notify_type and
// sound_url is this package's reading (and what mipushtest answers).
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	const path = "/v1/channel/list"
	d, _, err := callData[channelList](ctx, c, getRequest(path, nil))
	if err != nil {
		return nil, err
	}
	out := make([]Channel, len(d.List))
	for i, ch := range d.List {
		out[i] = Channel{
			ID:          string(ch.ID),
			Name:        string(ch.Name),
			Description: string(ch.Description),
			NotifyType:  NotifyType(ch.NotifyType),
			SoundURL:    string(ch.SoundURL),
		}
	}
	return out, nil
}
