package mipush

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush/internal/errtext"
	"github.com/mipush-go/mipush/internal/lenient"
)

// This file holds what the management calls (schedule, stats, trace,
// subscription, tools, feedback, revoke, channels) share: input checks and
// tolerant decoding of the "data" object. The calls themselves go through
// Client.do, so they are pipelined, pooled and retried like every send.

// getRequest and postRequest build a request for path on the message host.
func getRequest(path string, params []byte) *request {
	return &request{method: "GET", path: path, params: params, host: messageHost}
}

func postRequest(path string, params []byte) *request {
	return &request{method: "POST", path: path, params: params, host: messageHost}
}

// callData runs r, a management call, and decodes the "data" object of
// its answer into a T by the rules of decodeData. The answer is returned
// too, for callers that read more of it.
func callData[T any](ctx context.Context, c *Client, r *request) (T, *Result, error) {
	var d T
	res, err := c.do(ctx, r)
	if err != nil {
		return d, nil, err
	}
	return d, res, decodeData(r.path, res, &d)
}

// decodeData decodes the "data" object of res into v. A missing or empty
// data object leaves v as it is; an array where the object was expected is
// a *DataError, never an empty answer.
func decodeData(path string, res *Result, v any) error {
	if len(res.Data) == 0 {
		return nil
	}
	if lenient.Kind(res.Data) == '[' {
		return &DataError{Path: path, Data: res.Data, Err: errDataArray}
	}
	if err := json.Unmarshal(res.Data, v); err != nil {
		return &DataError{Path: path, Data: res.Data, Err: err}
	}
	return nil
}

// errDataArray is the Err of a DataError for a data array where an object
// was expected.
var errDataArray = errors.New("want a JSON object, got an array")

// DataError reports a successful answer whose "data" object could not be
// decoded into the call's result type. The request was processed.
type DataError struct {
	Path string          // the endpoint, e.g. "/v1/trace/message/status"
	Data json.RawMessage // the data object as received
	Err  error           // the decoding error
}

func (e *DataError) Error() string {
	return "mipush: cannot decode the data of " + e.Path + ": " + e.Err.Error() + ": " + errtext.Body(e.Data)
}

// Unwrap returns the decoding error.
func (e *DataError) Unwrap() error { return e.Err }

// checkRequired checks a required identifier-like value: not empty, valid
// UTF-8, no control characters (so no CR, LF or NUL).
func checkRequired(field, v string) error {
	if v == "" {
		return fieldError(field, "is required")
	}
	return checkToken(field, v)
}

// checkOptional checks an optional identifier-like value.
func checkOptional(field, v string) error {
	if v == "" {
		return nil
	}
	return checkToken(field, v)
}

// checkPackage checks restricted_package_name: one or more Android package
// names (or an iOS bundle id) joined with ",", required or not.
func checkPackage(pkg string, required bool) error {
	const field = "restricted_package_name"
	if pkg == "" {
		if required {
			return fieldError(field, "is required")
		}
		return nil
	}
	return checkToken(field, pkg)
}

// checkValues checks a list of 1 to max target ids sent under field, by
// the same rule as every send (ValidateTargetID).
func checkValues(field string, vs []string, max int) error {
	return checkIDs(field, vs, 1, max)
}

// scalarText returns the text of a JSON scalar: a string unquoted, anything
// else as written ("null" included).
func scalarText(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			return strings.TrimSpace(s)
		}
	}
	return string(b)
}

// loosePercent decodes a rate as the server writes it: a number, or a
// string holding one with or without a trailing "%" ("12.5%" is 12.5).
// Anything else decodes as 0.
type loosePercent float64

// UnmarshalJSON implements json.Unmarshaler.
func (p *loosePercent) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(strings.TrimSuffix(scalarText(b), "%"))
	*p = 0
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		*p = loosePercent(f)
	}
	return nil
}

// looseBool decodes true, 1, "true" and "1" as true; anything else as false.
type looseBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *looseBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(scalarText(b)) {
	case "true", "1":
		*v = true
	default:
		*v = false
	}
	return nil
}

// looseString decodes a JSON string, or the text of any other scalar (a
// number written without quotes); null decodes as "".
type looseString string

// UnmarshalJSON implements json.Unmarshaler.
func (v *looseString) UnmarshalJSON(b []byte) error {
	s := scalarText(b)
	if s == "null" {
		s = ""
	}
	*v = looseString(s)
	return nil
}
