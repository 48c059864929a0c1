#!/usr/bin/env bash
# End to end: execd under bad input and under kill -9 (issue 9's proof, last part).
#   1 boot with a policy copy in which uid 65534 may reach execd and list and kill (but not
#     proc.kill.any), not spawn; hello and crasher installed; one crash report made
#   2 bad input, each refused with a clear section 9 error and nothing changed (the process
#     list, the crash reports, execd's pid and fd count): an unknown bundle; args and env past
#     each bound (count, one entry's length, all together) and env entries that are not
#     NAME=value; a subject without proc.spawn asking to spawn; a subject killing a process it
#     did not spawn; a process id execd never gave
#   3 kill -9 of execd with two apps running: nexus-init restarts execd; the apps died with
#     it (execd's choice: die_with_parent, so nothing runs unsupervised) and no process of
#     theirs is left on the machine; the new execd lists none running, keeps the crash
#     reports, and runs apps again
# Every wait is bounded; nothing asserts on timing.
# Usage: apps-recovery.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/apps-lib.sh
. "$(dirname "$0")/apps-lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: execd runs apps under uids of their own: root only"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv for another uid"; exit 77; }
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
cp -r "$src/policies" "$tmp/policies"
echo "allow uid:65534 ipc.connect.execd proc.list proc.kill" >>"$tmp/policies/default.policy"
export NEXUS_POLICY_DIR=$tmp/policies
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
nobody() { (cd / && setpriv --reuid 65534 --regid 65534 --clear-groups "$nx" "$@" 2>&1); }
execd_pid() { awk '$1 == "execd" {print $2}' "$NEXUS_RUNTIME_DIR/status"; }
# refused EXPECTED-STATUS ERROR-REGEX NX-ARGS...: nx fails so, and nothing changed.
refused() {
	local want=$1 pattern=$2 st=0 err
	shift 2
	err=$("$nx" "$@" 2>&1) || st=$?
	[ "$st" = "$want" ] && [[ "$err" =~ $pattern ]] || fail "nx $*: exit $st, '$err'"
	unchanged "nx $*"
}
# What nx ps says, but the uptime (which moves on by itself).
procs() {
	"$nx" ps --json | python3 -c "import json,sys
for p in json.load(sys.stdin): p.pop('uptime_ns'); print(sorted(p.items()))"
}
snapshot() {
	procs >"$tmp/ps.before"
	"$nx" crash list --json >"$tmp/crashes.before"
	epid=$(execd_pid)
	efds=$(ls "/proc/$epid/fd" | wc -l)
}
unchanged() {
	procs | cmp -s - "$tmp/ps.before" || fail "$1 changed the process list"
	"$nx" crash list --json | cmp -s - "$tmp/crashes.before" || fail "$1 changed the crash reports"
	[ "$(execd_pid)" = "$epid" ] || fail "$1: execd restarted"
	# The caller's connection closes when nx exits; execd sees the hangup a moment later.
	local i
	for i in $(seq 50); do
		[ "$(ls "/proc/$epid/fd" | wc -l)" = "$efds" ] && break
		sleep 0.1
	done
	[ "$(ls "/proc/$epid/fd" | wc -l)" = "$efds" ] ||
		fail "$1: execd's fds went from $efds to $(ls "/proc/$epid/fd" | wc -l)"
}

# ---- 1. Boot, install, one crash report ----
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
apps_trust
apps_install hello
apps_install crasher org.example.crasher never
"$nx" run org.example.crasher --wait >/dev/null || true
"$nx" crash list --json | py "len(d) == 1" || fail "no crash report to keep"
# Every app this script leaves running carries this word: pgrep finds them, and only them.
token=apps-recovery-$$
out=$("$nx" run org.example.hello --json -- --linger 60 "$token") || fail "run: $out"
target=$(python3 -c "import json,sys; print(json.load(sys.stdin)['pid'])" <<<"$out")
echo "ok boot; hello and crasher installed, one crash report, one app running"

# ---- 2. Bad input ----
snapshot
refused 1 '^nx: not_found: id: org\.example\.nope is not installed$' run org.example.nope
refused 1 '^nx: invalid_argument: .*bundle' run Not.A.Bundle
mapfile -t many < <(seq 33)
refused 1 '^nx: too_large: args: more than 32 elements$' run org.example.hello -- "${many[@]}"
long=$(printf 'a%.0s' $(seq 513))
refused 1 '^nx: too_large: args.*: longer than 512 bytes$' run org.example.hello -- "$long"
half=$(printf 'b%.0s' $(seq 500))
refused 1 '^nx: too_large: args: ' run org.example.hello -- "$half" "$half" "$half" "$half" "$half"
envs=()
for i in $(seq 17); do envs+=(--env "V$i=x"); done
refused 1 '^nx: too_large: env: more than 16 elements$' run org.example.hello "${envs[@]}"
refused 1 '^nx: too_large: env.*: longer than 512 bytes$' run org.example.hello --env "V=$long"
refused 1 '^nx: too_large: env: ' run org.example.hello --env "A=${half:0:400}" \
	--env "B=${half:0:400}" --env "C=${half:0:400}"
refused 1 '^nx: invalid_argument: env\[0\]: ' run org.example.hello --env "1BAD=x"
st=0; err=$(nobody run org.example.hello) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: denied: uid:65534 lacks proc.spawn" ] || fail "uid 65534 spawning: $st $err"
unchanged "a spawn by uid 65534"
st=0; err=$(nobody kill "$target") || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: denied: uid:65534 may not kill process "*": not its own"* ]] ||
	fail "uid 65534 killing root's app: $st $err"
kill -0 "$target" || fail "uid 65534 killed root's app"
unchanged "a kill by uid 65534"
refused 1 '^nx: not_found: ' kill --id 999999
echo "ok bad input refused, nothing changed: unknown bundle, bad id, 8 args/env bounds," \
	"spawn without proc.spawn, kill of another's process, unknown id"

# ---- 3. kill -9 of execd with apps running ----
out=$("$nx" run org.example.hello --json -- --linger 60 "$token") || fail "run: $out"
mapfile -t running < <(pgrep -f "$token" | sort)
[ "${#running[@]}" = 2 ] || fail "not two apps running: ${running[*]}"
ups=$(grep -c -x 'init: up execd' "$log")
kill -KILL "$(execd_pid)"
wait_for "$log" 'init: up execd' $((ups + 1)) 30 || fail "execd not restarted"
for _ in $(seq 100); do [ -z "$(pgrep -f "$token")" ] && break; sleep 0.1; done
[ -z "$(pgrep -f "$token")" ] || fail "apps outlived execd unsupervised: $(pgrep -af "$token")"
"$nx" ps --json | py "not any(p['state'] == 'running' for p in d)" ||
	fail "the new execd lists processes running: $("$nx" ps)"
"$nx" crash list --json | py "len(d) == 1" || fail "crash reports lost with execd"
out=$("$nx" run org.example.hello --wait) || fail "the new execd cannot run hello: $out"
echo "ok kill -9 of execd: restarted; its apps died with it, none left on the machine;" \
	"the new one runs none, keeps the crash reports and runs apps again"
