package mipushtest

import (
	"net/http"
	"strings"

	"github.com/mipush-go/mipush/internal/rules"
)

// Endpoint describes one path the server knows.
type Endpoint struct {
	Method string // "GET" or "POST"
	Path   string
	// Required lists the required parameters; an element "a|b" means that
	// one of a and b is required.
	Required []string
	// Sample is a minimal URL-encoded parameter set the server accepts:
	// the query of a GET, the body of a POST.
	Sample string
}

// endpoint is an Endpoint with what the server needs to serve it.
type endpoint struct {
	Endpoint
	target string // the parameter holding the targets, or ""
	sep    string // what joins several targets in one value, or ""
	kind   string // what the send info counts: "REGID", "ALIAS", ...
	send   bool   // a send: its answer carries a message id
	handle func(x *exchange)
}

// Endpoints returns the paths the server knows, with their methods, in the
// order of the MiPush API reference: sends, multi-message sends, scheduled
// jobs, statistics and tracing, topic subscription, device tools,
// feedback, revoke and stop, channels.
func Endpoints() []Endpoint {
	eps := endpointTable()
	out := make([]Endpoint, len(eps))
	for i, ep := range eps {
		out[i] = ep.Endpoint
		out[i].Required = append([]string(nil), ep.Required...)
	}
	return out
}

// routes maps each path to its endpoint.
type routes map[string]*endpoint

func newRoutes() routes {
	r := make(routes)
	for _, ep := range endpointTable() {
		r[ep.Path] = ep
	}
	return r
}

// lookup returns the endpoint of path (given as bytes, without allocating),
// or nil.
func (r routes) lookup(path []byte) *endpoint {
	return r[string(path)]
}

// Sample parameters.
const (
	samplePkg = "restricted_package_name=com.example.app"
	sampleMsg = "title=Hello&description=World&payload=p&" + samplePkg
)

