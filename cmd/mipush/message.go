package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/internal/rules"
)

// messageFlags are the flags that build the message of send and bulk.
type messageFlags struct {
	file        string
	pkg         string
	title       string
	description string
	payload     string
	passThrough bool
	notifyType  int
	notifyID    int
	ttl         time.Duration
	at          string
	extras      pairFlag
	template    string
	tplParams   pairFlag
	set         map[string]bool // the flags given on the command line
}

// register defines the flags on fs.
func (f *messageFlags) register(fs *flagSet) {
	fs.StringVar(&f.file, "message", "", "read the message from this JSON `file` (see below); other message flags override its fields")
	fs.StringVar(&f.pkg, "package", "", "restricted_package_name: the Android `package` (several joined with \",\")")
	fs.StringVar(&f.title, "title", "", "notification title, shorter than 50 characters")
	fs.StringVar(&f.description, "description", "", "notification text, shorter than 128 characters")
	fs.StringVar(&f.payload, "payload", "", "payload handed to the app, shorter than 4096 bytes")
	fs.BoolVar(&f.passThrough, "pass-through", false, "send a pass-through (silent) message")
	fs.IntVar(&f.notifyType, "notify-type", 0, "notify_type: -1 for all defaults, or 1 sound | 2 vibrate | 4 lights")
	fs.IntVar(&f.notifyID, "notify-id", 0, "notify_id: a new notification with the same id replaces the old")
	fs.DurationVar(&f.ttl, "ttl", 0, "time_to_live: how long the server keeps the message for an offline device (e.g. 2h)")
	fs.StringVar(&f.at, "at", "", "time_to_send: schedule the message at this RFC 3339 `time`, at most 7 days ahead")
	fs.Var(&f.extras, "extra", "an extra as `key=value`, without the \"extra.\" prefix (repeatable), e.g. channel_id=news")
	fs.StringVar(&f.template, "template", "", "extra.template_id: the `id` of the template of a private channel (required there since "+rules.TemplateRequiredSince+")")
	fs.Var(&f.tplParams, "template-param", "a template variable as `name=value` (repeatable; sent in extra.template_param)")
}

// messageHelp describes the message flags and the message file.
func messageHelp() string {
	return `
The message comes from the message flags, from a JSON file (--message), or
both (the flags win). The file holds the form fields of the MiPush API:

  {"restricted_package_name": "com.example.app", "title": "Hello",
   "description": "Your order has shipped", "payload": "{\"order\":42}",
   "pass_through": 0, "notify_type": -1, "notify_id": 7,
   "time_to_live": "2h", "time_to_send": "2026-01-02T15:04:05+08:00",
   "extra": {"channel_id": "orders", "notify_effect": "1"}}

time_to_live may also be milliseconds and time_to_send epoch milliseconds.
Documented extras (channel_id, jobkey, notify_effect, intent_uri, web_uri,
sound_uri, callback, locale, model, template_id, template_param, ...) go to
their typed fields; others are sent as given. The message is checked before
anything is sent.

Since ` + rules.TemplateRequiredSince + ` a message on a private channel needs the channel's template:

  mipush send --package com.example.app --extra channel_id=orders \
    --template tpl-shipped --template-param order=42 --template-param eta=Friday \
    --title Shipped --description "Order 42 ships Friday" --regid r1

(in a file: "extra": {"template_id": "tpl-shipped",
"template_param": "{\"order\":\"42\",\"eta\":\"Friday\"}"}). Each value is
1 to ` + strconv.Itoa(rules.TemplateValueMaxRunes) + ` characters, not only spaces, without emoji; at most ` + strconv.Itoa(rules.TemplateMaxVars) + ` variables.
`
}

// build returns the message, checked with Message.Validate.
func (f *messageFlags) build() (*mipush.Message, error) {
	msg, err := f.buildUnchecked()
	if err != nil {
		return nil, err
	}
	if err := msg.Validate(); err != nil {
		return nil, &usageError{msg: describe(err)}
	}
	return msg, nil
}

