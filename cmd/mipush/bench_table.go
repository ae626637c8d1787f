package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// printTable prints the medians of every row's runs and, for each row, its
// throughput against the naive client on the same protocol and against the
// raw limit (and, for a rate-limited row with batching, against the one
// without on the same protocol), each ratio taken within a run and then
// the median.
func printTable(w io.Writer, rows []row, results [][]*sample) {
	find := func(kind rowKind, h2 bool) int {
		for i, r := range rows {
			if r.kind == kind && r.h2 == h2 {
				return i
			}
		}
		return -1
	}
	raw := find(rowRaw, false)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := 0
	for _, r := range rows {
		width = max(width, len(r.label))
	}
	// tabwriter aligns every column right; the labels are padded to read
	// left-aligned.
	fmt.Fprintf(tw, "%-*s\tmsgs/s\tp50\tp99\tCPU µs/msg\tallocs/msg\t× naive\t× raw\t× unbatched\tserver µs/msg\tfailed\truns\t\n", width, "client")
	for i, r := range rows {
		var rate, p50, p99, cpu, allocs, srv []float64
		failed := 0
		for _, s := range results[i] {
			if s == nil {
				continue
			}
			rate = append(rate, s.rate)
			p50 = append(p50, float64(s.p50))
			p99 = append(p99, float64(s.p99))
			cpu = append(cpu, s.cpu)
			allocs = append(allocs, s.allocs)
			if s.srvCPU >= 0 {
				srv = append(srv, s.srvCPU)
			}
			failed += s.failed
		}
		if len(rate) == 0 {
			fmt.Fprintf(tw, "%-*s\t—\t—\t—\t—\t—\t—\t—\t—\t—\t—\t0\t\n", width, r.label)
			continue
		}
		vsNaive, vsRaw := "—", "—"
		if r.library() {
			vsNaive = ratio(results[i], results, find(rowNaive, r.h2))
		}
		if i != raw {
			vsRaw = ratio(results[i], results, raw)
		}
		vsOff := "—"
		if r.kind == rowLimited && r.batch {
			off := slices.IndexFunc(rows, func(o row) bool { return o.kind == rowLimited && !o.batch && o.h2 == r.h2 })
			vsOff = ratio(results[i], results, off)
		}
		srvCPU := "—"
		if len(srv) > 0 {
			srvCPU = strconv.FormatFloat(median(srv), 'f', 1, 64)
		}
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t%d\t%d\t\n",
			width, r.label, thousands(median(rate)), latency(median(p50)), latency(median(p99)),
			median(cpu), median(allocs), vsNaive, vsRaw, vsOff, srvCPU, failed, len(rate))
	}
	tw.Flush()
}

// ratio returns the median, over the runs where both succeeded, of the
// throughput of runs divided by that of row other; "—" if there is none.
func ratio(runs []*sample, results [][]*sample, other int) string {
	if other < 0 {
		return "—"
	}
	var rs []float64
	for k, s := range runs {
		if o := results[other][k]; s != nil && o != nil && o.rate > 0 {
			rs = append(rs, s.rate/o.rate)
		}
	}
	if len(rs) == 0 {
		return "—"
	}
	m := median(rs)
	if m >= 10 {
		return strconv.FormatFloat(m, 'f', 0, 64) + "×"
	}
	return strconv.FormatFloat(m, 'f', 2, 64) + "×"
}

// latency formats a latency in nanoseconds; 0 means not measured.
func latency(ns float64) string {
	if ns == 0 {
		return "—"
	}
	d := time.Duration(ns)
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

// thousands formats a rate with thousands separators: 12,345.
func thousands(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
