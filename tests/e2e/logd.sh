#!/usr/bin/env bash
# End to end: logd in the boot order, driven through nx as uid:<n>. Append, query by each
# filter, the subject is stamped from the connection whatever the payload says, an over-limit
# message is refused whole (too_large, nothing stored), a query larger than one message comes
# as a VMO, stats count it all, garbage on a raw channel to logd costs only that client,
# appendBatch keeps order and fails on a bad entry, tail follows live, and (second boot with
# NEXUS_LOGD_RATE/BURST) a flood is refused as overloaded, counted and reported; (third boot,
# a policy copy without uid:0's log.query) policyd decides logd's capabilities: denied, allowed
# after `nx policy reload` with logd not restarted, and again after policyd is killed.
# Every wait is bounded (poll for a line up to N seconds); nothing asserts on timing.
# Usage: logd.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/log-probe
# jq-like checks without jq: py EXPR evaluates EXPR with `d` = the JSON on stdin.
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# pyl EXPR: the same with `d` = the records of `nx log query --json` (one object a line).
pyl() { python3 -c "import json,sys; d=[json.loads(l) for l in sys.stdin]; sys.exit(0 if ($1) else 1)"; }
uid=$(id -u)

# ---- 1. Boot: logd's markers once each, after samgrd, before echod ----
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
prev=$(grep -n -x 'init: up samgrd' "$log" | cut -d: -f1)
for m in 'init: start logd' 'logd: ready' 'init: up logd' 'init: start echod'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
	line=$(grep -n -x -- "$m" "$log" | cut -d: -f1)
	[ "$line" -gt "$prev" ] || fail "marker '$m' out of order"
	prev=$line
done
echo "ok logd boots after samgrd and before echod, markers once each"

# ---- 2. Usage ----
out=$("$nx" log --help) && [[ "$out" == "usage: nx log"* ]] || fail "nx log --help"
for bad in "log" "log frob" "log append loud s m" "log append info s" "log append info s m novalue" \
	"log query --level loud" "log query --since x" "log query --frob" "log stats extra" \
	"log tail --frob" "log tail --count" "log query --count 3" "log tail --max 0"; do
	st=0; $nx $bad >/dev/null 2>&1 || st=$?
	[ "$st" = 2 ] || fail "nx $bad exited $st, not 2"
done
echo "ok nx log: --help, bad usage exits 2"

# ---- 3. Append; the subject is the connection's, whatever the payload claims ----
id1=$("$nx" log append info e2e.one "hello one" k=v subject=svc:samgrd) || fail "append 1"
id2=$("$nx" log append warn e2e.two "a needle in the hay") || fail "append 2"
id3=$("$nx" log append error e2e.two "third record") || fail "append 3"
[ "$id2" = $((id1 + 1)) ] && [ "$id3" = $((id2 + 1)) ] || fail "ids not consecutive: $id1 $id2 $id3"
"$nx" log query --scope e2e.one --json >"$tmp/q1" || fail "query --scope e2e.one"
pyl "len(d) == 1 and d[0]['subject'] == 'uid:$uid' and
    d[0]['message'] == 'hello one' and d[0]['level'] == 'info' and
    d[0]['fields'] == {'k': 'v', 'subject': 'svc:samgrd'} and d[0]['id'] == $id1" <"$tmp/q1" ||
	fail "record 1 not as appended / subject not stamped: $(cat "$tmp/q1")"
out=$("$nx" log query --scope e2e.one) || fail "text query"
[[ "$out" == *" uid:$uid info e2e.one: hello one k=v subject=svc:samgrd" ]] ||
	fail "text form: $out"
echo "ok append: consecutive ids, subject uid:$uid stamped by logd (a subject= field changes nothing)"

