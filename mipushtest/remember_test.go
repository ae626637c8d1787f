package mipushtest

import (
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRememberSendsTrace(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "h1", true: "h2"}[h2], func(t *testing.T) {
			s := newTestServer(t, Options{HTTP2: h2, RememberSends: 2})
			s.SetBadRegIDs("bad")
			c := newHTTPClient(t, s, h2)
			send := func(regids, jobKey string) string {
				f := validSend(regids)
				if jobKey != "" {
					f.Set("extra.jobkey", jobKey)
				}
				_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", f)
				require.Equal(t, "ok", r.Result, r.Reason)
				return r.Data["id"].(string)
			}
			trace := func(key, value string) map[string]any {
				_, r := do(t, c, s, http.MethodGet, "/v1/trace/message/status", "sec", url.Values{key: {value}})
				require.Equal(t, "ok", r.Result, r.Reason)
				return r.Data["data"].(map[string]any)
			}
			first := send("r1,r2,bad", "job1")
			second := send("r3", "job1")

			st := trace("msg_id", first)
			assert.Equal(t, first, st["id"])
			assert.EqualValues(t, 2, st["resolved"], "the valid targets of the message")
			assert.EqualValues(t, 2, st["delivered"])
			assert.EqualValues(t, 3, trace("job_key", "job1")["resolved"], "the sum over the job")
			assert.EqualValues(t, 0, trace("msg_id", "slm-unknown")["resolved"], "an unknown id resolved nothing")

			// A third send forgets the oldest of two.
			send("r4", "")
			assert.EqualValues(t, 0, trace("msg_id", first)["resolved"])
			assert.EqualValues(t, 1, trace("msg_id", second)["resolved"])
		})
	}
}

func TestTraceWithoutRememberSends(t *testing.T) {
	s := newTestServer(t, Options{})
	c := newHTTPClient(t, s, false)
	_, r := do(t, c, s, http.MethodGet, "/v1/trace/message/status", "sec", url.Values{"msg_id": {"any"}})
	assert.EqualValues(t, 1, r.Data["data"].(map[string]any)["resolved"], "the made-up status of before")
}

func TestStartServerAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	_, err = StartServer(Options{Addr: addr})
	require.ErrorContains(t, err, "mipushtest: ", "the address is taken")
	require.NoError(t, ln.Close())

	s, err := StartServer(Options{Addr: addr})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, addr, s.Host())
	c := newHTTPClient(t, s, false)
	_, r := do(t, c, s, http.MethodPost, "/v3/message/regid", "sec", validSend("r1"))
	assert.Equal(t, "ok", r.Result)
}
