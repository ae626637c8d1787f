// Package receipt reads the delivery receipts that MiPush posts to a
// message's callback URL (see [github.com/mipush-go/mipush.Callback]):
// [Parse] decodes one posted batch, and [Handler] serves the callback URL,
// checking the request and its token before handing the receipts on.
// [Type] names the kinds of receipt, for a receipt and for the kinds a
// callback asks for.
package receipt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mipush-go/mipush/internal/errtext"
	"github.com/mipush-go/mipush/internal/lenient"
)

// BarStatus tells whether the app's notifications were allowed on the
// device when a receipt was recorded (the receipt field barStatus).
// Values other than the constants below are passed through unchanged.
type BarStatus string

// Notification-bar states.
const (
	// BarEnable: the app's notifications are allowed.
	BarEnable BarStatus = "Enable"
	// BarDisable: the user turned the app's notifications off.
	BarDisable BarStatus = "Disable"
	// BarUnknown: the device did not say.
	BarUnknown BarStatus = "Unknown"
)

// ErrorCode says why a target was invalid, in a receipt of type
// [InvalidTarget] (the receipt field errorCode). It is 0 in other
// receipts.
type ErrorCode int

// Invalid-target reasons.
const (
	// InvalidRegID: the regid is not (or no longer) valid.
	InvalidRegID ErrorCode = 1
	// InvalidAlias: the alias is not set on any device.
	InvalidAlias ErrorCode = 2
	// InvalidUserAccount: the user account is not set on any device.
	InvalidUserAccount ErrorCode = 3
)

// String returns "invalid_regid", "invalid_alias" or "invalid_user_account"
// for the documented codes, and the number otherwise.
func (c ErrorCode) String() string {
	switch c {
	case InvalidRegID:
		return "invalid_regid"
	case InvalidAlias:
		return "invalid_alias"
	case InvalidUserAccount:
		return "invalid_user_account"
	}
	return strconv.Itoa(int(c))
}

// Receipt is one delivery receipt: one entry of the JSON object that
// MiPush posts to a callback URL. Every field is optional in the input and
// is left zero when absent.
type Receipt struct {
	// MsgID is the message id, the entry's key in the posted object.
	MsgID string
	// Type is the kind of receipt, normally one flag such as
	// Delivered or InvalidTarget.
	Type Type
	// Param is the message's Callback.Param, echoed back.
	Param string
	// Targets are the regids, aliases or user accounts the receipt is
	// about (posted as one comma-joined string).
	Targets []string
	// JobKey is the message's extra.jobkey.
	JobKey string
	// BarStatus tells whether the app's notifications were allowed.
	BarStatus BarStatus
	// Timestamp is when the event happened, in UTC with millisecond
	// precision; zero when absent or 0.
	Timestamp time.Time
	// ErrorCode says why the targets are invalid (InvalidTarget
	// only).
	ErrorCode ErrorCode
	// ReplaceTarget maps an invalid target to the one MiPush suggests
	// using instead, such as a device's new regid.
	ReplaceTarget map[string]string
	// Extra holds further figures, such as "ack" and "quota" (or
	// "device_acked" and "device_quota") in OverQuota receipts.
	// Numbers and booleans are given as their JSON text, nested objects
	// and arrays as compact JSON.
	Extra map[string]string
	// Raw is the entry's JSON object as received, for fields not named
	// above.
	Raw json.RawMessage
}

// Parse decodes the value of the form field "data" that MiPush
// posts to a callback URL: a JSON object keyed by message id. It returns
// one Receipt per entry, in the order received, keeping every entry even
// when a message id appears more than once (say, a delivered and a clicked
// receipt in one batch). Unknown fields are ignored; type, errorCode and
// timestamp may be numbers or numeric strings. An empty object gives no
// receipts and no error. The error for a malformed body says where and
// what is wrong.
func Parse(data []byte) ([]Receipt, error) {
	// The object is streamed key by key, not decoded into a map, which
	// would keep only the last of two entries with the same id.
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, errors.New("mipush: receipts: data is empty")
	}
	if err != nil {
		return nil, syntaxError("", dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("mipush: receipts: data must be a JSON object, got %s", describeToken(tok))
	}
	var out []Receipt
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(entryName(len(out), ""), dec, err)
		}
		id, ok := tok.(string)
		if !ok { // the decoder allows only strings as keys; be safe anyway
			return nil, fmt.Errorf("mipush: receipts: %s: key is %s, not a string", entryName(len(out), ""), describeToken(tok))
		}
		var raw json.RawMessage // Decode copies the bytes: Raw stays valid
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxError(entryName(len(out), id), dec, err)
		}
		r, err := parseReceipt(id, raw)
		if err != nil {
			return nil, fmt.Errorf("mipush: receipts: %s: %w", entryName(len(out), id), err)
		}
		out = append(out, r)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntaxError("", dec, err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, syntaxError("after the object", dec, err)
		}
		return nil, fmt.Errorf("mipush: receipts: unexpected %s after the object", describeToken(tok))
	}
	return out, nil
}

// receiptFields are the documented fields of an entry, kept raw so that
// each can be decoded leniently and its errors can name it.
type receiptFields struct {
	Param         json.RawMessage `json:"param"`
	Type          json.RawMessage `json:"type"`
	Targets       json.RawMessage `json:"targets"`
	JobKey        json.RawMessage `json:"jobkey"`
	BarStatus     json.RawMessage `json:"barStatus"`
	Timestamp     json.RawMessage `json:"timestamp"`
	ErrorCode     json.RawMessage `json:"errorCode"`
	ReplaceTarget json.RawMessage `json:"replaceTarget"`
	Extra         json.RawMessage `json:"extra"`
}

