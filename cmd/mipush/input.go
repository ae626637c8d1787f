package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mipush-go/mipush"
)

// Input formats of bulk.
const (
	formatAuto   = "auto"   // json if the first line that is not blank or a comment starts with "{"
	formatRegIDs = "regids" // one regid a line: one message to all
	formatJSON   = "json"   // one JSON object a line: a regid and its own message fields
)

// maxBadListed is how many bad lines an error lists; the rest are counted.
const maxBadListed = 20

// badLine is an input line that cannot be sent.
type badLine struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// bulkList is what a bulk send sends: regids in order and, for personalised
// input, each one's message.
type bulkList struct {
	format     string
	ids        []string          // the regids, in input order
	lineOf     []int             // the input line of ids[i]
	msgs       []*mipush.Message // formatJSON: the message of ids[i]
	raws       []json.RawMessage // formatJSON: the line of ids[i] as given
	lines      int               // lines read
	skipped    int               // blank lines and comments
	duplicates int               // formatRegIDs: regids dropped because they came earlier
	bad        []badLine         // lines that failed the checks, in order
}

// add appends one regid to send; msg and raw only for formatJSON.
func (l *bulkList) add(id string, line int, msg *mipush.Message, raw json.RawMessage) {
	l.ids = append(l.ids, id)
	l.lineOf = append(l.lineOf, line)
	if msg != nil {
		l.msgs = append(l.msgs, msg)
		l.raws = append(l.raws, raw)
	}
}

// badInput is the error of an input with bad lines: a *usageError that
// lists them, and the lines for --json.
type badInput struct {
	u     *usageError
	lines []badLineJSON
}

// badLineJSON is the JSON form of a bad line, under --json.
type badLineJSON struct {
	Line  int    `json:"line"`
	Text  string `json:"text"`
	Error string `json:"error"`
}

func (e *badInput) Error() string { return e.u.Error() }

// Unwrap returns the *usageError, so that the error is bad input.
func (e *badInput) Unwrap() error { return e.u }

// badInputError lists the bad lines of an input: the first maxBadListed,
// then how many more. It is bad input (exit status 2).
func badInputError(name string, bad []badLine) error {
	lines := make([]badLineJSON, len(bad))
	for i, l := range bad {
		lines[i] = badLineJSON{Line: l.Line, Text: l.Text, Error: l.Reason}
	}
	return &badInput{u: badInputText(name, bad), lines: lines}
}

// badInputText is the message of badInputError.
func badInputText(name string, bad []badLine) *usageError {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s cannot be sent, so nothing was sent (--skip-invalid sends the rest):", name, plural(len(bad), "line"))
	for i, l := range bad {
		if i == maxBadListed {
			fmt.Fprintf(&b, "\n  and %d more", len(bad)-maxBadListed)
			break
		}
		fmt.Fprintf(&b, "\n  line %d: %s: %s", l.Line, quoteShort(l.Text), l.Reason)
	}
	return &usageError{msg: b.String(), multiLine: true}
}

// plural returns "1 line", "2 lines".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// readInput reads a bulk input from r in format (formatAuto decides by the
// first line that is not blank or a comment). Every line is checked by the
// library's own rules (mipush.ValidateTargetID; for personalised lines
// also Message.Validate) and the bad ones are collected in the list, not
// returned as an error; base is the message of the flags, on which each
// personalised line's fields are laid. Only an unreadable input is an
// error.
func readInput(ctx context.Context, r io.Reader, name, format string, base *mipush.Message) (*bulkList, error) {
	l := &bulkList{format: format}
	seen := make(map[string]struct{})
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		l.lines++
		if l.lines%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err() // Ctrl-C while checking: stop now
		}
		line := inputLine(sc.Bytes(), l.lines)
		if line == "" || strings.HasPrefix(line, "#") {
			l.skipped++
			continue
		}
		if l.format == formatAuto {
			l.format = formatRegIDs
			if strings.HasPrefix(line, "{") {
				l.format = formatJSON
			}
		}
		if l.format == formatJSON {
			id, msg, err := personalMessage([]byte(line), base)
			if err != nil {
				l.bad = append(l.bad, badLine{l.lines, line, err.Error()})
				continue
			}
			l.add(id, l.lines, msg, json.RawMessage(line))
			continue
		}
		if err := mipush.ValidateTargetID(line); err != nil {
			l.bad = append(l.bad, badLine{l.lines, line, "regid " + err.Error()})
			continue
		}
		if _, dup := seen[line]; dup {
			l.duplicates++
			continue
		}
		seen[line] = struct{}{}
		l.add(line, l.lines, nil, nil)
	}
	if err := sc.Err(); err != nil {
		return nil, usagef("%s:%d: %v", name, l.lines+1, err)
	}
	if l.format == formatAuto {
		l.format = formatRegIDs
	}
	return l, nil
}

// checkEvery is how many input lines are read between two looks at the
// command's context.
const checkEvery = 4096

// byteOrderMark is the UTF-8 byte order mark some editors put at the start
// of a file.
const byteOrderMark = "\uFEFF"

// inputLine returns the text of input line n (from 1): without the byte
// order mark of the first line, the CR of a CRLF line end and the spaces
// around it.
func inputLine(raw []byte, n int) string {
	s := string(raw)
	if n == 1 {
		s = strings.TrimPrefix(s, byteOrderMark)
	}
	return strings.TrimSpace(s)
}

// personalLine is one line of personalised input: a regid and the message
// fields that differ from the flags' message.
type personalLine struct {
	RegID       string            `json:"regid"`
	Title       *string           `json:"title"`
	Description *string           `json:"description"`
	Payload     *string           `json:"payload"`
	NotifyID    *int              `json:"notify_id"`
	Extra       map[string]string `json:"extra"`
	// TemplateParams are this device's template variables, laid over
	// those of the flags (--template-param).
	TemplateParams map[string]string `json:"template_param"`
}

// personalMessage parses one personalised line and returns its regid and
// its message: base with the line's fields laid on it, checked with
// Message.Validate. Unknown fields are errors, so a misspelt field is not
// silently dropped.
func personalMessage(line []byte, base *mipush.Message) (string, *mipush.Message, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var p personalLine
	if err := dec.Decode(&p); err != nil {
		return "", nil, fmt.Errorf("not a JSON object of regid, title, description, payload, notify_id, extra and template_param: %v", err)
	}
	if dec.More() {
		return "", nil, fmt.Errorf("more than one JSON value")
	}
	if err := mipush.ValidateTargetID(p.RegID); err != nil {
		return "", nil, fmt.Errorf("regid %v", err)
	}
	msg := *base
	if p.Title != nil {
		msg.Title = *p.Title
	}
	if p.Description != nil {
		msg.Description = *p.Description
	}
	if p.Payload != nil {
		msg.Payload = *p.Payload
	}
	if p.NotifyID != nil {
		msg.NotifyID = *p.NotifyID
	}
	if len(p.Extra) > 0 {
		msg.Extra = maps.Clone(base.Extra) // base's map is shared by every line
		for k, v := range p.Extra {
			if err := setExtra(&msg, k, v); err != nil {
				return "", nil, fmt.Errorf("extra %s: %v", k, err)
			}
		}
	}
	if len(p.TemplateParams) > 0 {
		msg.TemplateParams = layParams(msg.TemplateParams, maps.All(p.TemplateParams))
	}
	if err := msg.Validate(); err != nil {
		return "", nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "mipush: "))
	}
	return p.RegID, &msg, nil
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
