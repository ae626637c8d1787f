package mipush

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/receipt"
)

// TestLenientNumbersEverywhere checks that the decoders of sends, stats,
// trace and receipts read one odd number the same way, and that an odd
// optional value costs no other field.
func TestLenientNumbersEverywhere(t *testing.T) {
	// A send answer with odd optional numbers keeps its id and the rest.
	for _, body := range []string{
		`{"result":"ok","code":0,"trace_id":"X1","data":{"id":"slm1","day_quota":"N/A","day_acked":true,"bad_regids":"a,b"},"info":"i"}`,
		`{"result":"ok","code":"0","trace_id":"X1","data":{"id":"slm1","day_quota":{},"day_acked":"1.5","bad_regids":"a,b"},"info":"i"}`,
	} {
		res, err := decodeSendResult(200, []byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, "slm1", res.ID, body)
		assert.Equal(t, "X1", res.TraceID)
		assert.Equal(t, "i", res.Info)
		assert.Equal(t, []string{"a", "b"}, res.BadRegIDs)
		assert.Equal(t, int64(-1), res.DayQuota, "an odd optional number is not reported")
		assert.Equal(t, int64(-1), res.DayAcked)
	}
	res, err := decodeSendResult(200, []byte(`{"result":"ok","code":0,"data":{"id":"slm2","day_quota":" 100 ","day_acked":"1e2"}}`))
	require.NoError(t, err)
	assert.Equal(t, int64(100), res.DayQuota)
	assert.Equal(t, int64(100), res.DayAcked)

	// A list with odd elements keeps them as text, and the rest.
	res, err = decodeSendResult(200, []byte(`{"result":"ok","code":0,"data":{"bad_regids":["a",7],"id":"slm3","day_quota":5}}`))
	require.NoError(t, err)
	assert.Equal(t, "slm3", res.ID)
	assert.Equal(t, []string{"a", "7"}, res.BadRegIDs)
	assert.Equal(t, int64(5), res.DayQuota)

	// A number where a string was expected does not lose the answer.
	res, err = decodeSendResult(200, []byte(`{"result":"ok","code":0,"trace_id":7,"data":{"id":12345}}`))
	require.NoError(t, err)
	assert.Equal(t, "12345", res.ID)
	assert.Equal(t, "7", res.TraceID)

	// An error answer with an odd code string still is an error.
	_, err = decodeSendResult(200, []byte(`{"result":"error","code":"21301","reason":"Invalid application secret."}`))
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, CodeAuthFailed, ae.Code)

	// The same values through the trace decoder and the receipt decoder.
	s, err := decodeMessageStatus([]byte(`{"id":"m","delivered":" 3 ","click":"N/A","resolved":4.5,"invalid_target":"1e1"}`))
	require.NoError(t, err)
	assert.Equal(t, int64(3), s.Delivered)
	assert.Zero(t, s.Clicks)
	assert.Zero(t, s.Resolved, "a fraction is no integer, for every decoder")
	assert.Equal(t, int64(10), s.InvalidTarget)
	rs, err := receipt.Parse([]byte(`{"m":{"type":" 16 ","timestamp":"1.7e12"}}`))
	require.NoError(t, err)
	assert.Equal(t, receipt.InvalidTarget, rs[0].Type)
	assert.Equal(t, int64(1.7e12), rs[0].Timestamp.UnixMilli())
	_, err = receipt.Parse([]byte(`{"m":{"type":4.5}}`))
	assert.ErrorContains(t, err, "type: want a 64-bit integer", "a receipt's field refuses what lenient.Int refuses")
}
