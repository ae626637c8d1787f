package engine

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/wire"
)

func TestParseHostList(t *testing.T) {
	got := parseHostList("api.xmpush.xiaomi.com:1:90:10:5, lg.api.xmpush.xiaomi.com:2:80:8:4," +
		"evil.example.com:1:90:10:5,xmpush.xiaomi.com.evil.com:1:90:10:5,c3.api.xmpush.xiaomi.com:x:90:10:5," +
		"bad.xmpush.xiaomi.com:5:1:1:1,short.xmpush.xiaomi.com:1:2,LG.api.xmpush.xiaomi.com:1:90:10:5")
	assert.Equal(t, []hostPrio{
		{host: "api.xmpush.xiaomi.com", min: 1, max: 90, decr: 10, incr: 5},
		{host: "lg.api.xmpush.xiaomi.com", min: 2, max: 80, decr: 8, incr: 4},
	}, got, "malformed entries stand for the default server, listed already; duplicates are dropped")

	got = parseHostList("lg.api.xmpush.xiaomi.com:2:80:8:4,evil.example.com:1:90:10:5")
	assert.Equal(t, []string{"lg.api.xmpush.xiaomi.com", DefaultHost}, hostNames(got), "a malformed entry is replaced by the default server")
	assert.Equal(t, []string{DefaultHost}, hostNames(parseHostList("garbage")))
}

// TestParseHostListBounded: a list of 200 hosts yields maxListedHosts.
func TestParseHostListBounded(t *testing.T) {
	var items []string
	for i := range 200 {
		items = append(items, fmt.Sprintf("h%d.api.xmpush.xiaomi.com:1:90:10:5", i))
	}
	got := parseHostList(strings.Join(items, ","))
	require.Len(t, got, maxListedHosts)
	assert.Equal(t, "h0.api.xmpush.xiaomi.com", got[0].host)
	assert.Equal(t, "h7.api.xmpush.xiaomi.com", got[7].host)
}

func hostNames(hs []hostPrio) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.host)
	}
	return out
}

func hostAnswer(headers ...string) *wire.Response {
	r := &wire.Response{Status: 200}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header = append(r.Header, wire.Header{Name: headers[i], Value: headers[i+1]})
	}
	return r
}

const twoHosts = "api.xmpush.xiaomi.com:1:90:10:5,lg.api.xmpush.xiaomi.com:1:90:10:5"

// TestHostListAsking: the list is asked for on every request until one
// arrives, then again once it is 5 minutes old, until the next arrives.
func TestHostListAsking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHostList()
		for range 3 {
			_, ask := h.Pick("")
			assert.True(t, ask, "asked on every request until a list arrives")
			h.Update(hostAnswer()) // answers without a list
		}
		h.Update(hostAnswer("x-push-host-list", twoHosts))
		_, ask := h.Pick("")
		assert.False(t, ask, "a list arrived")
		time.Sleep(hostListMaxAge - time.Second)
		_, ask = h.Pick("")
		assert.False(t, ask, "not yet 5 minutes old")
		time.Sleep(time.Second)
		for range 3 {
			_, ask = h.Pick("")
			assert.True(t, ask, "5 minutes old: asked on every request again")
			h.Update(hostAnswer())
		}
		h.Update(hostAnswer("x-push-host-list", twoHosts))
		_, ask = h.Pick("")
		assert.False(t, ask)
	})
}

// TestHostListHeadersEveryAnswer: the disable and timeout headers are read
// on every answer; an answer without them restores the defaults.
func TestHostListHeadersEveryAnswer(t *testing.T) {
	h := NewHostList()
	h.Update(hostAnswer("x-push-host-list", twoHosts, "x-push-client-timeout-ms", "2000"))
	assert.Equal(t, 2*time.Second, h.timeout)
	h.Update(hostAnswer())
	assert.Equal(t, defaultClientTimeout, h.timeout, "absent: back to 5000 ms")
	h.Update(hostAnswer("x-push-client-timeout-ms", "junk"))
	assert.Equal(t, defaultClientTimeout, h.timeout)

	for range 20 {
		h.Record("api.xmpush.xiaomi.com", false, 0)
	}
	h.Update(hostAnswer("x-push-disable-auto-select-domain", "true"))
	for range 50 {
		host, _ := h.Pick("")
		assert.Equal(t, DefaultHost, host, "auto-selection off: the default host")
	}
	h.Update(hostAnswer("x-push-disable-auto-select-domain", "false"))
	assert.True(t, h.disabled, "present, whatever its value, turns auto-selection off (as the Java SDK)")
	h.Update(hostAnswer())
	assert.False(t, h.disabled, "one answer without the header turns it on again")
	picks := map[string]int{}
	for range 1000 {
		host, _ := h.Pick("")
		picks[host]++
	}
	assert.Greater(t, picks["lg.api.xmpush.xiaomi.com"], 900, "the demoted host is avoided again")
}

func TestHostListPriorities(t *testing.T) {
	h := NewHostList()
	h.Update(hostAnswer("x-push-host-list", twoHosts, "x-push-client-timeout-ms", "2000"))
	for range 20 {
		h.Record("api.xmpush.xiaomi.com", false, 0)
	}
	h.Record("lg.api.xmpush.xiaomi.com", true, 3*time.Second) // slower than the timeout
	assert.Equal(t, 1, h.hosts[0].prio, "floored at min")
	assert.Equal(t, 80, h.hosts[1].prio)
	h.Record("lg.api.xmpush.xiaomi.com", true, time.Millisecond)
	assert.Equal(t, 85, h.hosts[1].prio)

	// A new list keeps learnt priorities and names the hosts that left.
	gone := h.Update(hostAnswer("x-push-host-list", "api.xmpush.xiaomi.com:1:90:10:5,c3.api.xmpush.xiaomi.com:1:90:10:5"))
	assert.Equal(t, []string{"lg.api.xmpush.xiaomi.com"}, gone)
	assert.Equal(t, 1, h.hosts[0].prio, "learnt priority kept")
	gone = h.Update(hostAnswer("x-push-host-list", "c3.api.xmpush.xiaomi.com:1:90:10:5"))
	assert.Empty(t, gone, "the default host is never retired: it serves while auto-selection is off")
}

func TestHostListRetryAvoidsFailedHost(t *testing.T) {
	h := NewHostList()
	h.Update(hostAnswer("x-push-host-list", twoHosts))
	for range 100 {
		host, _ := h.Pick("api.xmpush.xiaomi.com")
		assert.Equal(t, "lg.api.xmpush.xiaomi.com", host)
	}
	single := NewHostList()
	host, _ := single.Pick(DefaultHost)
	assert.Equal(t, DefaultHost, host, "with one host, a retry goes to it again")
}
