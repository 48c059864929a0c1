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
# Publishers may grant the wider seccomp profile; policy takes it back from one app.
echo "allow publisher:* grant.sandbox.net" >>"$tmp/policies/default.policy"
echo "deny app:org.nexus.nonet sandbox.net" >>"$tmp/policies/default.policy"
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
# Bundles of exec-app: org.nexus.probe (restart never), org.nexus.flaky (always), and two
# that request sandbox.net: org.nexus.net (granted) and org.nexus.nonet (denied by policy).
mkdir -p root/bin
cp "$app" root/bin/app
for b in probe:never:log.append flaky:always:log.append net:never:sandbox.net nonet:never:sandbox.net; do
	IFS=: read -r name restart caps <<<"$b"
	printf 'id = org.nexus.%s\nversion = 3\nentry = bin/app\nrestart = %s\ncaps = %s\n' \
		"$name" "$restart" "$caps" >"$name.nxm"
	"$nx" bundle pack root --manifest "$name.nxm" --key pub.key -o "$name.nxb" >/dev/null ||
		fail "pack $name"
	"$nx" bundle install "$name.nxb" >/dev/null || fail "install $name"
done
echo "ok booted with execd; four bundles of exec-app installed"
noleak=(-e ASAN_OPTIONS=detect_leaks=0)

# ---- 1. Spawns ----
out=$("$probe" spawn org.nexus.probe -w -- say hello boot fds ids stdin) || fail "spawn: $out"
grep -q -x 'probe: ended exited code=0 signal=0 restarts=0' <<<"$out" || fail "spawn: $out"
uid=$(sed -n 's/^probe: process [0-9]* pid [0-9]* uid \([0-9]*\)$/\1/p' <<<"$out")
grep -q '^probe: sandbox noNewPrivs=applied landlock=applied seccomp=applied ' <<<"$out" ||
	fail "sandbox: $out"
got=$("$nx" log query --subject app:org.nexus.probe -n 50 --json --no-pager) || fail "log query"
records_hold "[x['message'] for x in r if x['subject'] == 'app:org.nexus.probe'] ==
    ['hello', 'boot unix stream', 'fds 0 1 2 3', 'ids uid=$uid gid=$uid', 'stdin eof']" \
	<<<"$got" || fail "journal of app:org.nexus.probe: $got"
if [ "$(id -u)" = 0 ]; then
	[ "$uid" -ge 61440 ] && [ "$uid" -lt 61504 ] || fail "app uid $uid outside execd's range"
	grep -q ' uid=applied namespaces=applied ' <<<"$out" || fail "sandbox as root: $out"
