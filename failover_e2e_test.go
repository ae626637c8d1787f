package mipush_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// TestHostFailover runs the China region's default configuration against
// two fake servers standing in for api.xmpush.xiaomi.com and
// lg.api.xmpush.xiaomi.com: the first announces both in its host list,
// then fails, and the traffic moves to the second.
func TestHostFailover(t *testing.T) {
	const primary, backup = "api.xmpush.xiaomi.com", "lg.api.xmpush.xiaomi.com"
	list := &mipushtest.HostList{Hosts: []mipushtest.HostPriority{
		{Host: primary, Min: 1, Max: 90, Decr: 10, Incr: 5},
		{Host: backup, Min: 1, Max: 90, Decr: 10, Incr: 5},
		{Host: "evil.example.com", Min: 1, Max: 90, Decr: 10, Incr: 5}, // never taken
	}}
	a := mipushtest.NewServer(mipushtest.Options{DNSNames: []string{primary}, HostList: list})
	defer a.Close()
	b := mipushtest.NewServer(mipushtest.Options{DNSNames: []string{backup}, HostList: list})
	defer b.Close()

	roots := x509.NewCertPool()
	roots.AddCert(a.CACert())
	roots.AddCert(b.CACert())
	addrs := map[string]string{primary + ":443": a.Host(), backup + ":443": b.Host()}
	var d net.Dialer
	c := mipush.NewClient(mipush.Options{
		AppSecret: "s",
		TLSConfig: &tls.Config{RootCAs: roots},
		Conns:     1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			real, ok := addrs[addr]
			if !ok {
				t.Errorf("dialled %s", addr)
				return nil, net.UnknownNetworkError(addr)
			}
			return d.DialContext(ctx, network, real)
		},
	})
	defer c.Close()
	ctx := context.Background()

	for i := range 40 {
		_, err := c.PushToRegID(ctx, []string{"r"}, note(i))
		require.NoError(t, err)
	}
	reqs := a.Requests()
	require.NotEmpty(t, reqs)
	assert.Equal(t, "true", reqs[0].Header.Get("X-PUSH-HOST-LIST"), "the first send asks for the list")
	assert.NotZero(t, b.Count(), "the announced backup host was never used")

	// The primary fails; its priority falls and the backup takes over.
	a.SetHook(func(*mipushtest.Request) *mipushtest.Answer { return mipushtest.StatusAnswer(503) })
	for i := range 60 {
		_, err := c.PushToRegID(ctx, []string{"r"}, note(100+i))
		require.NoError(t, err, "send %d", i)
	}
	before := b.Count()
	for i := range 100 {
		_, err := c.PushToRegID(ctx, []string{"r"}, note(200+i))
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, b.Count()-before, int64(95), "the failing host still gets traffic")

	// Management calls on the message host follow the same list.
	before = b.Count()
	_, err := c.TraceMessage(ctx, "slm1")
	require.NoError(t, err)
	assert.Equal(t, before+1, b.Count())
}

func TestPinnedHostDisablesFailover(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{}, mipushtest.Options{HostList: &mipushtest.HostList{
		Hosts: []mipushtest.HostPriority{{Host: "lg.api.xmpush.xiaomi.com", Min: 1, Max: 90, Decr: 10, Incr: 5}},
	}})
	for i := range 3 {
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(i))
		require.NoError(t, err)
	}
	for _, r := range srv.Requests() {
		assert.Empty(t, r.Header.Get("X-PUSH-HOST-LIST"))
	}
	assert.Equal(t, int64(3), srv.Count())
}
