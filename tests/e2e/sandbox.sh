#!/usr/bin/env bash
# End to end: nexus-init sandboxes every service by its services.conf profile. `nx status`
# (table and --json) shows each service up with the mechanisms active; the kernel agrees
# (/proc/<pid>/status: NoNewPrivs 1, Seccomp 2); state dirs exist; a restarted service is
# sandboxed again and counted; sandbox=none gets close_range only; a failed service makes
# `nx status` exit 1, and so does a stopped init.
# A mechanism the kernel lacks must be announced once by init ("init: sandbox: X
# unavailable") and then be missing from nx status; nothing is assumed active unannounced.
# Every wait is bounded (poll up to N seconds); nothing asserts on timing.
# Usage: sandbox.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

operator_policy_for_non_root
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state

# ---- 1. nx status before boot: init is not running ----
st=0; err=$("$nx" status 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: unavailable: no running Nexus found (looked in $NEXUS_RUNTIME_DIR)"* ]] ||
	fail "nx status without init: $st $err"
st=0; "$nx" status --bogus 2>/dev/null || st=$?
[ "$st" = 2 ] || fail "nx status --bogus exited $st, not 2"
echo "ok nx status: exit 1 without init, 2 on bad usage"

# ---- 2. Boot: every service up, with the mechanisms the kernel has ----
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"
mechs=no_new_privs
for m in landlock seccomp; do
	n=$(grep -c "^init: sandbox: $m unavailable" "$log" || true)
	[ "$n" -le 1 ] || fail "$m unavailable said $n times, not once"
	[ "$n" = 1 ] || mechs=$mechs,$m
done
mechs=$mechs,close_range
for m in rlimits mount_ns caps uid; do
	n=$(grep -c "^init: sandbox: $m unavailable" "$log" || true)
	[ "$n" -le 1 ] || fail "$m unavailable said $n times, not once"
	[ "$n" = 1 ] || mechs=$mechs,$m
done
# UID, CAPS and NS (checked in privilege.sh) between CPU-MS and SANDBOX.
priv='  *[^ ]*  *[^ ]*  *[^ ]*'
[[ "$mechs" == *landlock* ]] || echo "note: this kernel has no Landlock; checked without it"
[[ "$mechs" == *seccomp* ]] || echo "note: this kernel has no seccomp; checked without it"
services=$(awk '!/^#/ && NF {print $1}' "$build/source/init/services.conf")
out=$("$nx" status) || fail "nx status exited non-zero: $out"
head -1 <<<"$out" | grep -q '^NAME  *PID  *STATE  *RST  *STARTED  *UPTIME  *LAST-EXIT  *RSS-KIB  *CPU-MS  *UID  *CAPS  *NS  *SANDBOX$' ||
	fail "header: $out"
# A service with a wider seccomp profile (sandbox=net: dsoftbusd) shows it as seccomp:<profile>.
mechs_re=${mechs/seccomp/seccomp\\(:[a-z_]*\\)\\?}
for s in $services; do
	grep -q "^$s  *[1-9][0-9]*  *up  *0  *[0-9T:-]*  *[0-9hms]*  *-  *[0-9]*  *[0-9]*$priv  *$mechs_re\$" <<<"$out" ||
		fail "nx status for $s: $out"
done
[ "$(($(wc -l <<<"$out") - 1))" = "$(wc -w <<<"$services")" ] || fail "extra lines: $out"
echo "ok nx status: every service up, sandbox $mechs"

# ---- 3. --json agrees, and the kernel agrees ----
"$nx" status --json >"$tmp/status.json" || fail "nx status --json"
python3 - "$tmp/status.json" "$mechs" $services <<'PY' || fail "json: $(cat "$tmp/status.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
want = sys.argv[2].split(",")
names = [s["name"] for s in doc["services"]]
assert names == sys.argv[3:], names
assert doc["init"]["pid"] > 0
for s in doc["services"]:
    assert s["state"] == "up" and s["restarts"] == 0 and s["pid"] > 0, s
    assert [m.split(":")[0] for m in s["sandbox"]] == want, s  # seccomp:<wider profile>
PY
for s in $services; do
	pid=$(awk -v s="$s" '$1 == s {print $2}' <<<"$out")
	[ "$(pgrep -P "$ipid" -x "$s")" = "$pid" ] || fail "$s: pid $pid is not init's child"
	grep -q -x $'NoNewPrivs:\t1' "/proc/$pid/status" || fail "$s: NoNewPrivs is not 1"
	if [[ "$mechs" == *seccomp* ]]; then
		grep -q -x $'Seccomp:\t2' "/proc/$pid/status" || fail "$s: Seccomp is not 2"
	fi
	[ -d "$NEXUS_STATE_DIR/$s" ] || fail "no state dir for $s"
done
echo "ok --json agrees; /proc shows NoNewPrivs 1, Seccomp 2 for each; state dirs exist"

# ---- 4. kill -9 echod: restarted, sandboxed again, counted ----
epid=$(pgrep -P "$ipid" -x echod) || fail "no echod"
kill -KILL "$epid"
wait_for "$log" 'init: up echod' 2 || fail "echod was not restarted"
ok=
for _ in $(seq 100); do
	out=$("$nx" status) || true
	grep -q "^echod  *[1-9][0-9]*  *up  *1  *[0-9T:-]*  *[0-9hms]*  *signal:9  *[0-9]*  *[0-9]*$priv  *$mechs\$" <<<"$out" &&
		{ ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "nx status after restart: $out"
npid=$(awk '$1 == "echod" {print $2}' <<<"$out")
[ "$npid" != "$epid" ] || fail "same echod pid"
grep -q -x $'NoNewPrivs:\t1' "/proc/$npid/status" || fail "restarted echod: NoNewPrivs"
echo "ok kill -9 echod: up again with restarts 1 and the same sandbox"

# ---- 5. SIGTERM: the status file goes with init ----
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
[ -e "$NEXUS_RUNTIME_DIR/status" ] && fail "status file left behind"
st=0; "$nx" status >/dev/null 2>&1 || st=$?
[ "$st" = 1 ] || fail "nx status after init stopped exited $st, not 1"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: status file removed, nx status exits 1"

# ---- 6. sandbox=none, and a failed service: nx status exits 1 ----
export NEXUS_RUNTIME_DIR=$tmp/run2
log=$tmp/storm.log
cat >"$tmp/storm.conf" <<CONF
samgrd   services/samgrd/samgrd   never
crashy   $(type -P false)      always
echod    services/echod/echod     always  sandbox=none
CONF
"$init" --table "$tmp/storm.conf" --bindir "$build/source" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "storm boot did not finish"
st=0; out=$("$nx" status) || st=$?
[ "$st" = 1 ] || fail "nx status with a failed service exited $st, not 1"
# NAME PID STATE RST STARTED UPTIME LAST-EXIT RSS-KIB CPU-MS UID CAPS NS SANDBOX
up='[0-9T:-]*  *[0-9hmsd]*' # started, uptime
grep -q '^crashy  *0  *failed  *4  *-  *-  *code:1  *-  *-  *-  *-  *-  *-$' <<<"$out" ||
	fail "crashy not failed: $out"
grep -q "^echod  *[1-9][0-9]*  *up  *0  *$up  *-  *[0-9]*  *[0-9]*  *-  *inherited  *-  *close_range\$" <<<"$out" ||
	fail "echod none: $out"
grep -q "^samgrd  *[1-9][0-9]*  *up  *0  *$up  *-  *[0-9]*  *[0-9]*$priv  *$mechs\$" <<<"$out" ||
	fail "samgrd: $out"
epid=$(awk '$1 == "echod" {print $2}' <<<"$out")
grep -q -x $'NoNewPrivs:\t0' "/proc/$epid/status" || fail "sandbox=none echod has NoNewPrivs"
st=0; "$nx" status --json >"$tmp/storm.json" || st=$?
[ "$st" = 1 ] || fail "nx status --json with a failed service exited $st, not 1"
python3 - "$tmp/storm.json" <<'PY' || fail "json: $(cat "$tmp/storm.json")"
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["services"]}
assert d["crashy"]["state"] == "failed" and d["crashy"]["sandbox"] == [], d
assert d["echod"]["sandbox"] == ["close_range"], d
PY
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "storm init exited $st after SIGTERM"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok sandbox=none: close_range only, NoNewPrivs 0; a failed service: nx status exits 1"
