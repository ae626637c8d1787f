package mipushtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mipush-go/mipush/receipt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receiptKeys decodes a receipt batch by streaming its keys, as a careful
// receiver must, and returns the message ids and entries in order.
func receiptKeys(t testing.TB, data string) ([]string, []map[string]any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(data))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var ids []string
	var entries []map[string]any
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		ids = append(ids, tok.(string))
		var e map[string]any
		require.NoError(t, dec.Decode(&e))
		entries = append(entries, e)
	}
	return ids, entries
}

func TestReceipts(t *testing.T) {
	at := time.UnixMilli(1572228055643)
	batch := SampleReceipts(at, "slm1", "slm2")
	var gotData string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		require.NoError(t, r.ParseForm())
		gotData = r.PostForm.Get("data")
	})
	resp := ServeReceipts(h, batch...)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	ids, entries := receiptKeys(t, gotData)
	require.Len(t, ids, len(batch))
	assert.Equal(t, []string{"slm1", "slm1", "slm1", "slm1", "slm1", "slm2", "slm2", "slm2"}, ids)
	assert.EqualValues(t, receipt.Delivered, entries[0]["type"])
	assert.EqualValues(t, receipt.Clicked, entries[1]["type"], "the same id twice in one batch")
	assert.Equal(t, "alias1,alias2", entries[0]["targets"])
	assert.Equal(t, "Enable", entries[0]["barStatus"])
	assert.EqualValues(t, 1572228055643, entries[0]["timestamp"])
	inv := entries[2]
	assert.EqualValues(t, receipt.InvalidTarget, inv["type"])
	assert.EqualValues(t, 1, inv["errorCode"])
	assert.Equal(t, map[string]any{"regId1a": "otherRegId+/1"}, inv["replaceTarget"], "+ and / survive one form decoding")
	assert.Equal(t, map[string]any{"ack": float64(5), "quota": "5"}, entries[3]["extra"])

	// A map-based decoder keeps only one entry per id: the trap.
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(gotData), &m))
	assert.Len(t, m, 2)

	srv := httptest.NewServer(h)
	defer srv.Close()
	status, err := PostReceipts(t.Context(), srv.Client(), srv.URL+"/cb", Receipt{MsgID: "x", Type: receipt.Expired})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, `{"x":{"type":1024}}`, gotData)
	assert.Equal(t, "data=%7B%22x%22%3A%7B%22type%22%3A1024%7D%7D", ReceiptsBody(Receipt{MsgID: "x", Type: receipt.Expired}))
	body, _ := io.ReadAll(resp.Body)
	assert.Empty(t, body)
}
