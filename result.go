package mipush

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/mipush-go/mipush/internal/errtext"
	"github.com/mipush-go/mipush/internal/lenient"
)

// Result is the server's answer to a successful send.
type Result struct {
	ID          string   // data.id: the message id (also the schedule job id)
	TraceID     string   // trace_id: the request id
	BadRegIDs   []string // data.bad_regids, split: targets the server rejected
	Info        string   // info, e.g. "Received push messages for 1 REGID"
	Description string   // description, e.g. "成功"
	// DayQuota and DayAcked are data.day_quota and data.day_acked, when the
	// server reports them (-1 when absent).
	DayQuota, DayAcked int64
	// ChannelExceedQuota is data.channel_exceed_quota of a multi-message
	// send: per message class, how many of the batch's messages the
	// server dropped because the class's daily quota is spent (such
	// sends never fail with 200001). The key is the channel id;
	// "no_channel" is what the server calls the default class. nil when
	// nothing was dropped. The answer's shape is inferred: an object of
	// numbers or numeric strings, or a string such as "no_channel:2 a:3",
	// are both read.
	ChannelExceedQuota map[string]int64
	// Data is the raw "data" value, for fields this type does not name:
	// an object, or an array as some answers have (nil for anything else).
	Data json.RawMessage
}

// response is the JSON envelope every MiPush call answers with. Its fields
// and those of sendData decode leniently (looseString, looseInt), so that
// an odd value of one field never costs the others.
type response struct {
	Result      looseString     `json:"result"`
	Code        looseInt        `json:"code"`
	Description looseString     `json:"description"`
	Reason      looseString     `json:"reason"`
	Info        looseString     `json:"info"`
	TraceID     looseString     `json:"trace_id"`
	Data        json.RawMessage `json:"data"`
}

// sendData is the "data" object of a send.
type sendData struct {
	ID        looseString     `json:"id"`
	BadRegIDs flexList        `json:"bad_regids"`
	DayQuota  json.RawMessage `json:"day_quota"` // by optionalInt
	DayAcked  json.RawMessage `json:"day_acked"`

	ChannelExceedQuota channelCounts `json:"channel_exceed_quota"`
}

// decodeEnvelope parses a response body. A body that is not JSON yields an
// *APIError carrying the HTTP status, so the caller always gets a typed error.
func decodeEnvelope(status int, body []byte) (*response, error) {
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		if status == 200 {
			return nil, &APIError{HTTPStatus: status, Reason: "response is not JSON: " + errtext.Body(body)}
		}
		return nil, &APIError{HTTPStatus: status, Reason: errtext.Body(body)}
	}
	if status != 200 || r.Result == "error" || (r.Result != "ok" && r.Code != 0) {
		return nil, &APIError{
			Code:        Code(r.Code),
			Description: string(r.Description),
			Reason:      string(r.Reason),
			TraceID:     string(r.TraceID),
			HTTPStatus:  status,
			Quota:       parseQuota(Code(r.Code), string(r.Reason)),
		}
	}
	if r.Result != "ok" {
		return nil, &APIError{HTTPStatus: status, Reason: "response has no result: " + errtext.Body(body)}
	}
	return &r, nil
}

// decodeSendResult parses the answer to a send.
func decodeSendResult(status int, body []byte) (*Result, error) {
	if res, ok := fastSendResult(status, body); ok {
		return res, nil
	}
	return decodeSendResultJSON(status, body)
}

// decodeSendResultJSON is decodeSendResult through encoding/json alone.
func decodeSendResultJSON(status int, body []byte) (*Result, error) {
	r, err := decodeEnvelope(status, body)
	if err != nil {
		return nil, err
	}
	res := &Result{
		TraceID:     string(r.TraceID),
		Info:        string(r.Info),
		Description: string(r.Description),
		DayQuota:    -1,
		DayAcked:    -1,
	}
	// An array is kept too, so that a call expecting an object reports
	// it (see decodeData) instead of taking it for an empty answer.
	switch lenient.Kind(r.Data) {
	case '[':
		res.Data = bytes.Clone(r.Data)
	case '{':
		res.Data = bytes.Clone(r.Data)
		var d sendData
		// Every field decodes leniently: no error but a syntax error,
		// which decodeEnvelope has ruled out.
		_ = json.Unmarshal(r.Data, &d)
		res.ID = string(d.ID)
		res.BadRegIDs = d.BadRegIDs
		res.DayQuota = optionalInt(d.DayQuota)
		res.DayAcked = optionalInt(d.DayAcked)
		res.ChannelExceedQuota = d.ChannelExceedQuota
	}
	return res, nil
}

// flexList accepts a comma-joined string or an array (whose elements
// decode as looseString). Decoding never fails, so that an odd list never
// costs the fields around it.
type flexList []string

func (l *flexList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var a []looseString
		if err := json.Unmarshal(b, &a); err != nil {
			return nil // cannot happen: b is valid JSON, the elements are lenient
		}
		out := make([]string, len(a))
		for i, s := range a {
			out[i] = string(s)
		}
		*l = out
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil // null or another type: no list
	}
	*l = splitList(s)
	return nil
}

// splitList splits a comma-joined list, dropping empty items.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
