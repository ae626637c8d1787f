package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mipush-go/mipush/mipushtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// templateServer is a fake whose channel "orders" is private, bound to the
// template "tpl" with the variables name and order, and which keeps the
// template_param of every regid it accepted.
func templateServer(t *testing.T) (got func() map[string]map[string]string, flags []string) {
	srv, flags := testServer(t, mipushtest.Options{HTTP2: true})
	srv.SetTemplate(mipushtest.Template{ID: "tpl", ChannelID: "orders", Vars: []string{"name", "order"}})
	var mu sync.Mutex
	params := map[string]map[string]string{}
	srv.SetHook(func(req *mipushtest.Request) *mipushtest.Answer {
		if len(req.Targets) != 1 {
			return nil // a multi-message send: the fake's own template check covers it
		}
		var p map[string]string
		if err := json.Unmarshal([]byte(req.Form.Get("extra.template_param")), &p); err == nil {
			mu.Lock()
			params[req.Targets[0]] = p
			mu.Unlock()
		}
		return nil
	})
	return func() map[string]map[string]string {
		mu.Lock()
		defer mu.Unlock()
		return params
	}, flags
}

// --template and --template-param carry a private channel's template.
func TestSendTemplateFlags(t *testing.T) {
	got, flags := templateServer(t)
	args := append([]string{"send", "--json", "--title", "T", "--description", "D", "--extra", "channel_id=orders", "--regid", "r1"}, flags...)

	r := mipushCmd(args...)
	assert.Equal(t, exitFailed, r.code, "the fake refuses a private-channel send without its template: %s", r.stderr)

	r = mipushCmd(append(args, "--template", "tpl", "--template-param", "name=Ann", "--template-param", "order=42")...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, map[string]string{"name": "Ann", "order": "42"}, got()["r1"])

	r = mipushCmd(append(args, "--template", "tpl", "--template-param", "name=🎉", "--template-param", "order=42")...)
	assert.Equal(t, exitUsage, r.code, "an emoji is refused before anything is sent")
	assert.Contains(t, r.stderr, "name")
}

// Personalised bulk lines carry their own template variables over the
// flags', batched or not; a bad value is listed with its line and nothing
// is sent.
func TestBulkPersonalisedTemplates(t *testing.T) {
	for _, batched := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batched), func(t *testing.T) {
			got, flags := templateServer(t)
			const n = 50
			lines := make([]string, n)
			for i := range lines {
				lines[i] = fmt.Sprintf(`{"regid": "r-%02d", "template_param": {"order": "%d"}}`, i, i)
			}
			input := writeFile(t, "p.jsonl", lines...)
			report := filepath.Join(t.TempDir(), "report.jsonl")
			more := []string{"--extra", "channel_id=orders", "--template", "tpl", "--template-param", "name=all"}
			if batched {
				more = append(more, "--batch")
			}
			r := mipushCmd(bulkArgs(flags, report, input, more...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, n, summaryOf(t, r).OK)
			if !batched {
				params := got()
				require.Len(t, params, n)
				for i := range n {
					assert.Equal(t, map[string]string{"name": "all", "order": fmt.Sprint(i)}, params[fmt.Sprintf("r-%02d", i)])
				}
			}

			bad := writeFile(t, "bad.jsonl", lines[0], `{"regid": "r-x", "template_param": {"order": "   "}}`)
			r = mipushCmd(bulkArgs(flags, report, bad, more...)...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stdout+r.stderr, `"line": 2`)
		})
	}
}
