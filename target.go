package mipush

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mipush-go/mipush/internal/rules"
)

// Limits on the targets of one send, as the official documentation gives
// them ("regIds的个数不得超过1000个").
const (
	MaxTargets = rules.MaxTargets // regids, aliases or user accounts per request
	MaxTopics  = rules.MaxTopics  // topics in one multi-topic send
)

// TopicOp combines the topics of a multi-topic send.
type TopicOp string

// The operations of PushToTopics.
const (
	TopicUnion        TopicOp = "UNION"
	TopicIntersection TopicOp = "INTERSECTION"
	TopicExcept       TopicOp = "EXCEPT"
)

// TargetKind says whom a send addresses.
type TargetKind int

// The kinds of target.
const (
	TargetRegID TargetKind = iota + 1
	TargetAlias
	TargetUserAccount
	TargetTopic
	TargetTopics
	TargetAll
)

var targetKindNames = [...]string{"", "regid", "alias", "user_account", "topic", "topics", "all"}

func (k TargetKind) String() string {
	if k > 0 && int(k) < len(targetKindNames) {
		return targetKindNames[k]
	}
	return "TargetKind(" + strconv.Itoa(int(k)) + ")"
}

// Target is whom one send addresses. In an outcome (SendError, SendResult,
// InvalidTargets, RequestInfo) IDs are the ids that went on the wire, in a
// slice of the client's own (copied when the send is accepted, or read
// back from the encoded request), so they never change whatever the
// caller does with its slice after the call returns.
type Target struct {
	Kind TargetKind
	IDs  []string // regids, aliases, accounts or topics; nil for TargetAll
	Op   TopicOp  // TargetTopics only
}

// String describes the target briefly, e.g. "regid[3]" or "topic news".
func (t Target) String() string {
	switch t.Kind {
	case TargetAll:
		return "all"
	case TargetTopic:
		if len(t.IDs) == 1 {
			return "topic " + t.IDs[0]
		}
	case TargetTopics:
		return "topics " + string(t.Op) + "[" + strconv.Itoa(len(t.IDs)) + "]"
	}
	return t.Kind.String() + "[" + strconv.Itoa(len(t.IDs)) + "]"
}

// topicSeparator joins the topics of a multi-topic send.
const topicSeparator = ";$;"

// Validate checks the target as a send checks it before anything is
// encoded: the number of ids for its kind, each id by ValidateTargetID, and
// the topic operation. The error is a *ValidationError naming the field.
func (t Target) Validate() error {
	switch t.Kind {
	case TargetAll:
		return nil
	case TargetTopic:
		return checkIDs("topic", t.IDs, 1, 1)
	case TargetTopics:
		if err := checkIDs("topics", t.IDs, 1, MaxTopics); err != nil {
			return err
		}
		switch t.Op {
		case TopicUnion, TopicIntersection, TopicExcept:
		default:
			return &ValidationError{Field: "topic_op", Reason: "must be UNION, INTERSECTION or EXCEPT, got " + strconv.Quote(string(t.Op))}
		}
		return nil
	default:
		return checkIDs(t.param(), t.IDs, 1, MaxTargets)
	}
}

func checkIDs(field string, ids []string, lo, hi int) error {
	if len(ids) < lo || len(ids) > hi {
		return &ValidationError{Field: field, Reason: "needs " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + " values, got " + strconv.Itoa(len(ids))}
	}
	for i, id := range ids {
		if err := ValidateTargetID(id); err != nil {
			return &ValidationError{Field: field, Reason: "value " + strconv.Itoa(i) + " " + err.Error()}
		}
	}
	return nil
}

// ValidateTargetID checks one regid, alias, user account or topic by the
// rule every call of this package applies to target ids: not empty, valid
// UTF-8, no ASCII control character, and neither "," nor ";$;" (lists of ids
// are sent joined with those). Spaces and other printable characters are
// allowed: the server decides whether such an id exists. The error says
// what is wrong without naming a field; Target.Validate names it.
func ValidateTargetID(id string) error {
	switch {
	case id == "":
		return errors.New("is empty")
	case !utf8.ValidString(id):
		return errors.New("is not valid UTF-8")
	case strings.IndexByte(id, ',') >= 0 || strings.Contains(id, topicSeparator):
		return errors.New(`must not contain "," or ";$;"`)
	}
	if i := indexControl(id); i >= 0 {
		return errors.New("must not contain control characters, got 0x" + strconv.FormatUint(uint64(id[i]), 16) + " at byte " + strconv.Itoa(i))
	}
	return nil
}

// param is the form field that carries the target.
func (t Target) param() string {
	switch t.Kind {
	case TargetRegID:
		return "registration_id"
	case TargetAlias:
		return "alias"
	case TargetUserAccount:
		return "user_account"
	case TargetTopic:
		return "topic"
	case TargetTopics:
		return "topics"
	}
	return ""
}

// path returns the endpoint for a send of msg to t.
func (t Target) path(msg *Message) string {
	switch t.Kind {
	case TargetRegID:
		return "/v3/message/regid"
	case TargetAlias:
		return "/v3/message/alias"
	case TargetUserAccount:
		return "/v2/message/user_account"
	}
	// Broadcasts use v3 when the package is absent or names several
	// packages, as the official SDK does.
	v3 := msg.RestrictedPackageName == "" || strings.Contains(msg.RestrictedPackageName, ",")
	switch {
	case t.Kind == TargetTopic || (t.Kind == TargetTopics && len(t.IDs) == 1):
		if v3 {
			return "/v3/message/topic"
		}
		return "/v2/message/topic"
	case t.Kind == TargetTopics:
		if v3 {
			return "/v3/message/multi_topic"
		}
		return "/v2/message/multi_topic"
	default:
		if v3 {
			return "/v3/message/all"
		}
		return "/v2/message/all"
	}
}

// appendForm appends the target's form fields ("key=value", no leading '&').
func (t Target) appendForm(b []byte) []byte {
	switch t.Kind {
	case TargetAll:
		return b
	case TargetTopics:
		if len(t.IDs) == 1 { // the SDK sends one topic as a plain topic send
			b = append(b, "topic="...)
			return appendFormEscaped(b, t.IDs[0])
		}
		b = append(b, "topics="...)
		for i, id := range t.IDs {
			if i > 0 {
				b = appendFormEscaped(b, topicSeparator)
			}
			b = appendFormEscaped(b, id)
		}
		b = append(b, "&topic_op="...)
		return append(b, t.Op...)
	}
	b = append(b, t.param()...)
	b = append(b, '=')
	for i, id := range t.IDs {
		if i > 0 {
			b = append(b, "%2C"...)
		}
		b = appendFormEscaped(b, id)
	}
	return b
}

// encodeSend validates msg and t and appends the request body to dst.
func encodeSend(dst []byte, t Target, msg *Message) ([]byte, error) {
	if err := t.Validate(); err != nil {
		return dst, err
	}
	if err := msg.Validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	b := t.appendForm(dst)
	noTarget := len(b) == start
	b = msg.appendForm(b)
	if noTarget && len(b) > start {
		// No target field: drop the message's leading '&'.
		b = append(b[:start], b[start+1:]...)
	}
	return b, nil
}
