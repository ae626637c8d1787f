package mipushtest

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// apiState is the little server-side state some answers depend on:
// scheduled jobs, topic subscriptions, channels and send counters.
type apiState struct {
	regid, alias, account, broadcast atomic.Int64 // recipients of sends

	mu       sync.Mutex
	sent     sentLog                    // with Options.RememberSends
	jobs     map[string]string          // scheduled message id → extra.jobkey
	topics   map[string]map[string]bool // regid or alias → topics
	channels []channel
	quotas   map[string]*Quota // message class → its daily quota; see SetQuota
	nQuotas  atomic.Int32      // len(quotas), read without the lock

	private   map[string]bool     // private channels; see SetPrivateChannel
	templates map[string]Template // by id; see SetTemplate
	nPrivate  atomic.Int32        // len(private), read without the lock
}

// channel is a notification channel added by /v1/channel/add.
type channel struct {
	id, name, desc, notifyType, soundURL string
}

// sendCounts are the recipients counted by kind.
type sendCounts struct {
	regid, alias, account, broadcast int64
}

func (st *apiState) countSend(kind string, n int) {
	switch kind {
	case "REGID":
		st.regid.Add(int64(n))
	case "ALIAS":
		st.alias.Add(int64(n))
	case "USERACCOUNT":
		st.account.Add(int64(n))
	default:
		st.broadcast.Add(1)
	}
}

func (st *apiState) counts() sendCounts {
	return sendCounts{st.regid.Load(), st.alias.Load(), st.account.Load(), st.broadcast.Load()}
}

func (st *apiState) reset() {
	st.regid.Store(0)
	st.alias.Store(0)
	st.account.Store(0)
	st.broadcast.Store(0)
	st.mu.Lock()
	st.jobs, st.topics, st.channels = nil, nil, nil
	st.quotas = nil
	st.nQuotas.Store(0)
	st.private, st.templates = nil, nil
	st.nPrivate.Store(0)
	st.sent = sentLog{}
	st.mu.Unlock()
}

func (st *apiState) addJob(id, jobKey string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.jobs == nil {
		st.jobs = make(map[string]string)
	}
	st.jobs[id] = jobKey
}

func (st *apiState) hasJob(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.jobs[id]
	return ok
}

func (st *apiState) deleteJob(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.jobs[id]
	delete(st.jobs, id)
	return ok
}

func (st *apiState) deleteJobKey(jobKey string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for id, k := range st.jobs {
		if k == jobKey {
			delete(st.jobs, id)
		}
	}
}

func (st *apiState) subscribe(targets []string, topic string, on bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, t := range targets {
		if !on {
			delete(st.topics[t], topic)
			continue
		}
		if st.topics == nil {
			st.topics = make(map[string]map[string]bool)
		}
		if st.topics[t] == nil {
			st.topics[t] = make(map[string]bool)
		}
		st.topics[t][topic] = true
	}
}

func (st *apiState) unsubscribeAll(targets []string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, t := range targets {
		delete(st.topics, t)
	}
}

func (st *apiState) topicsOf(target string) []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for t := range st.topics[target] {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

func (st *apiState) addChannel(ch channel) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.channels = slices.DeleteFunc(st.channels, func(c channel) bool { return c.id == ch.id })
	st.channels = append(st.channels, ch)
}

func (st *apiState) discardChannel(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.channels = slices.DeleteFunc(st.channels, func(c channel) bool { return c.id == id })
}

func (st *apiState) channelList() []channel {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.channels)
}

// sentMessage is what the server remembers of an accepted send.
type sentMessage struct {
	created time.Time
	jobKey  string
	targets int // valid targets; 0 for a broadcast
}

// sentLog remembers the latest accepted sends, at most a fixed number,
// forgetting the oldest first.
type sentLog struct {
	byID  map[string]sentMessage
	order []string // ring of ids, oldest at next once full
	next  int
}

// remember records an accepted send, forgetting the oldest beyond max.
func (st *apiState) remember(id string, m sentMessage, max int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	l := &st.sent
	if l.byID == nil {
		l.byID = make(map[string]sentMessage)
	}
	if len(l.order) < max {
		l.order = append(l.order, id)
	} else {
		delete(l.byID, l.order[l.next])
		l.order[l.next] = id
		l.next = (l.next + 1) % len(l.order)
	}
	l.byID[id] = m
}

// traced returns the remembered send with msg id, or the sum of those with
// job key (the earliest time), and whether there was any.
func (st *apiState) traced(id, jobKey string) (sentMessage, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if id != "" {
		m, ok := st.sent.byID[id]
		return m, ok
	}
	var sum sentMessage
	found := false
	for _, m := range st.sent.byID {
		if m.jobKey != jobKey {
			continue
		}
		if !found || m.created.Before(sum.created) {
			sum.created = m.created
		}
		found = true
		sum.targets += m.targets
	}
	return sum, found
}
