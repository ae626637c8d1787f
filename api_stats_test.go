package mipush_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/internal/chinatime"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestStats(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r1", "r2"}, note(1))
		require.NoError(t, err)
		_, err = c.PushToAlias(ctx, []string{"a1"}, note(1))
		require.NoError(t, err)

		today := time.Now()
		start := today.AddDate(0, 0, -2)
		got, err := c.Stats(ctx, apiPkg, start, today)
		require.NoError(t, err)
		r := lastRequest(t, srv, "GET", "/v1/stats/message/counters")
		assert.Equal(t, start.Format("20060102"), r.Form.Get("start_date"))
		assert.Equal(t, today.Format("20060102"), r.Form.Get("end_date"))
		assert.Equal(t, apiPkg, r.Form.Get("restricted_package_name"))

		require.Len(t, got, 3)
		y, m, d := start.Date()
		assert.Equal(t, time.Date(y, m, d, 0, 0, 0, 0, time.Local), got[0].Date)
		last := got[2]
		y, m, d = today.Date()
		assert.Equal(t, time.Date(y, m, d, 0, 0, 0, 0, time.Local), last.Date)
		assert.EqualValues(t, 2, last.RegIDRecipients)
		assert.EqualValues(t, 1, last.AliasRecipients)
		assert.EqualValues(t, 3, last.SingleRecipients)
		assert.EqualValues(t, 3, last.Received)
		assert.Zero(t, got[0].RegIDRecipients)
	})
}

func TestTrace(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()

		st, err := c.TraceMessage(ctx, "slm42")
		require.NoError(t, err)
		r := onlyRequest(t, srv, "GET", "/v1/trace/message/status")
		assert.Equal(t, "msg_id=slm42", r.RawQuery)
		assert.Equal(t, "slm42", st.ID)
		assert.WithinDuration(t, r.Time, st.Created, time.Millisecond)
		assert.Equal(t, 24*time.Hour, st.TimeToLive)
		assert.Equal(t, "Common", st.Type)
		assert.EqualValues(t, 1, st.Delivered)
		assert.Equal(t, 100.0, st.DeliveryRate, `"100%" is 100`)
		assert.Equal(t, 0.0, st.ClickRate)
		assert.EqualValues(t, 1, st.Resolved)
		assert.NotEmpty(t, st.Raw)

		srv.Reset()
		st, err = c.TraceJob(ctx, "promo-1")
		require.NoError(t, err)
		r = onlyRequest(t, srv, "GET", "/v1/trace/message/status")
		assert.Equal(t, "job_key=promo-1", r.RawQuery)
		assert.Equal(t, "promo-1", st.ID)

		srv.Reset()
		begin := time.UnixMilli(1700000000000)
		end := begin.Add(10 * time.Minute)
		list, err := c.TraceRange(ctx, begin, end)
		require.NoError(t, err)
		r = onlyRequest(t, srv, "GET", "/v1/trace/messages/status")
		assert.Equal(t, "1700000000000", r.Form.Get("begin_time"))
		assert.Equal(t, "1700000600000", r.Form.Get("end_time"))
		require.Len(t, list, 1)
		assert.True(t, begin.Equal(list[0].Created))
	})
}

// The decoding accepts numbers written as strings, rates with or without
// "%", a date written as a number and a creation time without timestamp.
func TestStatsTolerantDecoding(t *testing.T) {
	srv, c := newPair(t, true, mipush.Options{})
	ctx := context.Background()
	body := func(data string) *mipushtest.Answer {
		return &mipushtest.Answer{Body: []byte(`{"result":"ok","code":0,"trace_id":"X1","data":` + data + `}`)}
	}
	srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
		switch r.Path {
		case "/v1/trace/message/status":
			return body(`{"data":{"id":"m1","create_time":"2024-01-02 03:04:05","time_to_live":"600000",` +
				`"delivered":"12","delivery_rate":"12.5%","click":3,"click_rate":0.25,"resolved":"N/A"}}`)
		case "/v1/trace/messages/status":
			return body(`{"data":{"id":"m2","delivery_rate":7}}`)
		case "/v1/stats/message/counters":
			return body(`{"data":[{"date":20240102,"regid_recipients":"5","click":"1","received":null}]}`)
		}
		return nil
	})
	st, err := c.TraceMessage(ctx, "m1")
	require.NoError(t, err)
	assert.Equal(t, "m1", st.ID)
	assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, chinatime.Location()).Unix(), st.Created.Unix(), "China time")
	assert.Equal(t, 10*time.Minute, st.TimeToLive)
	assert.EqualValues(t, 12, st.Delivered)
	assert.Equal(t, 12.5, st.DeliveryRate)
	assert.EqualValues(t, 3, st.Clicks)
	assert.Equal(t, 0.25, st.ClickRate)
	assert.Zero(t, st.Resolved)

	list, err := c.TraceRange(ctx, time.UnixMilli(1), time.UnixMilli(2))
	require.NoError(t, err)
	require.Len(t, list, 1, "a single object is a list of one")
	assert.Equal(t, 7.0, list[0].DeliveryRate)

	loc := time.FixedZone("X", 3600)
	day := time.Date(2024, 1, 2, 12, 0, 0, 0, loc)
	stats, err := c.Stats(ctx, apiPkg, day, day)
	require.NoError(t, err)
	require.Len(t, stats, 1)
	assert.Equal(t, time.Date(2024, 1, 2, 0, 0, 0, 0, loc), stats[0].Date, "in the location of start")
	assert.EqualValues(t, 5, stats[0].RegIDRecipients)
	assert.EqualValues(t, 1, stats[0].Clicks)
}

func TestStatsDataError(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
		return &mipushtest.Answer{Body: []byte(`{"result":"ok","code":0,"data":{"data":"oops"}}`)}
	})
	_, err := c.Stats(context.Background(), apiPkg, time.Now(), time.Now())
	var de *mipush.DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "/v1/stats/message/counters", de.Path)
	assert.Contains(t, err.Error(), "oops")
}

func TestStatsValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	now := time.Now()
	_, err := c.Stats(ctx, "", now, now)
	requireInvalid(t, err, "restricted_package_name")
	_, err = c.Stats(ctx, "a\r\nb", now, now)
	requireInvalid(t, err, "restricted_package_name")
	_, err = c.Stats(ctx, apiPkg, now, now.AddDate(0, 0, -1))
	requireInvalid(t, err, "end_date")
	_, err = c.Stats(ctx, apiPkg, time.Time{}, now)
	requireInvalid(t, err, "start_date")
	_, err = c.TraceMessage(ctx, "")
	requireInvalid(t, err, "msg_id")
	_, err = c.TraceJob(ctx, "bad key")
	requireInvalid(t, err, "job_key")
	_, err = c.TraceRange(ctx, now, now.Add(-time.Second))
	requireInvalid(t, err, "end_time")
	_, err = c.TraceRange(ctx, time.Time{}, now)
	requireInvalid(t, err, "begin_time")
	assert.Zero(t, srv.Count())
}
