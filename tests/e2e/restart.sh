#!/usr/bin/env bash
# End to end: kill -9 of samgrd, then policyd, then logd (in turn, each once it is up again):
# nexus-init restarts each. samgrd takes every bootstrap channel and registration with it, so
# init stops the others (reverse order), restarts samgrd, then boots the rest again in order
# up to a second "init: ready". After each kill `nx svc list`, `nx echo`, `nx policy check`,
# `nx log query` work again (nx connects to samgr.sock anew on each call) and `nx status`
# shows every service up. SIGTERM still leaves no process and no socket.
# Every wait is bounded (poll up to N seconds); nothing asserts on timing.
# Usage: restart.sh BUILD_DIR
set -euo pipefail
build=$1
WAIT_SECS=30
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# line_of FILE MARKER N: the line number of the Nth MARKER in FILE (empty if none).
line_of() { grep -n -x -- "$2" "$1" | sed -n "${3}p" | cut -d: -f1; }
# after FILE LINE MARKER: the line number of the first MARKER below LINE (empty if none).
after() { grep -n -x -- "$3" "$1" | awk -F: -v l="$2" '$1 > l {print $1; exit}'; }

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

# ---- 1. kill -9 samgrd: the rest stopped in reverse, then all booted again in order ----
old=$(pgrep -P "$ipid" || true)
kill -KILL "$(pgrep -P "$ipid" -x samgrd)"
wait_for "$log" 'init: ready' 2 || fail "no second 'init: ready' after samgrd died"
grep -q -x 'init: exit samgrd (signal 9)' "$log" || fail "exit of samgrd not logged"
grep -q -x 'init: failed samgrd' "$log" && fail "samgrd given up after one kill"
for c in $old; do kill -0 "$c" 2>/dev/null && fail "process $c of the first boot left running"; done
# Once samgrd is killed every other service exits before samgrd is restarted; then samgrd
# and the rest come up again in table order, then "init: ready". Init stops the others last
# first after "init: recover samgrd", but each also exits by itself on losing samgrd, and the
# kernel may report such an exit to init before samgrd's own: an exit line may come before
# the recover line (and the order of the exits is a race too).
booted=$(line_of "$log" 'init: ready' 1)
rec=$(line_of "$log" 'init: recover samgrd' 1)
[ -n "$rec" ] || fail "no 'init: recover samgrd'"
prev=$(line_of "$log" 'init: restart samgrd' 1)
[ -n "$prev" ] || fail "no 'init: restart samgrd'"
for s in $services; do
	[ "$s" = samgrd ] && continue
	l=$(grep -n "^init: exit $s " "$log" | head -1 | cut -d: -f1)
	[ -n "$l" ] && [ "$l" -gt "$booted" ] && [ "$l" -lt "$prev" ] ||
		fail "$s did not exit between samgrd's death and its restart"
done
prev=$rec
for s in $services; do
	for m in "init: restart $s" "init: up $s"; do
		l=$(after "$log" "$prev" "$m")
		[ -n "$l" ] && [ "$l" -lt "$(after "$log" "$prev" 'init: ready')" ] ||
			fail "marker '$m' missing or out of order after samgrd's restart"
		prev=$l
	done
done
works_soon || fail "clients do not work after samgrd restarted"
echo "ok kill -9 samgrd: the others stopped first, all restarted in order, clients work again"

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
