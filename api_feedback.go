package mipush

import "context"

// The feedback calls go to the feedback host of Options.Region
// (feedback.xmpush.xiaomi.com for China), or to Options.Host when it is set.
//
// The retired /v1/feedback/fetch_invalid_regids and fetch_invalid_aliases
// have no method: Xiaomi took both offline ("获取失效的RegID或Alias列表。
// 该接口已下线" in the server Java SDK guide on dev.mi.com), and they were
// destructive besides (each fetch deleted what it returned). Invalid targets are reported instead:
//   - at once, by the send itself: a multi-regid send's Result.BadRegIDs
//     (data.bad_regids) lists the regids it rejected, and a send whose
//     targets are all invalid fails with code 20301 (IsInvalidTarget);
//   - later, by delivery receipts of type receipt.InvalidTarget (16) for
//     regids and aliases alike: set Message.Callback with that type and
//     read them with the receipt package (receipt.Parse, receipt.Handler).

// RegionsOf returns the region of each of up to 1000 registration ids, as
// a map from regid to the server's region name (e.g. "China"): POST
// /v1/feedback/get_region_by_regid on the feedback host, with regIds
// (comma-joined), as the official Java SDK sends it. Use it to pick the
// Options.Region of the client that sends to those devices. No public
// source shows the answer's shape: data as an object from regid to region
// name is this package's reading (and what mipushtest answers).
func (c *Client) RegionsOf(ctx context.Context, regIDs []string) (map[string]string, error) {
	if err := checkValues("regIds", regIDs, MaxTargets); err != nil {
		return nil, err
	}
	const path = "/v1/feedback/get_region_by_regid"
	r := postRequest(path, appendJoinedParam(make([]byte, 0, listSize(regIDs)), "regIds", regIDs))
	r.host = feedbackHost
	r.target = Target{Kind: TargetRegID, IDs: regIDs}
	d, _, err := callData[map[string]looseString](ctx, c, r)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(d))
	for id, region := range d {
		out[id] = string(region)
	}
	return out, nil
}
