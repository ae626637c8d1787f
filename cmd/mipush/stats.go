package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/mipush-go/mipush"
)

const statsAbout = `
Print the daily message counters of an app (--package; for iOS the bundle
id) from --from to --to, both included: recipients of single and broadcast
sends, messages received by devices, and clicks. The default range is the
last 7 days, today included.
`

// statsCmd prints the message counters of an app.
func statsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, sf, asJSON := managementFlags("stats", "[flags] --package PKG [--from DATE] [--to DATE]", statsAbout, stderr)
	pkg := fs.String("package", "", "the app's `package` name (required)")
	from := fs.String("from", "", "first `date`, e.g. 2026-01-02 (default: 6 days before --to)")
	to := fs.String("to", "", "last `date` (default: today)")
	if code, ok := fs.parse(args, stdout, 0); !ok {
		return code
	}
	if *pkg == "" {
		return fail(stderr, "stats", usagef("--package is required"))
	}
	end := time.Now()
	var err error
	if *to != "" {
		if end, err = parseDay("to", *to); err != nil {
			return fail(stderr, "stats", err)
		}
	}
	start := end.AddDate(0, 0, -6)
	if *from != "" {
		if start, err = parseDay("from", *from); err != nil {
			return fail(stderr, "stats", err)
		}
	}
	if start.Format(time.DateOnly) > end.Format(time.DateOnly) {
		return fail(stderr, "stats", usagef("--from %s is after --to %s", start.Format(time.DateOnly), end.Format(time.DateOnly)))
	}
	return manage(ctx, "stats", sf, stdout, stderr, *asJSON,
		func(ctx context.Context, c *mipush.Client) ([]dayStats, error) {
			days, err := c.Stats(ctx, *pkg, start, end)
			if err != nil {
				return nil, err
			}
			out := make([]dayStats, len(days))
			for i, d := range days {
				out[i] = dayStats{
					Date: d.Date.Format(time.DateOnly), Single: d.SingleRecipients, Broadcast: d.BroadcastRecipients,
					RegID: d.RegIDRecipients, Alias: d.AliasRecipients, UserAccount: d.UserAccountRecipients,
					Received: d.Received, Clicks: d.Clicks,
				}
			}
			return out, nil
		},
		printStats)
}

// dayStats is the JSON form of mipush.DailyStats.
type dayStats struct {
	Date        string `json:"date"`
	Single      int64  `json:"single_recipients"`
	Broadcast   int64  `json:"broadcast_recipients"`
	RegID       int64  `json:"regid_recipients"`
	Alias       int64  `json:"alias_recipients"`
	UserAccount int64  `json:"useraccount_recipients"`
	Received    int64  `json:"received"`
	Clicks      int64  `json:"clicks"`
}

// printStats prints the counters as a table, one day a row.
func printStats(w io.Writer, days []dayStats) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "date\tsingle\tbroadcast\tregid\talias\taccount\treceived\tclicks\t")
	for _, d := range days {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n",
			d.Date, d.Single, d.Broadcast, d.RegID, d.Alias, d.UserAccount, d.Received, d.Clicks)
	}
	tw.Flush()
}
