package mipush

import (
	"context"
	"errors"
	"strconv"
)

// Code is a MiPush error code, as in APIError.Code. The constants name the
// codes the official documentation lists (dev.mi.com, 服务端错误码参考); String
// gives their meaning.
type Code int

// Documented error codes.
const (
	CodeUnknown                       Code = -1     // 未知错误: unknown error
	CodeInternal                      Code = 1      // 内部错误: internal error
	CodeSystemError                   Code = 10001  // 系统错误: system error
	CodeSystemBusy                    Code = 10002  // 系统繁忙: system busy
	CodeRemoteService                 Code = 10003  // 远程服务错误: remote service error
	CodeBadParameter                  Code = 10008  // parameter error
	CodeIllegalRequest                Code = 10012  // illegal request
	CodeMissingParameter              Code = 10016  // missing required parameter
	CodeInvalidParameter              Code = 10017  // invalid parameter value
	CodeRequestTooLong                Code = 10018  // 请求长度超过限制: request too long
	CodeIPOverQuota                   Code = 10022  // IP over quota
	CodeTooFrequent                   Code = 10027  // 应用的API调用太频繁: the app calls the API too often
	CodeTotalTooFrequent              Code = 10028  // total calls too frequent
	CodeInvalidDevice                 Code = 10029  // invalid device
	CodeInvalidRegIDsFetchedTooOften  Code = 10030  // fetching invalid regids too often
	CodeBlacklisted                   Code = 10031  // app blacklisted, sending forbidden
	CodeInvalidAliasesFetchedTooOften Code = 10032  // fetching invalid aliases too often
	CodeDailyLimit                    Code = 10034  // 应用当日发送消息数量过多: too many messages today
	CodeForbidden                     Code = 10036  // operation forbidden
	CodeRequestExpired                Code = 10037  // 请求过期: request expired
	CodeStatsForbidden                Code = 10038  // stats/trace access forbidden
	CodeStatsTooFrequent              Code = 10039  // stats/trace access too frequent
	CodeInvalidTopic                  Code = 20209  // invalid topic
	CodeSubscribeFailed               Code = 20215  // subscribe failed
	CodeUnsubscribeFailed             Code = 20216  // unsubscribe failed
	CodeNoValidTargets                Code = 20301  // 发送消息失败: send failed, "No valid targets!"
	CodeDeleteFailed                  Code = 20315  // deleting a broadcast failed
	CodeAuthFailed                    Code = 21301  // 认证失败: authentication failed (wrong AppSecret)
	CodeTokenAuthFailed               Code = 21302  // token认证失败: token authentication failed
	CodeRestricted                    Code = 21303  // 被限制的请求: restricted request
	CodeMissingRequired               Code = 21305  // 缺少必要的参数: missing required parameter
	CodeIllegalApp                    Code = 22000  // illegal app
	CodeBadAppID                      Code = 22006  // bad AppId
	CodeBadAppKey                     Code = 22007  // bad AppKey
	CodeBadSecret                     Code = 22008  // bad secret
	CodeBadPackageName                Code = 22022  // bad package name
	CodeAppNotifyFailed               Code = 22102  // sending the app notification failed
	CodeBadNotifyID                   Code = 22103  // bad notify_id
	CodePushCallFailed                Code = 26003  // internal push call failed
	CodeBroadcastTooFrequent          Code = 26004  // 广播消息发送太频繁: broadcasts too frequent
	CodeAccountTooFrequent            Code = 26005  // account setting too frequent
	CodeNeedsReview                   Code = 26006  // sending needs review
	CodeChannelMismatch               Code = 27001  // channel相关信息不匹配: channel information mismatch
	CodeDeviceOffline                 Code = 65003  // device not found (offline)
	CodeMessageTooLong                Code = 65009  // 消息内容太长: message too long
	CodeTooManyExtras                 Code = 65014  // too many extra pairs
	CodeExtrasTooLong                 Code = 65015  // extras too long
	CodeOverQuota                     Code = 200001 // daily over-quota
)

// CodeSendFailed is the old name of CodeNoValidTargets.
//
// Deprecated: use CodeNoValidTargets; the server sends 20301 only when no
// target of a send is valid.
const CodeSendFailed = CodeNoValidTargets

// String returns the code's meaning, e.g. "system busy (10002)".
func (c Code) String() string {
	m := c.meaning()
	if m == "" {
		m = "error"
	}
	return m + " (" + strconv.Itoa(int(c)) + ")"
}

