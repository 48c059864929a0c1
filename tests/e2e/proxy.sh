#!/usr/bin/env bash
# End to end: samgrd's Endpoint proxy (DESIGN.md section 3) for clients that cannot take fds.
# The reference C++ client over a plain stream (proxy-cxx-client) reaches echod, logd and
# policyd only through it: plain and pipelined calls, exceptions with their reasons (and
# unimplemented for an interface the service lacks), 100 at
# once, a callback passed to logd (follow) and to policyd (watch), logd's inlineOnly pages
# and the VMO form refused naming the field, a denial by policyd passed on as `denied:` as
# nx gets it directly; the journal shows the same subject for a proxied and a direct record;
# echod killed mid-call (`disconnected`, then a new resolve works); the client vanishing
# mid-call five times leaves samgrd with the fds it had at boot and logd with its clients,
# and samgrd exits 0 at the end (under ASan: nothing leaked).
# Every wait is bounded; nothing asserts on timing.
# Usage: proxy.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
client=$build/tests/e2e/cxx-proxy/proxy-cxx-client
uid=$(id -u)

# A policy copy in which this subject may do all the checks need but reload the policy.
cp -r "$(cd "$(dirname "$0")/../.." && pwd)/policies" "$tmp/policies"
[ "$uid" = 0 ] || echo "allow uid:$uid ipc.connect.* samgr.list log.* policy.*" \
	>>"$tmp/policies/default.policy"
echo "deny uid:$uid policy.reload" >>"$tmp/policies/default.policy"
export NEXUS_POLICY_DIR=$tmp/policies

export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
sock=$NEXUS_RUNTIME_DIR/samgr.sock
spid=$(pgrep -P "$ipid" -x samgrd) || fail "no samgrd"
fds_at_boot=$(ls "/proc/$spid/fd" | wc -l)
clients() { "$nx" log stats --json | python3 -c "import json,sys; print(json.load(sys.stdin)['clients'])"; }
logd_clients_at_boot=$(clients) || fail "nx log stats"

# ---- 1. Every check that needs no help from this script ----
out=$("$client" --connect "$sock" --subject "uid:$uid" 2>&1) || fail "proxy client: $out"
for c in echo pipeline exception concurrent log follow policy; do
	grep -q -x "ok $c" <<<"$out" || fail "no 'ok $c' in: $out"
done
echo "ok proxied echod, logd, policyd: plain, pipelined, exception, 100 at once, callbacks, pages, VMO refused, denied"

# ---- 2. The same denial directly, and the same subject in the journal ----
st=0; err=$("$nx" policy reload 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == *"denied: "* ]] || fail "nx policy reload directly: $st $err"
"$nx" log append info e2e.direct direct >/dev/null || fail "direct append"
"$nx" log query --grep proxied --json >"$tmp/proxied" || fail "query proxied"
"$nx" log query --scope e2e.direct --json >"$tmp/direct" || fail "query direct"
records_hold "len(r) == 1 and r[0]['subject'] == 'uid:$uid'" <"$tmp/proxied" ||
	fail "proxied record: $(cat "$tmp/proxied")"
records_hold "len(r) == 1 and r[0]['subject'] == 'uid:$uid'" <"$tmp/direct" ||
	fail "direct record: $(cat "$tmp/direct")"
echo "ok denied through the proxy as directly; the journal has uid:$uid for both"

# ---- 2b. echod's per-subject connection limit counts proxied channels (a client of its own,
# once every earlier one is gone: their channels would count) ----
for _ in $(seq 400); do [ "$(clients)" = "$logd_clients_at_boot" ] && break; sleep 0.05; done
out=$("$client" --connect "$sock" --subject "uid:$uid" --only limits 2>&1) || fail "limits: $out"
echo "ok echod refuses the 65th channel of uid:$uid, proxied ones counted"

# drive NAME: runs the client's NAME check, answering its requests: stop-echod (SIGSTOP),
# kill-echod (SIGKILL). Prints the client's last line.
drive() {
	local line epid= cpid cout cin
	coproc CL { "$client" --connect "$sock" --subject "uid:$uid" --only "$1" 2>&1; }
	# bash forgets CL once the client exits: keep its pid and pipes.
	cpid=$CL_PID
	exec {cout}<&"${CL[0]}" {cin}>&"${CL[1]}"
	while read -r -t 60 line <&"$cout"; do
		case $line in
		stop-echod)
			epid=$(pgrep -P "$ipid" -x echod) || fail "no echod"
			kill -STOP "$epid"
			echo go >&"$cin" ;;
		kill-echod)
			kill -KILL "$epid"
			echo go >&"$cin" ;;
		*) last=$line ;;
		esac
	done
	exec {cout}<&- {cin}>&-
	wait "$cpid" || fail "client $1: $last"
	[ -z "$epid" ] || kill -CONT "$epid" 2>/dev/null || true
}

# ---- 3. echod killed with a proxied call in flight ----
drive restart
[ "$last" = "ok restart" ] || fail "restart: $last"
wait_for "$log" 'init: up echod' 2 30 || fail "echod not restarted"
echo "ok echod killed mid-call: disconnected, then a new resolve reaches the new echod"

# ---- 4. The client vanishes mid-call, with callbacks registered: nothing stays ----
for _ in 1 2 3 4 5; do
	drive vanish
	[ "$last" = "ok vanish" ] || fail "vanish: $last"
done
for _ in $(seq 400); do
	[ "$(ls "/proc/$spid/fd" | wc -l)" = "$fds_at_boot" ] &&
		[ "$(clients)" = "$logd_clients_at_boot" ] && break
	sleep 0.05
done
now=$(ls "/proc/$spid/fd" | wc -l)
[ "$now" = "$fds_at_boot" ] || fail "samgrd holds $now fds, $fds_at_boot at boot: $(ls -l "/proc/$spid/fd")"
[ "$(clients)" = "$logd_clients_at_boot" ] || fail "logd serves $(clients) clients, $logd_clients_at_boot at boot"
echo "ok 5 clients vanished mid-call: samgrd back to $fds_at_boot fds, logd to $logd_clients_at_boot clients"

# ---- 5. Bad usage of the client itself, and a clean stop ----
st=0; "$client" --frob >/dev/null 2>&1 || st=$?
[ "$st" = 2 ] || fail "proxy-cxx-client --frob exited $st"
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "nexus-init exited $st"
# Under ASan a leak at exit (a proxy, a channel, a forwarded call) makes samgrd exit non-zero.
grep -q -x 'init: exit samgrd (code 0)' "$log" || fail "samgrd did not exit 0"
echo "ok stopped cleanly, samgrd exited 0 (no leak at exit under ASan)"
