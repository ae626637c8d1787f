package mipush_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// okBody is a success answer with the given data.
func okBody(data string) *mipushtest.Answer {
	return &mipushtest.Answer{Body: []byte(`{"result":"ok","code":0,"trace_id":"Xlm1","data":` + data + `,"description":"成功"}`)}
}

// TestTraceAsTheServerSendsIt decodes a trace answer of the shape a real
// send produced (the trace answer in isayme/xiaomi-push's mocker, from a
// send of 2018-02-28): time_to_live a string in seconds, every
// counter named.
func TestTraceAsTheServerSendsIt(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			return okBody(`{"data":{"id":"slm1","create_time":"2018-02-28 22:17:48","create_timestamp":1519827468000,` +
				`"time_to_live":"1209600s","msg_type":"Common","delivered":5,"delivery_rate":"50%","click":2,"click_rate":"40%",` +
				`"resolved":10,"invalid_target":3,"raw_counter":12,"bar_closed":1,"device_condition_unmatch":"4","app_not_register":6}}`)
		})
		st, err := c.TraceMessage(context.Background(), "slm1")
		require.NoError(t, err)
		assert.Equal(t, 1209600*time.Second, st.TimeToLive)
		assert.Equal(t, int64(1519827468000), st.Created.UnixMilli())
		assert.EqualValues(t, 5, st.Delivered)
		assert.Equal(t, 50.0, st.DeliveryRate)
		assert.EqualValues(t, 2, st.Clicks)
		assert.EqualValues(t, 10, st.Resolved)
		assert.EqualValues(t, 3, st.InvalidTarget)
		assert.EqualValues(t, 12, st.RawCounter)
		assert.EqualValues(t, 1, st.BarClosed)
		assert.EqualValues(t, 4, st.DeviceConditionUnmatch)
		assert.EqualValues(t, 6, st.AppNotRegister)

		// create_time alone, in China time.
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			return okBody(`{"data":{"id":"slm2","create_time":"2018-02-28 22:17:48","time_to_live":"60 s"}}`)
		})
		st, err = c.TraceMessage(context.Background(), "slm2")
		require.NoError(t, err)
		assert.Equal(t, int64(1519827468000), st.Created.UnixMilli())
		assert.Equal(t, time.Minute, st.TimeToLive)

		// The fake server answers the same shape.
		srv.SetHook(nil)
		st, err = c.TraceMessage(context.Background(), "slm3")
		require.NoError(t, err)
		assert.Equal(t, 24*time.Hour, st.TimeToLive)
		assert.EqualValues(t, 1, st.RawCounter)
	})
}

// TestDataArrayIsNotAnEmptyAnswer: a data array where an object was
// expected is an error; where a list makes sense (presences) it is read.
func TestDataArrayIsNotAnEmptyAnswer(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			return okBody(`[{"regid":"r1","presence":true},{"regid":"r2","presence":false}]`)
		})
		ps, err := c.Presences(ctx, "com.example.app", []string{"r1", "r2"})
		require.NoError(t, err)
		assert.Equal(t, []mipush.Presence{{RegID: "r1", Present: true}, {RegID: "r2"}}, ps)

		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer { return okBody(`[1,2]`) })
		var de *mipush.DataError
		_, err = c.Presence(ctx, "com.example.app", "r1")
		require.ErrorAs(t, err, &de)
		assert.ErrorContains(t, err, "want a JSON object, got an array")
		_, err = c.ValidateRegIDs(ctx, []string{"r1"})
		require.ErrorAs(t, err, &de)
		_, err = c.RegionsOf(ctx, []string{"r1"})
		require.ErrorAs(t, err, &de)
		_, err = c.TraceMessage(ctx, "slm1")
		require.ErrorAs(t, err, &de)
		_, err = c.Stats(ctx, "com.example.app", time.Now(), time.Now())
		require.ErrorAs(t, err, &de)
		_, err = c.AliasesOf(ctx, "com.example.app", "r1")
		require.ErrorAs(t, err, &de)
		assert.Equal(t, "/v1/alias/all", de.Path)

		// A send keeps an array data for the caller to see.
		res, err := c.PushToRegID(ctx, []string{"r1"}, note(1))
		require.NoError(t, err)
		assert.JSONEq(t, `[1,2]`, string(res.Data))
	})
}

// TestOddOptionalNumberKeepsTheAnswer sends through both protocols and
// both decoders (blocking, and async with OnSuccess).
func TestOddOptionalNumberKeepsTheAnswer(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		got := make(chan *mipush.SendResult, 1)
		srv, c := newPair(t, h2, mipush.Options{OnSuccess: func(r *mipush.SendResult) { got <- r }})
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			return okBody(`{"id":"slm77","day_quota":"N/A","day_acked":"12"}`)
		})
		res, err := c.PushToRegID(context.Background(), []string{"r1"}, note(1))
		require.NoError(t, err)
		assert.Equal(t, "slm77", res.ID)
		assert.Equal(t, int64(-1), res.DayQuota)
		assert.Equal(t, int64(12), res.DayAcked)
		require.NoError(t, c.PushToRegIDAsync(context.Background(), []string{"r1"}, note(2)))
		require.NoError(t, c.Flush(context.Background()))
		r := <-got
		require.NotNil(t, r.Result)
		assert.Equal(t, "slm77", r.Result.ID)
	})
}
