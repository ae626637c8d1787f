package mipush

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// QuotaExceeded is what a daily-quota answer says. The real server's
// reason reads "exceed quota, quota: <daily total>, have acked: <delivered
// today>" (code 200001); the quota is that of the message's class (see
// Options.QuotaProbeInterval).
type QuotaExceeded struct {
	// Limit is the class's daily total ("quota: N"); -1 if the reason
	// does not say.
	Limit int64
	// Acked is how many messages of the class were delivered today
	// ("have acked: M"); -1 if the reason does not say.
	Acked int64
}

// parseQuota reads a daily-quota answer's reason; nil for other codes.
// It is tolerant: a number it cannot find is -1.
func parseQuota(code Code, reason string) *QuotaExceeded {
	if code != CodeOverQuota && code != CodeDailyLimit {
		return nil
	}
	lower := strings.ToLower(reason)
	q := &QuotaExceeded{Limit: -1, Acked: -1}
	// "exceed quota, quota: N": the number follows the last "quota".
	if i := strings.LastIndex(lower, "quota"); i >= 0 {
		q.Limit = numberAfter(lower[i+len("quota"):])
	}
	if i := strings.LastIndex(lower, "acked"); i >= 0 {
		q.Acked = numberAfter(lower[i+len("acked"):])
	}
	return q
}

// numberAfter reads the integer after optional spaces and a ":" or "=" at
// the start of s; -1 if there is none.
func numberAfter(s string) int64 {
	s = strings.TrimLeft(s, " \t")
	if s == "" || (s[0] != ':' && s[0] != '=') {
		return -1
	}
	s = strings.TrimLeft(s[1:], " \t")
	end := 0
	for end < len(s) && '0' <= s[end] && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// channelCounts decodes data.channel_exceed_quota, whose shape no public
// source shows: an object of channel → count (numbers or numeric
// strings), or a string of "channel:count" pairs ("no_channel:2 a:3").
// Anything else, and any entry it cannot read, is skipped: the field never
// fails the answer around it.
type channelCounts map[string]int64

// UnmarshalJSON implements json.Unmarshaler.
func (m *channelCounts) UnmarshalJSON(b []byte) error {
	*m = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	out := make(channelCounts)
	switch b[0] {
	case '{':
		var raw map[string]json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			return nil
		}
		for k, v := range raw {
			text := string(v)
			var str string
			if json.Unmarshal(v, &str) == nil {
				text = str
			}
			if n, ok := countValue(text); ok {
				out[k] += n
			}
		}
	case '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
		for _, f := range strings.FieldsFunc(s, func(r rune) bool {
			return r == ' ' || r == ',' || r == ';' || r == '\t' || r == '\n'
		}) {
			i := strings.LastIndexAny(f, ":=")
			if i <= 0 {
				continue
			}
			if n, ok := countValue(f[i+1:]); ok {
				out[f[:i]] += n
			}
		}
	}
	if len(out) > 0 {
		*m = out
	}
	return nil
}

// countValue reads a count: an integer, or a number with a fraction
// (truncated).
func countValue(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == f && f < 1<<63 && f >= -(1<<63) {
		return int64(f), true
	}
	return 0, false
}