// parseReceipt decodes one entry, raw, of the receipts object.
func parseReceipt(id string, raw json.RawMessage) (Receipt, error) {
	r := Receipt{MsgID: id, Raw: raw}
	if k := lenient.Kind(raw); k != '{' {
		return r, fmt.Errorf("must be a JSON object, got %s", lenient.KindName(k))
	}
	var f receiptFields
	if err := json.Unmarshal(raw, &f); err != nil {
		return r, err // cannot happen: raw is an object, the fields are raw
	}
	var err error
	var n int64
	if r.Param, err = jsonText("param", f.Param); err != nil {
		return r, err
	}
	if n, err = jsonInt("type", f.Type); err != nil {
		return r, err
	}
	if r.Type = Type(n); int64(r.Type) != n {
		return r, fmt.Errorf("type: %d is out of range", n)
	}
	if r.Targets, err = jsonTargets(f.Targets); err != nil {
		return r, err
	}
	if r.JobKey, err = jsonText("jobkey", f.JobKey); err != nil {
		return r, err
	}
	s, err := jsonText("barStatus", f.BarStatus)
	if err != nil {
		return r, err
	}
	r.BarStatus = BarStatus(s)
	if n, err = jsonInt("timestamp", f.Timestamp); err != nil {
		return r, err
	}
	if n != 0 {
		r.Timestamp = time.UnixMilli(n).UTC()
	}
	if n, err = jsonInt("errorCode", f.ErrorCode); err != nil {
		return r, err
	}
	if r.ErrorCode = ErrorCode(n); int64(r.ErrorCode) != n {
		return r, fmt.Errorf("errorCode: %d is out of range", n)
	}
	if r.ReplaceTarget, err = jsonStringMap("replaceTarget", f.ReplaceTarget, false); err != nil {
		return r, err
	}
	if r.Extra, err = jsonStringMap("extra", f.Extra, true); err != nil {
		return r, err
	}
	return r, nil
}

// jsonText decodes a string field. Numbers and booleans are accepted as
// their JSON text, null and absence as "".
func jsonText(field string, v json.RawMessage) (string, error) {
	switch k := lenient.Kind(v); k {
	case 0, 'n':
		return "", nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("%s: want a string, got %s", field, lenient.KindName(k))
	}
	return string(bytes.TrimSpace(v)), nil
}

// jsonInt decodes an integer field by lenient.Int, the policy of every
// decoder of the client; absence, null and "" are 0, anything else that
// holds no integer is an error naming the field.
func jsonInt(field string, v json.RawMessage) (int64, error) {
	n, err := lenient.Int(v)
	if errors.Is(err, lenient.ErrNoValue) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return n, nil
}

// jsonTargets decodes targets: documented as one comma-joined string, but
// an array of strings is accepted too. Empty items are dropped.
func jsonTargets(v json.RawMessage) ([]string, error) {
	const field = "targets"
	var items []string
	switch k := lenient.Kind(v); k {
	case 0, 'n':
		return nil, nil
	case '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(v, &raws); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		for _, raw := range raws {
			s, err := jsonText(field, raw)
			if err != nil {
				return nil, err
			}
			items = append(items, s)
		}
	default:
		s, err := jsonText(field, v)
		if err != nil {
			return nil, err
		}
		items = strings.Split(s, ",")
	}
	out := items[:0]
	for _, s := range items {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// jsonStringMap decodes an object of strings. Numbers and booleans are
// kept as their JSON text and null as "". Values that are objects or
// arrays are kept as compact JSON when nested is true, and are an error
// otherwise.
func jsonStringMap(field string, v json.RawMessage, nested bool) (map[string]string, error) {
	switch k := lenient.Kind(v); k {
	case 0, 'n':
		return nil, nil
	case '{':
	default:
		return nil, fmt.Errorf("%s: want an object, got %s", field, lenient.KindName(k))
	}
	var raws map[string]json.RawMessage
	if err := json.Unmarshal(v, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if len(raws) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(raws))
	for key, raw := range raws {
		name := field + "." + key
		if k := lenient.Kind(raw); nested && (k == '{' || k == '[') {
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				return nil, fmt.Errorf("%s: %w", errtext.Short(name), err)
			}
			m[key] = b.String()
			continue
		}
		s, err := jsonText(name, raw)
		if err != nil {
			return nil, err
		}
		m[key] = s
	}
	return m, nil
}

// receiptSyntaxError words a decoder error at or around the place named
// by where, adding the byte offset of a syntax error.
func syntaxError(where string, dec *json.Decoder, err error) error {
	if where != "" {
		where += ": "
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("mipush: receipts: %sunexpected end of data at byte %d", where, dec.InputOffset())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("mipush: receipts: %ssyntax error at byte %d: %w", where, se.Offset, err)
	}
	return fmt.Errorf("mipush: receipts: %s%w", where, err)
}

// entryName names the i-th entry (from 0) for errors, with its id if
// known.
func entryName(i int, id string) string {
	if id == "" {
		return "entry " + strconv.Itoa(i)
	}
	return "entry " + strconv.Itoa(i) + " (" + errtext.Short(id) + ")"
}

// describeToken names a token returned by json.Decoder.Token.
func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return strconv.Quote(t.String())
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}
