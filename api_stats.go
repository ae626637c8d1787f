package mipush

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/mipush-go/mipush/internal/chinatime"
	"github.com/mipush-go/mipush/internal/lenient"
)

// DailyStats are the message counters of one app for one day, as
// /v1/stats/message/counters reports them.
type DailyStats struct {
	// Date is the day, at midnight in the location of the start date
	// passed to Stats.
	Date                  time.Time
	SingleRecipients      int64 // recipients of sends to regids, aliases and accounts
	BroadcastRecipients   int64 // recipients of topic and broadcast sends
	RegIDRecipients       int64
	AliasRecipients       int64
	UserAccountRecipients int64
	Received              int64 // messages delivered to devices
	Clicks                int64 // notifications tapped
}

// dailyStatsJSON is one element of data.data.
type dailyStatsJSON struct {
	Date        looseString `json:"date"`
	Single      looseInt    `json:"single_recipients"`
	Broadcast   looseInt    `json:"broadcast_recipients"`
	RegID       looseInt    `json:"regid_recipients"`
	Alias       looseInt    `json:"alias_recipients"`
	UserAccount looseInt    `json:"useraccount_recipients"`
	Received    looseInt    `json:"received"`
	Click       looseInt    `json:"click"`
}

// statsData is the data object of a stats answer.
type statsData struct {
	Data []dailyStatsJSON `json:"data"`
}

// statsDate is the date layout of the stats call (yyyyMMdd).
const statsDate = "20060102"

// Stats returns the daily message counters of the app pkg (for iOS, the
// bundle id) from the date of start to the date of end, both included:
// GET /v1/stats/message/counters with start_date, end_date (yyyyMMdd, each
// date taken in its time.Time's own location) and restricted_package_name.
// The server answers 10038 or 10039 when stats are forbidden or asked for
// too often.
func (c *Client) Stats(ctx context.Context, pkg string, start, end time.Time) ([]DailyStats, error) {
	if err := checkPackage(pkg, true); err != nil {
		return nil, err
	}
	if start.IsZero() || end.IsZero() {
		return nil, fieldError("start_date", "start and end are required")
	}
	from, to := start.Format(statsDate), end.Format(statsDate)
	if to < from {
		return nil, fieldError("end_date", "must not be before start_date, got "+from+" to "+to)
	}
	p := appendParam(make([]byte, 0, 64+len(pkg)), "start_date", from)
	p = appendParam(p, "end_date", to)
	p = appendParam(p, "restricted_package_name", pkg)
	const path = "/v1/stats/message/counters"
	data, _, err := callData[statsData](ctx, c, getRequest(path, p))
	if err != nil {
		return nil, err
	}
	out := make([]DailyStats, 0, len(data.Data))
	for _, d := range data.Data {
		date, _ := time.ParseInLocation(statsDate, string(d.Date), start.Location())
		out = append(out, DailyStats{
			Date:                  date,
			SingleRecipients:      int64(d.Single),
			BroadcastRecipients:   int64(d.Broadcast),
			RegIDRecipients:       int64(d.RegID),
			AliasRecipients:       int64(d.Alias),
			UserAccountRecipients: int64(d.UserAccount),
			Received:              int64(d.Received),
			Clicks:                int64(d.Click),
		})
	}
	return out, nil
}

// MessageStatus is the delivery status of one message (or of a group of
// messages sharing a job key), as the trace calls report it. Numbers are
// read leniently (see the package's decoders): a counter the server leaves
// out or writes as something other than an integer is 0.
type MessageStatus struct {
	ID string // the message id
	// Created is when the message was created: create_timestamp (epoch
	// ms), or else create_time ("2006-01-02 15:04:05", China time).
	Created time.Time
	// TimeToLive is how long the server keeps the message for offline
	// devices. The server writes time_to_live as a string with a unit,
	// "1209600s" (seconds). No source shows a bare number; one is taken as
	// milliseconds, the unit of the time_to_live a send carries.
	TimeToLive time.Duration
	Type       string // msg_type, e.g. "Common"
	Delivered  int64  // devices it was delivered to
	// DeliveryRate and ClickRate are percentages (0 to 100) as the
	// server reports them: "12.5%" and 12.5 both decode as 12.5.
	DeliveryRate float64
	Clicks       int64
	ClickRate    float64
	Resolved     int64 // targets resolved to devices
	// InvalidTarget counts targets that are not valid (invalid_target).
	InvalidTarget int64
	// RawCounter is the server's raw_counter: the targets it counted
	// before filtering.
	RawCounter int64
	// BarClosed counts devices whose notifications are turned off for the
	// app (bar_closed).
	BarClosed int64
	// DeviceConditionUnmatch counts devices filtered out by the message's
	// conditions: locale, model, app version, network
	// (device_condition_unmatch).
	DeviceConditionUnmatch int64
	// AppNotRegister counts targets whose app is not registered with
	// MiPush on the device (app_not_register).
	AppNotRegister int64
	// Raw is the status object as received, for fields not named here.
	Raw json.RawMessage
}

