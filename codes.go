package mipush

import "strconv"

// Code is a MiPush error code, as in APIError.Code. The constants name
// every code of the official table (dev.mi.com pId=1560, 服务端错误码参考,
// 2024-10-18) and a few the official Java SDK adds; String gives their
// meaning. Where our sources give a code but not its meaning, the constant
// is named after the number and its group, and String says the meaning is
// not known.
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
	CodeBlacklisted                   Code = 10031  // app blacklisted, sending forbidden: stops the app's calls like a wrong secret
	CodeInvalidAliasesFetchedTooOften Code = 10032  // fetching invalid aliases too often
	Code10033                         Code = 10033  // in the table; meaning not in our sources
	CodeDailyLimit                    Code = 10034  // 应用当日发送消息数量过多: too many messages today
	Code10035                         Code = 10035  // in the table; meaning not in our sources
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
	Code20607                         Code = 20607  // in the table; meaning not in our sources
	CodeChannelMismatch               Code = 27001  // channel相关信息不匹配: channel information mismatch
	CodeDeviceOffline                 Code = 65003  // device not found (offline)
	CodeTarget65006                   Code = 65006  // an alias, topic or user-account problem (exact meaning not in our sources)
	CodeTarget65007                   Code = 65007  // an alias, topic or user-account problem
	CodeTarget65008                   Code = 65008  // an alias, topic or user-account problem
	CodeMessageTooLong                Code = 65009  // 消息内容太长: message too long
	CodeTarget65010                   Code = 65010  // an alias, topic or user-account problem
	CodeTarget65011                   Code = 65011  // an alias, topic or user-account problem
	CodeTarget65012                   Code = 65012  // an alias, topic or user-account problem
	CodeTarget65013                   Code = 65013  // an alias, topic or user-account problem
	CodeTooManyExtras                 Code = 65014  // too many extra pairs
	CodeExtrasTooLong                 Code = 65015  // extras too long
	CodeTarget65016                   Code = 65016  // an alias, topic or user-account problem
	CodeTarget65017                   Code = 65017  // an alias, topic or user-account problem
	CodeMessageNotFound               Code = 65028  // 消息不存在: message not found
	CodeMessage65029                  Code = 65029  // a message problem (exact meaning not in our sources)
	CodeMessage65030                  Code = 65030  // a message problem
	Code65035                         Code = 65035  // in the table; meaning not in our sources
	CodeCallback65036                 Code = 65036  // extra.callback or callback.param too long or invalid (which is which: not in our sources)
	CodeCallback65037                 Code = 65037  // extra.callback or callback.param too long or invalid
	CodeCallback65038                 Code = 65038  // extra.callback or callback.param too long or invalid
	Code65040                         Code = 65040  // in the table; meaning not in our sources
	Code65041                         Code = 65041  // in the table; meaning not in our sources
	CodeOverQuota                     Code = 200001 // daily over-quota
)

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
	case Code10033, Code10035, Code20607, Code65035, Code65040, Code65041:
		return "error listed by Xiaomi, meaning unknown"
	case CodeTarget65006, CodeTarget65007, CodeTarget65008, CodeTarget65010, CodeTarget65011,
		CodeTarget65012, CodeTarget65013, CodeTarget65016, CodeTarget65017:
		return "alias, topic or user-account error"
	case CodeMessageNotFound:
		return "message not found"
	case CodeMessage65029, CodeMessage65030:
		return "message error"
	case CodeCallback65036, CodeCallback65037, CodeCallback65038:
		return "callback URL or param too long or invalid"
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
