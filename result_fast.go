package mipush

import (
	"bytes"
	"unicode/utf8"

	"github.com/mipush-go/mipush/internal/ascii"
)

// The answer to a send is small, flat JSON, decoded once per message on a
// connection's reader. The answer scanner reads its common shape, a
// success whose strings need no unescaping, without reflection and without
// allocating. Anything else (an error, an escape, a nested value, a key it
// cannot be sure about) makes it give up, and the caller decodes with
// encoding/json instead. Where it does not give up, it finds exactly what
// encoding/json would (FuzzFastSendResult checks this).

// span is where a JSON string's contents, or a whole value, lie in the
// body: body[start:end].
type span struct{ start, end int }

func (sp span) in(s string) string { return s[sp.start:sp.end] }

// answer is what the scanner found in a body.
type answer struct {
	result, traceID, info, description span
	data                               span // the raw "data" object; zero if absent
	id, badRegIDs                      span
	hasBadRegIDs                       bool
	dayQuota, dayAcked                 int64 // -1 when absent
}

// sendSucceeded reports whether body is a plain success answer, without
// building a Result. false means "decode it with decodeSendResult", not
// necessarily a failure.
func sendSucceeded(status int, body []byte) bool {
	var a answer
	return status == 200 && a.scan(body) && a.succeeded(body)
}

// fastSendResult builds the Result of a plain success answer; ok is false
// when body is not one, and decodeSendResult must decode it.
func fastSendResult(status int, body []byte) (res *Result, ok bool) {
	var a answer
	if status != 200 || !a.scan(body) || !a.succeeded(body) {
		return nil, false
	}
	// One string holds every text field: they are slices of it.
	s := string(body)
	res = &Result{
		ID:          a.id.in(s),
		TraceID:     a.traceID.in(s),
		Info:        a.info.in(s),
		Description: a.description.in(s),
		DayQuota:    a.dayQuota,
		DayAcked:    a.dayAcked,
	}
	if a.hasBadRegIDs {
		res.BadRegIDs = splitList(a.badRegIDs.in(s))
	}
	if a.data.end > 0 {
		res.Data = bytes.Clone(body[a.data.start:a.data.end])
	}
	return res, true
}

// succeeded reports whether the answer's result is "ok".
func (a *answer) succeeded(body []byte) bool {
	return string(body[a.result.start:a.result.end]) == "ok"
}

// Members of the answer the scanner knows, and of its data object: a key
// equal to one of these but for case would be taken for it by
// encoding/json, so the scanner gives up on such keys.
var (
	answerKeys = []string{"result", "trace_id", "info", "description", "reason", "code", "data"}
	dataKeys   = []string{"id", "bad_regids", "day_quota", "day_acked", "channel_exceed_quota"}
)

// scan reads body, which must be one JSON object whose members are those
// of an answer, and reports whether it could. Members it does not know are
// skipped when their value is a plain string or integer.
func (a *answer) scan(body []byte) bool {
	*a = answer{dayQuota: -1, dayAcked: -1}
	p := scanner{b: body}
	if !p.next('{') {
		return false
	}
	hasResult := false
	for first := true; ; first = false {
		key, done, ok := p.key(first)
		if !ok {
			return false
		}
		if done {
			break
		}
		var sp span
		switch p.text(key) {
		case "result":
			hasResult = true
			ok = p.str(&a.result)
		case "trace_id":
			ok = p.str(&a.traceID)
		case "info":
			ok = p.str(&a.info)
		case "description":
			ok = p.str(&a.description)
		case "reason":
			ok = p.str(&sp)
		case "code":
			var n int64
			ok = p.integer(&n)
		case "data":
			ok = a.scanData(&p)
		default:
			ok = p.other(key, answerKeys)
		}
		if !ok {
			return false
		}
	}
	return hasResult && p.end()
}

// scanData reads the "data" object. A later "data" member replaces an
// earlier one, as in encoding/json.
func (a *answer) scanData(p *scanner) bool {
	a.id, a.badRegIDs, a.hasBadRegIDs, a.dayQuota, a.dayAcked = span{}, span{}, false, -1, -1
	start := p.skipSpace()
	if !p.next('{') {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := p.key(first)
		if !ok {
			return false
		}
		if done {
			break
		}
		switch p.text(key) {
		case "id":
			ok = p.str(&a.id)
		case "bad_regids":
			a.hasBadRegIDs = true
			ok = p.str(&a.badRegIDs)
		case "day_quota":
			ok = p.integer(&a.dayQuota)
		case "day_acked":
			ok = p.integer(&a.dayAcked)
		case "channel_exceed_quota":
			// A multi-message send that lost messages to quota: rare,
			// and its shape varies; leave it to channelCounts.
			return false
		default:
			ok = p.other(key, dataKeys)
		}
		if !ok {
			return false
		}
	}
	a.data = span{start, p.i}
	return true
}

// scanner reads the subset of JSON the answer scanner accepts.
type scanner struct {
	b []byte
	i int
}

func (p *scanner) text(sp span) string { return string(p.b[sp.start:sp.end]) }

// skipSpace skips JSON whitespace and returns the new position.
func (p *scanner) skipSpace() int {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return p.i
		}
	}
	return p.i
}

// next skips whitespace and consumes c if it comes next.
func (p *scanner) next(c byte) bool {
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether nothing but whitespace is left.
func (p *scanner) end() bool { return p.skipSpace() == len(p.b) }

// key reads the next member's key and the colon after it, inside an object
// whose '{' has been read: done reports the object's end instead. first
// says no member has been read yet.
func (p *scanner) key(first bool) (key span, done, ok bool) {
	if p.next('}') {
		return span{}, true, true
	}
	if !first && !p.next(',') {
		return span{}, false, false
	}
	ok = p.str(&key) && p.next(':')
	return key, false, ok
}

// str reads a string with no escape and no control character, in valid
// UTF-8, and sets sp to its contents.
func (p *scanner) str(sp *span) bool {
	if !p.next('"') {
		return false
	}
	start := p.i
	n := bytes.IndexByte(p.b[start:], '"')
	if n < 0 {
		return false
	}
	s := p.b[start : start+n]
	ascii := true
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			return false
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(s) {
		return false
	}
	*sp = span{start, start + n}
	p.i = start + n + 1
	return true
}

// integer reads an integer of at most 18 digits (so it cannot overflow),
// with no fraction and no exponent.
func (p *scanner) integer(n *int64) bool {
	p.skipSpace()
	neg := p.i < len(p.b) && p.b[p.i] == '-'
	if neg {
		p.i++
	}
	start := p.i
	var v int64
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		v = v*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	d := p.i - start
	if d == 0 || d > 18 || (d > 1 && p.b[start] == '0') {
		return false
	}
	if p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		return false
	}
	if neg {
		v = -v
	}
	*n = v
	return true
}

// other skips the value of a member whose key is none of known. It gives
// up if encoding/json could take the key for one of known (it matches
// keys ignoring case, Unicode folding included), or if the value is not a
// plain string or integer.
func (p *scanner) other(key span, known []string) bool {
	k := p.b[key.start:key.end]
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, name := range known {
		if ascii.EqualFold(k, name) {
			return false
		}
	}
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == '"' {
		var sp span
		return p.str(&sp)
	}
	var n int64
	return p.integer(&n)
}
