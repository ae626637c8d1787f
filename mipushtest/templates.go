package mipushtest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush/internal/rules"
)

// Template is a message template as the server knows it. Every message on
// a private channel names a template approved for that channel in
// extra.template_id, and gives the values of its variables in
// extra.template_param, a JSON object (rules "template" and "template_param"
// in docs/fidelity.md, with their date and notice; the object shape is
// inferred).
type Template struct {
	// ID is the template id, extra.template_id.
	ID string
	// ChannelID is the channel the template is bound to. SetTemplate
	// makes it a private channel.
	ChannelID string
	// Vars are the names of the template's variables, at most as many as
	// rule "template_param" in docs/fidelity.md allows.
	Vars []string
}

// SetPrivateChannel marks the channel id as private (私信): every send
// on it must then name one of the channel's templates (see SetTemplate)
// and give exactly its variables. Such a send is refused with a "missing
// required parameter" code when it names no template, and with an
// "invalid parameter value" code when the template is not one of the
// channel's or the variables differ (rule "template answers" in
// docs/fidelity.md): the real codes are not documented, so these are
// guesses. Reset forgets private channels.
func (s *Server) SetPrivateChannel(id string) { s.state.setPrivate(id, nil) }

// SetTemplate registers t and marks its channel private (see
// SetPrivateChannel). A send that names t.ID must carry exactly the
// variables t.Vars, with values that follow rule "template_param" in
// docs/fidelity.md (a bounded length, not all white space, no symbols of
// category So such as emoji, no unassigned code points). Reset forgets
// templates.
func (s *Server) SetTemplate(t Template) {
	// A sorted copy: the caller keeps its slice, and a send compares its
	// sorted variables without sorting these again.
	t.Vars = slices.Clone(t.Vars)
	slices.Sort(t.Vars)
	s.state.setPrivate(t.ChannelID, &t)
}

// setPrivate marks channel private and registers t, if not nil, under one
// lock: a send sees both or neither.
func (st *apiState) setPrivate(channel string, t *Template) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if t != nil {
		if st.templates == nil {
			st.templates = make(map[string]Template)
		}
		st.templates[t.ID] = *t
	}
	if st.private == nil {
		st.private = make(map[string]bool)
	}
	st.private[channel] = true
	st.nPrivate.Store(int32(len(st.private)))
}

// template returns the template id and whether channel is private.
func (st *apiState) template(id, channel string) (t Template, known, private bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t, known = st.templates[id]
	return t, known, st.private[channel]
}

// checkTemplate checks the template fields of a message: the variables'
// values always, and for a private channel or a registered template that
// the template is the channel's and the variables are its own.
func (x *exchange) checkTemplate(f url.Values) (int, string) {
	id, param, channel := f.Get("extra.template_id"), f.Get("extra.template_param"), f.Get("extra.channel_id")
	if id == "" && param == "" && !x.s.state.hasPrivate() {
		return 0, "" // the common case: no lock
	}
	var params map[string]string
	if param != "" {
		if err := json.Unmarshal([]byte(param), &params); err != nil || params == nil {
			return rules.CodeBadTemplate, "extra.template_param must be a JSON object of strings, not " + strconv.Quote(param)
		}
		if name, why := rules.CheckTemplateParams(params); why != "" {
			if name != "" {
				why = "variable " + strconv.Quote(name) + " " + why
			}
			return rules.CodeBadTemplate, "extra.template_param: " + why
		}
		if id == "" {
			return rules.CodeNoTemplate, "Must input extra.template_id with extra.template_param"
		}
	}
	t, known, private := x.s.state.template(id, channel)
	switch {
	case private && id == "":
		return rules.CodeNoTemplate, "Must input extra.template_id: channel " + strconv.Quote(channel) +
			" is private, and private messages need a template since " + rules.TemplateRequiredSince + " (" + rules.TemplateSource + ")"
	case private && (!known || t.ChannelID != channel):
		return rules.CodeBadTemplate, "extra.template_id " + strconv.Quote(id) + " is not a template of channel " + strconv.Quote(channel)
	case !known:
		return 0, ""
	}
	if got := rules.SortedKeys(params); !slices.Equal(got, t.Vars) {
		return rules.CodeBadTemplate, "extra.template_param must give exactly the variables [" + strings.Join(t.Vars, " ") +
			"] of template " + strconv.Quote(id) + ", got [" + strings.Join(got, " ") + "]"
	}
	return 0, ""
}

// hasPrivate reports whether any channel is private, without the lock.
func (st *apiState) hasPrivate() bool { return st.nPrivate.Load() > 0 }
