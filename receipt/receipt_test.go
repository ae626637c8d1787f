package receipt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mipush-go/mipush/internal/lenient"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readReceiptFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

// stripRaw returns rs without their Raw fields, which are checked apart.
func stripRaw(rs []Receipt) []Receipt {
	out := make([]Receipt, len(rs))
	for i, r := range rs {
		r.Raw = nil
		out[i] = r
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want []Receipt
	}{
		{
			name: "documentation example",
			data: readReceiptFile(t, "doc-example.json"),
			want: []Receipt{
				{MsgID: "msgId1", Type: Delivered, Param: "param", Targets: []string{"alias1", "alias2", "alias3"}, JobKey: "123", BarStatus: BarEnable, Timestamp: ms(1324167800000)},
				{MsgID: "msgId4", Type: InvalidTarget, Param: "param", Targets: []string{"regId1", "regId2", "regId3"}, BarStatus: BarUnknown, ErrorCode: InvalidRegID, Timestamp: ms(1572228055643), ReplaceTarget: map[string]string{"regId1": "otherRegId"}},
				{MsgID: "msgId6", Type: OverQuota, Targets: []string{"alias"}, Timestamp: ms(1585203103625), Extra: map[string]string{"ack": "…", "quota": "…"}},
				{MsgID: "msgId8", Type: Expired, Param: "param", Targets: []string{"regId1", "regId2", "regId3"}, Timestamp: ms(1572228055643)},
			},
		},
		{
			name: "same message id twice keeps both in order",
			data: readReceiptFile(t, "duplicate-msgid.json"),
			want: []Receipt{
				{MsgID: "slm47b29b1700000000123z", Type: Delivered, Param: "order-42", Targets: []string{"alias-alice"}, BarStatus: BarEnable, Timestamp: ms(1700000000123)},
				{MsgID: "slm47b29b1700000000123z", Type: Clicked, Param: "order-42", Targets: []string{"alias-alice"}, BarStatus: BarEnable, Timestamp: ms(1700000004567)},
			},
		},
		{
			name: "invalid targets with error codes and replacements, numbers as strings",
			data: readReceiptFile(t, "invalid-target.json"),
			want: []Receipt{
				{
					MsgID: "scm01b93a1700000100000a", Type: InvalidTarget, Param: "campaign=spring&id=7",
					Targets:   []string{"d//igwEhgBGCI2TG6lWqlK+Vq7mPd/NIxQXRv0u62BFc=", "wJ2kYQ7Uy+Y4lfz/Mg1ZsAkRr0oa9CQkhmPGYcpmxKc="},
					BarStatus: BarDisable, ErrorCode: InvalidRegID, Timestamp: ms(1700000100000),
					ReplaceTarget: map[string]string{"wJ2kYQ7Uy+Y4lfz/Mg1ZsAkRr0oa9CQkhmPGYcpmxKc=": "Nq3+5yB/ZRtG0q8sVb2cT9zLwHhJk4mE7aXuD1oPf6Y="},
				},
				{MsgID: "scm01b93a1700000100001b", Type: InvalidTarget, Targets: []string{"vip-bob"}, ErrorCode: InvalidAlias, Timestamp: ms(1700000100500)},
			},
		},
		{
			name: "over quota with numeric and string extras",
			data: readReceiptFile(t, "over-quota.json"),
			want: []Receipt{
				{MsgID: "tcm11c77f1700000200000c", Type: OverQuota, Targets: []string{"alias-carol"}, Timestamp: ms(1700000200000), Extra: map[string]string{"ack": "123", "quota": "100"}},
				{MsgID: "tcm11c77f1700000200001d", Type: OverQuota, Targets: []string{"alias-dave"}, Timestamp: ms(1700000201000), Extra: map[string]string{"device_acked": "5", "device_quota": "5"}},
			},
		},
		{
			name: "unknown fields are ignored",
			data: readReceiptFile(t, "unknown-fields.json"),
			want: []Receipt{
				{MsgID: "xcm99a00f1700000300000e", Type: Disabled, Targets: []string{"alias-erin"}, BarStatus: BarDisable, Timestamp: ms(1700000300000)},
			},
		},
		{
			name: "empty object",
			data: []byte(" { } \n"),
			want: []Receipt{},
		},
		{
			name: "empty entry",
			data: []byte(`{"m":{}}`),
			want: []Receipt{{MsgID: "m"}},
		},
		{
			name: "nulls and empty strings are absent",
			data: []byte(`{"m":{"param":null,"type":null,"targets":"","timestamp":"","errorCode":null,"replaceTarget":null,"extra":{}}}`),
			want: []Receipt{{MsgID: "m"}},
		},
		{
			name: "targets as an array, empty items dropped",
			data: []byte(`{"m":{"targets":["a+b/c=",""]},"n":{"targets":"x,,y,"}}`),
			want: []Receipt{{MsgID: "m", Targets: []string{"a+b/c="}}, {MsgID: "n", Targets: []string{"x", "y"}}},
		},
		{
			name: "numbers in exponent form, scalars as text",
			data: []byte(`{"m":{"type":1.28e2,"timestamp":1.7e12,"jobkey":42,"param":true,"extra":{"q":1.50,"n":null,"o":{"a": [1, 2]}}}}`),
			want: []Receipt{{MsgID: "m", Type: OverQuota, Timestamp: ms(1700000000000), JobKey: "42", Param: "true", Extra: map[string]string{"q": "1.50", "n": "", "o": `{"a":[1,2]}`}}},
		},
		{
			name: "unknown bar status and type pass through",
			data: []byte(`{"m":{"type":4096,"barStatus":"Sleeping","errorCode":9}}`),
			want: []Receipt{{MsgID: "m", Type: 4096, BarStatus: "Sleeping", ErrorCode: 9}},
		},
		{
			name: "escaped keys and values",
			data: []byte(`{"m\u0031":{"param":"a\"b\\c\u00e9"}}`),
			want: []Receipt{{MsgID: "m1", Param: "a\"b\\cé"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.data)
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			if len(tt.want) > 0 {
				assert.Equal(t, tt.want, stripRaw(got))
			}
			for _, r := range got {
				assert.True(t, json.Valid(r.Raw), "Raw of %s is not JSON: %s", r.MsgID, r.Raw)
			}
		})
	}
}

