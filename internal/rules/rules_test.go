package rules

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckTemplateValue(t *testing.T) {
	for v, want := range map[string]string{
		"Li":                         "",
		"订单 A-42":                    "",
		strings.Repeat("长", 128):     "",
		"x\u00e9\u0301":              "", // a combining mark is assigned
		"":                           "must be 1 to 128 characters, got 0",
		strings.Repeat("长", 129):     "must be 1 to 128 characters, got 129",
		" \t\u3000":                  "must not be all white space",
		"ok 🚀":                       "must not hold symbols of category So (such as emoji), got '🚀' at byte 3",
		"©":                          "category So",
		"x\u0378":                    "must not hold unassigned code points, got U+378 at byte 1",
		"\U0010FFFF":                 "unassigned",
		"a\x00":                      "NUL",
		"\xff":                       "valid UTF-8",
		"\u4e00\u2028line":           "", // a line separator is assigned (Zl) and not So
		"$5":                         "", // Sc, not So
		strings.Repeat(" ", 3) + "x": "",
	} {
		got := CheckTemplateValue(v)
		if want == "" {
			assert.Empty(t, got, "%q", v)
		} else {
			assert.Contains(t, got, want, "%q", v)
		}
	}
}

func TestCheckTemplateParams(t *testing.T) {
	name, why := CheckTemplateParams(map[string]string{"b": "🙂", "a": ""})
	assert.Equal(t, "a", name, "the first bad variable in name order")
	assert.Contains(t, why, "got 0")
	many := map[string]string{}
	for _, k := range strings.Split("a b c d e f g h i j", " ") {
		many[k] = "x"
	}
	name, why = CheckTemplateParams(many)
	assert.Equal(t, "", name)
	assert.Equal(t, "must hold at most 9 variables, got 10", why)
	delete(many, "j")
	name, why = CheckTemplateParams(many)
	assert.Empty(t, name+why)
}

func TestRetired(t *testing.T) {
	r, ok := Retired("/v1/message/regid/revoke")
	require.True(t, ok)
	assert.Equal(t, "/v1/message/regid/revoke is offline since 2026-12-01 (notice D2367); use /v3/message/regid/revoke", r.Notice())
	r, ok = Retired("/v2/message/revoke")
	require.True(t, ok)
	assert.Contains(t, r.Notice(), "there is no replacement")
	_, ok = Retired("/v3/message/regid/revoke")
	assert.False(t, ok)
	_, ok = Retired("/v1/message/switch/stop_by_id")
	assert.False(t, ok, "stopping is not in the notice")
}

func TestStops(t *testing.T) {
	for _, c := range []int{21301, 22008, 10031} {
		assert.True(t, StopsApp(c), "%d", c)
		assert.False(t, StopsClass(c), "%d", c)
	}
	for _, c := range []int{10034, 200001} {
		assert.True(t, StopsClass(c), "%d", c)
		assert.False(t, StopsApp(c), "%d", c)
	}
	for _, c := range []int{0, 21302, 10026, 10027, 20301} {
		assert.False(t, StopsApp(c) || StopsClass(c), "%d", c)
	}
}

// The fidelity page the README links (docs/fidelity.md) lists every rule
// of Table with its tag and source, and names this package's file.
func TestREADMEListsEveryRule(t *testing.T) {
	front, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	assert.Contains(t, string(front), "(docs/fidelity.md)", "the README links the fidelity page")
	b, err := os.ReadFile("../../docs/fidelity.md")
	require.NoError(t, err)
	readme := string(b)
	start := strings.Index(readme, "# Fidelity")
	require.GreaterOrEqual(t, start, 0, "docs/fidelity.md has a Fidelity section")
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	assert.Contains(t, section, "internal/rules/rules.go")
	for _, r := range Table() {
		line := "| " + r.Name + " | " + r.Rule + " | [" + r.Tag + "] | " + r.Source + " |"
		assert.Contains(t, section, line, "docs/fidelity.md lists the rule %q as the table says", r.Name)
	}
}
