package mipushtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mipush-go/mipush/internal/ascii"
	"github.com/mipush-go/mipush/internal/rules"
)

// headerField is one extra response header field.
type headerField struct{ name, value string }

// exchange is the protocol-independent state of one request being served.
// HTTP/1.1 connections reuse one; HTTP/2 streams take one from a pool.
type exchange struct {
	s   *Server
	c   *conn
	beh *behaviour
	req *Request
	ep  *endpoint

	body          []byte // the request body (a reused buffer)
	contentLength int64  // HTTP/2: the content-length field; -1 absent, -2 malformed
	hostListAsked bool   // "X-PUSH-HOST-LIST: true"

	// The answer.
	n      uint64 // the answer's id number (message and trace ids)
	status int
	code   int
	ctype  string
	out    []byte
	hdr    []headerField
	action Action
	due    time.Time // when to answer, for a delay
	// dataTail is added at the end of a send answer's data object
	// (channel_exceed_quota).
	dataTail []byte

	// Reused when nothing keeps the request (see behaviour.fresh).
	scratch Request
	form    url.Values
	targets []string

	// The messages of a multi-message send, decoded once by parseParams
	// for handleMulti: msgsBad is the index of the first element that is
	// not a message object (or -1), msgsErr why messages is no JSON array.
	msgs    []BatchMessage
	msgsBad int
	msgsErr error
}

// contentTypeJSON is the Content-Type of the server's JSON answers.
const contentTypeJSON = "application/json;charset=UTF-8"

// begin prepares x for a new request and returns the Request to fill.
func (x *exchange) begin(b *behaviour) *Request {
	x.beh = b
	x.ep = nil
	x.hostListAsked = false
	x.n = 0
	x.status, x.code, x.ctype = 0, 0, contentTypeJSON
	x.out = x.out[:0]
	x.hdr = x.hdr[:0]
	x.action = Respond
	x.due = time.Time{}
	x.dataTail = x.dataTail[:0]
	if b.fresh() {
		x.req = &Request{}
	} else {
		x.scratch = Request{}
		x.req = &x.scratch
	}
	return x.req
}

// process runs every check, fault and handler for the request read into x
// and leaves the answer in x. It reports false if the request was dropped
// before processing (nothing to record or answer).
func (x *exchange) process() bool {
	s, c, b, r := x.s, x.c, x.beh, x.req
	point, drop := b.dropAt(c.requests.Add(1))
	if drop && point == DropUnprocessed {
		x.action = Drop
		return false
	}
	r.Seq = s.seq.Add(1)
	r.Conn = c.index
	r.Proto = c.protoName()
	if b.record {
		r.Body = append([]byte(nil), x.body...)
	} else {
		r.Body = x.body
	}
	x.parseParams()

	x.answer()

	if b.stall && x.action == Respond {
		x.action = Stall
	}
	if drop {
		x.action = Drop
	}
	if x.action == Respond || x.action == CloseGracefully {
		if n := c.answered.Add(1); b.closeAfter > 0 && n >= b.closeAfter {
			x.action = CloseGracefully
		}
		r.Status, r.Code = x.status, x.code
	}
	if b.record {
		if x.n != 0 && x.code == 0 && x.ep != nil && x.ep.send {
			r.MsgID = string(s.appendID(nil, 's', x.n))
		}
		s.rec.add(r)
	}
	if b.hostList != "" && x.hostListAsked {
		x.hdr = append(x.hdr, headerField{"X-PUSH-HOST-LIST", b.hostList})
	}
	if b.clientTimeout != "" {
		x.hdr = append(x.hdr, headerField{"X-PUSH-CLIENT-TIMEOUT-MS", b.clientTimeout})
	}
	if b.disableAuto {
		x.hdr = append(x.hdr, headerField{"X-PUSH-DISABLE-AUTO-SELECT-DOMAIN", "true"})
	}
	d := b.delay
	if b.delayFunc != nil {
		d = b.delayFunc(r)
	}
	if d > 0 {
		x.due = r.Time.Add(d)
	}
	return true
}

