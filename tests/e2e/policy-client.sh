#!/usr/bin/env bash
# End to end: nx-svc's policy client in the smallest daemon that asks policyd (gated.c: Echo,
# one nx_svc_allowed call for gate.<text>), asked by one client over one channel (gate-probe).
# It denies what the policy does not grant and allows what it does; a call needing a fresh
# decision while policyd is stopped (SIGSTOP) is held and answered once policyd runs again; a
# call held when policyd is killed is decided by gated's interim rule (svc: only: denied), and
# the restarted policyd is asked again; after `nx policy reload` with a changed policy the same
# channel gets the new decisions, gated not restarted. Every wait is bounded.
# Usage: policy-client.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/gate-probe
uid=$(id -u)

export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state NEXUS_POLICY_DIR=$tmp/policies
cp -r "$src/policies" "$NEXUS_POLICY_DIR"
pol=$NEXUS_POLICY_DIR/default.policy
cat >>"$pol" <<EOF
allow svc:gated ipc.register.gated
allow uid:$uid ipc.connect.* samgr.list policy.reload
allow uid:$uid gate.open gate.held1 gate.held2
EOF
echo 'gate.*' >>"$NEXUS_POLICY_DIR/capabilities" # gated's, known to policyd
cat >"$tmp/services.conf" <<EOF
samgrd   services/samgrd/samgrd   always   sandbox=default
policyd  services/policyd/policyd always   sandbox=policy
logd     services/logd/logd       always   sandbox=default
gated    $build/tests/e2e/gated   always   sandbox=default
EOF
log=$tmp/init.log
"$init" --table "$tmp/services.conf" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
gpid=$(pgrep -P "$ipid" -x gated) || fail "no gated child of init"
polpid=$(pgrep -P "$ipid" -x policyd) || fail "no policyd child of init"

# The probe keeps one channel to gated and calls Echo.echo(line) for each line written to fd 3.
out=$tmp/probe.out
mkfifo "$tmp/probe.in"
"$probe" <"$tmp/probe.in" >"$out" 2>&1 &
pids+=("$!")
exec 3>"$tmp/probe.in"
wait_for "$out" 'probe: resolved' || fail "probe: $(cat "$out")"
ask() { echo "$1" >&3; }
# answer TEXT: waits for the probe's next answer to TEXT and prints it.
answer() {
	local n
	n=$(grep -c -- "^probe: $1 " "$out" || true)
	ask "$1"
	wait_for "$out" "probe: $1 .*" $((n + 1)) || return 1
	grep -- "^probe: $1 " "$out" | tail -n1
}
# answer_until TEXT ANSWER: asks until the answer is ANSWER (policyd's news travel
# asynchronously to gated), bounded.
answer_until() {
	for _ in $(seq 100); do
		[ "$(answer "$1")" = "probe: $1 $2" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- 1. Denied, allowed ----
a=$(answer shut) && [ "$a" = "probe: shut denied: uid:$uid lacks gate.shut" ] || fail "shut: $a"
a=$(answer open) && [ "$a" = "probe: open ok" ] || fail "open: $a"
echo "ok gated denies gate.shut and allows gate.open for uid:$uid"

# ---- 2. policyd stopped: a call needing a decision is held, answered when it runs again ----
kill -STOP "$polpid"
ask held1
sleep 1
if grep -q '^probe: held1 ' "$out"; then
	kill -CONT "$polpid"
	fail "answered while policyd was stopped: $(cat "$out")"
fi
kill -CONT "$polpid"
wait_for "$out" 'probe: held1 ok' || fail "held1 not answered after SIGCONT: $(cat "$out")"
echo "ok a fresh decision was held while policyd was stopped, answered after SIGCONT"

# ---- 3. policyd killed while a call is held: the interim rule decides it; the new one is asked ----
kill -STOP "$polpid"
ask held2
sleep 1
if grep -q '^probe: held2 ' "$out"; then
	kill -CONT "$polpid"
	fail "held2 answered early: $(cat "$out")"
fi
kill -KILL "$polpid"
wait_for "$out" "probe: held2 denied: uid:$uid lacks gate.held2" ||
	fail "held2 not decided by the interim rule: $(cat "$out")"
wait_for "$log" 'init: up policyd' 2 || fail "policyd was not restarted"
answer_until held2 ok || fail "the restarted policyd was not asked: $(tail -n3 "$out")"
echo "ok policyd killed: the held call got the interim rule's answer, the restarted policyd decides again"

# ---- 4. A reload with a changed policy re-decides on the same channel ----
sed -i "s/^allow uid:$uid gate.open /allow uid:$uid gate.shut /" "$pol"
"$nx" policy reload >/dev/null || fail "nx policy reload"
answer_until shut ok || fail "gate.shut still denied after the reload: $(tail -n3 "$out")"
answer_until open "denied: uid:$uid lacks gate.open" ||
	fail "gate.open still allowed after the reload: $(tail -n3 "$out")"
[ "$(pgrep -P "$ipid" -x gated)" = "$gpid" ] || fail "gated was restarted"
echo "ok after nx policy reload: gate.shut allowed, gate.open denied, same channel, same gated"

# ---- 5. Clean stop ----
exec 3>&-
kill -TERM "$ipid"
st=0
wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q -x 'init: exit gated (code 0)' "$log" || fail "gated did not exit 0"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: gated exited 0, no sanitizer report"
