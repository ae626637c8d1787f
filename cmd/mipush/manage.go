package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mipush-go/mipush"
)

// managementFlags returns the flag set of a management command (stats,
// trace, topic, revoke) with the flags they all have: the server's and
// --json, which prints what the command prints as JSON.
func managementFlags(name, synopsis, about string, stderr io.Writer) (fs *flagSet, sf *serverFlags, asJSON *bool) {
	fs = newFlags(name, synopsis, about, stderr)
	sf = new(serverFlags)
	sf.register(fs)
	asJSON = fs.Bool("json", false, "print the result as JSON")
	return fs, sf, asJSON
}

// manage runs one management call against the server the flags name and
// prints its result: as JSON with asJSON, else with text.
func manage[T any](ctx context.Context, name string, sf *serverFlags, stdout, stderr io.Writer, asJSON bool,
	call func(context.Context, *mipush.Client) (T, error), text func(io.Writer, T)) int {
	opts, err := sf.options()
	if err != nil {
		return failAs(stdout, stderr, name, err, asJSON)
	}
	s := sf.connect(ctx, opts)
	defer s.close()
	v, err := call(s.ctx, s.client)
	if err != nil {
		return failAs(stdout, stderr, name, s.callErr(err), asJSON)
	}
	if asJSON {
		return printJSON(stdout, stderr, name, v)
	}
	text(stdout, v)
	return exitOK
}

// failAs is fail, and with asJSON also prints the failure as one JSON
// object on standard output (see failure).
func failAs(stdout, stderr io.Writer, name string, err error, asJSON bool) int {
	if asJSON {
		printJSON(stdout, stderr, name, failureOf(err))
	}
	return fail(stderr, name, err)
}

// callResult is the JSON form of the answer to a management call that
// returns no data of its own.
type callResult struct {
	TraceID     string          `json:"trace_id"`
	Info        string          `json:"info,omitempty"`
	Description string          `json:"description,omitempty"`
	Data        json.RawMessage `json:"data,omitempty"`
}

// asCallResult adapts a call returning a *mipush.Result to manage.
func asCallResult(call func(context.Context, *mipush.Client) (*mipush.Result, error)) func(context.Context, *mipush.Client) (callResult, error) {
	return func(ctx context.Context, c *mipush.Client) (callResult, error) {
		r, err := call(ctx, c)
		if err != nil {
			return callResult{}, err
		}
		return callResult{TraceID: r.TraceID, Info: r.Info, Description: r.Description, Data: r.Data}, nil
	}
}

// printCallResult prints a callResult as text.
func printCallResult(w io.Writer, r callResult) {
	fmt.Fprintf(w, "ok          %s\n", firstOf(r.Info, r.Description, "done"))
	fmt.Fprintf(w, "trace id    %s\n", r.TraceID)
	if len(r.Data) > 0 && string(r.Data) != "{}" && string(r.Data) != "null" {
		fmt.Fprintf(w, "data        %s\n", r.Data)
	}
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// parseDay parses a date as 2006-01-02 or 20060102, in local time.
func parseDay(flagName, s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "20060102"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("--%s: want a date such as 2026-01-02, got %q", flagName, s)
}

// parseInstant parses an RFC 3339 time or a date (midnight, local time).
func parseInstant(flagName, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := parseDay(flagName, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--%s: want an RFC 3339 time such as 2026-01-02T15:04:05+08:00, or a date, got %q", flagName, s)
}
