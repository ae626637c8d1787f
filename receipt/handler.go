package receipt

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mipush-go/mipush/internal/errtext"
)

// DefaultMaxBytes is the request-body cap a Handler applies
// when MaxBytes is 0.
const DefaultMaxBytes = 1 << 20

// DefaultTokenParam is the query parameter a Handler reads
// the token from when TokenParam is "".
const DefaultTokenParam = "token"

// Handler is an [http.Handler] for the callback URL that MiPush posts
// delivery receipts to (see [github.com/mipush-go/mipush.Callback]). It
// accepts only POST, reads the form field "data" from an
// application/x-www-form-urlencoded body, parses it with [Parse] and
// passes the receipts to Handle. It answers:
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
// A Handler must not be changed once it is serving.
type Handler struct {
	// Handle is called with each non-empty batch, before the response is
	// written. MiPush posts a batch about once a second and most likely
	// does not retry, so Handle should return quickly: hand the receipts
	// to a queue or a goroutine rather than doing slow work here. ctx is
	// the request's context, cancelled when the request ends. The
	// receipts are not used by the handler after Handle returns. An error
	// makes the answer 500, which only tells MiPush the batch failed.
	// Handle must not be nil.
	Handle func(ctx context.Context, receipts []Receipt) error

	// MaxBytes caps the request body; 0 means DefaultMaxBytes.
	MaxBytes int64

	// Token, when not "", is a shared secret the callback URL must carry
	// in its query (see CallbackURL), as receipts are not signed. It is
	// compared in constant time and never logged.
	Token string
	// TokenParam names the query parameter holding Token; "" means
	// DefaultTokenParam.
	TokenParam string

	// Logger, when not nil, receives a warning for each rejected request
	// (with the reason, never the token or the URL) and an error for each
	// error from Handle. Nil logs nothing.
	Logger *slog.Logger
}

// ServeHTTP handles one post of receipts.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.reject(w, r, http.StatusMethodNotAllowed, "method "+errtext.Short(r.Method)+" is not allowed")
		return
	}
	if !h.tokenOK(r) {
		h.reject(w, r, http.StatusForbidden, "missing or wrong token")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			h.reject(w, r, http.StatusUnsupportedMediaType, "Content-Type "+errtext.Short(ct)+" is not application/x-www-form-urlencoded")
			return
		}
	}
	limit := h.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
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
	receipts, err := Parse([]byte(data[0]))
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if len(receipts) > 0 {
		if h.Handle == nil {
			h.fail(w, r, errors.New("mipush: receipt.Handler.Handle is nil"))
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
func (h *Handler) tokenOK(r *http.Request) bool {
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

func (h *Handler) tokenParam() string {
	if h.TokenParam == "" {
		return DefaultTokenParam
	}
	return h.TokenParam
}

// reject answers with status and logs why. The message names no secret:
// the URL is never included.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
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
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelError, "mipush: receipt handling failed",
			slog.Int("status", http.StatusInternalServerError),
			slog.String("error", err.Error()),
			slog.String("remote", r.RemoteAddr))
	}
	http.Error(w, "receipts not processed", http.StatusInternalServerError)
}

// CallbackURL returns base with h's token added as a query parameter, for
// use as the URL of a [github.com/mipush-go/mipush.Callback]; with no
// Token it returns base as it is. base must be an absolute http or https
// URL whose query does not already hold the token parameter. MiPush is
// said to limit callback URLs to 128 bytes.
func (h *Handler) CallbackURL(base string) (string, error) {
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
