package mipushtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mipush-go/mipush/receipt"
)

// Receipt is one entry of a delivery receipt batch that MiPush POSTs to a
// message's extra.callback URL. Zero-valued fields are left out of the
// JSON, except Type.
type Receipt struct {
	MsgID     string            // the key of the entry
	Param     string            // extra.callback.param of the message
	Type      receipt.Type      // one kind, such as receipt.Delivered
	Targets   []string          // sent comma-joined
	JobKey    string            // extra.jobkey of the message
	BarStatus receipt.BarStatus // "Enable", "Disable" or "Unknown"
	Timestamp time.Time         // sent as epoch milliseconds
	ErrorCode receipt.ErrorCode // for receipt.InvalidTarget: 1 regid, 2 alias, 3 user account
	// ReplaceTarget maps an old target to the one MiPush suggests instead.
	ReplaceTarget map[string]string
	// Extra holds the receipt.OverQuota details, e.g. {"ack": 5,
	// "quota": "5"} or {"device_acked": ..., "device_quota": ...}.
	Extra map[string]any
}

// ReceiptsJSON returns the JSON object of a receipt batch: one member per
// receipt, keyed by its MsgID, in order. It is written by hand, so a
// message id may appear twice (delivered and clicked in one batch), as a
// map could not express; a decoder that builds a map keeps only the last.
func ReceiptsJSON(receipts ...Receipt) []byte {
	b := []byte{'{'}
	for i, r := range receipts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, r.MsgID)
		b = append(b, ':', '{')
		if r.Param != "" {
			b = appendStringField(b, "param", r.Param)
		}
		b = appendIntField(b, "type", int64(r.Type))
		if len(r.Targets) > 0 {
			b = appendStringField(b, "targets", strings.Join(r.Targets, ","))
		}
		if r.JobKey != "" {
			b = appendStringField(b, "jobkey", r.JobKey)
		}
		if r.BarStatus != "" {
			b = appendStringField(b, "barStatus", string(r.BarStatus))
		}
		if !r.Timestamp.IsZero() {
			b = appendIntField(b, "timestamp", r.Timestamp.UnixMilli())
		}
		if r.ErrorCode != 0 {
			b = appendIntField(b, "errorCode", int64(r.ErrorCode))
		}
		if len(r.ReplaceTarget) > 0 {
			m, _ := json.Marshal(r.ReplaceTarget)
			b = append(appendKey(b, "replaceTarget"), m...)
		}
		if len(r.Extra) > 0 {
			m, err := json.Marshal(r.Extra)
			if err != nil {
				m = []byte("{}")
			}
			b = append(appendKey(b, "extra"), m...)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// ReceiptsBody returns the form body of a receipt batch: "data=" and the
// URL-encoded ReceiptsJSON.
func ReceiptsBody(receipts ...Receipt) string {
	return "data=" + url.QueryEscape(string(ReceiptsJSON(receipts...)))
}

// newReceiptRequest builds the POST of a receipt batch to u.
func newReceiptRequest(ctx context.Context, u string, receipts []Receipt) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(ReceiptsBody(receipts...)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// PostReceipts POSTs a receipt batch to url as MiPush does, with client
// (nil means http.DefaultClient), and returns the response status code.
// The response body is read and discarded.
func PostReceipts(ctx context.Context, client *http.Client, url string, receipts ...Receipt) (int, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := newReceiptRequest(ctx, url, receipts)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// ServeReceipts gives a receipt batch to h, in process, as MiPush would
// POST it to "/callback", and returns the recorded response.
func ServeReceipts(h http.Handler, receipts ...Receipt) *http.Response {
	req, err := newReceiptRequest(context.Background(), "http://receiver.test/callback", receipts)
	if err != nil {
		panic("mipushtest: " + err.Error()) // cannot happen: the URL is constant
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

// SampleReceipts returns a realistic batch for the message ids given (at
// least one; "msgId1" if none): for the first, delivered then clicked (the
// same id twice); for each id, an invalid regid with a replacement, a
// quota receipt and an expiry.
func SampleReceipts(at time.Time, msgIDs ...string) []Receipt {
	if len(msgIDs) == 0 {
		msgIDs = []string{"msgId1"}
	}
	var out []Receipt
	for i, id := range msgIDs {
		n := strconv.Itoa(i + 1)
		if i == 0 {
			out = append(out,
				Receipt{MsgID: id, Param: "param", Type: receipt.Delivered, Targets: []string{"alias1", "alias2"},
					JobKey: "job" + n, BarStatus: receipt.BarEnable, Timestamp: at},
				Receipt{MsgID: id, Param: "param", Type: receipt.Clicked, Targets: []string{"alias1"},
					JobKey: "job" + n, BarStatus: receipt.BarEnable, Timestamp: at.Add(time.Second)})
		}
		out = append(out,
			Receipt{MsgID: id, Param: "param", Type: receipt.InvalidTarget, Targets: []string{"regId" + n + "a", "regId" + n + "b"},
				BarStatus: receipt.BarUnknown, ErrorCode: receipt.InvalidRegID, Timestamp: at,
				ReplaceTarget: map[string]string{"regId" + n + "a": "otherRegId+/" + n}},
			Receipt{MsgID: id, Type: receipt.OverQuota, Targets: []string{"alias" + n}, Timestamp: at,
				Extra: map[string]any{"ack": 5, "quota": "5"}},
			Receipt{MsgID: id, Param: "param", Type: receipt.Expired, Targets: []string{"regId" + n + "c"}, Timestamp: at})
	}
	return out
}
