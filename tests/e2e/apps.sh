#!/usr/bin/env bash
# End to end: the sample apps of examples/apps/, packed, signed and installed through nx, run by
# execd on a real boot (issue 9's proof, first part).
#   1 boot; a publisher trusted; hello and crasher installed; nx run/ps/kill/crash --help and
#     usage errors (exit 2)
#   2 hello: `nx run --wait` exits 0; its records are in the journal under
#     app:org.example.hello: its words and --env, the subject echod saw, its /pkg file, /data
#     and /tmp written and read back, rngd's entropy; --wait --json says how it ended
#   3 crasher (restart on-failure): dies by SIGSEGV, is restarted with backoff until the
#     storm limit marks it failed (`nx run --wait` exits 128+11 after 4 restarts); each death
#     is an `execd: crash report` console line and a report in `nx crash list`; `nx crash
#     show` (text and JSON) has bundle, version, pid, signal, time, sandbox and its last
#     journal records
#   4 crasher --exit 3 under restart=never: exit code 3, one report more, no restart
#   5 hello under restart=always: exit 0 is restarted; `nx kill --id` stops it for good
#   6 hello --linger: nx ps shows it running with its pid, uptime, uid and sandbox; nx kill
#     PID -s KILL ends it (no crash report: it was stopped through execd); execd forgets a
#     process that ended for good
# Every wait is bounded; nothing asserts on timing.
# Usage: apps.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/apps-lib.sh
. "$(dirname "$0")/apps-lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: execd runs apps under uids of their own: root only"; exit 77; }
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# field EXPR: prints EXPR of the JSON document on stdin, d (field "['id']").
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
# messages SUBJECT: the messages of SUBJECT's journal records, one a line.
messages() { "$nx" log query --subject "$1" -o cat; }

# ---- 1. Boot, install, usage ----
"$init" >"$log" 2>&1 &
pids+=($!)
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
apps_trust
apps_install hello
apps_install crasher
for cmd in run ps kill crash "crash list" "crash show"; do
	# shellcheck disable=SC2086 # word splitting wanted: "crash list" is two words
	out=$("$nx" $cmd --help) && [[ "$out" == "usage: nx ${cmd%% *}"* ]] || fail "nx $cmd --help: $out"
done
for bad in "run" "run --frob x" "run x --env" "run x --env NOEQUALS" "ps extra" "kill" \
	"kill 12x" "kill 1 2" "kill -s NOSIG 1" "kill --id" "crash" "crash frob" "crash show" \
	"crash show x" "crash list extra"; do
	st=0; $nx $bad >/dev/null 2>&1 || st=$?
	[ "$st" = 2 ] || fail "nx $bad exited $st, not 2"
done
echo "ok boot; hello and crasher installed; --help and usage errors of run, ps, kill, crash"

# ---- 2. hello ----
st=0; out=$("$nx" run org.example.hello one two --env HELLO_NAME=e2e --wait) || st=$?
[ "$st" = 0 ] || fail "hello exited $st: $out"
[[ "$out" =~ ^org\.example\.hello:\ id\ [0-9]+\ pid\ [0-9]+ ]] &&
	[[ "$out" == *"exited 0 (exited after 0 restarts)" ]] || fail "run: $out"
poll_journal "any(r['message'] == 'hello: notice done' for r in d)" --subject app:org.example.hello ||
	fail "hello's records not in the journal: $(cat "$tmp/journal.json")"
got=$(messages app:org.example.hello)
for want in 'hello: info args: 2 words: one two' 'hello: info env: HELLO_NAME=e2e' \
	"hello: info echod: echoed 'hello from an app' to app:org.example.hello" \
	"hello: info pkg: /pkg/org.example.hello/share/greeting.txt: $(cat "$apps_src/hello/root/share/greeting.txt")" \
	'hello: info rng: 32 bytes of entropy from rngd'; do
	grep -qxF -- "$want" <<<"$got" || fail "hello: no record '$want' in: $got"
done
for tree in data tmp; do
	grep -qxE -- "hello: info $tree: /$tree/hello.txt: wrote and read back [0-9]+ bytes" <<<"$got" ||
		fail "hello: no record of /$tree in: $got"
done
"$nx" fs --as app:org.example.hello cat /data/hello.txt | grep -q "of app:org.example.hello$" ||
	fail "hello's /data/hello.txt"
out=$("$nx" run org.example.hello --wait --json) || fail "run --wait --json: $out"
py "d['bundle'] == 'org.example.hello' and d['state'] == 'exited' and d['exit_code'] == 0 and
	d['signal'] == 0 and d['restarts'] == 0 and d['owner'] == 'uid:0' and d['restart'] == 'on-failure'" \
	<<<"$out" || fail "run --wait --json: $out"
echo "ok hello exits 0; its args, env, echod's answer (app:org.example.hello), /pkg, /data," \
	"/tmp and entropy are journal records of its subject"

# ---- 3. crasher: SIGSEGV, restarts with backoff, the storm limit ----
st=0; out=$("$nx" run org.example.crasher --wait) || st=$?
[ "$st" = $((128 + 11)) ] || fail "crasher: nx run --wait exited $st: $out"
[[ "$out" == *"killed by SIGSEGV (failed after 4 restarts)" ]] || fail "crasher: $out"
wait_for "$log" 'execd: crash report pid=[0-9]* code=SIGSEGV name=org.example.crasher' 5 20 ||
	fail "not 5 crash report lines: $(grep 'crash report' "$log")"
