package mipush

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseQuota(t *testing.T) {
	for _, tc := range []struct {
		code         Code
		reason       string
		limit, acked int64
	}{
		{CodeOverQuota, "exceed quota, quota: 100000, have acked: 100003", 100000, 100003},
		{CodeOverQuota, "Exceed Quota, Quota:5,have acked:0", 5, 0},
		{CodeOverQuota, "exceed quota, quota = 7, have acked = 9", 7, 9},
		{CodeOverQuota, "exceed quota", -1, -1},
		{CodeOverQuota, "exceed quota, quota: N/A, have acked: 12", -1, 12},
		{CodeOverQuota, "", -1, -1},
		{CodeDailyLimit, "应用当日发送消息数量过多", -1, -1},
		{CodeOverQuota, "have acked: 99999999999999999999", -1, -1},
	} {
		q := parseQuota(tc.code, tc.reason)
		require.NotNil(t, q, "%q", tc.reason)
		assert.Equal(t, QuotaExceeded{Limit: tc.limit, Acked: tc.acked}, *q, "%q", tc.reason)
	}
	assert.Nil(t, parseQuota(CodeSystemBusy, "exceed quota, quota: 1, have acked: 1"))
}

func TestQuotaAnswerDecoded(t *testing.T) {
	_, err := decodeSendResult(200, []byte(`{"result":"error","code":200001,"reason":"exceed quota, quota: 300, have acked: 301","description":"当日发送数量超过配额","trace_id":"X1"}`))
	var ae *APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, CodeOverQuota, ae.Code)
	assert.Equal(t, "X1", ae.TraceID)
	require.NotNil(t, ae.Quota)
	assert.Equal(t, QuotaExceeded{Limit: 300, Acked: 301}, *ae.Quota)
	assert.True(t, IsQuotaExceeded(err))

	_, err = decodeSendResult(200, []byte(`{"result":"error","code":10017,"reason":"quota: 1"}`))
	require.True(t, errors.As(err, &ae))
	assert.Nil(t, ae.Quota, "only quota answers carry Quota")
}

func TestChannelExceedQuotaShapes(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       map[string]int64
	}{
		{"object of numbers", `{"no_channel":2,"a":3}`, map[string]int64{"no_channel": 2, "a": 3}},
		{"object of strings", `{"no_channel":"2","a":" 3 ","b":"x","c":null,"d":1.0}`, map[string]int64{"no_channel": 2, "a": 3, "d": 1}},
		{"text", `"no_channel:2 a:3"`, map[string]int64{"no_channel": 2, "a": 3}},
		{"text with commas", `"no_channel:2, a:3,b=4;junk;:5"`, map[string]int64{"no_channel": 2, "a": 3, "b": 4}},
		{"empty text", `""`, nil},
		{"empty object", `{}`, nil},
		{"null", `null`, nil},
		{"number", `7`, nil},
		{"array", `[1,2]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"result":"ok","code":0,"trace_id":"X","data":{"id":"slm1","channel_exceed_quota":` + tc.data + `,"bad_regids":"r9"}}`
			_, fast := fastSendResult(200, []byte(body))
			assert.False(t, fast, "the scanner leaves channel_exceed_quota to encoding/json")
			res, err := decodeSendResult(200, []byte(body))
			require.NoError(t, err)
			assert.Equal(t, "slm1", res.ID, "the fields around it survive")
			assert.Equal(t, []string{"r9"}, res.BadRegIDs)
			assert.Equal(t, tc.want, res.ChannelExceedQuota)
		})
	}
}

func TestChannelClass(t *testing.T) {
	assert.Equal(t, "", (&Message{}).channelID())
	assert.Equal(t, "", (*Message)(nil).channelID())
	assert.Equal(t, "orders", (&Message{ChannelID: "orders"}).channelID())
	assert.Equal(t, "orders", (&Message{Extra: map[string]string{"channel_id": "orders"}}).channelID())
	assert.Equal(t, "typed", (&Message{ChannelID: "typed", Extra: map[string]string{"channel_id": "typed"}}).channelID())
}

func TestProbeIntervalOptions(t *testing.T) {
	for _, o := range []Options{
		{AppSecret: "s", QuotaProbeInterval: -time.Second},
		{AppSecret: "s", AuthProbeInterval: -time.Second},
	} {
		var ve *ValidationError
		require.ErrorAs(t, o.Validate(), &ve)
		assert.Contains(t, ve.Field, "ProbeInterval")
	}
	s := newSettings(Options{AppSecret: "s"})
	assert.Equal(t, DefaultQuotaProbeInterval, s.QuotaProbeInterval)
	assert.Equal(t, DefaultAuthProbeInterval, s.AuthProbeInterval)
	s = newSettings(Options{AppSecret: "s", QuotaProbeInterval: time.Second, AuthProbeInterval: 2 * time.Second})
	assert.Equal(t, time.Second, s.QuotaProbeInterval)
	assert.Equal(t, 2*time.Second, s.AuthProbeInterval)
}

func TestStoppedErrorText(t *testing.T) {
	cause := &APIError{Code: 200001, Reason: "exceed quota, quota: 1, have acked: 1"}
	at := time.Date(2026, 12, 3, 4, 5, 6, 0, time.UTC)
	e := &failFastError{cause: cause, quota: true, class: "news", next: at}
	assert.Equal(t, `mipush: not sent: sends of the message class (channel) "news" stopped after a daily-quota answer; next probe at 2026-12-03T04:05:06Z: mipush: error code 200001 (exceed quota, quota: 1, have acked: 1)`, e.Error())
	e = &failFastError{cause: &APIError{Code: 21301}, probing: true}
	assert.Equal(t, `mipush: not sent: calls with this app secret stopped after an authentication failure; a probe is out: mipush: error code 21301`, e.Error())
	assert.NotContains(t, e.Error(), "key=secret")
	assert.ErrorIs(t, e, ErrStopped)
	assert.True(t, IsAuth(e))
}
