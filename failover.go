package mipush

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Host failover as the official SDKs do it for the China region
// (api-reference §1): the server announces a list of hosts with priority
// parameters in the X-PUSH-HOST-LIST response header; the client picks a
// host per send by weighted random choice over the current priorities,
// raises a host's priority after a good answer and lowers it after a
// failure or an answer slower than X-PUSH-CLIENT-TIMEOUT-MS.
const (
	hostListMaxAge       = 5 * time.Minute
	defaultClientTimeout = 5 * time.Second
	hostListDomain       = "xmpush.xiaomi.com" // the only hosts taken from the header
)

// hostPrio is one host of the list with its priority parameters.
type hostPrio struct {
	host                 string
	min, max, decr, incr int
	prio                 int
}

// hostList is the failover state of one client.
type hostList struct {
	mu       sync.Mutex
	hosts    []hostPrio
	asked    time.Time // when the list was last asked for
	timeout  time.Duration
	disabled bool // X-PUSH-DISABLE-AUTO-SELECT-DOMAIN: always the default host
}

func newHostList() *hostList {
	return &hostList{
		hosts:   []hostPrio{{host: ProductionHost, min: 1, max: 90, decr: 10, incr: 5, prio: 90}},
		timeout: defaultClientTimeout,
	}
}

// pick returns the host for the next send, and whether that send should
// ask the server for its host list. A retry passes the host that just
// failed it as avoid: another host is chosen when there is one.
func (h *hostList) pick(avoid string) (host string, ask bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	if h.asked.IsZero() || now.Sub(h.asked) >= hostListMaxAge {
		h.asked, ask = now, true
	}
	if h.disabled {
		return ProductionHost, ask
	}
	if len(h.hosts) == 1 {
		return h.hosts[0].host, ask
	}
	total := 0
	for _, p := range h.hosts {
		if p.host != avoid {
			total += p.prio
		}
	}
	if total == 0 {
		return h.hosts[0].host, ask
	}
	n := rand.N(total)
	for _, p := range h.hosts {
		if p.host == avoid {
			continue
		}
		if n < p.prio {
			return p.host, ask
		}
		n -= p.prio
	}
	return h.hosts[0].host, ask
}

// update applies the failover headers of a response.
func (h *hostList) update(resp *wire.Response) {
	list := resp.Get("x-push-host-list")
	timeout := resp.Get("x-push-client-timeout-ms")
	disable := resp.Get("x-push-disable-auto-select-domain")
	if list == "" && timeout == "" && disable == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ms, err := strconv.Atoi(timeout); err == nil && ms > 0 {
		h.timeout = time.Duration(ms) * time.Millisecond
	}
	if disable != "" {
		h.disabled = disable != "false"
	}
	if hosts := parseHostList(list); len(hosts) > 0 {
		// Keep the priorities learnt for hosts still listed.
		for i := range hosts {
			hosts[i].prio = hosts[i].max
			for _, old := range h.hosts {
				if old.host == hosts[i].host {
					hosts[i].prio = min(max(old.prio, hosts[i].min), hosts[i].max)
				}
			}
		}
		h.hosts = hosts
	}
}

// report adjusts host's priority after a send: ok is whether the server
// answered without a server error, latency how long it took.
func (h *hostList) report(host string, ok bool, latency time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.hosts {
		p := &h.hosts[i]
		if p.host != host {
			continue
		}
		if ok && latency <= h.timeout {
			p.prio = min(p.prio+p.incr, p.max)
		} else {
			p.prio = max(p.prio-p.decr, p.min)
		}
		return
	}
}

// parseHostList parses "host:min:max:decr:incr,..." keeping only hosts
// under xmpush.xiaomi.com with sane numbers, so that a forged or garbled
// header cannot send messages (and the app secret) anywhere else.
func parseHostList(s string) []hostPrio {
	var hosts []hostPrio
	for item := range strings.SplitSeq(s, ",") {
		f := strings.Split(strings.TrimSpace(item), ":")
		if len(f) != 5 {
			continue
		}
		host := strings.ToLower(f[0])
		if host != hostListDomain && !strings.HasSuffix(host, "."+hostListDomain) {
			continue
		}
		if strings.ContainsAny(host, "/@?#[] ") {
			continue
		}
		var v [4]int
		good := true
		for i := range v {
			n, err := strconv.Atoi(f[i+1])
			if err != nil || n < 0 || n > 1000 {
				good = false
				break
			}
			v[i] = n
		}
		if !good || v[0] < 1 || v[1] < v[0] {
			continue
		}
		hosts = append(hosts, hostPrio{host: host, min: v[0], max: v[1], decr: v[2], incr: v[3]})
	}
	return hosts
}
