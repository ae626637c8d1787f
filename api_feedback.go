package mipush

import "context"

// The feedback calls go to the feedback host of Options.Region
// (feedback.xmpush.xiaomi.com for China), or to Options.Host when it is set.
//
// The retired /v1/feedback/fetch_invalid_regids has no method: Xiaomi took
// it offline ("该接口已下线,请使用消息回执callback接口(callback.type: 16)"),
// and it was destructive besides (each fetch deleted the regids it
// returned). Invalid regids are reported instead by delivery receipts of
// type ReceiptInvalidTarget (16): set Message.Callback and read them with
// ParseReceipts; a send's Result.BadRegIDs lists those rejected at once.

// RegionsOf returns the region of each of up to 1000 registration ids, as
// a map from regid to the server's region name (e.g. "China"): POST
// /v1/feedback/get_region_by_regid on the feedback host, with regIds
// (comma-joined). Use it to pick the Options.Region of the client that
// sends to those devices.
func (c *Client) RegionsOf(ctx context.Context, regIDs []string) (map[string]string, error) {
	if err := checkValues("regIds", regIDs, MaxTargets); err != nil {
		return nil, err
	}
	const path = "/v1/feedback/get_region_by_regid"
	r := postRequest(path, appendJoinedParam(make([]byte, 0, listSize(regIDs)), "regIds", regIDs))
	r.host = feedbackHost
	r.target = Target{Kind: TargetRegID, IDs: regIDs}
	res, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var d map[string]looseString
	if err := decodeData(path, res, &d); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(d))
	for id, region := range d {
		out[id] = string(region)
	}
	return out, nil
}

// InvalidAliases returns the aliases the server found invalid: GET
// /v1/feedback/fetch_invalid_aliases on the feedback host. The server
// answers 10032 when it is called too often.
func (c *Client) InvalidAliases(ctx context.Context) ([]string, error) {
	const path = "/v1/feedback/fetch_invalid_aliases"
	r := getRequest(path, nil)
	r.host = feedbackHost
	res, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var d listData
	if err := decodeData(path, res, &d); err != nil {
		return nil, err
	}
	return d.List, nil
}
