// Package chinatime holds the one time zone of the MiPush servers, for the
// client's decoders and the fake server's answers alike.
package chinatime

import "time"

// Offset is China Standard Time's offset from UTC: 8 hours, with no
// daylight saving time since 1991.
const Offset = 8 * 60 * 60

// zone is never changed: Location hands it out.
var zone = time.FixedZone("CST", Offset)

// Location returns China Standard Time (UTC+8), the zone the MiPush
// servers write times without an offset in, such as a trace's
// create_time "2018-02-28 22:17:48".
func Location() *time.Location { return zone }
