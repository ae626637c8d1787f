package receipt

import "strconv"

// Type is a set of delivery-receipt kinds, as bit flags. A
// [github.com/mipush-go/mipush.Callback] asks for the kinds in its Type
// (sent as extra.callback.type, the sum of the flags), and each receipt
// the server posts carries one kind.
type Type int

// Receipt kinds.
const (
	// Delivered: the message reached the device.
	Delivered Type = 1
	// Clicked: the user tapped the notification.
	Clicked Type = 2
	// InvalidTarget: the regid, alias or user account is invalid
	// (this replaces the retired invalid-regid feedback API).
	InvalidTarget Type = 16
	// Disabled: the app's notifications are disabled on the device.
	Disabled Type = 32
	// Filtered: filtered by the message's conditions (network,
	// region, app version, model, locale).
	Filtered Type = 64
	// OverQuota: the daily or per-device quota was exceeded.
	OverQuota Type = 128
	// Expired: the message's time to live ran out before delivery.
	Expired Type = 1024
)

// All is the union of the documented receipt kinds: a Callback.Type may
// hold only these bits. Xiaomi's support suggests asking for every kind
// but Expired (243).
const All = Delivered | Clicked | InvalidTarget |
	Disabled | Filtered | OverQuota | Expired

// String lists the set flags joined with "|", such as "delivered|clicked".
// Undocumented bits are shown as one hexadecimal number at the end; the
// empty set is "0".
func (t Type) String() string {
	if t == 0 {
		return "0"
	}
	b := make([]byte, 0, 64)
	for _, f := range [...]struct {
		bit  Type
		name string
	}{
		{Delivered, "delivered"},
		{Clicked, "clicked"},
		{InvalidTarget, "invalid_target"},
		{Disabled, "disabled"},
		{Filtered, "filtered"},
		{OverQuota, "over_quota"},
		{Expired, "expired"},
	} {
		if t&f.bit != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, f.name...)
		}
	}
	if rest := t &^ All; rest != 0 {
		if len(b) > 0 {
			b = append(b, '|')
		}
		// As unsigned, so that a negative value shows its bits, not a sign.
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, uint64(uint(rest)), 16)
	}
	return string(b)
}
