package mipush

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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

// ReceiptErrorCode says why a target was invalid, in a receipt of type
// [ReceiptInvalidTarget] (the receipt field errorCode). It is 0 in other
// receipts.
type ReceiptErrorCode int

// Invalid-target reasons.
const (
	// InvalidRegID: the regid is not (or no longer) valid.
	InvalidRegID ReceiptErrorCode = 1
	// InvalidAlias: the alias is not set on any device.
	InvalidAlias ReceiptErrorCode = 2
	// InvalidUserAccount: the user account is not set on any device.
	InvalidUserAccount ReceiptErrorCode = 3
)

// String returns "invalid_regid", "invalid_alias" or "invalid_user_account"
// for the documented codes, and the number otherwise.
func (c ReceiptErrorCode) String() string {
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
	// ReceiptDelivered or ReceiptInvalidTarget.
	Type ReceiptType
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
	// ErrorCode says why the targets are invalid (ReceiptInvalidTarget
	// only).
	ErrorCode ReceiptErrorCode
	// ReplaceTarget maps an invalid target to the one MiPush suggests
	// using instead, such as a device's new regid.
	ReplaceTarget map[string]string
	// Extra holds further figures, such as "ack" and "quota" (or
	// "device_acked" and "device_quota") in ReceiptOverQuota receipts.
	// Numbers and booleans are given as their JSON text, nested objects
	// and arrays as compact JSON.
	Extra map[string]string
	// Raw is the entry's JSON object as received, for fields not named
	// above.
	Raw json.RawMessage
}

