package mipush

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/mipush-go/mipush/internal/lenient"
)

// listData is the data object of the calls that answer data.list.
type listData struct {
	List flexList `json:"list"`
}

// AliasesOf returns the aliases set on the device regID of the app pkg:
// GET /v1/alias/all with restricted_package_name and registration_id.
func (c *Client) AliasesOf(ctx context.Context, pkg, regID string) ([]string, error) {
	return c.deviceList(ctx, "/v1/alias/all", pkg, regID)
}

// TopicsOf returns the topics the device regID of the app pkg is
// subscribed to: GET /v1/topic/all with restricted_package_name and
// registration_id.
func (c *Client) TopicsOf(ctx context.Context, pkg, regID string) ([]string, error) {
	return c.deviceList(ctx, "/v1/topic/all", pkg, regID)
}

// AccountsOf returns the user accounts set on the device regID of the app
// pkg: GET /v1/account/all with restricted_package_name and
// registration_id.
func (c *Client) AccountsOf(ctx context.Context, pkg, regID string) ([]string, error) {
	return c.deviceList(ctx, "/v1/account/all", pkg, regID)
}

func (c *Client) deviceList(ctx context.Context, path, pkg, regID string) ([]string, error) {
	p, err := deviceParams(pkg, []string{regID}, 1)
	if err != nil {
		return nil, err
	}
	r := getRequest(path, p)
	r.target = Target{Kind: TargetRegID, IDs: []string{regID}}
	d, _, err := callData[listData](ctx, c, r)
	if err != nil {
		return nil, err
	}
	return d.List, nil
}

// deviceParams validates and encodes restricted_package_name and
// registration_id (1 to max regids, comma-joined).
func deviceParams(pkg string, regIDs []string, max int) ([]byte, error) {
	if err := checkPackage(pkg, true); err != nil {
		return nil, err
	}
	if err := checkValues("registration_id", regIDs, max); err != nil {
		return nil, err
	}
	p := appendParam(make([]byte, 0, len(pkg)+listSize(regIDs)+48), "restricted_package_name", pkg)
	return appendJoinedParam(p, "registration_id", regIDs), nil
}

// Presence is whether a device is connected to MiPush.
type Presence struct {
	RegID   string
	Present bool      // the device is online
	Last    time.Time // when it was last seen, if the server says so
}

// presenceJSON is one presence object.
type presenceJSON struct {
	RegID    looseString `json:"regid"`
	Presence looseBool   `json:"presence"`
	LastTime looseInt    `json:"last_time"`
}

func (p presenceJSON) presence(regID string) Presence {
	out := Presence{RegID: string(p.RegID), Present: bool(p.Presence)}
	if out.RegID == "" {
		out.RegID = regID
	}
	if p.LastTime > 0 {
		out.Last = time.UnixMilli(int64(p.LastTime))
	}
	return out
}

// Presence reports whether the device regID of the app pkg is online: GET
// /v1/regid/presence with restricted_package_name and registration_id.
// No public source shows the answer's shape (the official Java SDK hands
// over the raw text): data as one object with regid, presence and
// last_time (epoch ms) is this package's reading, and what mipushtest
// answers.
func (c *Client) Presence(ctx context.Context, pkg, regID string) (*Presence, error) {
	p, err := deviceParams(pkg, []string{regID}, 1)
	if err != nil {
		return nil, err
	}
	const path = "/v1/regid/presence"
	r := getRequest(path, p)
	r.target = Target{Kind: TargetRegID, IDs: []string{regID}}
	d, _, err := callData[presenceJSON](ctx, c, r)
	if err != nil {
		return nil, err
	}
	pr := d.presence(regID)
	return &pr, nil
}

// Presences reports whether each of up to 1000 devices of the app pkg is
// online: GET /v2/regid/presence with restricted_package_name and
// registration_id (comma-joined). The regids travel in the query string,
// so keep long lists well below the limit if a proxy caps URL lengths.
// The answer lists the devices in the server's order. No public source
// shows its shape; data.list of presence objects, data itself as such a
// list, and data as an object keyed by regid are all read.
func (c *Client) Presences(ctx context.Context, pkg string, regIDs []string) ([]Presence, error) {
	p, err := deviceParams(pkg, regIDs, MaxTargets)
	if err != nil {
		return nil, err
	}
	const path = "/v2/regid/presence"
	r := getRequest(path, p)
	r.target = Target{Kind: TargetRegID, IDs: regIDs}
	res, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	list, err := decodePresences(res.Data)
	if err != nil {
		return nil, &DataError{Path: path, Data: res.Data, Err: err}
	}
	return list, nil
}

// decodePresences accepts data.list as a list of presence objects, data
// itself as such a list, or data as an object keyed by regid whose values
// are presence objects or booleans (then sorted by regid). No public
// source shows this answer's shape; these are the tolerant readings.
func decodePresences(data json.RawMessage) ([]Presence, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if lenient.Kind(data) == '[' {
		return decodePresenceList(data)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, err
	}
	if raw, ok := obj["list"]; ok {
		return decodePresenceList(raw)
	}
	out := make([]Presence, 0, len(obj))
	for id, raw := range obj {
		var pj presenceJSON
		if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '{' {
			if err := json.Unmarshal(raw, &pj); err != nil {
				return nil, err
			}
		} else {
			_ = pj.Presence.UnmarshalJSON(raw)
		}
		out = append(out, pj.presence(id))
	}
	slices.SortFunc(out, func(a, b Presence) int { return strings.Compare(a.RegID, b.RegID) })
	return out, nil
}

// decodePresenceList decodes a JSON array of presence objects.
func decodePresenceList(raw json.RawMessage) ([]Presence, error) {
	var list []presenceJSON
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	out := make([]Presence, len(list))
	for i, pj := range list {
		out[i] = pj.presence("")
	}
	return out, nil
}

// RegIDValidation is the server's verdict on a list of registration ids.
type RegIDValidation struct {
	Valid   []string
	Invalid []string
}

// regIDValidationJSON is the data object of a regid validation.
type regIDValidationJSON struct {
	Valid   flexList `json:"valid_regids"`
	Invalid flexList `json:"invalid_regids"`
}

// ValidateRegIDs asks the server which of up to 1000 registration ids are
// valid: POST /v1/validation/regids with registration_ids repeated, one
// value each, as the official Java SDK sends it. (Message.Validate and the
// send calls check input locally; this asks the server about the ids
// themselves.) No public source shows the answer's shape: data's
// valid_regids and invalid_regids, each a list or a comma-joined string,
// are this package's reading, and what mipushtest answers.
func (c *Client) ValidateRegIDs(ctx context.Context, regIDs []string) (*RegIDValidation, error) {
	if err := checkValues("registration_ids", regIDs, MaxTargets); err != nil {
		return nil, err
	}
	const path = "/v1/validation/regids"
	r := postRequest(path, appendRepeatedParam(make([]byte, 0, 2*listSize(regIDs)), "registration_ids", regIDs))
	r.target = Target{Kind: TargetRegID, IDs: regIDs}
	d, _, err := callData[regIDValidationJSON](ctx, c, r)
	if err != nil {
		return nil, err
	}
	return &RegIDValidation{Valid: d.Valid, Invalid: d.Invalid}, nil
}
