package engine

import (
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// Host failover as the official SDKs do it for the China region
// (the official Java SDK's ServerSwitch): the server announces a list
// of hosts with priority parameters in the X-PUSH-HOST-LIST response
// header; the client picks a host per send by weighted random choice over
// the current priorities, raises a host's priority after a good answer and
// lowers it after a failure or an answer slower than
// X-PUSH-CLIENT-TIMEOUT-MS. Every answer is read anew: a header that is
// absent returns its setting to the default.
const (
	hostListMaxAge       = 5 * time.Minute
	defaultClientTimeout = 5 * time.Second
	hostListDomain       = "xmpush.xiaomi.com" // the only hosts taken from the header
	// maxListedHosts bounds the hosts taken from one list (the first
	// ones): each host gets a pool of Options.Conns connections, and a
	// list of 200 hosts would otherwise open a pool for each.
	maxListedHosts = 8
)

// hostPrio is one host of the list with its priority parameters.
type hostPrio struct {
	host                 string
	min, max, decr, incr int
	prio                 int
}

// defaultHostPrio is the default server with the SDK's parameters.
var defaultHostPrio = hostPrio{host: DefaultHost, min: 1, max: 90, decr: 10, incr: 5, prio: 90}

// HostList is the failover state of one client.
type HostList struct {
	mu       sync.Mutex
	hosts    []hostPrio
	received time.Time // when a list last arrived; zero: never
	timeout  time.Duration
	disabled bool // X-PUSH-DISABLE-AUTO-SELECT-DOMAIN on the last answer: the default host only
}

func NewHostList() *HostList {
	return &HostList{
		hosts:   []hostPrio{defaultHostPrio},
		timeout: defaultClientTimeout,
	}
}

// Listed reports whether host is one Pick may return now.
func (h *HostList) Listed(host string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if host == DefaultHost {
		return true // the default host's pool is never retired
	}
	for _, p := range h.hosts {
		if p.host == host {
			return true
		}
	}
	return false
}

// Pick returns the host for the next send, and whether that send should
// ask the server for its host list: every send does until a list arrives,
// and again once the last list is 5 minutes old. A retry passes the host
// that just failed it as avoid: another host is chosen when there is one.
func (h *HostList) Pick(avoid string) (host string, ask bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ask = h.received.IsZero() || time.Since(h.received) >= hostListMaxAge
	if h.disabled {
		return DefaultHost, ask
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

// Update applies the failover headers of an answer, as the Java SDK does
// on every answer: auto-selection is off exactly while the answer carries
// X-PUSH-DISABLE-AUTO-SELECT-DOMAIN, the timeout is
// X-PUSH-CLIENT-TIMEOUT-MS or else 5000 ms, and an X-PUSH-HOST-LIST
// replaces the list. It returns the hosts that left the list (never the
// default host, which serves while auto-selection is off), whose pools
// the caller retires.
func (h *HostList) Update(resp *wire.Response) (gone []string) {
	list := resp.Get("x-push-host-list")
	timeout := defaultClientTimeout
	if ms, err := strconv.Atoi(resp.Get("x-push-client-timeout-ms")); err == nil && ms > 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	disabled := resp.Get("x-push-disable-auto-select-domain") != ""
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timeout, h.disabled = timeout, disabled
	if list == "" {
		return nil
	}
	h.received = time.Now()
	hosts := parseHostList(list)
	// Keep the priorities learnt for hosts still listed.
	for i := range hosts {
		hosts[i].prio = hosts[i].max
		for _, old := range h.hosts {
			if old.host == hosts[i].host {
				hosts[i].prio = min(max(old.prio, hosts[i].min), hosts[i].max)
			}
		}
	}
	for _, old := range h.hosts {
		if old.host != DefaultHost && !slices.ContainsFunc(hosts, func(p hostPrio) bool { return p.host == old.host }) {
			gone = append(gone, old.host)
		}
	}
	h.hosts = hosts
	return gone
}

// Record adjusts host's priority after a send: ok is whether the server
// answered without a server error, latency how long it took.
func (h *HostList) Record(host string, ok bool, latency time.Duration) {
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

// parseHostList parses "host:min:max:decr:incr,..." into at most
// maxListedHosts distinct hosts. Only hosts under xmpush.xiaomi.com with
// sane numbers are taken, so that a forged or garbled header cannot send
// messages (and the app secret) anywhere else; as in the Java SDK, an
// entry that is not taken stands for the default server, which is also
// the list when nothing else is left.
func parseHostList(s string) []hostPrio {
	var hosts []hostPrio
	add := func(p hostPrio) {
		if len(hosts) < maxListedHosts && !slices.ContainsFunc(hosts, func(q hostPrio) bool { return q.host == p.host }) {
			hosts = append(hosts, p)
		}
	}
	for item := range strings.SplitSeq(s, ",") {
		if p, ok := parseHostEntry(strings.TrimSpace(item)); ok {
			add(p)
		} else {
			add(defaultHostPrio)
		}
	}
	if len(hosts) == 0 {
		hosts = append(hosts, defaultHostPrio)
	}
	return hosts
}

// parseHostEntry parses one "host:min:max:decr:incr" entry.
func parseHostEntry(item string) (hostPrio, bool) {
	f := strings.Split(item, ":")
	if len(f) != 5 {
		return hostPrio{}, false
	}
	host := strings.ToLower(f[0])
	if host != hostListDomain && !strings.HasSuffix(host, "."+hostListDomain) {
		return hostPrio{}, false
	}
	if strings.ContainsAny(host, "/@?#[] ") {
		return hostPrio{}, false
	}
	var v [4]int
	for i := range v {
		n, err := strconv.Atoi(f[i+1])
		if err != nil || n < 0 || n > 1000 {
			return hostPrio{}, false
		}
		v[i] = n
	}
	if v[0] < 1 || v[1] < v[0] {
		return hostPrio{}, false
	}
	return hostPrio{host: host, min: v[0], max: v[1], decr: v[2], incr: v[3]}, true
}

// HostAddr returns the address to dial and the authority to send for a
// "host" or "host:port" value; port 443 is implied and not sent.
func HostAddr(host string) (addr, authority string) {
	if h, port, err := net.SplitHostPort(host); err == nil {
		if port == "443" {
			if strings.Contains(h, ":") {
				h = "[" + h + "]" // IPv6 literal
			}
			return host, h
		}
		return host, host
	}
	return net.JoinHostPort(host, "443"), host
}