// answer makes the answer: the hook, the protocol checks, the faults, and
// the endpoint's own validation and answer.
func (x *exchange) answer() {
	b, r := x.beh, x.req
	if b.hook != nil {
		// The hook may keep its Request: give it a copy, since the
		// server sets Status, Code and MsgID of r afterwards.
		hr := *r
		if a := b.hook(&hr); a != nil && x.applyAnswer(a) {
			return
		}
	}
	if !x.checkProtocol() {
		return
	}
	if a := b.pathFaults[r.Path]; a != nil && x.applyAnswer(a) {
		return
	}
	if len(b.targetFaults) > 0 {
		for _, t := range r.Targets {
			if a := b.targetFaults[t]; a != nil && x.applyAnswer(a) {
				return
			}
		}
	}
	x.ep.handle(x)
}

// applyAnswer applies a configured answer and reports whether it replaces
// the normal answer (see Answer).
func (x *exchange) applyAnswer(a *Answer) bool {
	for k, vs := range a.Header {
		for _, v := range vs {
			x.hdr = append(x.hdr, headerField{k, v})
		}
	}
	if a.Action != Respond {
		x.action = a.Action
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case a.Body != nil:
		x.n = x.s.ids.Add(1)
		x.status, x.code = status, a.Code
		x.out = append(x.out[:0], a.Body...)
		if a.ContentType != "" {
			x.ctype = a.ContentType
		}
	case a.Code != 0:
		x.fail(status, a.Code, a.Reason, a.Description)
	case a.Status >= 400:
		x.n = x.s.ids.Add(1)
		x.status, x.code = a.Status, 0
		x.ctype = "text/html"
		text := strconv.Itoa(a.Status) + " " + http.StatusText(a.Status)
		x.out = append(x.out[:0], "<html>\r\n<head><title>"...)
		x.out = append(x.out, text...)
		x.out = append(x.out, "</title></head>\r\n<body>\r\n<center><h1>"...)
		x.out = append(x.out, text...)
		x.out = append(x.out, "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"...)
	default:
		return false
	}
	return true
}

// checkProtocol checks the path, the method, the Authorization and the
// Content-Type of a body. It answers and returns false on the first
// failure.
func (x *exchange) checkProtocol() bool {
	r := x.req
	ep := x.ep
	if ep == nil {
		// A retired path answers as a removed route would: what the real
		// server answers is not known.
		reason := "No such API: " + r.Path
		if ret, ok := rules.Retired(r.Path); ok {
			reason = "No such API: " + ret.Notice()
		}
		x.fail(http.StatusNotFound, 10012, reason, "")
		return false
	}
	if r.Method != ep.Method {
		x.fail(http.StatusMethodNotAllowed, 10012, "Request method '"+r.Method+"' not supported; use "+ep.Method, "")
		return false
	}
	if r.Secret == "" || (x.beh.secrets != nil && !x.beh.secrets[r.Secret]) {
		x.fail(http.StatusOK, 21301, "Invalid application secret.", "")
		return false
	}
	// A POST's parameters may come in the query string as well as in the
	// body (see parseParams); a body needs the form Content-Type.
	if r.Method == http.MethodPost && len(r.Body) > 0 && !ascii.HasPrefixFold(r.ContentType, "application/x-www-form-urlencoded") {
		x.fail(http.StatusOK, 10012, "Content-Type must be application/x-www-form-urlencoded", "")
		return false
	}
	return true
}

// parseParams fills Form, Secret, TargetParam and Targets.
func (x *exchange) parseParams() {
	r := x.req
	if v, ok := strings.CutPrefix(r.Authorization, "key="); ok {
		r.Secret = v
	}
	var form url.Values
	if x.beh.fresh() {
		form = make(url.Values)
	} else {
		if x.form == nil {
			x.form = make(url.Values)
		}
		form = x.form
		for k, v := range form {
			form[k] = v[:0]
		}
	}
	// The query string's parameters come first, then the body's, as a
	// servlet container presents them: the real server took a POST's
	// parameters in the query string (yunba/mipush, an Erlang client
	// used in production, sent every parameter so).
	if r.RawQuery != "" {
		parseForm(form, r.RawQuery)
	}
	if r.Method == http.MethodPost && len(x.body) > 0 && ascii.HasPrefixFold(r.ContentType, "application/x-www-form-urlencoded") {
		parseForm(form, string(x.body))
	}
	if !x.beh.fresh() {
		for k, v := range form {
			if len(v) == 0 {
				delete(form, k)
			}
		}
	}
	r.Form = form

	ep := x.ep
	if ep == nil || ep.target == "" {
		return
	}
	r.TargetParam = ep.target
	var targets []string
	if !x.beh.fresh() {
		targets = x.targets[:0]
	}
	if ep.target == "messages" {
		x.msgs, x.msgsBad, x.msgsErr = decodeMessages(form.Get("messages"))
		for _, m := range x.msgs {
			targets = append(targets, m.Target)
		}
		if x.beh.fresh() && x.msgsErr == nil && x.msgsBad < 0 {
			r.Messages = x.msgs
		}
	} else {
		for _, v := range form[ep.target] {
			if ep.sep == "" {
				targets = append(targets, v)
				continue
			}
			for v != "" {
				var t string
				t, v, _ = strings.Cut(v, ep.sep)
				targets = append(targets, t)
			}
		}
	}
	if !x.beh.fresh() {
		x.targets = targets
	}
	r.Targets = targets
}