fi
# A watcher sees a run start and end.
"$probe" watch 2 >watch.out &
wpid=$!
pids+=("$wpid")
wait_for watch.out 'probe: watching' || fail "watch: $(cat watch.out)"
out=$("$probe" spawn org.nexus.probe -w -- say watched) || fail "watched: $out"
wid=$(sed -n 's/^probe: process \([0-9]*\) .*/\1/p' <<<"$out")
wait "$wpid" || fail "watch: $(cat watch.out)"
[ "$(tail -n 2 watch.out)" = "probe: started $wid org.nexus.probe running
probe: exited $wid org.nexus.probe exited" ] || fail "watch events: $(cat watch.out)"
out=$("$probe" spawn org.nexus.probe -p -w -- say piped) || fail "pipe: $out"
grep -q -x 'probe: output piped' <<<"$out" || fail "stdio=pipe: $out"
# The profile follows manifest ∩ policy; AF_INET stays refused all the same, by execd's own
# service filter, which its children inherit.
for b in probe:app net:app_net nonet:app; do
	out=$("$probe" spawn "org.nexus.${b%%:*}" -p -w -- inet) || fail "inet ${b%%:*}: $out"
	grep -q -x "probe: seccomp ${b#*:}" <<<"$out" || fail "seccomp profile of ${b%%:*}: $out"
	grep -q -x "probe: output inet denied" <<<"$out" || fail "inet ${b%%:*}: $out"
done
echo "ok seccomp: app_net only for a manifest asking sandbox.net that policy grants app:<id>"
echo "ok spawns: fd 3 a channel, stdio only, stdin at EOF, uid $uid, output as app:<id> or piped; watched"
# An app that writes one line and exits at once, 30 times over, without waiting: it often
# ends before execd's journal channel for it is up, and each line still reaches the journal
# (held for logd within APP_HELD_BYTES_MAX). The retry loop is a safety net, not a timing.
for i in $(seq 30); do
	out=$("$probe" spawn org.nexus.probe -- say "once $i") || fail "once $i: $out"
done
want=$(python3 -c 'print(sorted("once %d" % i for i in range(1, 31)))')
for _ in $(seq 100); do
	got=$("$nx" log query --subject app:org.nexus.probe --grep once -n 100 --json --no-pager) ||
		fail "log query"
	records_hold "sorted(x['message'] for x in r) == $want" <<<"$got" && break
	sleep 0.1
done
records_hold "sorted(x['message'] for x in r) == $want" <<<"$got" ||
	fail "lines of apps that exit at once, in the journal: $got"
echo "ok 30 apps that write a line and exit at once: every line in the journal"

# ---- 2. Crash reports ----
out=$("$probe" spawn org.nexus.probe -w -- say dying signal 6) || fail "crash: $out"
grep -q -x 'probe: ended failed code=0 signal=6 restarts=0' <<<"$out" || fail "crash: $out"
pid=$(sed -n 's/^probe: process [0-9]* pid \([0-9]*\) .*/\1/p' <<<"$out")
wait_for "$log" "execd: crash report pid=$pid code=SIGABRT name=org.nexus.probe" ||
	fail "no crash report line for pid $pid"
# The report is written once the app's last records are in: bounded wait for it.
for _ in $(seq 100); do
	grep -q "^probe: crash 1 org.nexus.probe pid=$pid code=0 signal=6$" <<<"$("$probe" crashes)" && break
	sleep 0.1
done
out=$("$probe" crashes) && grep -q -x "probe: crash 1 org.nexus.probe pid=$pid code=0 signal=6" <<<"$out" ||
	fail "crashes: $out"
report=$("$probe" crash 1) || fail "crash 1: $report"
for want in 'bundle:    org.nexus.probe version 3' "ended:     signal 6 (SIGABRT)" \
	'stack:     not collected: ' 'records of app:org.nexus.probe'; do
	grep -q -F -- "$want" <<<"$report" || fail "report lacks '$want': $report"
done
[ "$(tail -n 1 <<<"$report" | sed 's/^  [^ ]* //')" = 'info    dying' ] ||
	fail "report does not end with the app's last record: $report"
"$probe" crash 1 json | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if (
    d['bundle'] == 'org.nexus.probe' and d['pid'] == $pid and d['signal'] == 6 and
    d['signal_name'] == 'SIGABRT' and d['sandbox']['seccomp'] == 'applied' and
    d['records'][-1]['message'] == 'dying' and d['records'][0]['message'] == 'hello') else 1)" ||
	fail "crash 1 json"
grep -q "^1-$pid-0-6-[0-9]*-3-org.nexus.probe.json$" <<<"$(ls "$NEXUS_STATE_DIR/execd/crashes/")" ||
	fail "report file: $(ls "$NEXUS_STATE_DIR/execd/crashes/")"
got=$("$nx" log query -u execd --grep 'an app crashed' --json --no-pager) || fail "log query"
records_hold "any(x['fields'].get('code') == 'SIGABRT' and x['fields'].get('pid') == '$pid' for x in r)" \
	<<<"$got" || fail "crash record: $got"
echo "ok crash report: console line, journal record, text and JSON in the state dir"

# ---- 3. Restarts and the storm limit ----
out=$("$probe" spawn org.nexus.flaky -w -- say again exit 3) || fail "flaky: $out"
grep -q -x 'probe: ended failed code=3 signal=0 restarts=4' <<<"$out" || fail "storm: $out"
[ "$("$nx" log query --subject app:org.nexus.flaky -n 50 --json --no-pager | grep -c '"again"')" = 5 ] ||
	fail "five runs of flaky expected in the journal"
echo "ok restart=always: 4 restarts with backoff, the fifth exit in the window fails it"
# Kill while it waits to restart: the pending restart is canceled, the process ends stopped.
# A kill that lands while a run is up instead (signal 15 in execd's exit line) tries again.
backoff_killed=
for _ in $(seq 5); do
	out=$("$probe" spawn org.nexus.flaky -- say again exit 3) || fail "flaky: $out"
	id=$(sed -n 's/^probe: process \([0-9]*\) .*/\1/p' <<<"$out")
	for _ in $(seq 200); do
		grep -q "^probe: $id org.nexus.flaky restarting " <<<"$("$probe" list)" && break
		sleep 0.05
	done
	out=$("$probe" kill "$id" 15) && [ "$out" = "probe: killed" ] || fail "kill in backoff: $out"
	wait_for "$log" ".*org.nexus.flaky (process $id) exited after .*" || fail "no end of process $id"
	grep -q "^probe: $id " <<<"$("$probe" list)" && fail "killed process $id still listed"
	grep -q "(process $id, pid [0-9]*) exited: code 0, signal 15" "$log" && continue
	backoff_killed=$id
	break
