package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mipush-go/mipush"
)

const traceAbout = `
Print the delivery status of a message: by its message id (the "message
id" that send prints), by the job key it was sent with (--job), or of
every message sent between --from and --to. A message id or job key of
which the server knows no delivery is an error (exit status 1).
`

// traceCmd prints the delivery status of messages.
func traceCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, sf, asJSON := managementFlags("trace", "[flags] MSG_ID | --job KEY | --from TIME --to TIME", traceAbout, stderr)
	job := fs.String("job", "", "trace the messages sent with this job `key` (extra.jobkey)")
	from := fs.String("from", "", "trace the messages sent from this `time` (RFC 3339, or a date)")
	to := fs.String("to", "", "... to this `time` (default: now)")
	if code, ok := fs.parse(args, stdout, 1); !ok {
		return code
	}
	msgID := fs.Arg(0)
	n := 0
	for _, set := range []bool{msgID != "", *job != "", *from != ""} {
		if set {
			n++
		}
	}
	if n != 1 || (*to != "" && *from == "") {
		return fail(stderr, "trace", usagef("name one of: a message id, --job, or --from (with --to)"))
	}
	if *from == "" {
		return manage(ctx, "trace", sf, stdout, stderr, *asJSON,
			func(ctx context.Context, c *mipush.Client) (status, error) {
				var s *mipush.MessageStatus
				var err error
				what := "message " + msgID
				if msgID != "" {
					s, err = c.TraceMessage(ctx, msgID)
				} else {
					s, err = c.TraceJob(ctx, *job)
					what = "job key " + *job
				}
				if err != nil {
					return status{}, err
				}
				if unknownStatus(s) {
					return status{}, fmt.Errorf("the server knows no delivery of %s: is it right? (a message to no valid regid looks the same)", what)
				}
				st := statusOf(s)
				st.JobKey = *job
				return st, nil
			},
			func(w io.Writer, s status) { s.print(w) })
	}
	begin, err := parseInstant("from", *from)
	if err != nil {
		return fail(stderr, "trace", err)
	}
	end := time.Now()
	if *to != "" {
		if end, err = parseInstant("to", *to); err != nil {
			return fail(stderr, "trace", err)
		}
	}
	if end.Before(begin) {
		return fail(stderr, "trace", usagef("--to is before --from"))
	}
	return manage(ctx, "trace", sf, stdout, stderr, *asJSON,
		func(ctx context.Context, c *mipush.Client) ([]status, error) {
			ss, err := c.TraceRange(ctx, begin, end)
			if err != nil {
				return nil, err
			}
			out := make([]status, len(ss))
			for i := range ss {
				out[i] = statusOf(&ss[i])
			}
			return out, nil
		},
		func(w io.Writer, ss []status) {
			for i, s := range ss {
				if i > 0 {
					fmt.Fprintln(w)
				}
				s.print(w)
			}
			if len(ss) == 0 {
				fmt.Fprintln(w, "no messages")
			}
		})
}

// unknownStatus reports whether s is the answer about a message the
// server has no record of: nothing resolved, delivered or clicked, or no
// status at all.
func unknownStatus(s *mipush.MessageStatus) bool {
	return s.ID == "" || s.Resolved == 0 && s.Delivered == 0 && s.Clicks == 0
}

// status is the JSON form of mipush.MessageStatus.
type status struct {
	ID           string  `json:"id"`
	JobKey       string  `json:"job_key,omitempty"` // trace --job: the job key traced
	Created      string  `json:"created,omitempty"` // RFC 3339
	TimeToLive   string  `json:"time_to_live,omitempty"`
	Type         string  `json:"msg_type,omitempty"`
	Resolved     int64   `json:"resolved"`
	Delivered    int64   `json:"delivered"`
	DeliveryRate float64 `json:"delivery_rate"` // percent
	Clicks       int64   `json:"clicks"`
	ClickRate    float64 `json:"click_rate"` // percent
}

// statusOf returns the JSON form of s.
func statusOf(s *mipush.MessageStatus) status {
	out := status{ID: s.ID, Type: s.Type, Resolved: s.Resolved, Delivered: s.Delivered,
		DeliveryRate: s.DeliveryRate, Clicks: s.Clicks, ClickRate: s.ClickRate}
	if !s.Created.IsZero() {
		out.Created = s.Created.Format(time.RFC3339)
	}
	if s.TimeToLive > 0 {
		out.TimeToLive = s.TimeToLive.String()
	}
	return out
}

// print writes the status as text.
func (s status) print(w io.Writer) {
	if s.JobKey != "" {
		fmt.Fprintf(w, "job key        %s\n", s.JobKey)
	}
	if s.ID != "" && s.ID != s.JobKey {
		fmt.Fprintf(w, "message id     %s\n", s.ID)
	}
	if s.Created != "" {
		fmt.Fprintf(w, "created        %s\n", s.Created)
	}
	if s.Type != "" {
		fmt.Fprintf(w, "type           %s\n", s.Type)
	}
	if s.TimeToLive != "" {
		fmt.Fprintf(w, "time to live   %s\n", s.TimeToLive)
	}
	fmt.Fprintf(w, "resolved       %d\n", s.Resolved)
	fmt.Fprintf(w, "delivered      %d (%.1f%%)\n", s.Delivered, s.DeliveryRate)
	fmt.Fprintf(w, "clicks         %d (%.1f%%)\n", s.Clicks, s.ClickRate)
}