// ParseReceipts decodes the value of the form field "data" that MiPush
// posts to a callback URL: a JSON object keyed by message id. It returns
// one Receipt per entry, in the order received, keeping every entry even
// when a message id appears more than once (say, a delivered and a clicked
// receipt in one batch). Unknown fields are ignored; type, errorCode and
// timestamp may be numbers or numeric strings. An empty object gives no
// receipts and no error. The error for a malformed body says where and
// what is wrong.
func ParseReceipts(data []byte) ([]Receipt, error) {
	// The object is streamed key by key, not decoded into a map, which
	// would keep only the last of two entries with the same id.
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, errors.New("mipush: receipts: data is empty")
	}
	if err != nil {
		return nil, receiptSyntaxError("", dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("mipush: receipts: data must be a JSON object, got %s", describeToken(tok))
	}
	var out []Receipt
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, receiptSyntaxError(entryName(len(out), ""), dec, err)
		}
		id, ok := tok.(string)
		if !ok { // the decoder allows only strings as keys; be safe anyway
			return nil, fmt.Errorf("mipush: receipts: %s: key is %s, not a string", entryName(len(out), ""), describeToken(tok))
		}
		var raw json.RawMessage // Decode copies the bytes: Raw stays valid
		if err := dec.Decode(&raw); err != nil {
			return nil, receiptSyntaxError(entryName(len(out), id), dec, err)
		}
		r, err := parseReceipt(id, raw)
		if err != nil {
			return nil, fmt.Errorf("mipush: receipts: %s: %w", entryName(len(out), id), err)
		}
		out = append(out, r)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, receiptSyntaxError("", dec, err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, receiptSyntaxError("after the object", dec, err)
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
	if k := jsonKind(raw); k != '{' {
		return r, fmt.Errorf("must be a JSON object, got %s", kindName(k))
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
	if r.Type = ReceiptType(n); int64(r.Type) != n {
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
	if r.ErrorCode = ReceiptErrorCode(n); int64(r.ErrorCode) != n {
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

// jsonKind returns the first byte of the JSON value v ('{', '[', '"',
// 't', 'f', 'n', or a digit or '-' for a number), or 0 when v is empty.
func jsonKind(v json.RawMessage) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// kindName names the kind of JSON value that starts with k.
func kindName(k byte) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}

// jsonText decodes a string field. Numbers and booleans are accepted as
// their JSON text, null and absence as "".
func jsonText(field string, v json.RawMessage) (string, error) {
	switch k := jsonKind(v); k {
	case 0, 'n':
		return "", nil
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return s, nil
	case '{', '[':
		return "", fmt.Errorf("%s: want a string, got %s", field, kindName(k))
	}
	return string(bytes.TrimSpace(v)), nil
}

// jsonInt decodes an integer field by parseInt, the policy of every
// decoder of this package; absence, null and "" are 0, anything else that
// holds no integer is an error naming the field.
func jsonInt(field string, v json.RawMessage) (int64, error) {
	n, err := parseInt(v)
	if errors.Is(err, errNoValue) {
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
	switch k := jsonKind(v); k {
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
	switch k := jsonKind(v); k {
	case 0, 'n':
		return nil, nil
	case '{':
	default:
		return nil, fmt.Errorf("%s: want an object, got %s", field, kindName(k))
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
		if k := jsonKind(raw); nested && (k == '{' || k == '[') {
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				return nil, fmt.Errorf("%s: %w", quoteReceipt(name), err)
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
func receiptSyntaxError(where string, dec *json.Decoder, err error) error {
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
	return "entry " + strconv.Itoa(i) + " (" + quoteReceipt(id) + ")"
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

// quoteReceipt quotes s for an error message, cut to a readable length:
// the input comes from the network and may be long.
func quoteReceipt(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// DefaultReceiptMaxBytes is the request-body cap a ReceiptHandler applies
// when MaxBytes is 0.
const DefaultReceiptMaxBytes = 1 << 20

// DefaultReceiptTokenParam is the query parameter a ReceiptHandler reads
// the token from when TokenParam is "".
const DefaultReceiptTokenParam = "token"

// ReceiptHandler is an [http.Handler] for the callback URL that MiPush
// posts delivery receipts to (see [Callback]). It accepts only POST,
// reads the form field "data" from an application/x-www-form-urlencoded
// body, parses it with [ParseReceipts] and passes the receipts to Handle.
// It answers:
//
//   - 200 once Handle returns nil (or when the batch is empty);
//   - 400 when the body is not a valid form or "data" is missing or
//     malformed;
//   - 403 when Token is set and the request does not carry it;
//   - 405 (with an Allow header) for methods other than POST;
//   - 413 when the body is larger than MaxBytes;
//   - 415 for a Content-Type other than the form one;
//   - 500 when Handle returns an error.
//
// A ReceiptHandler must not be changed once it is serving.
type ReceiptHandler struct {
	// Handle is called with each non-empty batch, before the response is
	// written. MiPush posts a batch about once a second and most likely
	// does not retry, so Handle should return quickly: hand the receipts
	// to a queue or a goroutine rather than doing slow work here. ctx is
	// the request's context, cancelled when the request ends. The
	// receipts are not used by the handler after Handle returns. An error
	// makes the answer 500, which only tells MiPush the batch failed.
	// Handle must not be nil.
	Handle func(ctx context.Context, receipts []Receipt) error

	// MaxBytes caps the request body; 0 means DefaultReceiptMaxBytes.
	MaxBytes int64

	// Token, when not "", is a shared secret the callback URL must carry
	// in its query (see CallbackURL), as receipts are not signed. It is
	// compared in constant time and never logged.
	Token string
	// TokenParam names the query parameter holding Token; "" means
	// DefaultReceiptTokenParam.
	TokenParam string

	// Logger, when not nil, receives a warning for each rejected request
	// (with the reason, never the token or the URL) and an error for each
	// error from Handle. Nil logs nothing.
	Logger *slog.Logger
}

// ServeHTTP handles one post of receipts.
func (h *ReceiptHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "method "+quoteReceipt(r.Method)+" is not allowed")
		return
	}
	if !h.tokenOK(r) {
		h.reject(w, r, http.StatusForbidden, "missing or wrong token")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			h.reject(w, r, http.StatusUnsupportedMediaType, "Content-Type "+quoteReceipt(ct)+" is not application/x-www-form-urlencoded")
			return
		}
	}
	limit := h.MaxBytes
	if limit <= 0 {
		limit = DefaultReceiptMaxBytes
	}
	if r.ContentLength > limit {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes is over the limit of "+strconv.FormatInt(limit, 10))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "body is over the limit of "+strconv.FormatInt(limit, 10)+" bytes")
			return
		}
		h.reject(w, r, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	// Decoded here, once: r.ParseForm would also merge in the URL query,
	// which holds the token.
	form, err := url.ParseQuery(string(body))
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "body is not a valid form: "+err.Error())
		return
	}
	data, ok := form["data"]
	if !ok {
		h.reject(w, r, http.StatusBadRequest, `form field "data" is missing`)
		return
	}
	if len(data) != 1 {
		h.reject(w, r, http.StatusBadRequest, `form field "data" appears `+strconv.Itoa(len(data))+" times")
		return
	}
	receipts, err := ParseReceipts([]byte(data[0]))
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if len(receipts) > 0 {
		if h.Handle == nil {
			h.fail(w, r, errors.New("mipush: ReceiptHandler.Handle is nil"))
			return
		}
		if err := h.Handle(r.Context(), receipts); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok\n")
}

// tokenOK reports whether r carries the token, if one is required.
func (h *ReceiptHandler) tokenOK(r *http.Request) bool {
	if h.Token == "" {
		return true
	}
	got := r.URL.Query()[h.tokenParam()]
	if len(got) != 1 {
		return false
	}
	// Hashing first makes the comparison's time independent of the
	// lengths too.
	a, b := sha256.Sum256([]byte(got[0])), sha256.Sum256([]byte(h.Token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (h *ReceiptHandler) tokenParam() string {
	if h.TokenParam == "" {
		return DefaultReceiptTokenParam
	}
	return h.TokenParam
}

// reject answers with status and logs why. The message names no secret:
// the URL is never included.
func (h *ReceiptHandler) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelWarn, "mipush: receipt request rejected",
			slog.Int("status", status),
			slog.String("reason", reason),
			slog.String("remote", r.RemoteAddr))
	}
	http.Error(w, reason, status)
}

// fail answers 500 for an error from Handle, which is logged but not sent
// to the caller.
func (h *ReceiptHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelError, "mipush: receipt handling failed",
			slog.Int("status", http.StatusInternalServerError),
			slog.String("error", err.Error()),
			slog.String("remote", r.RemoteAddr))
	}
	http.Error(w, "receipts not processed", http.StatusInternalServerError)
}

// CallbackURL returns base with h's token added as a query parameter, for
// use as [Callback.URL]; with no Token it returns base as it is. base must
// be an absolute http or https URL whose query does not already hold the
// token parameter. MiPush is said to limit callback URLs to 128 bytes.
func (h *ReceiptHandler) CallbackURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("mipush: callback URL must be an absolute http or https URL")
	}
	if h.Token == "" {
		return base, nil
	}
	param := h.tokenParam()
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("mipush: callback URL has an invalid query: %w", err)
	}
	if _, ok := q[param]; ok {
		return "", fmt.Errorf("mipush: callback URL already has a %q query parameter", param)
	}
	// Appended rather than re-encoded, so the rest of the query stays as
	// written.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += url.QueryEscape(param) + "=" + url.QueryEscape(h.Token)
	u.ForceQuery = false
	return u.String(), nil
}
