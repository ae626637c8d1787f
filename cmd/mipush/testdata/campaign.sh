#!/usr/bin/env bash
# campaign.sh: rehearse a campaign against "mipush fake": a rate limit and
# faults, "bulk --rate --batch", a kill -9 midway, "--retry" until done,
# and the fake's request log checked: every regid accepted, and only those
# the kill -9 left maybe processed (which --at-least-once sends again)
# accepted more than once.
#
# Usage: cmd/mipush/testdata/campaign.sh [MIPUSH_BINARY]
set -uo pipefail
bin=${1:-mipush}
work=$(mktemp -d)
cd "$work"
export MIPUSH_APP_SECRET=any
n=50000
port=$((20000 + RANDOM % 20000))
host=127.0.0.1:$port
at="--host $host --ca ca.pem"

say() { printf '\n$ %s\n' "$*"; }
fake() { # start the fake with the faults given; its log is appended to
  "$bin" fake --addr "$host" --ca-file ca.pem --log requests.jsonl "$@" >fake.out 2>&1 &
  fakepid=$!
  until grep -q "fake MiPush server on" fake.out 2>/dev/null; do sleep 0.05; done
  head -1 fake.out
}

python3 -c "
import json
for i in range($n):
    print(json.dumps({'regid': 'r-%05d' % i, 'title': 'Hi %d' % i, 'payload': '{\"order\":%d}' % i}))
" >campaign.jsonl
echo "campaign.jsonl: $n personalised lines"

say "mipush fake --log requests.jsonl --rate-limit 80 --drop-rate 0.002 --fail 10017:r-0044* &"
fake --rate-limit 80 --drop-rate 0.002 --fail '10017:r-0044*'

say "mipush bulk campaign.jsonl --rate 100 --batch --batch-size 50 --description 'Spring sale' --extra jobkey=spring-sale --progress plain --progress-interval 1s $at &  # then kill -9 after 3 s"
"$bin" bulk campaign.jsonl --rate 100 --batch --batch-size 50 --description 'Spring sale' --extra jobkey=spring-sale \
  --progress plain --progress-interval 1s $at &
pid=$!
sleep 3
kill -9 $pid
wait $pid 2>/dev/null
echo "[killed with SIGKILL: exit status $?]"
say "ls -l mipush-report.jsonl*"
ls -l mipush-report.jsonl* | awk '{print $1, $5, $NF}'
cp mipush-report.jsonl.*.partial killed-journal.jsonl # for the check at the end

say "# the 10017 fault is fixed: the fake restarts, rate limit and drops kept"
kill -INT $fakepid; wait $fakepid
fake --rate-limit 80 --drop-rate 0.002

left() { # the last run failed, or its report holds regids to send again
  [ $status != 0 ] || grep -q '"kind":"\(failed\|unsent\)"' mipush-report.jsonl
}
try=0
status=1
while left && [ $try -lt 8 ]; do
  try=$((try + 1))
  input=$(ls mipush-report.jsonl.*.partial 2>/dev/null | head -1)
  input=${input:-mipush-report.jsonl}
  flags="--retry"
  if grep -q '"maybe_processed":true' "$input"; then flags="--retry --at-least-once"; fi
  say "mipush bulk $flags --rate 100 --batch --progress none $input"
  "$bin" bulk $flags --rate 100 --batch --progress none $at "$input"
  status=$?
  echo "[exit status $status]"
done
kill -INT $fakepid; wait $fakepid

say "# the fake's request log: every regid accepted, and once unless maybe processed at the kill?"
python3 - "$n" <<'PY'
import json, sys, collections
n = int(sys.argv[1])
acc = collections.Counter()
codes = collections.Counter()
reqs = 0
for line in open("requests.jsonl"):
    l = json.loads(line)
    reqs += 1
    codes[(l["status"], l["code"])] += 1
    if l["status"] == 200 and l["code"] == 0:
        bad = set(l.get("bad") or [])
        for t in l.get("targets") or []:
            if t not in bad:
                acc[t] += 1
want = {"r-%05d" % i for i in range(n)}
print("requests logged:", reqs)
for (st, code), k in sorted(codes.items()):
    print("  status %d code %-5d %6d requests" % (st, code, k))
never = want - set(acc)
stray = set(acc) - want
print("regids accepted:", len(acc), "of", n)
print("never accepted: ", len(never))
print("accepted twice: ", sum(1 for c in acc.values() if c > 1))
print("not in the campaign:", len(stray))
# Exactly once cannot be promised across a kill -9: a request the server
# accepted whose answer the killed client never read is, in the journal,
# maybe processed; --at-least-once sends it again. Those are the only
# regids that may be accepted twice.
maybe, pending, done, mark = set(), {}, set(), 0
for line in open("killed-journal.jsonl"):
    r = json.loads(line)
    k, c = r.get("kind"), r.get("chunk", 0)
    if k == "pending":
        pending[c] = r.get("ids") or []
    elif k == "queued":
        mark = max(mark, c)
    elif k in ("ok", "failed", "unsent", "invalid", "bad_regids"):
        done.add(c)
        if k == "failed" and r.get("maybe_processed"):
            maybe.update(r.get("ids") or [])
for c, ids in pending.items():
    if c not in done and c < mark:
        maybe.update(ids)  # queued, no outcome: maybe processed
print("recorded as maybe processed at the kill:", len(maybe))
twice = {t for t, c in acc.items() if c > 1}
print("accepted twice and not recorded as maybe processed:", len(twice - maybe))
ok = not never and not stray and twice <= maybe
if not ok:
    print("FAILED: a regid never accepted, not in the campaign, or accepted twice without being maybe processed")
elif twice:
    print("EVERY REGID ACCEPTED, ONCE EXCEPT %d MAYBE PROCESSED AT THE KILL (--at-least-once)" % len(twice))
else:
    print("EVERY REGID ACCEPTED EXACTLY ONCE")
sys.exit(0 if ok else 1)
PY