// buildUnchecked returns the message without Message.Validate: the base
// of personalised lines, each of which is checked with its own fields.
func (f *messageFlags) buildUnchecked() (*mipush.Message, error) {
	msg := new(mipush.Message)
	if f.file != "" {
		b, err := os.ReadFile(f.file)
		if err != nil {
			return nil, usagef("--message: %v", err)
		}
		if msg, err = decodeMessage(b); err != nil {
			return nil, usagef("--message %s: %v", f.file, err)
		}
	}
	if f.set["package"] {
		msg.RestrictedPackageName = f.pkg
	}
	if f.set["title"] {
		msg.Title = f.title
	}
	if f.set["description"] {
		msg.Description = f.description
	}
	if f.set["payload"] {
		msg.Payload = f.payload
	}
	if f.set["pass-through"] {
		msg.PassThrough = f.passThrough
	}
	if f.set["notify-type"] {
		msg.NotifyType = mipush.NotifyType(f.notifyType)
	}
	if f.set["notify-id"] {
		msg.NotifyID = f.notifyID
	}
	if f.set["ttl"] {
		msg.TimeToLive = f.ttl
	}
	if f.set["at"] {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return nil, usagef("--at: want an RFC 3339 time such as 2026-01-02T15:04:05+08:00, got %q", f.at)
		}
		msg.TimeToSend = t
	}
	for _, kv := range f.extras {
		if err := setExtra(msg, kv.key, kv.value); err != nil {
			return nil, usagef("--extra %s: %v", kv.key, err)
		}
	}
	if f.set["template"] {
		msg.TemplateID = f.template
	}
	if len(f.tplParams) > 0 {
		msg.TemplateParams = layParams(msg.TemplateParams, f.tplParams.all())
	}
	return msg, nil
}

// layParams returns the template params of base with those of over laid
// on them, in a new map: base's may be shared (with every line of a bulk
// input), so it is never written.
func layParams(base map[string]string, over iter.Seq2[string, string]) map[string]string {
	params := maps.Clone(base)
	if params == nil {
		params = make(map[string]string)
	}
	maps.Insert(params, over)
	return params
}

// noteSet records which flags of fs were given, so that only those
// override the message file. Call it after parsing.
func (f *messageFlags) noteSet(fs *flagSet) {
	f.set = make(map[string]bool)
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
}

// messageFlagNames are the flags that messageFlags registers.
var messageFlagNames = []string{"message", "package", "title", "description", "payload", "pass-through",
	"notify-type", "notify-id", "ttl", "at", "extra", "template", "template-param"}

// anySet reports whether any message flag was given.
func (f *messageFlags) anySet() bool {
	for _, n := range messageFlagNames {
		if f.set[n] {
			return true
		}
	}
	return false
}

// messageFile is the JSON form of a message file.
type messageFile struct {
	RestrictedPackageName string            `json:"restricted_package_name"`
	Title                 string            `json:"title"`
	Description           string            `json:"description"`
	Payload               string            `json:"payload"`
	PassThrough           json.RawMessage   `json:"pass_through"` // 0, 1, false or true
	NotifyType            int               `json:"notify_type"`
	NotifyID              int               `json:"notify_id"`
	TimeToLive            json.RawMessage   `json:"time_to_live"` // ms, or a duration such as "2h"
	TimeToSend            json.RawMessage   `json:"time_to_send"` // epoch ms, or an RFC 3339 time
	Extra                 map[string]string `json:"extra"`
}

// decodeMessage parses a message file. Unknown fields are errors, so a
// misspelt field is not silently dropped.
func decodeMessage(b []byte) (*mipush.Message, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f messageFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	msg := &mipush.Message{
		RestrictedPackageName: f.RestrictedPackageName,
		Title:                 f.Title,
		Description:           f.Description,
		Payload:               f.Payload,
		NotifyType:            mipush.NotifyType(f.NotifyType),
		NotifyID:              f.NotifyID,
	}
	var err error
	if msg.PassThrough, err = jsonBool(f.PassThrough); err != nil {
		return nil, fmt.Errorf("pass_through: %v", err)
	}
	if msg.TimeToLive, err = jsonDuration(f.TimeToLive); err != nil {
		return nil, fmt.Errorf("time_to_live: %v", err)
	}
	if msg.TimeToSend, err = jsonTime(f.TimeToSend); err != nil {
		return nil, fmt.Errorf("time_to_send: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Extra)) {
		if err := setExtra(msg, k, f.Extra[k]); err != nil {
			return nil, fmt.Errorf("extra %s: %v", k, err)
		}
	}
	return msg, nil
}

// jsonBool accepts false, true, 0 and 1 (and nothing: false).
func jsonBool(raw json.RawMessage) (bool, error) {
	switch strings.TrimSpace(string(raw)) {
	case "", "null", "0", "false", `"0"`:
		return false, nil
	case "1", "true", `"1"`:
		return true, nil
	}
	return false, fmt.Errorf("want 0, 1, false or true, got %s", raw)
}

// jsonDuration accepts milliseconds or a Go duration string.
func jsonDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Duration(ms) * time.Millisecond, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("want milliseconds or a duration such as \"2h\", got %q", s)
		}
		return d, nil
	}
	var ms int64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("want milliseconds or a duration such as \"2h\", got %s", raw)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// jsonTime accepts epoch milliseconds or an RFC 3339 time.
func jsonTime(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms), nil
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("want epoch milliseconds or an RFC 3339 time, got %q", s)
		}
		return t, nil
	}
	var ms int64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return time.Time{}, fmt.Errorf("want epoch milliseconds or an RFC 3339 time, got %s", raw)
	}
	if ms == 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms), nil
}