// messageStatusJSON is a status object of the trace calls.
type messageStatusJSON struct {
	ID                     looseString     `json:"id"`
	CreateTime             looseString     `json:"create_time"`
	CreateTimestamp        looseInt        `json:"create_timestamp"`
	TimeToLive             json.RawMessage `json:"time_to_live"` // by parseTTL
	MsgType                looseString     `json:"msg_type"`
	Delivered              looseInt        `json:"delivered"`
	DeliveryRate           loosePercent    `json:"delivery_rate"`
	Click                  looseInt        `json:"click"`
	ClickRate              loosePercent    `json:"click_rate"`
	Resolved               looseInt        `json:"resolved"`
	InvalidTarget          looseInt        `json:"invalid_target"`
	RawCounter             looseInt        `json:"raw_counter"`
	BarClosed              looseInt        `json:"bar_closed"`
	DeviceConditionUnmatch looseInt        `json:"device_condition_unmatch"`
	AppNotRegister         looseInt        `json:"app_not_register"`
}

func decodeMessageStatus(raw json.RawMessage) (MessageStatus, error) {
	var j messageStatusJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return MessageStatus{}, err
	}
	s := MessageStatus{
		ID:                     string(j.ID),
		TimeToLive:             parseTTL(j.TimeToLive),
		Type:                   string(j.MsgType),
		Delivered:              int64(j.Delivered),
		DeliveryRate:           float64(j.DeliveryRate),
		Clicks:                 int64(j.Click),
		ClickRate:              float64(j.ClickRate),
		Resolved:               int64(j.Resolved),
		InvalidTarget:          int64(j.InvalidTarget),
		RawCounter:             int64(j.RawCounter),
		BarClosed:              int64(j.BarClosed),
		DeviceConditionUnmatch: int64(j.DeviceConditionUnmatch),
		AppNotRegister:         int64(j.AppNotRegister),
		Raw:                    raw,
	}
	if j.CreateTimestamp > 0 {
		s.Created = time.UnixMilli(int64(j.CreateTimestamp))
	} else if j.CreateTime != "" {
		s.Created, _ = time.ParseInLocation(time.DateTime, string(j.CreateTime), chinatime.Location()) // the servers keep China time
	}
	return s, nil
}

// parseTTL reads a trace's time_to_live: a number followed by a unit
// ("1209600s"; "ms", "m" and "h" are read too), or a bare number of
// milliseconds. The number itself follows lenient.Int; anything else is 0.
func parseTTL(raw json.RawMessage) time.Duration {
	s := strings.TrimSpace(scalarText(raw))
	unit := time.Millisecond
	for _, u := range [...]struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, unit = strings.TrimSpace(rest), u.d
			break
		}
	}
	n, err := lenient.Int([]byte(s))
	if err != nil || n < 0 || n > int64(math.MaxInt64/unit) {
		return 0
	}
	return time.Duration(n) * unit
}

// traceData is the data object of the trace calls: data.data holds one
// status object or a list of them.
type traceData struct {
	Data json.RawMessage `json:"data"`
}

// statuses decodes data.data as a list, accepting a single object too.
func (d *traceData) statuses() ([]MessageStatus, error) {
	var raws []json.RawMessage
	switch b := bytes.TrimSpace(d.Data); {
	case len(b) == 0 || string(b) == "null":
		return nil, nil
	case b[0] == '[':
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, err
		}
	default:
		raws = []json.RawMessage{b}
	}
	out := make([]MessageStatus, 0, len(raws))
	for _, r := range raws {
		s, err := decodeMessageStatus(r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// TraceMessage returns the delivery status of the message msgID (a
// Result.ID): GET /v1/trace/message/status with msg_id. The server answers
// 10038 or 10039 when tracing is forbidden or asked for too often.
func (c *Client) TraceMessage(ctx context.Context, msgID string) (*MessageStatus, error) {
	if err := checkRequired("msg_id", msgID); err != nil {
		return nil, err
	}
	return c.traceOne(ctx, appendParam(nil, "msg_id", msgID))
}

// TraceJob returns the combined delivery status of the messages sent with
// extra.jobkey jobKey (Message.JobKey): GET /v1/trace/message/status with
// job_key.
func (c *Client) TraceJob(ctx context.Context, jobKey string) (*MessageStatus, error) {
	if err := checkJobKeyParam("job_key", jobKey); err != nil {
		return nil, err
	}
	return c.traceOne(ctx, appendParam(nil, "job_key", jobKey))
}

func (c *Client) traceOne(ctx context.Context, params []byte) (*MessageStatus, error) {
	ss, err := c.trace(ctx, "/v1/trace/message/status", params)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return &MessageStatus{}, nil
	}
	return &ss[0], nil
}

// trace runs a trace query and decodes the statuses it answers.
func (c *Client) trace(ctx context.Context, path string, params []byte) ([]MessageStatus, error) {
	d, res, err := callData[traceData](ctx, c, getRequest(path, params))
	if err != nil {
		return nil, err
	}
	ss, err := d.statuses()
	if err != nil {
		return nil, &DataError{Path: path, Data: res.Data, Err: err}
	}
	return ss, nil
}

// TraceRange returns the delivery status of the messages sent from begin
// to end: GET /v1/trace/messages/status with begin_time and end_time
// (epoch milliseconds). The server answers at most the 100 latest
// messages of the range (the official Python SDK's documentation says
// so): for more, ask for shorter ranges.
func (c *Client) TraceRange(ctx context.Context, begin, end time.Time) ([]MessageStatus, error) {
	if begin.IsZero() || end.IsZero() {
		return nil, fieldError("begin_time", "begin and end are required")
	}
	if end.Before(begin) {
		return nil, fieldError("end_time", "must not be before begin_time")
	}
	p := appendIntParam(make([]byte, 0, 64), "begin_time", begin.UnixMilli())
	p = appendIntParam(p, "end_time", end.UnixMilli())
	return c.trace(ctx, "/v1/trace/messages/status", p)
}