func (c Code) meaning() string {
	switch c {
	case CodeUnknown:
		return "unknown error"
	case CodeInternal:
		return "internal error"
	case CodeSystemError:
		return "system error"
	case CodeSystemBusy:
		return "system busy"
	case CodeRemoteService:
		return "remote service error"
	case CodeBadParameter:
		return "parameter error"
	case CodeIllegalRequest:
		return "illegal request"
	case CodeMissingParameter, CodeMissingRequired:
		return "missing required parameter"
	case CodeInvalidParameter:
		return "invalid parameter value"
	case CodeRequestTooLong:
		return "request too long"
	case CodeIPOverQuota:
		return "IP over quota"
	case CodeTooFrequent:
		return "API called too often"
	case CodeTotalTooFrequent:
		return "total calls too frequent"
	case CodeInvalidDevice:
		return "invalid device"
	case CodeInvalidRegIDsFetchedTooOften:
		return "invalid regids fetched too often"
	case CodeBlacklisted:
		return "app blacklisted"
	case CodeInvalidAliasesFetchedTooOften:
		return "invalid aliases fetched too often"
	case CodeDailyLimit:
		return "too many messages today"
	case CodeForbidden:
		return "operation forbidden"
	case CodeRequestExpired:
		return "request expired"
	case CodeStatsForbidden:
		return "statistics access forbidden"
	case CodeStatsTooFrequent:
		return "statistics accessed too often"
	case CodeInvalidTopic:
		return "invalid topic"
	case CodeSubscribeFailed:
		return "subscribe failed"
	case CodeUnsubscribeFailed:
		return "unsubscribe failed"
	case CodeNoValidTargets:
		return "send failed: no valid targets"
	case CodeDeleteFailed:
		return "deleting the broadcast failed"
	case CodeAuthFailed:
		return "authentication failed"
	case CodeTokenAuthFailed:
		return "token authentication failed"
	case CodeRestricted:
		return "restricted request"
	case CodeIllegalApp:
		return "illegal app"
	case CodeBadAppID:
		return "bad app id"
	case CodeBadAppKey:
		return "bad app key"
	case CodeBadSecret:
		return "bad app secret"
	case CodeBadPackageName:
		return "bad package name"
	case CodeAppNotifyFailed:
		return "sending the app notification failed"
	case CodeBadNotifyID:
		return "bad notify_id"
	case CodePushCallFailed:
		return "internal push call failed"
	case CodeBroadcastTooFrequent:
		return "broadcasts too frequent"
	case CodeAccountTooFrequent:
		return "account settings too frequent"
	case CodeNeedsReview:
		return "sending needs review"
	case CodeChannelMismatch:
		return "channel information mismatch"
	case CodeDeviceOffline:
		return "device not found"
	case CodeMessageTooLong:
		return "message too long"
	case CodeTooManyExtras:
		return "too many extras"
	case CodeExtrasTooLong:
		return "extras too long"
	case CodeOverQuota:
		return "daily quota exceeded"
	}
	return ""
}

// Retryable reports whether the code means the server did not accept the
// request and sending it again, later, may succeed.
func (c Code) Retryable() bool {
	switch c {
	case CodeUnknown, CodeInternal, CodeSystemError, CodeSystemBusy, CodeRemoteService,
		CodeTooFrequent, CodeTotalTooFrequent, CodeRequestExpired, CodePushCallFailed:
		return true
	}
	return false
}

// IsRetryable reports whether err is a failure that sending again may
// fix: a retryable API code, HTTP 503, or a request the server surely did
// not process. A maybe-processed failure is not retryable by this test:
// sending it again may deliver it twice (see ErrMaybeProcessed).
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, ErrMaybeProcessed) || errors.Is(err, ErrClosed) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return classify(ae) == classRetry
	}
	var ff *failFastError
	if errors.As(err, &ff) {
		return false
	}
	return true // a transport failure before the request was written
}

// IsQuotaExceeded reports whether err is a daily-quota answer (10034 or
// 200001), or a send the client stopped without sending it after one (see
// Options.DisableFailFast). The quota is per message class: the sends of
// other classes (messages with an approved private channel id have no
// daily quota) and calls other than single sends may still succeed. The
// answer's numbers are in the Quota field of the *APIError in err's chain.
func IsQuotaExceeded(err error) bool {
	return apiCode(err) == CodeDailyLimit || apiCode(err) == CodeOverQuota
}

// IsInvalidTarget reports whether err says the targets were all invalid
// (20301, "No valid targets!"): drop them.
func IsInvalidTarget(err error) bool { return apiCode(err) == CodeNoValidTargets }

// IsAuth reports whether err is an authentication failure: a wrong app
// secret (21301, 22008) or token (21302).
func IsAuth(err error) bool {
	switch apiCode(err) {
	case CodeAuthFailed, CodeTokenAuthFailed, CodeBadSecret:
		return true
	}
	return false
}

// apiCode returns the code of the *APIError in err's chain, or 0.
func apiCode(err error) Code {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}
