#!/usr/bin/env bash
# End to end: state that survives (DESIGN.md section 6).
#   1. One system per runtime dir: a second nexus-init on the same dir exits 1 naming the dir
#      and the holder's pid, and the first keeps working (its socket and status file stay).
#   2. Under load (16 clients appending through samgrd, each noting the ids logd acknowledged),
#      kill -9 logd, then samgrd: every acknowledged record is in the journal afterwards with
#      its message, ids strictly increasing, none reused, the boot id kept; logd said it read
#      its ring back from init's fd store; after samgrd's restart every other service has the
#      pid it had;
#      nexus-init's events (start, exit, restart, ...) are journal records of svc:init.
#   3. kill -9 of logd at 20 random points of appends (the operator restarting it after each,
#      so init's storm limit does not fail it): the ring always reads back (torn writes dropped
#      and counted by logd), and nothing acknowledged is lost, checked after every kill. The
#      library's crash test (tests/unit/journal/test-region.c) stops an append at every store.
#   4. logd killed until it fails for good (storm limit): init drops what it held for it.
# Every wait is bounded; nothing asserts on timing.
# Usage: state.sh BUILD_DIR
set -euo pipefail
build=$1
WAIT_SECS=60
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

operator_policy_for_non_root
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state
sock=$NEXUS_RUNTIME_DIR/samgr.sock
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"

# ---- 1. a second init on the same runtime dir ----
st=0
"$init" >"$tmp/second.log" 2>&1 || st=$?
[ "$st" = 1 ] || fail "a second nexus-init exited $st, not 1"
grep -q "^init: $NEXUS_RUNTIME_DIR is in use by nexus-init pid $ipid; not starting\$" \
	"$tmp/second.log" || { cat "$tmp/second.log"; fail "the refusal does not name dir and pid"; }
grep -q 'init: start' "$tmp/second.log" && fail "the second init started something"
[ -S "$sock" ] && [ -e "$NEXUS_RUNTIME_DIR/status" ] || fail "the second init removed files"
"$nx" log append info check "first still serves" >/dev/null || fail "the first stopped serving"
echo "ok second nexus-init refused (names dir and pid $ipid), the first keeps working"

