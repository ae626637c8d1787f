package mipushtest

import (
	"net/http"
	"slices"
	"strconv"
)

// Quota is the daily quota of one message class, as the server keeps it.
//
// The real server counts messages per class (dev.mi.com's push limits
// page, 推送消息限制说明): the default class and the public (公信) class
// have a daily total, and private (私信) messages, those with an approved
// extra.channel_id, have none. A single send of a class whose quota is
// spent fails with code 200001 and the reason "exceed quota, quota:
// <Limit>, have acked: <Acked>"; a multi-message send never fails for
// quota: it succeeds and reports the messages it dropped per class in
// data.channel_exceed_quota.
type Quota struct {
	Limit int64 // messages a day
	Acked int64 // messages counted today
}

// noChannel is the class name the server reports, in
// channel_exceed_quota, for messages without a channel id (the default
// class): "no_channel", as in the one example public sources show.
const noChannel = "no_channel"

// SetQuota gives a message class a daily quota. class is a message's
// extra.channel_id, "" for messages without one (the default class). A
// class without a quota is unlimited, as private channels are; a negative
// q.Limit removes the quota.
//
// Each single send of the class counts as many messages as it has
// targets (a topic, multi-topic or broadcast send counts one), each
// message of a multi-message send as one. A send is refused once Acked
// has reached Limit; a send that is let through counts in full, even past
// Limit. The fake counts what it accepts, where the real server counts
// deliveries. Reset removes every quota.
func (s *Server) SetQuota(class string, q Quota) {
	st := &s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if q.Limit < 0 {
		delete(st.quotas, class)
	} else {
		*st.quotaLocked(class) = q
	}
	st.nQuotas.Store(int32(len(st.quotas)))
}

// ExhaustQuota spends the daily quota of class at once: its Acked count
// is raised to its Limit. A class without a quota gets one of 0.
func (s *Server) ExhaustQuota(class string) {
	st := &s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.quotaLocked(class)
	q.Acked = max(q.Acked, q.Limit)
	st.nQuotas.Store(int32(len(st.quotas)))
}

// quotaLocked returns the quota of class, adding a zero one if it has
// none; st.mu is held.
func (st *apiState) quotaLocked(class string) *Quota {
	q := st.quotas[class]
	if q == nil {
		if st.quotas == nil {
			st.quotas = make(map[string]*Quota)
		}
		q = new(Quota)
		st.quotas[class] = q
	}
	return q
}

// QuotaOf returns the daily quota of class and whether it has one.
func (s *Server) QuotaOf(class string) (Quota, bool) {
	st := &s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	if q := st.quotas[class]; q != nil {
		return *q, true
	}
	return Quota{}, false
}

// takeQuota counts n messages of class. It reports false, counting
// nothing, if the class's quota is spent, and returns the quota as it was.
func (st *apiState) takeQuota(class string, n int64) (Quota, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.quotas[class]
	if q == nil {
		return Quota{}, true
	}
	if q.Acked >= q.Limit {
		return *q, false
	}
	q.Acked += n
	return *q, true
}

// hasQuotas reports whether any class has a quota, so that sends skip the
// lock when none has.
func (st *apiState) hasQuotas() bool { return st.nQuotas.Load() > 0 }

// sendQuota counts a single send against its class's quota and answers
// 200001 if the quota is spent. It reports whether the send may go on.
func (x *exchange) sendQuota() bool {
	st := &x.s.state
	if !st.hasQuotas() {
		return true
	}
	n := int64(1)
	switch x.ep.kind {
	case "REGID", "ALIAS", "USERACCOUNT":
		n = int64(len(x.req.Targets))
	}
	q, ok := st.takeQuota(x.req.Form.Get("extra.channel_id"), n)
	if !ok {
		x.fail(http.StatusOK, 200001, quotaReason(q), "")
	}
	return ok
}

// quotaReason is the real server's reason of a 200001 answer.
func quotaReason(q Quota) string {
	return "exceed quota, quota: " + strconv.FormatInt(q.Limit, 10) + ", have acked: " + strconv.FormatInt(q.Acked, 10)
}

// multiQuota counts the messages of a multi-message send, whose classes
// are given, against their quotas, and sets the data member
// "channel_exceed_quota" of the answer to the number of messages dropped
// per class, when any was. The shape, an object of class → count, is
// inferred: the public sources show only the text "no_channel:2 a:3".
func (x *exchange) multiQuota(classes []string) {
	st := &x.s.state
	if !st.hasQuotas() {
		return
	}
	dropped := make(map[string]int64)
	for _, class := range classes {
		if _, ok := st.takeQuota(class, 1); !ok {
			if class == "" {
				class = noChannel
			}
			dropped[class]++
		}
	}
	if len(dropped) == 0 {
		return
	}
	keys := make([]string, 0, len(dropped))
	for k := range dropped {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := append(x.dataTail[:0], `,"channel_exceed_quota":{`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, dropped[k], 10)
	}
	x.dataTail = append(b, '}')
}
