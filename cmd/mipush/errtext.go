package main

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"

	"github.com/mipush-go/mipush"
)

// describe returns err in plain English for a person: the MiPush code and
// its meaning with the server's reason, "1 regid" rather than "regid[1]",
// flags rather than Go field names, and whether the server may have
// processed a failed send. The app secret is never part of any error.
func describe(err error) string {
	var se *mipush.SendError
	if errors.As(err, &se) {
		s := "the send to " + describeTarget(se.Target) + " failed"
		if se.Attempts > 0 {
			s += " after " + plural(se.Attempts, "attempt")
		}
		s += ": " + describeCause(se.Err)
		if se.MaybeProcessed() {
			s += " (the server may have processed it)"
		}
		return s
	}
	return describeCause(err)
}

// describeCause describes the cause of a failure, without the SendError
// around it.
func describeCause(err error) string {
	var ae *mipush.APIError
	var ve *mipush.ValidationError
	var oe *net.OpError
	switch {
	case errors.As(err, &ae):
		return describeAPIError(ae)
	case errors.As(err, &ve):
		return "invalid " + flagName(ve.Field) + ": " + ve.Reason
	case errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &oe) && oe.Op == "dial":
		return "cannot connect to " + addrOf(oe) + ": connection refused (is --host right?)"
	case errors.As(err, &oe) && oe.Op == "dial":
		return "cannot connect to " + addrOf(oe) + ": " + strings.TrimPrefix(oe.Err.Error(), "connect: ")
	case errors.Is(err, mipush.ErrMaybeProcessed):
		// Joined with its cause: describe that, the caller adds the rest.
		for _, e := range unjoin(err) {
			if !errors.Is(e, mipush.ErrMaybeProcessed) {
				return describeCause(e)
			}
		}
	}
	return strings.TrimPrefix(err.Error(), "mipush: ")
}

// describeAPIError says what the server answered: "the server answered
// error 10017 (invalid parameter value): Invalid parameter (trace id X)".
func describeAPIError(ae *mipush.APIError) string {
	var s string
	if ae.Code != 0 {
		c := mipush.Code(ae.Code)
		s = "the server answered error " + strconv.Itoa(int(ae.Code))
		if m := strings.TrimSuffix(c.String(), " ("+strconv.Itoa(int(ae.Code))+")"); m != "error" {
			s += " (" + m + ")"
		}
	} else {
		s = "the server answered HTTP status " + strconv.Itoa(ae.HTTPStatus)
	}
	if reason := firstOf(ae.Reason, ae.Description); reason != "" {
		s += ": " + reason
	}
	if ae.TraceID != "" {
		s += " (trace id " + ae.TraceID + ")"
	}
	return s
}

// describeTarget says whom a send addressed: "1 regid", "3 aliases",
// "topic news".
func describeTarget(t mipush.Target) string {
	switch t.Kind {
	case mipush.TargetAll:
		return "all devices"
	case mipush.TargetTopic:
		if len(t.IDs) == 1 {
			return "topic " + t.IDs[0]
		}
	case mipush.TargetAlias:
		if len(t.IDs) != 1 {
			return strconv.Itoa(len(t.IDs)) + " aliases"
		}
		return "1 alias"
	case mipush.TargetUserAccount:
		return plural(len(t.IDs), "user account")
	case mipush.TargetTopics:
		return plural(len(t.IDs), "topic") + " (" + strings.ToLower(string(t.Op)) + ")"
	}
	return plural(len(t.IDs), t.Kind.String())
}

// flagName maps the library's option names to the command's flags.
func flagName(field string) string {
	switch field {
	case "Options.Host":
		return "--host"
	case "Options.Region":
		return "--region"
	case "Options.AppSecret":
		return "app secret"
	case "Options.TLSConfig":
		return "--ca"
	case "Options.Conns":
		return "--conns"
	case "Options.MaxPending":
		return "--max-in-flight"
	case "Options.RateLimit":
		return "--rate"
	case "Options.Batch.MaxMessages":
		return "--batch-size"
	case "Options.Batch.Linger":
		return "--linger"
	case "registration_id":
		return "--regid"
	case "user_account":
		return "--account"
	case "alias", "topic", "topics":
		return "--" + field
	}
	return field
}

// addrOf returns the address a dial error names.
func addrOf(oe *net.OpError) string {
	if oe.Addr != nil {
		return oe.Addr.String()
	}
	return "the server"
}

// unjoin returns the errors an errors.Join holds, or err itself.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// failure is the JSON form of a failed call or send, for --json.
type failure struct {
	Error          string `json:"error"`          // describe's text
	Code           int    `json:"code,omitempty"` // the MiPush error code, if the server answered one
	Reason         string `json:"reason,omitempty"`
	HTTPStatus     int    `json:"http_status,omitempty"`
	TraceID        string `json:"trace_id,omitempty"`
	MaybeProcessed bool   `json:"maybe_processed"` // the server may have processed it
	BadInput       bool   `json:"bad_input,omitempty"`
}

// failureOf returns the JSON form of err.
func failureOf(err error) failure {
	f := failure{Error: oneLine(describe(err)), MaybeProcessed: errors.Is(err, mipush.ErrMaybeProcessed)}
	var ae *mipush.APIError
	if errors.As(err, &ae) {
		f.Code, f.Reason, f.HTTPStatus, f.TraceID = int(ae.Code), firstOf(ae.Reason, ae.Description), ae.HTTPStatus, ae.TraceID
	}
	var u *usageError
	f.BadInput = errors.As(err, &u)
	return f
}
