package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mipush-go/mipush"
)

// maxRegIDLen bounds one regid. Real regids are about 60 characters; a
// longer line is almost certainly not a regid.
const maxRegIDLen = 512

// regIDList is the regids of a bulk input, deduplicated in input order.
type regIDList struct {
	ids        []string
	lines      int // lines read
	skipped    int // blank lines and comments
	duplicates int // regids dropped because they came earlier
}

// readRegIDs reads one regid per line from r. Surrounding white space is
// trimmed; blank lines and lines starting with "#" are skipped; a repeated
// regid is dropped and counted. A line that cannot be a regid is an error
// naming the input (name) and the line number, and nothing is returned.
func readRegIDs(r io.Reader, name string) (*regIDList, error) {
	l := new(regIDList)
	seen := make(map[string]struct{})
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		l.lines++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			l.skipped++
			continue
		}
		if err := checkRegID(line); err != nil {
			return nil, usagef("%s:%d: malformed regid %s: %v", name, l.lines, quoteShort(line), err)
		}
		if _, dup := seen[line]; dup {
			l.duplicates++
			continue
		}
		seen[line] = struct{}{}
		l.ids = append(l.ids, line)
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("%s:%d: %v", name, l.lines+1, err)
	}
	return l, nil
}

// checkRegID reports why s cannot be a regid, or nil: by the library's
// rule for every target id (mipush.ValidateTargetID), so that the command
// takes exactly the regids the library takes (spaces inside included),
// plus a bound on the length of a line.
func checkRegID(s string) error {
	if len(s) > maxRegIDLen {
		return fmt.Errorf("longer than %d bytes", maxRegIDLen)
	}
	if strings.IndexByte(s, ',') >= 0 {
		return fmt.Errorf(`contains ","; put one regid on each line`)
	}
	return mipush.ValidateTargetID(s)
}

// quoteShort quotes s, cut to a length fit for an error message.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q…", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// readReportIDs reads the regids to send again from a bulk report (see
// reportRecord): those of failed and unsent chunks. Bad regids are left
// out: the server rejected them, so sending them again cannot help.
func readReportIDs(r io.Reader, name string) (*regIDList, error) {
	l := new(regIDList)
	seen := make(map[string]struct{})
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64<<20)
	for sc.Scan() {
		l.lines++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			l.skipped++
			continue
		}
		var rec reportRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return nil, usagef("%s:%d: not a report line: %v", name, l.lines, err)
		}
		if rec.Kind != kindFailed && rec.Kind != kindUnsent {
			l.skipped++
			continue
		}
		for _, id := range rec.IDs {
			if err := checkRegID(id); err != nil {
				return nil, usagef("%s:%d: malformed regid %s: %v", name, l.lines, quoteShort(id), err)
			}
			if _, dup := seen[id]; dup {
				l.duplicates++
				continue
			}
			seen[id] = struct{}{}
			l.ids = append(l.ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("%s:%d: %v", name, l.lines+1, err)
	}
	return l, nil
}