func TestParseRaw(t *testing.T) {
	data := readReceiptFile(t, "unknown-fields.json")
	got, err := Parse(data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	var extra struct {
		AppID  string `json:"appId"`
		Region struct {
			Code string `json:"code"`
		} `json:"region"`
	}
	require.NoError(t, json.Unmarshal(got[0].Raw, &extra))
	assert.Equal(t, "2882303761517", extra.AppID)
	assert.Equal(t, "CN", extra.Region.Code)

	// Raw is a copy: changing the input afterwards does not change it.
	before := string(got[0].Raw)
	for i := range data {
		data[i] = 'x'
	}
	assert.Equal(t, before, string(got[0].Raw))
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // a part of the error message
	}{
		{"empty", "", "data is empty"},
		{"blank", " \n", "data is empty"},
		{"array", `[{"type":1}]`, "must be a JSON object, got an array"},
		{"string", `"{}"`, "must be a JSON object, got a string"},
		{"null", `null`, "must be a JSON object, got null"},
		{"number", `12`, "must be a JSON object, got a number"},
		{"not JSON", `data=%7B`, "syntax error at byte"},
		{"truncated", `{"m":{"type":1}`, "unexpected end of data"},
		{"truncated value", `{"m":{"type":`, `entry 0 ("m")`},
		{"missing value", `{"m":}`, `entry 0 ("m"): syntax error`},
		{"missing comma", `{"a":{} "b":{}}`, "entry 1: syntax error"},
		{"trailing comma", `{"a":{},}`, "entry 1: syntax error"},
		{"key not a string", `{1:{}}`, "entry 0: syntax error"},
		{"trailing object", `{"a":{}}{}`, "unexpected an object after the object"},
		{"trailing garbage", `{"a":{}} x`, "after the object: syntax error"},
		{"entry not an object", `{"a":{},"b":7}`, `entry 1 ("b"): must be a JSON object, got a number`},
		{"entry null", `{"a":null}`, `entry 0 ("a"): must be a JSON object, got null`},
		{"type not a number", `{"a":{"type":"delivered"}}`, `type: want an integer, got the string "delivered"`},
		{"type fraction", `{"a":{"type":1.5}}`, `type: want a 64-bit integer, got "1.5"`},
		{"type hex string", `{"a":{"type":"0x10"}}`, `type: want an integer`},
		{"type padded hex string", `{"a":{"type":" 0x10 "}}`, `type: want an integer`},
		{"type bool", `{"a":{"type":true}}`, `type: want an integer, got a boolean`},
		{"timestamp huge", `{"a":{"timestamp":1e30}}`, `timestamp: want a 64-bit integer`},
		{"timestamp object", `{"a":{"timestamp":{}}}`, `timestamp: want an integer, got an object`},
		{"errorCode array", `{"a":{"errorCode":[1]}}`, `errorCode: want an integer, got an array`},
		{"targets object", `{"a":{"targets":{"x":1}}}`, `targets: want a string, got an object`},
		{"targets nested array", `{"a":{"targets":[["x"]]}}`, `targets: want a string, got an array`},
		{"replaceTarget array", `{"a":{"replaceTarget":["x"]}}`, `replaceTarget: want an object, got an array`},
		{"replaceTarget nested", `{"a":{"replaceTarget":{"x":{"y":"z"}}}}`, `replaceTarget.x: want a string, got an object`},
		{"extra string", `{"a":{"extra":"ack=1"}}`, `extra: want an object, got a string`},
		{"param object", `{"a":{"param":{}}}`, `param: want a string, got an object`},
		{"long id is cut", `{"` + strings.Repeat("m", 500) + `":1}`, `"` + strings.Repeat("m", 64) + `"...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.data))
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "mipush: receipts: "), err.Error())
			assert.Less(t, len(err.Error()), 300, "the message should stay short")
		})
	}
}

func TestErrorCodeString(t *testing.T) {
	assert.Equal(t, "invalid_regid", InvalidRegID.String())
	assert.Equal(t, "invalid_alias", InvalidAlias.String())
	assert.Equal(t, "invalid_user_account", InvalidUserAccount.String())
	assert.Equal(t, "0", ErrorCode(0).String())
	assert.Equal(t, "7", ErrorCode(7).String())
}

// formBody encodes data as the value of the form field "data".
func formBody(data []byte) string {
	return url.Values{"data": {string(data)}}.Encode()
}

func newReceiptRequest(method, target, body string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}

// recordingHandle returns a Handle that records each batch it receives
// and then returns err.
func recordingHandle(err error) (func(context.Context, []Receipt) error, func() [][]Receipt) {
	var mu sync.Mutex
	var batches [][]Receipt
	handle := func(_ context.Context, rs []Receipt) error {
		mu.Lock()
		defer mu.Unlock()
		batches = append(batches, rs)
		return err
	}
	return handle, func() [][]Receipt {
		mu.Lock()
		defer mu.Unlock()
		return batches
	}
}

func TestHandler(t *testing.T) {
	doc := readReceiptFile(t, "doc-example.json")
	const secret = "s3cr3t+/=&tok"
	withToken := "/mipush/receipts?token=" + url.QueryEscape(secret)

	tests := []struct {
		name        string
		h           Handler // Handle is set by the test
		handleErr   error
		req         func() *http.Request
		wantStatus  int
		wantBatches int    // batches passed to Handle
		wantBody    string // a part of the response body
	}{
		{
			name:        "documentation example",
			req:         func() *http.Request { return newReceiptRequest("POST", "/cb", formBody(doc)) },
			wantStatus:  http.StatusOK,
			wantBatches: 1,
			wantBody:    "ok",
		},
		{
			name: "content type with charset",
			req: func() *http.Request {
				r := newReceiptRequest("POST", "/cb", formBody(doc))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
				return r
			},
			wantStatus:  http.StatusOK,
			wantBatches: 1,
		},
		{
			name: "no content type",
			req: func() *http.Request {
				r := newReceiptRequest("POST", "/cb", formBody(doc))
				r.Header.Del("Content-Type")
				return r
			},
			wantStatus:  http.StatusOK,
			wantBatches: 1,
		},
		{
			name:       "empty object does not call Handle",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", "data=%7B%7D") },
			wantStatus: http.StatusOK,
		},
		{
			name:       "GET",
			req:        func() *http.Request { return newReceiptRequest("GET", "/cb", "") },
			wantStatus: http.StatusMethodNotAllowed,
		},
		{
			name:       "PUT",
			req:        func() *http.Request { return newReceiptRequest("PUT", "/cb", formBody(doc)) },
			wantStatus: http.StatusMethodNotAllowed,
		},
		{
			name: "JSON content type",
			req: func() *http.Request {
				r := newReceiptRequest("POST", "/cb", string(doc))
				r.Header.Set("Content-Type", "application/json")
				return r
			},
			wantStatus: http.StatusUnsupportedMediaType,
		},
		{
			name:       "missing data",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", "dta=%7B%7D") },
			wantStatus: http.StatusBadRequest,
			wantBody:   `form field "data" is missing`,
		},
		{
			name:       "empty body",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", "") },
			wantStatus: http.StatusBadRequest,
			wantBody:   `form field "data" is missing`,
		},
		{
			name:       "data twice",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", "data=%7B%7D&data=%7B%7D") },
			wantStatus: http.StatusBadRequest,
			wantBody:   "appears 2 times",
		},
		{
			name:       "data in the query only",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb?data=%7B%7D", "x=1") },
			wantStatus: http.StatusBadRequest,
			wantBody:   `form field "data" is missing`,
		},
		{
			name:       "malformed data",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", "data=%7B%22m%22%3A") },
			wantStatus: http.StatusBadRequest,
			wantBody:   "mipush: receipts:",
		},
		{
			name:       "bad form escape",
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", "data=%zz") },
			wantStatus: http.StatusBadRequest,
			wantBody:   "not a valid form",
		},
		{
			name:       "body over the cap, length known",
			h:          Handler{MaxBytes: 64},
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", formBody(doc)) },
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "body over the cap, length unknown",
			h:    Handler{MaxBytes: 64},
			req: func() *http.Request {
				r := newReceiptRequest("POST", "/cb", formBody(doc))
				r.ContentLength = -1
				r.Body = io.NopCloser(strings.NewReader(formBody(doc)))
				return r
			},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "default cap is 1 MiB",
			req: func() *http.Request {
				return newReceiptRequest("POST", "/cb", "data=%7B%7D&pad="+strings.Repeat("x", DefaultMaxBytes))
			},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "body at the cap",
			h:    Handler{MaxBytes: int64(len(formBody(doc)))},
			req: func() *http.Request {
				r := newReceiptRequest("POST", "/cb", formBody(doc))
				r.ContentLength = -1
				return r
			},
			wantStatus:  http.StatusOK,
			wantBatches: 1,
		},
		{
			name:        "right token",
			h:           Handler{Token: secret},
			req:         func() *http.Request { return newReceiptRequest("POST", withToken, formBody(doc)) },
			wantStatus:  http.StatusOK,
			wantBatches: 1,
		},
		{
			name: "right token, own parameter name",
			h:    Handler{Token: secret, TokenParam: "k"},
			req: func() *http.Request {
				return newReceiptRequest("POST", "/cb?k="+url.QueryEscape(secret), formBody(doc))
			},
			wantStatus:  http.StatusOK,
			wantBatches: 1,
		},
		{
			name:       "missing token",
			h:          Handler{Token: secret},
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb", formBody(doc)) },
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "wrong token",
			h:          Handler{Token: secret},
			req:        func() *http.Request { return newReceiptRequest("POST", "/cb?token=s3cr3t", formBody(doc)) },
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "token under the default name when another is configured",
			h:          Handler{Token: secret, TokenParam: "k"},
			req:        func() *http.Request { return newReceiptRequest("POST", withToken, formBody(doc)) },
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "token twice",
			h:          Handler{Token: secret},
			req:        func() *http.Request { return newReceiptRequest("POST", withToken+"&token=x", formBody(doc)) },
			wantStatus: http.StatusForbidden,
		},
		{
			name: "token in the body does not count",
			h:    Handler{Token: secret},
			req: func() *http.Request {
				return newReceiptRequest("POST", "/cb", formBody(doc)+"&token="+url.QueryEscape(secret))
			},
			wantStatus: http.StatusForbidden,
		},
		{
			name:        "Handle fails",
			handleErr:   errors.New("queue full"),
			req:         func() *http.Request { return newReceiptRequest("POST", "/cb", formBody(doc)) },
			wantStatus:  http.StatusInternalServerError,
			wantBatches: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := tt.h
			h.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			handle, batches := recordingHandle(tt.handleErr)
			h.Handle = handle
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req())

			assert.Equal(t, tt.wantStatus, rec.Code, "body: %s", rec.Body)
			assert.Len(t, batches(), tt.wantBatches)
			assert.Contains(t, rec.Body.String(), tt.wantBody)
			if tt.wantStatus == http.StatusMethodNotAllowed {
				assert.Equal(t, "POST", rec.Header().Get("Allow"))
			}
			if tt.wantStatus != http.StatusOK {
				assert.Contains(t, logs.String(), "status="+strconv.Itoa(tt.wantStatus), "a rejection should be logged")
			}
			if tt.wantBatches == 1 {
				assert.Len(t, batches()[0], 4)
			}
			// Neither the token nor anything derived from the URL is
			// logged or echoed.
			for _, leak := range []string{secret, url.QueryEscape(secret), "s3cr3t"} {
				assert.NotContains(t, logs.String(), leak)
				assert.NotContains(t, rec.Body.String(), leak)
			}
			assert.NotContains(t, logs.String(), "token=")
		})
	}
}

// writeTracker records whether the response was started.
type writeTracker struct {
	http.ResponseWriter
	started bool
}

func (w *writeTracker) WriteHeader(code int) {
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *writeTracker) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

func TestHandlerCallsHandleBeforeAnswering(t *testing.T) {
	for _, fail := range []bool{false, true} {
		tw := &writeTracker{ResponseWriter: httptest.NewRecorder()}
		called := false
		h := &Handler{Handle: func(ctx context.Context, rs []Receipt) error {
			called = true
			assert.False(t, tw.started, "the response was started before Handle ran")
			assert.NoError(t, ctx.Err())
			if fail {
				return errors.New("boom")
			}
			return nil
		}}
		h.ServeHTTP(tw, newReceiptRequest("POST", "/cb", formBody(readReceiptFile(t, "duplicate-msgid.json"))))
		assert.True(t, called)
		assert.True(t, tw.started)
	}
}

func TestHandlerNilHandle(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Handler{}).ServeHTTP(rec, newReceiptRequest("POST", "/cb", formBody(readReceiptFile(t, "doc-example.json"))))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
}

func TestHandlerQuietByDefault(t *testing.T) {
	// With no Logger nothing is written to the default logger either.
	var out bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&out, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	h := &Handler{Handle: func(context.Context, []Receipt) error { return errors.New("x") }}
	for _, req := range []*http.Request{
		newReceiptRequest("GET", "/cb", ""),
		newReceiptRequest("POST", "/cb", "data=%7B"),
		newReceiptRequest("POST", "/cb", formBody(readReceiptFile(t, "doc-example.json"))),
	} {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	assert.Empty(t, out.String())
}

func TestHandlerLogsWithoutToken(t *testing.T) {
	const secret = "tok-9f8e7d6c5b4a"
	var logs bytes.Buffer
	h := &Handler{
		Token:  secret,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Handle: func(context.Context, []Receipt) error { return errors.New("store down") },
	}
	h.ServeHTTP(httptest.NewRecorder(), newReceiptRequest("POST", "/cb?token=wrong-"+secret, formBody([]byte("{}"))))
	h.ServeHTTP(httptest.NewRecorder(), newReceiptRequest("POST", "/cb?token="+secret, "data=%7B%22m%22"))
	h.ServeHTTP(httptest.NewRecorder(), newReceiptRequest("POST", "/cb?token="+secret, formBody(readReceiptFile(t, "doc-example.json"))))

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 3)
	assert.Contains(t, lines[0], `"status":403`)
	assert.Contains(t, lines[1], `"status":400`)
	assert.Contains(t, lines[1], "mipush: receipts:")
	assert.Contains(t, lines[2], `"level":"ERROR"`)
	assert.Contains(t, lines[2], "store down")
	assert.NotContains(t, logs.String(), secret)
}

// TestHandlerOverLoopback posts real requests to a real server: the
// body is the form encoded the way Xiaomi's Java servers encode it, with
// regids holding '+', '/' and '='.
func TestHandlerOverLoopback(t *testing.T) {
	handle, batches := recordingHandle(nil)
	h := &Handler{Handle: handle, Token: "loop-token", MaxBytes: 4096}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cb, err := h.CallbackURL(srv.URL + "/mipush/receipts")
	require.NoError(t, err)

	post := func(target, body string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Post(target, "application/x-www-form-urlencoded", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	// The stored form body: Java URLEncoder style, spaces as '+'.
	form := readReceiptFile(t, "invalid-target.form")
	// '+' in the form is a space (JSON whitespace here); the regids' own
	// '+' arrive as %2B.
	require.Contains(t, string(form), "+%22scm")
	require.Contains(t, string(form), "%2B")
	code, body := post(cb, string(form))
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "ok\n", body)

	// The same receipts encoded by url.Values.
	code, _ = post(cb, formBody(readReceiptFile(t, "invalid-target.json")))
	require.Equal(t, http.StatusOK, code)

	// A body with a regid that a second unescape would change: "%2B" in
	// the JSON must stay "%2B", and "+" must stay "+".
	tricky := `{"m":{"type":16,"errorCode":1,"targets":"ab+cd/ef%2Bgh=","param":"50% off"}}`
	code, _ = post(cb, formBody([]byte(tricky)))
	require.Equal(t, http.StatusOK, code)

	got := batches()
	require.Len(t, got, 3)
	want, err := Parse(readReceiptFile(t, "invalid-target.json"))
	require.NoError(t, err)
	assert.Equal(t, stripRaw(want), stripRaw(got[0]))
	assert.Equal(t, stripRaw(want), stripRaw(got[1]))
	assert.Equal(t, []string{"d//igwEhgBGCI2TG6lWqlK+Vq7mPd/NIxQXRv0u62BFc=", "wJ2kYQ7Uy+Y4lfz/Mg1ZsAkRr0oa9CQkhmPGYcpmxKc="}, got[0][0].Targets)
	assert.Equal(t, "campaign=spring&id=7", got[0][0].Param)
	require.Len(t, got[2], 1)
	assert.Equal(t, []string{"ab+cd/ef%2Bgh="}, got[2][0].Targets)
	assert.Equal(t, "50% off", got[2][0].Param)

	// Rejections over the wire.
	code, _ = post(srv.URL+"/mipush/receipts", string(form))
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = post(cb, "data="+strings.Repeat("x", 8192))
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	resp, err := srv.Client().Get(cb)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
	assert.Len(t, batches(), 3)
}

func TestHandlerCallbackURL(t *testing.T) {
	h := &Handler{Token: "a b+c/d"}
	tests := []struct {
		base, want string
	}{
		{"https://push.example.com/mipush/receipts", "https://push.example.com/mipush/receipts?token=a+b%2Bc%2Fd"},
		{"https://push.example.com/cb?app=1&x=%2F", "https://push.example.com/cb?app=1&x=%2F&token=a+b%2Bc%2Fd"},
		{"http://10.0.0.1:8080/cb?", "http://10.0.0.1:8080/cb?token=a+b%2Bc%2Fd"},
		{"https://push.example.com/cb#frag", "https://push.example.com/cb?token=a+b%2Bc%2Fd#frag"},
	}
	for _, tt := range tests {
		got, err := h.CallbackURL(tt.base)
		require.NoError(t, err, tt.base)
		assert.Equal(t, tt.want, got)
		u, err := url.Parse(got)
		require.NoError(t, err)
		assert.Equal(t, h.Token, u.Query().Get("token"), "the handler reads back the token")
	}

	for _, base := range []string{"", "/cb", "ftp://example.com/cb", "https:///cb", "https://example.com/cb?token=old", "https://example.com/cb?x=%zz"} {
		_, err := h.CallbackURL(base)
		require.Error(t, err, base)
		assert.NotContains(t, err.Error(), h.Token)
	}

	named := &Handler{Token: "t", TokenParam: "key"}
	got, err := named.CallbackURL("https://example.com/cb?token=x")
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/cb?token=x&key=t", got)

	plain := &Handler{}
	got, err = plain.CallbackURL("https://example.com/cb?a=1")
	require.NoError(t, err)
	assert.Equal(t, "https://example.com/cb?a=1", got)
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"doc-example.json", "duplicate-msgid.json", "invalid-target.json", "over-quota.json", "unknown-fields.json"} {
		f.Add(readReceiptFile(f, name))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"m":{"type":"16","timestamp":1.7e12,"targets":["a","b"],"extra":{"o":{"x":[1]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse(data)
		if err != nil {
			if rs != nil {
				t.Fatalf("receipts %v returned with error %v", rs, err)
			}
			if !strings.HasPrefix(err.Error(), "mipush: receipts: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		// Compared with a map decoding: every id is kept, and none is
		// invented.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted %q, which does not decode as an object: %v", data, err)
		}
		if len(rs) < len(m) {
			t.Fatalf("got %d receipts for %d distinct ids", len(rs), len(m))
		}
		for _, r := range rs {
			if _, ok := m[r.MsgID]; !ok {
				t.Fatalf("invented id %q", r.MsgID)
			}
			if !json.Valid(r.Raw) || lenient.Kind(r.Raw) != '{' {
				t.Fatalf("Raw of %q is not a JSON object: %q", r.MsgID, r.Raw)
			}
			for _, tgt := range r.Targets {
				if tgt == "" {
					t.Fatalf("empty target in %q", r.MsgID)
				}
			}
		}
	})
}
