package mipush_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// xmpushNames are certificate names for any host a host list may name.
var xmpushNames = []string{"api.xmpush.xiaomi.com", "*.api.xmpush.xiaomi.com"}

// manyHosts is a host list of n hosts hN.api.xmpush.xiaomi.com.
func manyHosts(n int) *mipushtest.HostList {
	l := &mipushtest.HostList{}
	for i := range n {
		l.Hosts = append(l.Hosts, mipushtest.HostPriority{Host: fmt.Sprintf("h%d.api.xmpush.xiaomi.com", i), Min: 1, Max: 90, Decr: 10, Incr: 5})
	}
	return l
}

// hostDials records the addresses a client dials.
type hostDials struct {
	mu    sync.Mutex
	addrs map[string]int
}

func (l *hostDials) add(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.addrs == nil {
		l.addrs = map[string]int{}
	}
	l.addrs[addr]++
}

func (l *hostDials) hosts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs)
}

// chinaClient is a client of the China region (failover on) whose every
// dial reaches srv.
func chinaClient(t *testing.T, srv *mipushtest.Server, log *hostDials, opts mipush.Options) *mipush.Client {
	roots := x509.NewCertPool()
	roots.AddCert(srv.CACert())
	var d net.Dialer
	opts.AppSecret = "s"
	opts.TLSConfig = &tls.Config{RootCAs: roots}
	opts.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		log.add(addr)
		if strings.HasPrefix(srv.Host(), mipushtest.InMemoryHost) {
			return srv.DialContext(ctx, network, addr)
		}
		return d.DialContext(ctx, network, srv.Host())
	}
	return mipush.NewClient(opts)
}

// TestHostListAskedUntilItArrives: every request asks for the list until
// one arrives; then none does (within 5 minutes). A list of 200 hosts is
// cut to 8: the client dials at most 8 hosts besides the default.
func TestHostListAskedUntilItArrives(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2, DNSNames: xmpushNames})
		defer srv.Close()
		var log hostDials
		c := chinaClient(t, srv, &log, mipush.Options{Conns: 1})
		defer c.Close()
		ctx := context.Background()
		for i := range 3 {
			_, err := c.PushToRegID(ctx, []string{"r"}, note(i))
			require.NoError(t, err)
		}
		srv.SetHostList(manyHosts(200))
		for i := range 200 {
			_, err := c.PushToRegID(ctx, []string{"r"}, note(10+i))
			require.NoError(t, err)
		}
		reqs := srv.Requests()
		require.Len(t, reqs, 203)
		for i, r := range reqs[:4] {
			assert.Equal(t, "true", r.Header.Get("X-Push-Host-List"), "request %d asks: no list yet", i)
		}
		for i, r := range reqs[4:] {
			assert.Empty(t, r.Header.Get("X-Push-Host-List"), "request %d: the list has arrived", 4+i)
		}
		assert.LessOrEqual(t, log.hosts(), 1+8, "at most 8 hosts from a list, besides the default")
		assert.Greater(t, log.hosts(), 2, "the listed hosts are used")
		assert.LessOrEqual(t, srv.Stats().Conns, 1+8)
	})
}