done
[ -n "$backoff_killed" ] || fail "no kill landed in a backoff in 5 tries"
echo "ok kill of a process waiting to restart: the restart is canceled, it ends"

# ---- 4. Kill, and kill -9 of execd ----
out=$("$probe" spawn org.nexus.probe -- sleep) || fail "sleep: $out"
id=$(sed -n 's/^probe: process \([0-9]*\) .*/\1/p' <<<"$out")
out=$("$probe" list)
grep -q "^probe: $id org.nexus.probe running restarts=0 owner=uid:$(id -u)$" <<<"$out" || fail "list: $out"
if [ "$(id -u)" = 0 ]; then
	st=0; err=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$probe" kill "$id" 9) || st=$?
	[ "$st" = 1 ] && [ "$err" = "probe: denied: uid:65534 may not kill process $id: not its own (needs proc.kill.any)" ] ||
		fail "kill by another subject: $st $err"
	st=0; err=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$probe" spawn org.nexus.probe) || st=$?
	[ "$st" = 1 ] && [ "$err" = "probe: denied: uid:65534 lacks proc.spawn" ] || fail "spawn by uid:65534: $st $err"
fi
out=$("$probe" kill "$id" 15) && [ "$out" = "probe: killed" ] || fail "kill: $out"
for _ in $(seq 100); do grep -q "^probe: $id " <<<"$("$probe" list)" || break; sleep 0.1; done
grep -q "^probe: $id " <<<"$("$probe" list)" && fail "killed process still listed"
out=$("$probe" spawn org.nexus.probe -- sleep) || fail "sleep: $out"
app_pid=$(sed -n 's/^probe: process [0-9]* pid \([0-9]*\) .*/\1/p' <<<"$out")
epid=$(pgrep -x execd -P "$ipid") || fail "no execd under init"
kill -9 "$epid"
wait_for "$log" 'init: up execd' 2 30 || fail "execd not restarted"
for _ in $(seq 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$app_pid" 2>/dev/null && fail "app $app_pid outlived execd"
out=$("$probe" list) && [ "$out" = "probe: listed" ] || fail "restarted execd lists: $out"
out=$("$probe" spawn org.nexus.probe -w -- say back) || fail "spawn after restart: $out"
grep -q -x 'probe: ended exited code=0 signal=0 restarts=0' <<<"$out" || fail "after restart: $out"
echo "ok kill through Exec.get; kill -9 of execd takes its apps, the new execd lists none and spawns"

# ---- 5. Bad input ----
bad() { # bad WANT ARGS...: the spawn is refused with exactly WANT
	local want=$1 st=0 err
	shift
	err=$("$probe" spawn "$@") || st=$?
	[ "$st" = 1 ] && [ "$err" = "probe: $want" ] || fail "spawn $*: $st $err"
}
bad 'not_found: id: org.nexus.nothing is not installed' org.nexus.nothing
bad "too_large: args: more than 32 elements" org.nexus.probe -A 33:1
bad 'too_large: args[0]: longer than 512 bytes' org.nexus.probe -A 1:513
bad 'too_large: args: more than 2048 bytes in all' org.nexus.probe -A 5:500
bad "too_large: env: more than 16 elements" org.nexus.probe -E 17:8
bad 'too_large: env: more than 1024 bytes in all' org.nexus.probe -E 3:500
bad 'invalid_argument: env[0]: not NAME=value (NAME of [A-Za-z0-9_], not starting with a digit)' \
	org.nexus.probe -e 1X=y
bad 'invalid_argument: env[1]: repeats the name of env[0]' org.nexus.probe -e A=1 -e A=2
out=$("$probe" list) && [ "$out" = "probe: listed" ] || fail "refused spawns left: $out"
out=$("$probe" garbage) && [ "$out" = "probe: execd closed the channel" ] || fail "garbage: $out"
out=$("$probe" spawn org.nexus.probe -w -- say still) || fail "execd stopped serving after garbage: $out"
echo "ok bad input: unknown bundle, args and env bounds (APP_ARGS_MAX, APP_ARG_MAX, APP_ARGS_BYTES_MAX, APP_ENV_MAX, APP_ENV_BYTES_MAX), malformed env, garbage; nothing started, execd serves on"
