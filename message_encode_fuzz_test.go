package mipush

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzMessageForm puts arbitrary strings into the free-form fields. Nothing
// may panic; every message's form body decodes back to exactly its values
// (the form escapes any byte, so this holds even for invalid messages); and
// a message that validates also encodes to JSON that decodes to its values.
func FuzzMessageForm(f *testing.F) {
	f.Add("hello", "", "", "k", "v", true)
	f.Add(`{"a":"&=+%/?# "}`, "标题", "描述", "emoji", "🚀👍🏽", false)
	f.Add("a\r\nb\x00", " ", "\t", "a=b&c", "x+y", false)
	f.Add("\xff\xfe", "\u2028", "\u2029", "jobkey", "j", true)
	f.Add(strings.Repeat("p", 4096), strings.Repeat("t", 50), "d", "extra.k", "", false)

	f.Fuzz(func(t *testing.T, payload, title, description, key, value string, passThrough bool) {
		m := &Message{
			RestrictedPackageName: "com.example.app",
			Payload:               payload,
			Title:                 title,
			Description:           description,
			PassThrough:           passThrough,
			Extra:                 map[string]string{key: value},
		}
		err := m.Validate()

		form := m.appendForm(nil)
		if n := m.formSizeHint(); n != len(form) {
			t.Fatalf("formSizeHint %d, appendForm wrote %d bytes", n, len(form))
		}
		if form[0] != '&' {
			t.Fatalf("body does not start with '&': %q", form)
		}
		got, perr := url.ParseQuery(string(form[1:]))
		if perr != nil {
			t.Fatalf("ParseQuery(%q): %v", form, perr)
		}
		want := url.Values{"restricted_package_name": {"com.example.app"}, "extra." + key: {value}}
		for k, v := range map[string]string{"payload": payload, "title": title, "description": description} {
			if v != "" { // empty fields are left out
				want[k] = []string{v}
			}
		}
		if passThrough {
			want["pass_through"] = []string{"1"}
		} else if _, ok := want["extra.notify_effect"]; !ok {
			want["extra.notify_effect"] = []string{"1"} // a predefined notification by default
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("body %q decodes to %q, want %q", form, got, want)
		}
		if err != nil {
			return
		}

		// A valid message: its strings are UTF-8, so JSON carries them exactly.
		if !utf8.ValidString(payload + title + description + key + value) {
			t.Fatalf("invalid UTF-8 validated")
		}
		var obj struct {
			Payload     string            `json:"payload"`
			Title       string            `json:"title"`
			Description string            `json:"description"`
			Extra       map[string]string `json:"extra"`
		}
		js := m.appendJSON(nil)
		if jerr := json.Unmarshal(js, &obj); jerr != nil {
			t.Fatalf("json.Unmarshal(%q): %v", js, jerr)
		}
		wantExtra := map[string]string{key: value}
		if !passThrough && key != "notify_effect" {
			wantExtra["notify_effect"] = "1"
		}
		if obj.Payload != payload || obj.Title != title || obj.Description != description ||
			!reflect.DeepEqual(obj.Extra, wantExtra) {
			t.Fatalf("JSON %q does not carry the values", js)
		}
	})
}