// TestHostListHeadersReadOnEveryAnswer: one answer with
// X-PUSH-DISABLE-AUTO-SELECT-DOMAIN sends the next requests to the
// default host; answers without it let the list work again.
func TestHostListHeadersReadOnEveryAnswer(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2, DNSNames: xmpushNames, HostList: manyHosts(4)})
		defer srv.Close()
		var log hostDials
		c := chinaClient(t, srv, &log, mipush.Options{Conns: 1})
		defer c.Close()
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r"}, note(0)) // the list arrives
		require.NoError(t, err)
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
			return &mipushtest.Answer{Header: http.Header{"X-Push-Disable-Auto-Select-Domain": {"true"}}}
		})
		_, err = c.PushToRegID(ctx, []string{"r"}, note(1)) // this answer disables
		require.NoError(t, err)
		srv.SetHook(nil)
		_, err = c.PushToRegID(ctx, []string{"r"}, note(2)) // to the default host; re-enables
		require.NoError(t, err)
		for i := range 40 {
			_, err = c.PushToRegID(ctx, []string{"r"}, note(3+i))
			require.NoError(t, err)
		}
		reqs := srv.Requests()
		if !h2 { // HTTP/1.1 requests name their host in a header field
			assert.Equal(t, "api.xmpush.xiaomi.com", reqs[2].Header.Get("Host"), "after a disabling answer: the default host")
			hosts := map[string]bool{}
			for _, r := range reqs[3:] {
				hosts[r.Header.Get("Host")] = true
			}
			assert.Greater(t, len(hosts), 1, "auto-selection is on again: %v", hosts)
		}
		assert.Greater(t, log.hosts(), 2)
	})
}

// TestRetiredHostsPoolsClose runs in a synctest bubble (HTTP/1.1 fake
// server, in memory): when a host leaves the list, its pool closes once
// its requests are answered, and every send still has one outcome.
func TestRetiredHostsPoolsClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := mipushtest.NewServer(mipushtest.Options{InMemory: true, DNSNames: xmpushNames, HostList: manyHosts(8)})
		defer srv.Close()
		out := newOutcomes()
		var log hostDials
		c := chinaClient(t, srv, &log, out.options(mipush.Options{Conns: 1}))
		ctx := context.Background()
		const n = 400
		_, err := c.PushToRegID(ctx, []string{"r"}, note(0)) // the list of 8 arrives
		require.NoError(t, err)
		for i := 1; i < n; i++ {
			if i == 200 {
				// The first 200 are answered on the hosts of the list of 8
				// (without this Flush, how many of those pools had dialled
				// before the next answer retired them would depend on
				// scheduling); from now on every answer announces a list
				// of one host: the 8 others leave it.
				require.NoError(t, c.Flush(ctx))
				srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
					return &mipushtest.Answer{Header: http.Header{"X-Push-Host-List": {"h0.api.xmpush.xiaomi.com:1:90:10:5"}}}
				})
			}
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Flush(ctx))
		assert.Empty(t, out.failed)
		assert.EqualValues(t, n-1, out.okCount.Load(), "every async send has its outcome")
		assert.EqualValues(t, n, srv.Count(), "and was sent once")
		synctest.Wait() // the retired pools finish closing
		m := c.Metrics()
		assert.LessOrEqual(t, m.ConnsOpen, 2, "the pools of h0 and of the default host remain")
		assert.LessOrEqual(t, srv.Stats().OpenConns, 2, "the retired hosts' connections are closed")
		assert.Greater(t, srv.Stats().Conns, 3, "several hosts were used before")
		require.NoError(t, c.Close())
	})
}

// TestRetiredHostsNoOutcomeLost retires hosts while async sends are queued
// and in flight on both protocols over TLS: each send has one outcome and
// reaches the server once.
func TestRetiredHostsNoOutcomeLost(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2, DNSNames: xmpushNames, HostList: manyHosts(8), NoRecording: true})
		defer srv.Close()
		out := newOutcomes()
		var log hostDials
		c := chinaClient(t, srv, &log, out.options(mipush.Options{Conns: 2}))
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"r"}, note(0))
		require.NoError(t, err)
		const n = 3000
		for i := 1; i < n; i++ {
			if i == n/3 {
				srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
					return &mipushtest.Answer{Header: http.Header{"X-Push-Host-List": {"h0.api.xmpush.xiaomi.com:1:90:10:5"}}}
				})
			}
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{"r"}, note(i)))
		}
		require.NoError(t, c.Close())
		assert.Empty(t, out.failed)
		assert.EqualValues(t, n-1, out.okCount.Load())
		assert.EqualValues(t, n, srv.Count(), "each sent once")
		assert.Greater(t, log.hosts(), 2)
	})
}
