package mipush

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendParams(t *testing.T) {
	var b []byte
	b = appendParam(b, "a", "x y&z=1")
	b = appendIntParam(b, "n", -42)
	b = appendJoinedParam(b, "ids", []string{"r+1", "r/2", "ü"})
	b = appendRepeatedParam(b, "t", []string{"p", "q;$;"})
	b = appendJoinedParam(b, "none", nil)
	assert.Equal(t, "a=x+y%26z%3D1&n=-42&ids=r%2B1%2Cr%2F2%2C%C3%BC&t=p&t=q%3B%24%3B&none=", string(b))

	v, err := url.ParseQuery(string(b))
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"a": {"x y&z=1"}, "n": {"-42"}, "ids": {"r+1,r/2,ü"}, "t": {"p", "q;$;"}, "none": {""},
	}, v)
	assert.Equal(t, "k=v", string(appendParam(nil, "k", "v")), "no '&' before the first")
}

func TestAppendParamsAllocs(t *testing.T) {
	ids := []string{"r1", "r2", "r3"}
	b := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		p := appendParam(b[:0], "restricted_package_name", "com.example.app")
		p = appendJoinedParam(p, "registration_id", ids)
		_ = appendIntParam(p, "notify_id", 7)
	})
	assert.Zero(t, allocs)
	assert.GreaterOrEqual(t, listSize(ids), len(appendJoinedParam(nil, "x", ids)))
}

func TestLooseJSON(t *testing.T) {
	var v struct {
		I []looseInt     `json:"i"`
		P []loosePercent `json:"p"`
		B []looseBool    `json:"b"`
		S []looseString  `json:"s"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{
		"i": [1, "2", " 3 ", 4.9, "5.5", null, "", "N/A", true, "1.5e3"],
		"p": [12.5, "12.5%", "7", "100 %", null, "x", "%"],
		"b": [true, "true", 1, "1", "TRUE", false, 0, "no", null],
		"s": ["a", 20240102, null, true, "\u00fc"]
	}`), &v))
	assert.Equal(t, []looseInt{1, 2, 3, 0, 0, 0, 0, 0, 0, 1500}, v.I, "fractions hold no integer (lenient.Int)")
	assert.Equal(t, []loosePercent{12.5, 12.5, 7, 100, 0, 0, 0}, v.P)
	assert.Equal(t, []looseBool{true, true, true, true, true, false, false, false, false}, v.B)
	assert.Equal(t, []looseString{"a", "20240102", "", "true", "ü"}, v.S)
}

func TestEncodeBatchBody(t *testing.T) {
	m := &Message{RestrictedPackageName: "p", PassThrough: true, Payload: `"q" & 1`}
	body, err := encodeBatch([]TargetedMessage{{Target: `a"b`, Message: m}}, time.Time{}, time.Now())
	require.NoError(t, err)
	v, err := url.ParseQuery(string(body))
	require.NoError(t, err)
	assert.Equal(t, "0", v.Get("time_to_send"))
	assert.JSONEq(t, `[{"target":"a\"b","message":{"restricted_package_name":"p","payload":"\"q\" & 1","pass_through":1}}]`,
		v.Get("messages"))
}
