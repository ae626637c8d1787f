package mipush

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/mipush-go/mipush/internal/errtext"
	"github.com/mipush-go/mipush/internal/jsontext"
	"github.com/mipush-go/mipush/internal/rules"
)

// Templates (dev.mi.com pId=2314, 2026-06): a private-channel message names
// an approved template (extra.template_id) and gives its variables as a
// JSON text (extra.template_param). The rules of the variables live in
// internal/rules, which the fake server checks by too.

// validateTemplate checks TemplateID and TemplateParams.
func (m *Message) validateTemplate(time.Time) error {
	if m.TemplateID != "" {
		if err := checkTemplateID(m.TemplateID); err != nil {
			return err
		}
	}
	if len(m.TemplateParams) == 0 {
		return nil
	}
	if m.extraValue("template_id") == "" {
		return fieldError("extra.template_id", "is required with TemplateParams (extra.template_param)")
	}
	return checkTemplateParams(m.TemplateParams)
}

// checkTemplateID checks a template id: no control characters, not all
// white space. No source gives its form or length.
func checkTemplateID(id string) error {
	const field = "extra.template_id"
	if err := checkToken(field, id); err != nil {
		return err
	}
	if strings.TrimFunc(id, unicode.IsSpace) == "" {
		return fieldError(field, "must not be all white space, got "+errtext.Short(id))
	}
	return nil
}

// checkTemplateParams checks the variables of a template by the service's
// rules.
func checkTemplateParams(params map[string]string) error {
	name, why := rules.CheckTemplateParams(params)
	if why == "" {
		return nil
	}
	if name == "" && len(params) > rules.TemplateMaxVars {
		return fieldError("extra.template_param", why)
	}
	return fieldError("extra.template_param", "variable "+strconv.Quote(name)+": "+why)
}

// appendTemplateParam appends params as the JSON object sent as
// extra.template_param, keys in order, so a message always encodes the
// same way.
func appendTemplateParam(b []byte, params map[string]string) []byte {
	var arr [rules.TemplateMaxVars]string // a valid template fits: no allocation
	keys := arr[:0]
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = jsontext.Append(b, k)
		b = append(b, `":"`...)
		b = jsontext.Append(b, params[k])
		b = append(b, '"')
	}
	return append(b, '}')
}