"$nx" crash list --json >crashes.json || fail "crash list"
py "len(d) == 5 and all(c['bundle'] == 'org.example.crasher' and c['signal'] == 11 and
	c['version'] == 1 for c in d) and len({c['pid'] for c in d}) == 5" <crashes.json ||
	fail "crash list: $(cat crashes.json)"
"$nx" crash list | grep -c ' org.example.crasher .* SIGSEGV$' | grep -qx 5 || fail "crash list table"
id=$(field "[-1]['id']" <crashes.json)
pid=$(field "[-1]['pid']" <crashes.json)
"$nx" crash show "$id" >report.txt || fail "crash show"
for want in 'org.example.crasher' "$pid" 'SIGSEGV' 'crasher: warn about to dereference address 0x10' \
	'crasher: info doing some work' 'landlock' 'seccomp'; do
	grep -qF -- "$want" report.txt || fail "crash report lacks '$want': $(cat report.txt)"
done
"$nx" crash show "$id" --json >report.json || fail "crash show --json"
py "d['bundle'] == 'org.example.crasher' and d['version'] == 1 and d['pid'] == $pid and
	d['signal'] == 11 and any('about to dereference' in r['message'] for r in d['records'])" \
	<report.json || fail "crash report JSON: $(cat report.json)"
st=0; err=$("$nx" crash show 999999 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: not_found: "* ]] || fail "crash show 999999: $st $err"
echo "ok crasher dies by SIGSEGV, is restarted 4 times, then failed by the storm limit;" \
	"5 crash reports (console, list, show as text and JSON with its last records and sandbox)"

# ---- 4. crasher --exit 3 under restart=never: one report, no restart ----
apps_install crasher org.example.crasher.once never
st=0; out=$("$nx" run org.example.crasher.once --wait -- --exit 3) || st=$?
[ "$st" = 3 ] && [[ "$out" == *"exited 3 (failed after 0 restarts)" ]] || fail "exit 3: $st $out"
wait_for "$log" 'execd: crash report pid=[0-9]* code=3 name=org.example.crasher.once' 1 20 ||
	fail "no crash report line for exit 3"
"$nx" crash list --json | py "len(d) == 6 and d[-1]['exit_code'] == 3 and d[-1]['signal'] == 0" ||
	fail "crash list after exit 3"
echo "ok exit code 3 under restart=never: a crash report, no restart"

# ---- 5. hello under restart=always: restarted after exit 0 until killed ----
apps_install hello org.example.hello.always always
# Each run stays up 2 s, so the storm limit (5 exits in 30 s) is far; killed while it runs
# again after its first exit 0.
out=$("$nx" run org.example.hello.always --json -- --linger 2) || fail "run always: $out"
id=$(field "['id']" <<<"$out")
again="any(p['id'] == $id and p['restarts'] >= 1 and p['state'] == 'running' for p in d)"
for _ in $(seq 200); do
	"$nx" ps --json | py "$again" && break
	sleep 0.1
done
"$nx" ps --json | py "$again" || fail "restart=always: not restarted after exit 0: $("$nx" ps)"
out=$("$nx" kill --id "$id" 2>&1) || fail "kill --id $id: $out"
# Ended for good, execd forgets it: nx ps no longer lists it.
for _ in $(seq 100); do
	"$nx" ps --json | py "not any(p['id'] == $id for p in d)" && break
	sleep 0.1
done
"$nx" ps --json | py "not any(p['id'] == $id for p in d)" ||
	fail "restart=always: still supervised after kill: $("$nx" ps)"
echo "ok restart=always starts hello again after exit 0; nx kill --id stops it for good"

# ---- 6. A running app: ps, kill by pid ----
out=$("$nx" run org.example.hello --json -- --linger 60) || fail "run --linger: $out"
pid=$(field "['pid']" <<<"$out")
poll_journal "any(r['message'].startswith('hello: info linger:') for r in d)" \
	--subject app:org.example.hello || fail "hello does not linger"
"$nx" ps --json | py "any(p['pid'] == $pid and p['state'] == 'running' and
	p['uptime_ns'] is not None and p['uid'] >= 61440 and p['seccomp_profile'] == 'app' and
	all(p['sandbox'].get(m) == 'applied'
	for m in ('no_new_privs', 'landlock', 'seccomp', 'close_range', 'rlimits', 'uid', 'ns'))
	for p in d)" || fail "ps: $pid not running, or not confined: $("$nx" ps --json)"
"$nx" ps | grep -q "^[0-9]\+ \+$pid org.example.hello \+1 running .*no_new_privs,landlock,seccomp:app," ||
	fail "ps table: $("$nx" ps)"
reports=$("$nx" crash list --json | field "[-1]['id']")
out=$("$nx" kill "$pid" -s KILL) && [[ "$out" == "sent SIGKILL to process "* ]] || fail "kill: $out"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "pid $pid survived nx kill -s KILL"
"$nx" ps --json | py "not any(p['pid'] == $pid for p in d)" || fail "ps after kill: $("$nx" ps)"
st=0; err=$("$nx" kill "$pid" 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: not_found: pid $pid: "* ]] || fail "kill of a gone pid: $st $err"
"$nx" crash list --json | py "d[-1]['id'] == $reports" ||
	fail "a process stopped by nx kill got a crash report"
echo "ok nx ps shows a running app with its uptime; nx kill PID -s KILL ends it, no crash report"