// parseForm adds the URL-encoded parameters in q to dst. Malformed pairs
// are skipped.
func parseForm(dst url.Values, q string) {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			continue
		}
		dst[k] = append(dst[k], v)
	}
}

// appendID appends a message id ("slm...") or trace id ("Xlm...") for the
// answer number n.
func (s *Server) appendID(b []byte, kind byte, n uint64) []byte {
	b = append(b, kind, 'l', 'm')
	return strconv.AppendUint(b, s.idBase+n, 10)
}

// beginOK starts a success answer, up to and including `"data":`.
func (x *exchange) beginOK() {
	x.n = x.s.ids.Add(1)
	x.status, x.code = http.StatusOK, 0
	b := append(x.out[:0], `{"result":"ok","trace_id":"`...)
	b = x.s.appendID(b, 'X', x.n)
	x.out = append(b, `","code":0,"data":`...)
}

// endOK ends a success answer begun by beginOK, after the data.
func (x *exchange) endOK(info string) {
	x.out = append(x.out, `,"description":"成功"`...)
	if info != "" {
		x.out = append(x.out, `,"info":`...)
		x.out = appendJSONString(x.out, info)
	}
	x.out = append(x.out, '}')
}

// ok answers success with an empty data object.
func (x *exchange) ok() {
	x.beginOK()
	x.out = append(x.out, "{}"...)
	x.endOK("")
}

// fail answers a MiPush error.
func (x *exchange) fail(status, code int, reason, desc string) {
	if desc == "" {
		desc = codeDescription(code)
	}
	x.n = x.s.ids.Add(1)
	x.status, x.code = status, code
	b := append(x.out[:0], `{"result":"error","reason":`...)
	b = appendJSONString(b, reason)
	b = append(b, `,"trace_id":"`...)
	b = x.s.appendID(b, 'X', x.n)
	b = append(b, `","code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, desc)
	x.out = append(b, '}')
}

// codeDescription returns the standard description of a MiPush code.
func codeDescription(code int) string {
	switch code {
	case 0:
		return "成功"
	case -1:
		return "未知错误"
	case 1:
		return "内部错误"
	case 10001:
		return "系统错误"
	case 10002:
		return "系统繁忙"
	case 10003:
		return "远程服务错误"
	case 10008:
		return "参数错误"
	case 10012:
		return "非法请求"
	case 10016:
		return "缺失必选参数"
	case 10017:
		return "参数值非法"
	case 10018:
		return "请求长度超过限制"
	case 10027:
		return "应用的API调用太频繁"
	case 10028:
		return "API总调用太频繁"
	case 10029:
		return "无效的设备"
	case 10031:
		return "应用被加入黑名单，禁止发送消息"
	case 10034:
		return "应用当日发送消息数量过多"
	case 10036:
		return "操作被禁止"
	case 10037:
		return "请求过期"
	case 20301:
		return "发送消息失败"
	case 21301:
		return "认证失败"
	case 21302:
		return "token认证失败"
	case 21303:
		return "被限制的请求"
	case 21305:
		return "缺少必要的参数"
	case 26003:
		return "内部推送调用失败"
	case 26004:
		return "广播消息发送太频繁"
	case 65009:
		return "消息内容太长"
	case 65028:
		return "消息不存在"
	case 200001:
		return "当日发送数量超过配额"
	}
	return "错误"
}