# ---- 2. load, kill -9 logd, then samgrd ----
# client K appends "c<K> n<I>" until $tmp/stop exists; each acknowledged id goes to acked.K
client() {
	local k=$1 i=0 id
	while [ ! -e "$tmp/stop" ]; do
		i=$((i + 1))
		if id=$("$nx" log append info load "c$k n$i" 2>/dev/null); then
			echo "$id c$k n$i" >>"$tmp/acked.$k"
		fi
	done
}
acked() { cat "$tmp"/acked.* 2>/dev/null | wc -l; }
# wait_acked N: until N more records were acknowledged than now (bounded).
wait_acked() {
	local want=$(($(acked) + $1))
	for _ in $(seq 1200); do [ "$(acked)" -ge "$want" ] && return 0; sleep 0.05; done
	return 1
}
start_clients() {
	rm -f "$tmp/stop"
	cpids=()
	for k in $(seq "$1"); do client "$k" & cpids+=($!); pids+=($!); done
}
stop_clients() {
	touch "$tmp/stop"
	for p in "${cpids[@]}"; do wait "$p" || true; done
}
# kill9 NAME: kill -9 init's child NAME and wait until init has it up again.
kill9() {
	local n pid
	n=$(grep -c -x "init: up $1" "$log" || true)
	pid=$(pgrep -P "$ipid" -x "$1") || fail "no $1 child of init"
	kill -KILL "$pid"
	wait_for "$log" "init: up $1" $((n + 1)) || fail "$1 was not restarted"
}
# query_soon ARGS: nx log query ARGS, retried while logd and policyd settle after restarts (a
# query may be refused meanwhile); bounded.
query_soon() {
	for _ in $(seq 100); do
		"$nx" log query "$@" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nx log query $* keeps failing"
}
# check_journal [new]: every record acknowledged when it starts is in the journal with its
# message (the clients may go on appending), ids strictly increasing, no id acknowledged twice.
# With "new", only the records acknowledged since the last check, the journal read from the
# lowest of their ids: one checked before cannot leave the append-only ring without the final
# full check finding it gone.
check_journal() {
	local since upto out last
	sort "$tmp"/acked.* >"$tmp/now"
	touch "$tmp/checked"
	if [ "${1:-}" = new ]; then
		comm -13 "$tmp/checked" "$tmp/now" >"$tmp/want"
	else
		cp "$tmp/now" "$tmp/want"
	fi
	mv "$tmp/now" "$tmp/checked"
	[ -s "$tmp/want" ] || fail "no record acknowledged since the last check"
	# (awk reads it all: `sort | head` would kill sort with SIGPIPE under pipefail)
	read -r since upto < <(awk 'NR == 1 || $1 < lo {lo = $1} NR == 1 || $1 > hi {hi = $1}
		END {print lo, hi}' "$tmp/want")
	: >"$tmp/journal"
	while [ "$since" -le "$upto" ]; do
		out=$(query_soon --since "$since" --scope load --max 1000 -o json)
		[ -n "$out" ] || break
		python3 -c 'import json, sys
for line in sys.stdin:
    if line.strip():
        r = json.loads(line)
        print(r["id"], r["message"])' <<<"$out" >>"$tmp/journal"
		last=$(tail -1 "$tmp/journal" | cut -d' ' -f1)
		since=$((last + 1))
	done
	sort -n -c -u -k1,1 "$tmp/journal" || fail "journal ids not strictly increasing"
	sort "$tmp/journal" >"$tmp/journal.sorted"
	missing=$(comm -23 "$tmp/want" "$tmp/journal.sorted" | wc -l)
	[ "$missing" = 0 ] || {
		comm -23 "$tmp/want" "$tmp/journal.sorted" | head
		fail "$missing acknowledged records are missing from the journal"
	}
	# No id names two records (an id reused after a restart would).
	[ "$(cut -d' ' -f1 "$tmp/checked" | sort | uniq -d | wc -l)" = 0 ] ||
		fail "one id acknowledged twice"
}

boot_id() { "$nx" log stats | awk '$1 == "boot_id" {print $2}'; }
boot=$(boot_id)
[[ "$boot" =~ ^[0-9a-f]{32}$ ]] || fail "nx log stats shows no boot id: '$boot'"
start_clients 16
wait_acked 200 || fail "the clients are not appending"
kill9 logd
wait_acked 100 || fail "the clients do not append after logd restarted"
others=$(pgrep -P "$ipid" | sort)
kill9 samgrd
wait_acked 100 || fail "the clients do not append after samgrd restarted"
[ "$(pgrep -P "$ipid" -x samgrd)" ] || fail "no samgrd"
[ "$(pgrep -P "$ipid" | sort | grep -c -x -F "$others")" = $(($(wc -l <<<"$others") - 1)) ] ||
	fail "a service other than samgrd changed its pid"
stop_clients
check_journal
# readbacks: how many times logd said it read its ring back.
readbacks() {
	query_soon --subject svc:logd --scope ring --max 100 | grep -c 'journal ring read back: ' ||
		true
}
[ "$(readbacks)" -ge 1 ] || fail "logd did not read its ring back from the fd store"
# nexus-init's own events are records of svc:init: the kills above among them.
events=$(query_soon --subject svc:init --scope supervise --max 1000 -o json)
for e in 'start samgrd' 'ready' 'exit logd (signal 9)' 'restart logd' 'exit samgrd (signal 9)' \
	'recover samgrd' 'restart samgrd'; do
	grep -qF "\"message\":\"$e\"" <<<"$events" || fail "no svc:init record '$e'"
done
echo "ok 16 clients, kill -9 logd then samgrd: all $(acked) acknowledged records kept, ids increasing, none reused; the others kept their pids"

# ---- 3. kill -9 logd at random points of appends, 20 times ----
# init's storm limit fails a service after SUP_STORM_EXITS exits in SUP_STORM_WINDOW_NS, as it
# should for a crash loop; here the operator restarts logd after each kill (`nx svc restart`,
# which gives it a fresh count, as after a fix), so the kills can go on. The clients append
# throughout; each kill lands at a random moment of their appends.
rounds=20
logd_state() { awk '$1 == "logd" {print $3}' "$NEXUS_RUNTIME_DIR/status"; }
start_clients 4
for round in $(seq $rounds); do
	wait_acked 5 || fail "round $round: no appends"
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	n=$(grep -c -x 'init: exit logd (signal 9)' "$log" || true)
	pid=$(pgrep -P "$ipid" -x logd) || fail "round $round: no logd child of init"
	kill -KILL "$pid"
	wait_for "$log" 'init: exit logd (signal 9)' $((n + 1)) || fail "round $round: no exit seen"
	"$nx" svc restart logd >/dev/null || fail "round $round: nx svc restart logd"
	for _ in $(seq 600); do [ "$(logd_state)" = up ] && break; sleep 0.05; done
	[ "$(logd_state)" = up ] || fail "round $round: logd not up again: $(logd_state)"
	check_journal new
done
stop_clients
check_journal
readback=$(readbacks)
[ "$readback" -ge $((rounds + 1)) ] ||
	fail "logd read its ring back $readback times over $((rounds + 1)) restarts"
echo "ok $rounds more kills of logd amid appends: the ring read back each time, $(acked) acknowledged records kept"

# ---- 4. logd fails for good (storm limit): its ring is dropped from the store ----
for _ in $(seq 6); do
	grep -q -x 'init: failed logd' "$log" && break
	pid=$(pgrep -P "$ipid" -x logd) || { sleep 0.2; continue; }
	n=$(grep -c -x 'init: \(up\|failed\) logd' "$log")
	kill -KILL "$pid"
	wait_for "$log" 'init: \(up\|failed\) logd' $((n + 1)) || fail "logd neither restarted nor failed"
done
wait_for "$log" 'init: failed logd' || fail "logd did not fail after repeated kills"
wait_for "$log" 'init: dropped 1 held fds of logd' || fail "logd's ring was not dropped"
echo "ok logd failed for good: init dropped the ring it held for it"

kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: exit 0"
