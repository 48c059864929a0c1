#!/usr/bin/env bash
# End to end: kill -9 of samgrd, then policyd, then logd (in turn, each once it is up again):
# nexus-init restarts each, alone. samgrd's death costs the others only their channel to it:
# each asks init for a new one (its fd 5) and registers again, keeping its pid; while samgrd
# is down, `nx` says `unavailable:`. After each kill `nx svc list`, `nx echo`, `nx policy
# check`, `nx log query` work again (nx connects to samgr.sock anew on each call) and
# `nx status` shows every service up. SIGTERM still leaves no process and no socket.
# Every wait is bounded (poll up to N seconds); nothing asserts on timing.
# Usage: restart.sh BUILD_DIR
set -euo pipefail
build=$1
WAIT_SECS=30
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

operator_policy_for_non_root
services=$(awk '!/^#/ && NF {print $1}' "$build/source/init/services.conf")

# works: every client path answers (bounded retries while services register again).
works() {
	local out s
	out=$("$nx" svc list 2>/dev/null) || return 1
	for s in $services; do
		[ "$s" = samgrd ] || grep -q "^$s  *svc:$s\$" <<<"$out" || return 1
	done
	[[ "$("$nx" echo hi 2>/dev/null)" == "hi "* ]] || return 1
	[ "$("$nx" policy check svc:echod ipc.connect.logd 2>/dev/null)" = allowed ] || return 1
	"$nx" log query --max 1 >/dev/null 2>&1 || return 1
	out=$("$nx" status 2>/dev/null) || return 1
	for s in $services; do grep -q "^$s  *[1-9][0-9]*  *up " <<<"$out" || return 1; done
}
works_soon() {
	for _ in $(seq 200); do works && return 0; sleep 0.05; done
	return 1
}

export NEXUS_RUNTIME_DIR=$tmp/run
sock=$NEXUS_RUNTIME_DIR/samgr.sock
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"
works_soon || fail "clients do not work after boot"
echo "ok boot: nx svc list, echo, policy check, log query work; nx status all up"

# ---- 1. kill -9 samgrd: restarted alone, the others keep their pids ----
declare -A before
for s in $services; do before[$s]=$(pgrep -P "$ipid" -x "$s") || fail "no $s child of init"; done
# An Endpoint made before samgrd dies: `nx log tail` follows logd over its channel from
# samgrd's resolve, and must still hear records appended after samgrd's restart.
"$nx" log tail --scope survive >"$tmp/tail.out" 2>&1 &
tpid=$!
pids+=("$tpid")
for _ in $(seq 200); do
	"$nx" log append info survive "before $_" >/dev/null
	grep -q 'survive: before' "$tmp/tail.out" && break
	sleep 0.05
done
grep -q 'survive: before' "$tmp/tail.out" || fail "nx log tail does not follow"
n=$(grep -c -x 'init: up samgrd' "$log")
kill -KILL "${before[samgrd]}"
# Until samgrd serves again a client is told it is unavailable (if it asks in time).
until out=$("$nx" svc list 2>&1); do
	grep -q '^nx: unavailable: ' <<<"$out" || fail "while samgrd is down nx says: $out"
	sleep 0.01
done
wait_for "$log" 'init: up samgrd' $((n + 1)) || fail "samgrd was not restarted"
grep -q -x 'init: exit samgrd (signal 9)' "$log" || fail "exit of samgrd not logged"
grep -q -x 'init: failed samgrd' "$log" && fail "samgrd given up after one kill"
works_soon || fail "clients do not work after samgrd restarted"
for s in $services; do
	[ "$s" = samgrd ] && continue
	grep -q "^init: exit $s " "$log" && fail "$s exited when samgrd died"
	[ "$(pgrep -P "$ipid" -x "$s")" = "${before[$s]}" ] || fail "$s has another pid"
done
[ "$(grep -c -x 'init: ready' "$log")" = 1 ] || fail "samgrd's death rebooted the system"
"$nx" log append info survive "after samgrd" >/dev/null || fail "cannot append after samgrd"
wait_for "$tmp/tail.out" '.* survive: after samgrd' || fail "the Endpoint made before died"
kill "$tpid"
echo "ok kill -9 samgrd: restarted alone, every other service kept its pid and registered again; an Endpoint from before still works"

# ---- 2. kill -9 policyd, then logd: each restarted alone, clients work again ----
for s in policyd logd; do
	n=$(grep -c -x "init: up $s" "$log")
	r=$(grep -c -x 'init: ready' "$log")
	pid=$(pgrep -P "$ipid" -x "$s") || fail "no $s child of init"
	kill -KILL "$pid"
	wait_for "$log" "init: up $s" $((n + 1)) || fail "$s was not restarted"
	grep -q -x "init: exit $s (signal 9)" "$log" || fail "exit of $s not logged"
	[ "$(pgrep -P "$ipid" -x "$s")" != "$pid" ] || fail "same $s pid"
	[ "$(grep -c -x 'init: ready' "$log")" = "$r" ] || fail "killing $s rebooted everything"
	works_soon || fail "clients do not work after $s restarted"
	echo "ok kill -9 $s: restarted, clients work again, nx status all up"
done

# ---- 3. SIGTERM: exit 0, no process, no socket, no sanitizer report ----
children=$(pgrep -P "$ipid" || true)
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
for c in $children; do kill -0 "$c" 2>/dev/null && fail "child $c left running"; done
[ -e "$sock" ] && fail "samgr.sock left behind"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error (leak or UB) in some process"
echo "ok SIGTERM after the restarts: exit 0, no process and no socket left"
