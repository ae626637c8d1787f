package mipush

import (
	"strconv"

	"github.com/mipush-go/mipush/internal/engine"
)

// Region selects the MiPush hosts for devices of one region
// (dev.mi.com's server API page: "If sending overseas messages, you must
// use the specified domain according to the region of the device").
// Messages must go to the region of the device.
//
// The overseas regions are doubtful: two push vendors reported Xiaomi's
// overseas push service discontinued from 2024-04-02, while Xiaomi's own
// English pages of 2024-10 still describe the overseas setup. The client
// still offers them; check with Xiaomi before relying on one.
type Region int

// The regions.
const (
	// RegionChina is the default: api.xmpush.xiaomi.com.
	RegionChina Region = iota
	// RegionEurope serves the EEA and the UK: fr-api.xmpush.global.xiaomi.com.
	// Like every overseas region, reported discontinued in 2024 (see Region).
	RegionEurope
	// RegionRussia: ru-api.xmpush.global.xiaomi.com.
	RegionRussia
	// RegionIndia: idmb-api.xmpush.global.xiaomi.com.
	RegionIndia
	// RegionSingapore serves every other country: sgp-api.xmpush.global.xiaomi.com.
	RegionSingapore
)

var regionNames = [...]string{"china", "europe", "russia", "india", "singapore"}

// String returns the region's lower-case name.
func (r Region) String() string {
	if r >= 0 && int(r) < len(regionNames) {
		return regionNames[r]
	}
	return "Region(" + strconv.Itoa(int(r)) + ")"
}

// hosts returns the region's message and feedback hosts.
func (r Region) hosts() (message, feedback string) {
	switch r {
	case RegionEurope:
		return "fr-api.xmpush.global.xiaomi.com", "fr.feedback.xmpush.global.xiaomi.com"
	case RegionRussia:
		return "ru-api.xmpush.global.xiaomi.com", "ru.feedback.xmpush.global.xiaomi.com"
	case RegionIndia:
		return "idmb-api.xmpush.global.xiaomi.com", "idmb.feedback.xmpush.global.xiaomi.com"
	case RegionSingapore:
		return "sgp-api.xmpush.global.xiaomi.com", "feedback.xmpush.global.xiaomi.com"
	}
	return ProductionHost, "feedback.xmpush.xiaomi.com"
}

// hostFor returns the address and authority of the host for kind: the
// caller's Host for every kind when set, else the region's.
func (s *settings) hostFor(kind hostKind) (addr, authority string) {
	if kind == messageHost || s.Host != "" {
		return s.addr, s.authority
	}
	_, fb := s.Region.hosts()
	return engine.HostAddr(fb)
}
