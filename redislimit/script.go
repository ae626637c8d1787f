package redislimit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The keys of an app, in the order the scripts take them.
const (
	keyTAT = iota
	keyFleet
	keyBackoff
	keyStops
	keyEpoch
	numKeys
)

// turnScript announces instance ARGV[1] in the fleet, reads the back-off
// and the stops and, when ARGV[2] turns are wanted and no back-off is in
// force, reserves them under a GCRA limit of ARGV[3] per second with a
// burst of ARGV[4]. The instances on Redis share the rate less the part
// of those absent for less than ARGV[7] ms, which may be sending under
// their fallback limit. A batch is granted from when the limit allows it,
// unless that is more than ARGV[5] ms ahead: then it is refused with the
// wait until it would not be. When the limit's key is missing, as after
// a restart of Redis, the limit starts ARGV[8] ms ahead of now, as far
// as this instance last saw it ahead, so that the turns the instances
// hold are not granted twice. Times are in Redis's clock, in ms.
//
// KEYS[5] names the keys' generation: it changes when Redis loses them,
// as a restart without persistence does, or after a minute unused.
//
// It returns {granted, delay µs, live, fleet, back-off ms, ahead ms,
// generation, stops...}: delay is when the batch may start (or, refused,
// when to ask again); ahead how far the limit's theoretical arrival time
// is ahead of now.
var turnScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local id, want = ARGV[1], tonumber(ARGV[2])
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local ahead, live_ms, absent_ms = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZADD', KEYS[2], now, id)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - live_ms - absent_ms)
redis.call('PEXPIRE', KEYS[2], live_ms + absent_ms)
local live = redis.call('ZCOUNT', KEYS[2], now - live_ms, '+inf')
local fleet = redis.call('ZCARD', KEYS[2])
local pause = redis.call('PTTL', KEYS[3])
local stops = redis.call('HGETALL', KEYS[4])
local granted, delay, tat = 0, 0, tonumber(redis.call('GET', KEYS[1]) or (now + tonumber(ARGV[8])))
if want > 0 and pause <= 0 then
  local interval = 1000 / rate * fleet / live
  if tat < now then tat = now end
  local newtat = tat + want * interval
  delay = newtat - burst * interval - now
  if delay < 0 then delay = 0 end
  if delay > ahead then
    delay = delay - ahead
  else
    granted = want
    tat = newtat
    redis.call('SET', KEYS[1], string.format('%.3f', newtat), 'PX', math.ceil(newtat - now) + 1000)
  end
end
local gen = redis.call('GET', KEYS[5])
if gen then
  redis.call('PEXPIRE', KEYS[5], absent_ms)
else
  gen = id .. ':' .. string.format('%.3f', now)
  redis.call('SET', KEYS[5], gen, 'PX', absent_ms)
end
local out = {granted, math.floor(delay * 1000), live, fleet, pause, math.max(0, math.floor(tat - now)), gen}
for i = 1, #stops do out[#out + 1] = stops[i] end
return out
`)

// turnReply is the answer of turnScript.
type turnReply struct {
	granted int
	delay   time.Duration
	fleet   int
	pause   time.Duration
	ahead   int64 // ms
	gen     string
	stops   map[string]time.Time
}

// turns runs turnScript for a, reserving want turns (0: only announce and
// read).
func (l *Limiter) turns(ctx context.Context, a *app, want int) (turnReply, error) {
	v, err := turnScript.Run(ctx, l.rdb, a.keys[:], l.id, want, l.o.Rate, l.o.Burst,
		maxAhead.Milliseconds(), liveFor.Milliseconds(), absentFor.Milliseconds(), a.lastAhead()).Slice()
	if err != nil {
		return turnReply{}, err
	}
	if len(v) < 7 {
		return turnReply{}, errBadReply
	}
	num := func(i int) int64 { n, _ := v[i].(int64); return n }
	r := turnReply{
		granted: int(num(0)),
		delay:   time.Duration(num(1)) * time.Microsecond,
		fleet:   int(num(3)), // num(2), the live instances, is not needed here
		pause:   time.Duration(num(4)) * time.Millisecond,
		ahead:   num(5),
	}
	r.gen, _ = v[6].(string)
	now := time.Now()
	for i := 7; i+1 < len(v); i += 2 {
		class, _ := v[i].(string)
		val, _ := v[i+1].(string)
		if until, ok := parseStop(val); ok && until.After(now) {
			if r.stops == nil {
				r.stops = make(map[string]time.Time)
			}
			r.stops[class] = until
		}
	}
	return r, nil
}

// errBadReply is the error of a script answer of the wrong shape.
var errBadReply = errors.New("redislimit: unexpected reply from Redis")

// A stop in the hash is "<end>:<set>": when it ends, in unix ms, and
// when it was made, in unix µs by the clock of the instance that made it.
func stopValue(until, set time.Time) string {
	return strconv.FormatInt(until.UnixMilli(), 10) + ":" + strconv.FormatInt(set.UnixMicro(), 10)
}

// parseStop reads the end of a stop from the hash.
func parseStop(v string) (time.Time, bool) {
	end, _, _ := strings.Cut(v, ":")
	ms, err := strconv.ParseInt(end, 10, 64)
	return time.UnixMilli(ms), err == nil
}

// shareStopScript sets field ARGV[1] of the stops hash to ARGV[2]
// ("<end>:<set>") unless it holds a later end, and keeps the hash for at
// least ARGV[3] ms.
var shareStopScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local new_end = tonumber(string.match(ARGV[2], '^%d+'))
if not cur or tonumber(string.match(cur, '^%d+') or '0') < new_end then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
local ms = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('PEXPIRE', KEYS[1], ms)
end
return 0
`)

// clearStopScript deletes field ARGV[1] of the stops hash if it was made
// at or before ARGV[2] (unix µs): a stop cleared while Redis was
// unreachable does not clear one made since.
var clearStopScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local set = tonumber(string.match(cur, ':(%d+)$') or '0')
  if set <= tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
end
return 0
`)

// extendBackoff sets the back-off key to expire in ARGV[1] ms, unless it
// already lives longer.
var extendBackoff = redis.NewScript(`
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return 0
`)