// endpointTable builds the table of every endpoint.
func endpointTable() []*endpoint {
	post, get := http.MethodPost, http.MethodGet
	sendTo := func(path, target, sep, kind, sample string) *endpoint {
		req := []string{target}
		if target == "" {
			req = nil
		}
		if target == "topics" {
			req = append(req, "topic_op")
		}
		return &endpoint{
			Endpoint: Endpoint{Method: post, Path: path, Required: append(req, "description"), Sample: sample},
			target:   target, sep: sep, kind: kind, send: true,
			handle: (*exchange).handleSend,
		}
	}
	multi := func(path, kind string) *endpoint {
		return &endpoint{
			Endpoint: Endpoint{Method: post, Path: path, Required: []string{"messages"},
				Sample: "messages=" + strings.ReplaceAll(`[{"target":"t1","message":{"title":"Hi","description":"D","payload":"p","restricted_package_name":"com.example.app"}}]`, `"`, "%22") + "&time_to_send=0"},
			target: "messages", kind: kind, send: true,
			handle: (*exchange).handleMulti,
		}
	}
	simple := func(method, path, target, sep string, required []string, sample string, h func(*exchange)) *endpoint {
		return &endpoint{
			Endpoint: Endpoint{Method: method, Path: path, Required: required, Sample: sample},
			target:   target, sep: sep, handle: h,
		}
	}
	okay := (*exchange).handleOK
	revoke := func(path, target, sep, sample string) *endpoint {
		req := []string{target, "restricted_package_name", "notify_id"}
		return simple(post, path, target, sep, req, sample+"&"+samplePkg+"&notify_id=7", okay)
	}
	return []*endpoint{
		// Sends.
		sendTo("/v3/message/regid", "registration_id", ",", "REGID", "registration_id=r1,r2&"+sampleMsg),
		sendTo("/v2/message/regid", "registration_id", ",", "REGID", "registration_id=r1&"+sampleMsg),
		sendTo("/v4/message/regid", "registration_id", ",", "REGID", "registration_id=r1&"+sampleMsg),
		sendTo("/v3/message/alias", "alias", ",", "ALIAS", "alias=a1&alias=a2&"+sampleMsg),
		sendTo("/v2/message/alias", "alias", ",", "ALIAS", "alias=a1,a2&"+sampleMsg),
		sendTo("/v2/message/user_account", "user_account", ",", "USERACCOUNT", "user_account=u1&"+sampleMsg),
		sendTo("/v2/message/topic", "topic", "", "TOPIC", "topic=news&"+sampleMsg),
		sendTo("/v3/message/topic", "topic", "", "TOPIC", "topic=news&"+sampleMsg),
		sendTo("/v2/message/multi_topic", "topics", ";$;", "MULTI_TOPIC", "topics=a%3B%24%3Bb&topic_op=UNION&"+sampleMsg),
		sendTo("/v3/message/multi_topic", "topics", ";$;", "MULTI_TOPIC", "topics=a%3B%24%3Bb&topic_op=INTERSECTION&"+sampleMsg),
		sendTo("/v2/message/all", "", "", "ALL", sampleMsg),
		sendTo("/v3/message/all", "", "", "ALL", sampleMsg),
		simple(post, "/v2/message/delete", "", "", []string{"id"}, "id=slm1", okay),

		// Different messages to different targets.
		multi("/v2/multi_messages/regids", "REGID"),
		multi("/v2/multi_messages/aliases", "ALIAS"),
		multi("/v2/multi_messages/user_accounts", "USERACCOUNT"),

		// Scheduled jobs.
		simple(post, "/v2/schedule_job/exist", "", "", []string{"job_id"}, "job_id=slm1", (*exchange).handleJobExist),
		simple(post, "/v2/schedule_job/delete", "", "", []string{"job_id"}, "job_id=slm1", (*exchange).handleJobDelete),
		simple(post, "/v3/schedule_job/delete", "", "", []string{"jobkey"}, "jobkey=k1", (*exchange).handleJobKeyDelete),

		// Statistics and tracing.
		simple(get, "/v1/stats/message/counters", "", "", []string{"start_date", "end_date", "restricted_package_name"},
			"start_date=20240101&end_date=20240103&"+samplePkg, (*exchange).handleStats),
		simple(get, "/v1/trace/message/status", "", "", []string{"msg_id|job_key"}, "msg_id=slm1", (*exchange).handleTrace),
		simple(get, "/v1/trace/messages/status", "", "", []string{"begin_time", "end_time"},
			"begin_time=1700000000000&end_time=1700000600000", (*exchange).handleTraces),

		// Topic subscription.
		simple(post, "/v2/topic/subscribe", "registration_id", ",", []string{"registration_id", "topic"},
			"registration_id=r1&topic=news", (*exchange).handleSubscribe),
		simple(post, "/v2/topic/unsubscribe", "registration_id", ",", []string{"registration_id", "topic"},
			"registration_id=r1&topic=news", (*exchange).handleSubscribe),
		simple(post, "/v2/topic/subscribe/alias", "aliases", ",", []string{"aliases", "topic"},
			"aliases=a1,a2&topic=news", (*exchange).handleSubscribe),
		simple(post, "/v2/topic/unsubscribe/alias", "aliases", ",", []string{"aliases", "topic"},
			"aliases=a1&topic=news", (*exchange).handleSubscribe),
		simple(post, "/v2/topic/unsubscribe/all", "registration_id", ",", []string{"registration_id|aliases"},
			"registration_id=r1", (*exchange).handleSubscribe),

		// Device and developer tools.
		simple(get, "/v1/alias/all", "registration_id", "", []string{"restricted_package_name", "registration_id"},
			samplePkg+"&registration_id=r1", (*exchange).handleList),
		simple(get, "/v1/topic/all", "registration_id", "", []string{"restricted_package_name", "registration_id"},
			samplePkg+"&registration_id=r1", (*exchange).handleList),
		simple(get, "/v1/account/all", "registration_id", "", []string{"restricted_package_name", "registration_id"},
			samplePkg+"&registration_id=r1", (*exchange).handleList),
		simple(get, "/v1/regid/presence", "registration_id", ",", []string{"restricted_package_name", "registration_id"},
			samplePkg+"&registration_id=r1", (*exchange).handlePresence),
		simple(get, "/v2/regid/presence", "registration_id", ",", []string{"restricted_package_name", "registration_id"},
			samplePkg+"&registration_id=r1,r2", (*exchange).handlePresence),
		simple(post, "/v1/validation/regids", "registration_ids", ",", []string{"registration_ids"},
			"registration_ids=r1,r2", (*exchange).handleValidation),

		// Feedback.
		simple(get, "/v1/feedback/fetch_invalid_regids", "", "", nil, "", (*exchange).handleRetired),
		simple(get, "/v1/feedback/fetch_invalid_aliases", "", "", nil, "", (*exchange).handleRetired),
		simple(post, "/v1/feedback/get_region_by_regid", "regIds", ",", []string{"regIds"},
			"regIds=r1,r2", (*exchange).handleRegion),

		// Revoke and stop.
		// The retired v1 and v2 revoke paths (rules.Retirements) are not
		// served: the server answers them as unknown paths, with a reason
		// naming the notice. The v3 paths take the v1 parameters
		// (inferred: no public source gives them).
		revoke(rules.RevokeRegIDs, "registration_ids", ",", "registration_ids=r1,r2"),
		revoke(rules.RevokeAliases, "aliases", ",", "aliases=a1"),
		revoke(rules.RevokeUserAccounts, "user_accounts", ",", "user_accounts=u1"),
		revoke("/v1/message/miid/revoke", "miids", ",", "miids=m1"),
		revoke("/v1/message/imeimd5/revoke", "imeimd5s", ",", "imeimd5s=i1"),
		simple(post, "/v1/message/switch/stop_by_id", "", "", []string{"msg_ids", "restricted_package_name"},
			"msg_ids=slm1&msg_ids=slm2&"+samplePkg, okay),
		simple(post, "/v1/message/switch/stop_by_jobkey", "", "", []string{"job_keys", "restricted_package_name"},
			"job_keys=k1&"+samplePkg, okay),

		// Notification channels.
		simple(get, "/v1/channel/add", "", "", []string{"channel_id", "channel_name"},
			"channel_id=c1&channel_name=News&channel_description=d&notify_type=1", (*exchange).handleChannelAdd),
		simple(get, "/v1/channel/discard", "", "", []string{"channel_id"}, "channel_id=c1", (*exchange).handleChannelDiscard),
		simple(get, "/v1/channel/list", "", "", nil, "", (*exchange).handleChannelList),
	}
}