# ---- 4. Query by each filter ----
count() { "$nx" log query "$@" --json | wc -l; }
[ "$(count --subject "uid:$uid")" = 3 ] || fail "--subject uid:$uid"
[ "$(count --subject 'uid:*')" = 3 ] || fail "--subject uid:*"
[ "$(count --subject 'svc:*' --scope e2e.two)" = 0 ] || fail "--subject svc:* matched ours"
[ "$(count --scope e2e.two)" = 2 ] || fail "--scope e2e.two"
[ "$(count --subject "uid:$uid" --level warn)" = 2 ] || fail "--level warn"
[ "$(count --subject "uid:$uid" --level error)" = 1 ] || fail "--level error"
[ "$(count --grep needle)" = 1 ] || fail "--grep needle"
[ "$(count --grep nowhere-to-be-found)" = 0 ] || fail "--grep nothing"
[ "$(count --subject "uid:$uid" --since "$id2")" = 2 ] || fail "--since $id2"
"$nx" log query --subject "uid:$uid" --max 1 --json >"$tmp/q2" || fail "--max 1"
pyl "len(d) == 1 and d[0]['id'] == $id1" <"$tmp/q2" || fail "--max 1: $(cat "$tmp/q2")"
st=0; err=$("$nx" log query --since 999999999 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: invalid_argument: filter.sinceId"* ]] ||
	fail "cursor past the end: $st $err"
echo "ok query: --subject (exact, prefix), --scope, --level, --grep, --since, --max"

# ---- 5. Over-limit and bad input: refused whole, nothing stored ----
"$nx" log stats --json >"$tmp/s0" || fail "stats"
big=$(head -c 1025 /dev/zero | tr '\0' x)
st=0; err=$("$nx" log append info e2e.big "$big" 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: too_large: entry.message: longer than 1024 bytes" ] ||
	fail "1025-byte message: $st $err"
st=0; err=$("$nx" log query --grep "$big" 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: too_large: filter.contains: longer than 1024 bytes" ] ||
	fail "1025-byte --grep: $st $err"
st=0; err=$("$nx" log append info e2e.big "ok" "bad key=v" 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: invalid_argument:"* ]] || fail "bad key: $st $err"
args=(); for i in $(seq 17); do args+=("k$i=v"); done
st=0; err=$("$nx" log append info e2e.big "ok" "${args[@]}" 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: too_large: entry.fields: more than 16 elements" ] ||
	fail "17 fields: $st $err"
[ "$(count --scope e2e.big)" = 0 ] || fail "an over-limit record was stored"
"$nx" log stats --json >"$tmp/s1" || fail "stats"
python3 - "$tmp/s0" "$tmp/s1" <<'PY' || fail "refusals changed the journal: $(cat "$tmp/s0" "$tmp/s1")"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert b["appended"] == a["appended"] and b["records"] == a["records"], (a, b)
assert b["next_id"] == a["next_id"]
PY
echo "ok refusals: 1025-byte message, 17 fields and a 1025-byte --grep too_large, bad key invalid_argument, nothing stored"

# ---- 6. A query larger than one message (LOGD_INLINE_MAX_BYTES) arrives as a VMO ----
for i in $(seq 200); do
	"$nx" log append info e2e.bulk "bulk record number $i with some padding text" n="$i" >/dev/null ||
		fail "bulk append $i"
done
"$nx" log query --scope e2e.bulk --json >"$tmp/q3" || fail "bulk query"
# 200 records of this size are over one 4 KiB message: they can only come as a VMO.
pyl "len(d) == 200 and [r['fields']['n'] for r in d] == [str(i) for i in range(1, 201)] and
    all(r['subject'] == 'uid:$uid' for r in d)" <"$tmp/q3" ||
	fail "bulk query not 200 records through a VMO: $(head -c 400 "$tmp/q3")"
"$nx" log query --scope e2e.bulk --max 5 --json >"$tmp/q4" || fail "small query"
pyl "len(d) == 5" <"$tmp/q4" || fail "5 records not inline: $(cat "$tmp/q4")"
[ "$("$nx" log query --scope e2e.bulk | wc -l)" = 200 ] || fail "text query through a VMO"
echo "ok 200 records come through a sealed VMO, 5 come inline"

# ---- 7. Stats count it all ----
"$nx" log stats --json >"$tmp/s2" || fail "stats"
python3 - "$tmp/s1" "$tmp/s2" <<'PY' || fail "stats: $(cat "$tmp/s1" "$tmp/s2")"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
assert b["appended"] == a["appended"] + 200, (a, b)
assert b["records"] == a["records"] + 200 and b["evicted"] == 0 and b["dropped"] == 0
assert b["rejected"] == 3 and b["capacity"] == 16 << 20
assert b["newest_id"] == b["next_id"] - 1 and b["clients"] >= 1 and b["followers"] == 0
PY
out=$("$nx" log stats) && grep -q '^appended  *[0-9]' <<<"$out" || fail "stats text: $out"
echo "ok stats: appended/records +200, rejected 3, capacity 16 MiB, no drops or evictions"

# ---- 8. Garbage on a channel to logd costs only that client ----
fds() { ls "/proc/$1/fd" | wc -l; }
lpid=$(pgrep -P "$ipid" -x logd) || fail "no logd child of init"
l0=$(fds "$lpid")
out=$("$probe" garbage) || fail "garbage: $out"
"$nx" log append notice e2e.after "still serving" >/dev/null || fail "logd stopped after garbage"
[ "$(count --scope e2e.after)" = 1 ] || fail "record after garbage missing"
[ "$(pgrep -P "$ipid" -x logd)" = "$lpid" ] || fail "logd restarted after garbage"
ok=
for _ in $(seq 100); do
	[ "$(fds "$lpid")" = "$l0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "logd fds $l0 -> $(fds "$lpid") after garbage and queries"
echo "ok garbage: that channel closed, logd kept serving (same pid, no fd leaked)"

# ---- 9. appendBatch (the facade's stream form): kept in order; a bad entry fails the stream ----
out=$("$probe" batch) || fail "batch: $out"
grep -q -x 'probe: batches ok' <<<"$out" &&
	grep -q -x 'probe: bad batch failed: invalid_argument' <<<"$out" || fail "batch: $out"
"$nx" log query --scope e2e.batch --json >"$tmp/q5" || fail "batch query"
pyl "[r['message'] for r in d] ==
    ['batch entry %d' % i for b in range(3) for i in range(10)] + ['batch entry %d' % i for i in range(4)]
    and all(r['subject'] == 'uid:$uid' for r in d)" <"$tmp/q5" ||
	fail "batched records: $(head -c 600 "$tmp/q5")"
echo "ok appendBatch: 30 records kept in order; entries[4] with a bad key failed the stream, 0-3 kept"

# ---- 10. tail (Log.follow): live records in order, a cursor catches up, a gone tail is dropped ----
# wait_exit PID: until PID exits (bounded), then its status.
wait_exit() {
	for _ in $(seq 400); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$1" 2>/dev/null && return 124
	local st=0; wait "$1" || st=$?; return $st
}
l1=$(fds "$lpid")
"$nx" log tail --scope e2e.tail --level warn --max 2 --json >"$tmp/t1" 2>"$tmp/t1.err" &
tpid=$!
pids+=("$tpid")
wait_for "$tmp/t1.err" 'nx: following' || fail "tail did not start: $(cat "$tmp/t1.err")"
"$nx" log append warn e2e.tail "tail one" >/dev/null || fail "append t1"
"$nx" log append info e2e.tail "too low" >/dev/null || fail "append info"
"$nx" log append warn e2e.other "other scope" >/dev/null || fail "append other"
"$nx" log append error e2e.tail "tail two" >/dev/null || fail "append t2"
wait_exit "$tpid" || fail "tail exited $?: $(cat "$tmp/t1.err")"
python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["message"] for r in recs] == ["tail one", "tail two"], recs
assert all(r["subject"] == "uid:" + sys.argv[2] for r in recs)
' "$tmp/t1" "$uid" || fail "tail saw: $(cat "$tmp/t1")"
out=$("$nx" log tail --since "$id1" --subject "uid:$uid" --max 3 -o json 2>/dev/null |
	python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["id"]) for l in sys.stdin))') ||
	fail "tail --since"
[ "$out" = "$id1 $id2 $id3" ] || fail "tail --since: $out"
"$nx" log tail --scope e2e.tail2 >/dev/null 2>"$tmp/t2.err" &
tpid=$!
pids+=("$tpid")
wait_for "$tmp/t2.err" 'nx: following' || fail "second tail did not start"
kill -KILL "$tpid"
"$nx" log append info e2e.tail2 "to nobody" >/dev/null || fail "append after a tail died"
ok=
for _ in $(seq 100); do
	[ "$(fds "$lpid")" = "$l1" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "logd fds $l1 -> $(fds "$lpid") after tails"
# logd frees a follower whose sink broke at its next pump (an append, or the 1 s timer).
ok=
for _ in $(seq 100); do
	"$nx" log stats --json | py "d['followers'] == 0" && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "a dead follower was kept"
echo "ok tail: warn+ of one scope live and in order, --since catches up, a killed tail costs nothing"

# ---- 10b. LOGD_FOLLOWERS_MAX followers at once; the next follow() is limit_exceeded ----
out=$("$probe" follow-many 257) && fail "257 followers accepted: $out"
grep -q -x 'probe: following 256' <<<"$out" &&
	grep -q -x 'probe: limit_exceeded: 256 followers already' <<<"$out" ||
	fail "257th follower: $out"
ok=
for _ in $(seq 100); do
	"$nx" log stats --json | py "d['followers'] == 0" && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "the probe's 256 followers were kept after it left"
echo "ok 256 followers on one channel, the 257th limit_exceeded; all dropped when the channel went"

# ---- 11. SIGTERM: clean exit, no sanitizer report ----
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q -x 'init: exit logd (code 0)' "$log" || fail "logd did not exit 0"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: logd exited 0, no sanitizer report"

# ---- 12. Rate limit (NEXUS_LOGD_RATE=1, BURST=5): overloaded, counted, reported ----
# The burst is spent by back-to-back appends on one channel; the margin before a refill could
# hide the limit is 14 s for 20 appends, and nothing else asserts on time.
export NEXUS_RUNTIME_DIR=$tmp/run2 NEXUS_LOGD_RATE=1 NEXUS_LOGD_BURST=5
log=$tmp/init2.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "second boot: no 'init: ready'"
out=$("$probe" flood 20) || fail "flood: $out"
a=$(sed -n 's/^probe: appended \([0-9]*\) limited \([0-9]*\)$/\1/p' <<<"$out")
l=$(sed -n 's/^probe: appended \([0-9]*\) limited \([0-9]*\)$/\2/p' <<<"$out")
[ -n "$a" ] && [ "$a" -ge 5 ] && [ "$l" -ge 1 ] && [ $((a + l)) = 20 ] || fail "flood: $out"
grep -q "^probe: first refusal: limit_exceeded: uid:$uid is over its log rate" <<<"$out" ||
	fail "refusal reason: $out"
"$nx" log stats --json >"$tmp/s3" || fail "stats (rate)"
py "d['dropped'] >= $l and any(x['subject'] == 'uid:$uid' and x['dropped'] >= $l for x in d['top_dropped'])" <"$tmp/s3" ||
	fail "drops not counted: $(cat "$tmp/s3")"
# The drop report comes from logd's 1 s timer (or the next allowed append): poll, bounded.
ok=
for _ in $(seq 100); do
	n=$("$nx" log query --subject svc:logd --scope journal --grep "from uid:$uid" --json 2>/dev/null |
		wc -l || true)
	[ "${n:-0}" -ge 1 ] && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "no drop report from svc:logd"
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "second init exited $st"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok rate limit: $l of 20 refused as limit_exceeded (overloaded), counted for uid:$uid, reported by svc:logd"

# ---- 13. policyd decides: a policy without uid:0's log.query denies it; reload allows it ----
# logd asks policyd for every capability (cached per connection, dropped on a new version);
# the copy of policies/ drops only log.query from uid:0's grant.
unset NEXUS_LOGD_RATE NEXUS_LOGD_BURST
export NEXUS_RUNTIME_DIR=$tmp/run3 NEXUS_POLICY_DIR=$tmp/policies
src=$(cd "$(dirname "$0")/../.." && pwd)/policies
cp -r "$src" "$NEXUS_POLICY_DIR"
sed -i 's/^\(allow uid:0 .*\) log\.query /\1 /' "$NEXUS_POLICY_DIR/default.policy"
grep -q '^allow uid:0 .*log\.query' "$NEXUS_POLICY_DIR/default.policy" && fail "sed left log.query"
log=$tmp/init3.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "third boot: no 'init: ready'"
lpid=$(pgrep -P "$ipid" -x logd) || fail "no logd child of init"
"$nx" log append info e2e.pol "appended under the copy" >/dev/null || fail "append (granted)"
st=0; err=$("$nx" log query --scope e2e.pol 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: denied: uid:$uid lacks log.query" ] ||
	fail "query without the grant: $st $err"
st=0; err=$("$nx" log stats 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: denied: uid:$uid lacks log.query" ] || fail "stats: $st $err"
cp "$src/default.policy" "$NEXUS_POLICY_DIR/default.policy"
"$nx" policy reload >/dev/null || fail "policy reload"
out=$("$nx" log query --scope e2e.pol) || fail "query after reload: $out"
[[ "$out" == *" uid:$uid info e2e.pol: appended under the copy" ]] || fail "after reload: $out"
[ "$(pgrep -P "$ipid" -x logd)" = "$lpid" ] || fail "logd was restarted"
echo "ok policyd decides: uid:$uid denied log.query (query, stats), allowed after nx policy reload, same logd"

# ---- 14. kill -9 policyd: logd resolves the restarted one (the fallback denies uid: meanwhile) ----
ppid_=$(pgrep -P "$ipid" -x policyd) || fail "no policyd child of init"
kill -KILL "$ppid_"
wait_for "$log" 'init: up policyd' 2 || fail "policyd was not restarted"
# Until logd has resolved the new policyd the fallback rule denies uid:0's query; poll, bounded.
ok=
for _ in $(seq 200); do
	"$nx" log query --scope e2e.pol >/dev/null 2>&1 && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "logd did not ask the restarted policyd: $("$nx" log query --scope e2e.pol 2>&1)"
[ "$(pgrep -P "$ipid" -x logd)" = "$lpid" ] || fail "logd was restarted with policyd"
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "third init exited $st"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok kill -9 policyd: logd asked the restarted one (same logd), clean stop"

# ---- 15. A slow follower never holds logd back: it is told how many records it missed ----
# (and once it reads again, logd catches it up LOGD_FOLLOW_BATCH records per journal read)
# Smallest journal (128 KiB, ~800 records) and no rate limit: a stopped tail's stream window
# fills, the flood evicts what it has not received, and after SIGCONT it hears "missed N".
unset NEXUS_POLICY_DIR
export NEXUS_RUNTIME_DIR=$tmp/run4 NEXUS_LOGD_CAPACITY=128K NEXUS_LOGD_RATE=0
log=$tmp/init4.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "fourth boot: no 'init: ready'"
"$nx" log tail --scope e2e.flood >/dev/null 2>"$tmp/t4.err" &
tpid=$!
pids+=("$tpid")
wait_for "$tmp/t4.err" 'nx: following' || fail "slow tail did not start: $(cat "$tmp/t4.err")"
kill -STOP "$tpid"
out=$("$probe" flood 3000) || fail "flood with a stopped follower: $out"
"$nx" log stats --json >"$tmp/s4" || fail "logd stopped answering while a follower was stuck"
py "d['evicted'] > 0" <"$tmp/s4" || fail "nothing evicted: $(cat "$tmp/s4")"
kill -CONT "$tpid"
ok=
for _ in $(seq 200); do
	grep -q '^nx: missed [1-9][0-9]* records' "$tmp/t4.err" && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "the slow follower was not told what it missed: $(cat "$tmp/t4.err")"
kill -TERM "$tpid" 2>/dev/null || true
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "fourth init exited $st"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok a stopped follower: logd kept serving, evicted past it, and told it $(grep -o 'missed [0-9]*' "$tmp/t4.err" | head -1) records"
