package mipush

import "strconv"

// ReceiptType is a set of delivery-receipt kinds, as bit flags. A
// [Callback] asks for the kinds in its Type (sent as extra.callback.type,
// the sum of the flags), and each receipt the server posts carries one
// kind.
type ReceiptType int

// Receipt kinds.
const (
	// ReceiptDelivered: the message reached the device.
	ReceiptDelivered ReceiptType = 1
	// ReceiptClicked: the user tapped the notification.
	ReceiptClicked ReceiptType = 2
	// ReceiptInvalidTarget: the regid, alias or user account is invalid
	// (this replaces the retired invalid-regid feedback API).
	ReceiptInvalidTarget ReceiptType = 16
	// ReceiptDisabled: the app's notifications are disabled on the device.
	ReceiptDisabled ReceiptType = 32
	// ReceiptFiltered: filtered by the message's conditions (network,
	// region, app version, model, locale).
	ReceiptFiltered ReceiptType = 64
	// ReceiptOverQuota: the daily or per-device quota was exceeded.
	ReceiptOverQuota ReceiptType = 128
	// ReceiptExpired: the message's time to live ran out before delivery.
	ReceiptExpired ReceiptType = 1024
)

// receiptKnown is the union of the documented receipt kinds.
const receiptKnown = ReceiptDelivered | ReceiptClicked | ReceiptInvalidTarget |
	ReceiptDisabled | ReceiptFiltered | ReceiptOverQuota | ReceiptExpired

// String lists the set flags joined with "|", such as "delivered|clicked".
// Undocumented bits are shown as one hexadecimal number at the end; the
// empty set is "0".
func (t ReceiptType) String() string {
	if t == 0 {
		return "0"
	}
	b := make([]byte, 0, 64)
	for _, f := range [...]struct {
		bit  ReceiptType
		name string
	}{
		{ReceiptDelivered, "delivered"},
		{ReceiptClicked, "clicked"},
		{ReceiptInvalidTarget, "invalid_target"},
		{ReceiptDisabled, "disabled"},
		{ReceiptFiltered, "filtered"},
		{ReceiptOverQuota, "over_quota"},
		{ReceiptExpired, "expired"},
	} {
		if t&f.bit != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, f.name...)
		}
	}
	if rest := t &^ receiptKnown; rest != 0 {
		if len(b) > 0 {
			b = append(b, '|')
		}
		// As unsigned, so that a negative value shows its bits, not a sign.
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, uint64(uint(rest)), 16)
	}
	return string(b)
}
