package mipush_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

func TestDeviceLists(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		ctx := context.Background()
		for _, tc := range []struct {
			path string
			call func(ctx context.Context, pkg, regID string) ([]string, error)
		}{
			{"/v1/alias/all", c.AliasesOf},
			{"/v1/topic/all", c.TopicsOf},
			{"/v1/account/all", c.AccountsOf},
		} {
			list, err := tc.call(ctx, apiPkg, "r+1/=")
			require.NoError(t, err)
			assert.Empty(t, list)
			r := lastRequest(t, srv, "GET", tc.path)
			assert.Equal(t, "restricted_package_name=com.example.app&registration_id=r%2B1%2F%3D", r.RawQuery)
			assert.Equal(t, "r+1/=", r.Form.Get("registration_id"))
		}

		// Lists come as arrays or as comma-joined strings.
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			data := `{"list":["a1","a2"]}`
			if r.Path == "/v1/account/all" {
				data = `{"list":"u1,u2"}`
			}
			return &mipushtest.Answer{Body: []byte(`{"result":"ok","code":0,"data":` + data + `}`)}
		})
		list, err := c.AliasesOf(ctx, apiPkg, "r1")
		require.NoError(t, err)
		assert.Equal(t, []string{"a1", "a2"}, list)
		list, err = c.AccountsOf(ctx, apiPkg, "r1")
		require.NoError(t, err)
		assert.Equal(t, []string{"u1", "u2"}, list)
	})
}

func TestPresence(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		srv.SetBadRegIDs("gone")
		ctx := context.Background()

		p, err := c.Presence(ctx, apiPkg, "r1")
		require.NoError(t, err)
		r := lastRequest(t, srv, "GET", "/v1/regid/presence")
		assert.Equal(t, "r1", r.Form.Get("registration_id"))
		assert.Equal(t, apiPkg, r.Form.Get("restricted_package_name"))
		assert.Equal(t, "r1", p.RegID)
		assert.True(t, p.Present)
		assert.WithinDuration(t, r.Time, p.Last, time.Millisecond)

		p, err = c.Presence(ctx, apiPkg, "gone")
		require.NoError(t, err)
		assert.False(t, p.Present)
		assert.True(t, p.Last.IsZero())

		ps, err := c.Presences(ctx, apiPkg, []string{"r1", "gone", "r2"})
		require.NoError(t, err)
		r = lastRequest(t, srv, "GET", "/v2/regid/presence")
		assert.Equal(t, []string{"r1,gone,r2"}, r.Form["registration_id"])
		require.Len(t, ps, 3)
		assert.Equal(t, "r1", ps[0].RegID)
		assert.True(t, ps[0].Present)
		assert.Equal(t, "gone", ps[1].RegID)
		assert.False(t, ps[1].Present)
		assert.True(t, ps[2].Present)
	})
}

func TestPresencesShapes(t *testing.T) {
	srv, c := newPair(t, true, mipush.Options{})
	var data atomic.Pointer[string]
	srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
		return &mipushtest.Answer{Body: []byte(`{"result":"ok","code":0,"data":` + *data.Load() + `}`)}
	})
	for _, tc := range []struct {
		name, data string
		want       []mipush.Presence
	}{
		{"list", `{"list":[{"regid":"a","presence":"true","last_time":"1000"}]}`,
			[]mipush.Presence{{RegID: "a", Present: true, Last: time.UnixMilli(1000)}}},
		{"map of objects", `{"b":{"presence":1},"a":{"presence":false}}`,
			[]mipush.Presence{{RegID: "a"}, {RegID: "b", Present: true}}},
		{"map of booleans", `{"a":true,"b":"0"}`,
			[]mipush.Presence{{RegID: "a", Present: true}, {RegID: "b"}}},
		{"null", `null`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data.Store(&tc.data)
			got, err := c.Presences(context.Background(), apiPkg, []string{"a", "b"})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestValidateRegIDs(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		srv.SetBadRegIDs("bad1", "bad2")
		v, err := c.ValidateRegIDs(context.Background(), []string{"r1", "bad1", "r2", "bad2"})
		require.NoError(t, err)
		r := onlyRequest(t, srv, "POST", "/v1/validation/regids")
		assert.Equal(t, "registration_ids=r1&registration_ids=bad1&registration_ids=r2&registration_ids=bad2", string(r.Body),
			"repeated, one value each, as the Java SDK sends it")
		assert.Equal(t, []string{"r1", "bad1", "r2", "bad2"}, r.Targets)
		assert.Equal(t, []string{"r1", "r2"}, v.Valid)
		assert.Equal(t, []string{"bad1", "bad2"}, v.Invalid)
	})
}

func TestToolsValidation(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	_, err := c.AliasesOf(ctx, "", "r")
	requireInvalid(t, err, "restricted_package_name")
	_, err = c.TopicsOf(ctx, apiPkg, "")
	requireInvalid(t, err, "registration_id")
	_, err = c.AccountsOf(ctx, apiPkg, "a,b")
	requireInvalid(t, err, "registration_id")
	_, err = c.Presence(ctx, apiPkg, "r\n")
	requireInvalid(t, err, "registration_id")
	_, err = c.Presences(ctx, apiPkg, nil)
	requireInvalid(t, err, "registration_id")
	_, err = c.ValidateRegIDs(ctx, make([]string, mipush.MaxTargets+1))
	requireInvalid(t, err, "registration_ids")
	assert.Zero(t, srv.Count())
}
