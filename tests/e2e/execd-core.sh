#!/usr/bin/env bash
# End to end: execd in the boot order runs installed bundles of exec-app (tests/e2e), driven
# by exec-probe (a client of exec.capnp) as uid:<n>.
#   1 spawns: fd 3 adopted as app:<id>, nothing else but stdio; stdin at end of file; a uid of
#     its own; output lines in the journal as records of app:<id>; stdio=pipe to the caller
#   2 crash reports: the console line, the journal record, the report in the state dir (text
#     and JSON: bundle, version, pid, signal, the app's last records, the sandbox)
#   3 restarts: restart=always restarts with backoff until the storm limit fails it
#   4 kill: through Exec.get by the owner; kill -9 of execd takes its apps with it, the
#     restarted execd lists none and spawns again
#   5 bad input: unknown bundle, args and env past their bounds or malformed, a subject without
#     proc.spawn, kill of a process that is not the caller's: each its own §9 reason
# Every wait is bounded; nothing asserts on timing.
# Usage: execd-core.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/exec-probe
app=$build/tests/e2e/exec-app
cp -r "$src/policies" "$tmp/policies"
if [ "$(id -u)" != 0 ]; then
	echo "allow uid:$(id -u) ipc.connect.* samgr.list bundle.install bundle.list bundle.read" \
		"proc.spawn proc.list proc.kill proc.kill.any proc.crash.read log.query" \
		>>"$tmp/policies/default.policy"
fi
# uid:65534 may list and kill its own processes, but owns none: kill of another's is refused.
echo "allow uid:65534 ipc.connect.execd proc.list proc.kill" >>"$tmp/policies/default.policy"
export NEXUS_POLICY_DIR=$tmp/policies
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
ipid=
boot() {
	"$init" >>"$log" 2>&1 &
	ipid=$!
	pids+=("$ipid")
	wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
}
records() { "$nx" log query -u "$1" -n 200 --json --no-pager; }

boot
cd "$tmp"
key_id=$("$nx" bundle keygen pub.key) || fail "keygen"
cp pub.key.pub "$NEXUS_STATE_DIR/bundlemgrd/trust/$key_id.pub"
give_state bundlemgrd
# Two bundles of exec-app: org.nexus.probe (restart never) and org.nexus.flaky (always).
mkdir -p root/bin
cp "$app" root/bin/app
for b in probe:never flaky:always; do
	printf 'id = org.nexus.%s\nversion = 3\nentry = bin/app\nrestart = %s\ncaps = log.append\n' \
		"${b%%:*}" "${b#*:}" >"${b%%:*}.nxm"
	"$nx" bundle pack root --manifest "${b%%:*}.nxm" --key pub.key -o "${b%%:*}.nxb" >/dev/null ||
		fail "pack ${b%%:*}"
	"$nx" bundle install "${b%%:*}.nxb" >/dev/null || fail "install ${b%%:*}"
done
echo "ok booted with execd; two bundles of exec-app installed"
