package mipush

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answerSeeds are answers the scanner must read, or must give up on.
var answerSeeds = []struct {
	body string
	fast bool // the scanner reads it
}{
	{benchSuccessBody, true},
	{`{"result":"ok","code":0,"data":{"id":"m1"}}`, true},
	{` { "result" : "ok" , "trace_id":"t", "data" : { "id" : "m1" , "bad_regids" : "a, b,,c" , "day_quota":100,"day_acked":-3 } }` + "\n", true},
	{`{"result":"ok","data":{"id":"m1","extra":"x","n":12},"other":"y","num":-7}`, true},
	{`{"result":"ok","data":{"id":"m1"},"data":{"id":"m2"}}`, true},
	{`{"result":"ok","data":{}}`, true},
	{`{"result":"ok"}`, true},
	{`{"result":"ok","description":"成功"}`, true},
	{`{"result":"error","code":10017,"reason":"bad"}`, false},
	{`{"result":"ok","description":"\u6210\u529f"}`, false},
	{`{"Result":"ok"}`, false},
	{`{"result":"ok","Trace_ID":"x"}`, false},
	{`{"result":"ok","code":"0"}`, false},
	{`{"result":"ok","code":1.5}`, false},
	{`{"result":"ok","code":01}`, false},
	{`{"result":"ok","data":null}`, false},
	{`{"result":"ok","data":{"bad_regids":["a"]}}`, false},
	{`{"result":"ok","data":{"id":1}}`, false},
	{`{"result":"ok","data":{"id":"m1","channel_exceed_quota":"no_channel:2 a:3"}}`, false},
	{`{"result":"ok","data":{"id":"m1","channel_exceed_quota":{"no_channel":2}}}`, false},
	{`{"result":"ok","data":{"id":"m1","Channel_Exceed_Quota":"a:1"}}`, false},
	{`{"result":"ok","flag":true}`, false},
	{`{"result":"ok",}`, false},
	{`{"result":"ok"} x`, false},
	{`{"result":"ok"`, false},
	{`{"code":0}`, false},
	{"{\"result\":\"ok\",\"info\":\"a\x01b\"}", false},
	{"{\"result\":\"ok\",\"info\":\"\xff\"}", false},
	{`{"result":"ok","ſ":"x"}`, false},
	{``, false},
}

func TestFastSendResult(t *testing.T) {
	for _, tc := range answerSeeds {
		res, ok := fastSendResult(200, []byte(tc.body))
		require.Equal(t, tc.fast, ok, "%s", tc.body)
		assert.Equal(t, tc.fast, sendSucceeded(200, []byte(tc.body)), "%s", tc.body)
		if ok {
			want, err := decodeSendResultJSON(200, []byte(tc.body))
			require.NoError(t, err, "%s", tc.body)
			assert.Equal(t, want, res, "%s", tc.body)
		}
	}
	_, ok := fastSendResult(500, []byte(benchSuccessBody))
	assert.False(t, ok, "only a 200 is a success")
}

func TestFastSendResultAllocs(t *testing.T) {
	body := []byte(benchSuccessBody)
	assert.Zero(t, testing.AllocsPerRun(100, func() { sendSucceeded(200, body) }))
	// The Result, the string its text fields share, and Data.
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { fastSendResult(200, body) }), 3.0)
}

// FuzzFastSendResult checks that wherever the scanner reads an answer, it
// finds what encoding/json finds.
func FuzzFastSendResult(f *testing.F) {
	for _, tc := range answerSeeds {
		f.Add(tc.body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		res, ok := fastSendResult(200, []byte(body))
		if ok != sendSucceeded(200, []byte(body)) {
			t.Fatalf("sendSucceeded disagrees with fastSendResult on %q", body)
		}
		if !ok {
			return
		}
		want, err := decodeSendResultJSON(200, []byte(body))
		if err != nil {
			t.Fatalf("scanner read %q, encoding/json fails: %v", body, err)
		}
		assert.Equal(t, want, res, "%q", body)
	})
}
