package mipush

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mipush-go/mipush/internal/wire"
)

func TestParseHostList(t *testing.T) {
	got := parseHostList("api.xmpush.xiaomi.com:1:90:10:5, lg.api.xmpush.xiaomi.com:2:80:8:4," +
		"evil.example.com:1:90:10:5,xmpush.xiaomi.com.evil.com:1:90:10:5,c3.api.xmpush.xiaomi.com:x:90:10:5," +
		"bad.xmpush.xiaomi.com:5:1:1:1,short.xmpush.xiaomi.com:1:2")
	assert.Equal(t, []hostPrio{
		{host: "api.xmpush.xiaomi.com", min: 1, max: 90, decr: 10, incr: 5},
		{host: "lg.api.xmpush.xiaomi.com", min: 2, max: 80, decr: 8, incr: 4},
	}, got)
}

func TestHostListPriorities(t *testing.T) {
	h := newHostList()
	host, ask := h.pick("")
	assert.Equal(t, ProductionHost, host)
	assert.True(t, ask, "an unknown list is asked for")
	_, ask = h.pick("")
	assert.False(t, ask, "asked once per period")

	h.update(&wire.Response{Header: []wire.Header{
		{Name: "x-push-host-list", Value: "api.xmpush.xiaomi.com:1:90:10:5,lg.api.xmpush.xiaomi.com:1:90:10:5"},
		{Name: "x-push-client-timeout-ms", Value: "2000"},
	}})
	assert.Equal(t, 2*time.Second, h.timeout)
	for range 20 {
		h.report("api.xmpush.xiaomi.com", false, 0)
	}
	h.report("lg.api.xmpush.xiaomi.com", true, 3*time.Second) // slower than the timeout
	assert.Equal(t, 1, h.hosts[0].prio, "floored at min")
	assert.Equal(t, 80, h.hosts[1].prio)
	h.report("lg.api.xmpush.xiaomi.com", true, time.Millisecond)
	assert.Equal(t, 85, h.hosts[1].prio)
	picks := map[string]int{}
	for range 1000 {
		host, _ := h.pick("")
		picks[host]++
	}
	assert.Greater(t, picks["lg.api.xmpush.xiaomi.com"], 900)

	h.update(&wire.Response{Header: []wire.Header{{Name: "x-push-disable-auto-select-domain", Value: "true"}}})
	host, _ = h.pick("")
	assert.Equal(t, ProductionHost, host)
}

func TestHostListRetryAvoidsFailedHost(t *testing.T) {
	h := newHostList()
	h.update(&wire.Response{Header: []wire.Header{
		{Name: "x-push-host-list", Value: "api.xmpush.xiaomi.com:1:90:10:5,lg.api.xmpush.xiaomi.com:1:90:10:5"},
	}})
	for range 100 {
		host, _ := h.pick("api.xmpush.xiaomi.com")
		assert.Equal(t, "lg.api.xmpush.xiaomi.com", host)
	}
	single := newHostList()
	host, _ := single.pick(ProductionHost)
	assert.Equal(t, ProductionHost, host, "with one host, a retry goes to it again")
}
