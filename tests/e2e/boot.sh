#!/usr/bin/env bash
# End to end: nexus-init boots samgrd and echod in a temp dir; markers appear once each, in
# order; nx lists and calls through samgr.sock; refusals read "denied:"; garbage on samgr.sock
# costs only that connection; kill -9 of echod → restarted and resolvable again; a service that
# dies at once every time hits the storm limit; SIGTERM leaves no process and no socket; samgrd
# with restart never fails init at its death, and one that dies at once hits the storm limit.
# Every wait is bounded (poll for a line up to N seconds); nothing asserts on timing.
# Usage: boot.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/samgr-probe

operator_policy_for_non_root

# ---- 1. Boot, markers exactly once each and in order ----
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"
expected=('init: start samgrd' 'samgrd: ready' 'init: up samgrd'
	'init: start policyd' 'policyd: ready' 'init: up policyd'
	'init: start logd' 'logd: ready' 'init: up logd'
	'init: start rngd' 'rngd: ready' 'init: up rngd'
	'init: start keystored' 'keystored: ready' 'init: up keystored'
	'init: start identityd' 'identityd: ready' 'init: up identityd'
	'init: start vfsd' 'vfsd: ready' 'init: up vfsd'
	'init: start bundlemgrd' 'bundlemgrd: ready' 'init: up bundlemgrd'
	'init: start execd' 'execd: ready' 'init: up execd'
	'init: start echod' 'echod: ready' 'init: up echod' 'init: ready')
prev=0
for m in "${expected[@]}"; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
	line=$(grep -n -x -- "$m" "$log" | cut -d: -f1)
	[ "$line" -gt "$prev" ] || fail "marker '$m' out of order"
	prev=$line
done
sock=$NEXUS_RUNTIME_DIR/samgr.sock
[ "$(stat -c %a "$sock")" = 666 ] || fail "samgr.sock is not 0666 (policy decides, not the mode)"
echo "ok boot markers once each, in order; samgr.sock is 0666"

# ---- 2. nx over samgr.sock ----
out=$("$nx" --help) && [[ "$out" == "usage: nx"* ]] || fail "nx --help"
st=0; "$nx" frobnicate 2>/dev/null || st=$?
[ "$st" = 2 ] || fail "nx with a bad command exited $st, not 2"
out=$("$nx" svc list) && grep -q '^echod  *svc:echod$' <<<"$out" || fail "nx svc list misses echod"
# Every service of the table but samgrd registers under its own name, and nexus-init its
# control interface as initctl; list() sorts by name.
want=$( (awk '!/^#/ && NF && $1 != "samgrd" {print $1}' "$build/source/init/services.conf"
	echo initctl) | sort | sed 's/.*/{"name":"&","owner":"svc:&"}/' | paste -sd, -)
[[ "$want" == *'{"name":"echod","owner":"svc:echod"}'* &&
	"$want" == *'{"name":"policyd","owner":"svc:policyd"}'* ]] || fail "services.conf: $want"
[ "$("$nx" svc list --json)" = "[$want]" ] || fail "nx svc list --json"
out=$("$nx" echo "hello nexus") || fail "nx echo failed"
[ "$out" = "hello nexus (echod saw subject uid:$(id -u))" ] || fail "nx echo said: $out"
st=0; err=$("$nx" svc resolve nosuch 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: not_found:"* ]] || fail "resolve nosuch: $st $err"
echo "ok nx: --help, usage exit 2, svc list (+ --json), echo through resolve, not_found"

# ---- 3. Refusals ----
st=0; out=$("$probe" register evil) || st=$?
[ "$st" = 1 ] && [[ "$out" == "probe: denied:"* ]] || fail "uid register was not denied: $out"
out=$("$probe" watch echod) || fail "watch echod: $out"
grep -q -x 'probe: changed echod up' <<<"$out" || fail "watch did not report echod up: $out"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# Another local user reaches samgr.sock (0666 below a 0755 runtime dir) once the test's
	# temp dir lets it through: samgrd itself must refuse.
	chmod 0711 "$tmp"
	# samgrd asks policyd: default.policy lets every uid list, and connect to samgrd only.
	as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$nx" "$@" 2>&1; }
	out=$(as_nobody svc list) || fail "uid:65534 list (allowed by default.policy): $out"
	st=0; err=$(cd / && as_nobody svc resolve echod) || st=$?
	[ "$st" = 1 ] && [ "$err" = "nx: denied: this subject does not hold ipc.connect.echod
nx: the rule that decided: no rule: deny by default" ] ||
		fail "uid:65534 resolve echod: $st $err"
	echo "ok refusals: uid register denied, uid:65534 resolve denied by policyd; watch reports up"
else
	echo "ok refusals: uid register denied; watch reports up (other-uid check needs root)"
fi

# ---- 4. Bad input on samgr.sock costs only that connection: garbage, a frame over the
# 4 KiB limit, 5 fds with one message (the limit is 4); none of their fds stays in samgrd ----
spid=$(pgrep -P "$ipid" -x samgrd) || fail "no samgrd child of init"
sfd0=$(ls "/proc/$spid/fd" | wc -l)
python3 - "$sock" <<'PY' || fail "a bad client was not disconnected"
import os, socket, struct, sys

def dropped(send):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.settimeout(5)
    send(s)
    try:
        while s.recv(4096):   # an Abort may come first; then EOF
            pass
    except ConnectionResetError:
        pass
    s.close()

dropped(lambda s: s.sendall(struct.pack("<II", 0, 1 << 27) + os.urandom(56)))
# One segment of 600 words: 4808 bytes framed, over NX_MSG_MAX_BYTES; refused from its table.
dropped(lambda s: s.sendall(struct.pack("<II", 0, 600) + bytes(64)))
fds = [os.memfd_create("e2e") for _ in range(5)]
dropped(lambda s: socket.send_fds(s, [struct.pack("<II", 0, 1) + bytes(8)], fds))
for fd in fds:
    os.close(fd)
PY
"$nx" echo still >/dev/null || fail "samgrd stopped serving after bad input"
ok=
for _ in $(seq 100); do
	[ "$(ls "/proc/$spid/fd" | wc -l)" = "$sfd0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "samgrd kept fds from bad clients: $sfd0 -> $(ls "/proc/$spid/fd" | wc -l)"
echo "ok bad input on samgr.sock (garbage, a 4.8 KiB frame, 5 fds): each client dropped, others served"

# ---- 4b. Connection limit: 64 per subject at samgrd; the 65th is dropped, others go on ----
python3 - "$sock" "$nx" <<'PY' || fail "the 65th connection of one subject was not refused"
import socket, subprocess, sys
path, nx = sys.argv[1], sys.argv[2]
held = []
for _ in range(64):   # NX_CONN_MAX_PER_SUBJECT
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    held.append(s)
r = subprocess.run([nx, "svc", "list"], capture_output=True, text=True, timeout=30)
for s in held:
    s.close()
sys.exit(0 if r.returncode == 1 else 1)
PY
ok=
for _ in $(seq 100); do
	if "$nx" svc list >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.05
done
[ -n "$ok" ] || fail "samgrd did not serve again once the 64 connections closed"
echo "ok connection limit: the 65th connection of uid:$(id -u) dropped, served again after"

# ---- 4c. No fd leaked in samgrd or echod by all of the above ----
fds() { ls "/proc/$1/fd" | wc -l; }
spid=$(pgrep -P "$ipid" -x samgrd) || fail "no samgrd child of init"
epid=$(pgrep -P "$ipid" -x echod) || fail "no echod child of init"
s0=$(fds "$spid"); e0=$(fds "$epid")
for _ in $(seq 10); do "$nx" echo leak-check >/dev/null || fail "nx echo (leak check)"; done
"$probe" register evil >/dev/null || true
"$probe" watch echod >/dev/null || fail "watch (leak check)"
ok=
for _ in $(seq 100); do
	[ "$(fds "$spid")" = "$s0" ] && [ "$(fds "$epid")" = "$e0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "fds leaked: samgrd $s0 -> $(fds "$spid"), echod $e0 -> $(fds "$epid")"
echo "ok no fd leaked in samgrd ($s0) or echod ($e0) after 10 resolves, a refusal and a watch"

# ---- 4d. Connection limit at the service (nx-svc): 64 channels per subject to echod ----
st=0; out=$("$probe" resolve-many echod 65) || st=$?
[ "$st" = 1 ] && grep -q -x 'probe: resolved 64' <<<"$out" &&
	grep -q '^probe: unavailable: echod did not accept: limit_exceeded:' <<<"$out" ||
	fail "65th channel to echod not refused: $out"
ok=
for _ in $(seq 100); do
	[ "$(fds "$epid")" = "$e0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "echod kept channels after their client left"
"$nx" echo after-limit >/dev/null || fail "echod not served after the limit"
echo "ok connection limit at echod: 64 channels for uid:$(id -u), the 65th refused, freed after"

# ---- 5. kill -9 echod: restarted, registered and resolvable again ----
"$probe" watch echod 3 >"$tmp/watch.out" 2>&1 &
wpid=$!
pids+=("$wpid")
wait_for "$tmp/watch.out" 'probe: changed echod up' || fail "watcher did not see echod up"
epid=$(pgrep -P "$ipid" -x echod) || fail "no echod child of init"
kill -KILL "$epid"
wait_for "$log" 'init: up echod' 2 || fail "echod was not restarted"
grep -q -x 'init: exit echod (signal 9)' "$log" || fail "exit of echod not logged"
ok=
for _ in $(seq 100); do
	if "$nx" echo again >/dev/null 2>&1; then ok=1; break; fi
	sleep 0.05
done
[ -n "$ok" ] || fail "echod not resolvable after restart"
[ "$(pgrep -P "$ipid" -x echod)" != "$epid" ] || fail "same echod pid"
st=0; wait "$wpid" || st=$?
[ "$st" = 0 ] || fail "watcher exited $st: $(cat "$tmp/watch.out")"
[ "$(grep '^probe: changed' "$tmp/watch.out" | tr '\n' '|')" = \
	'probe: changed echod up|probe: changed echod down|probe: changed echod up|' ] ||
	fail "watcher saw: $(cat "$tmp/watch.out")"
echo "ok kill -9 echod: restarted and resolvable again; a watcher saw up, down, up"

# ---- 6. SIGTERM: reverse order, exit 0, no process, no socket ----
children=$(pgrep -P "$ipid" || true)
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
for c in $children; do kill -0 "$c" 2>/dev/null && fail "child $c left running"; done
[ -e "$sock" ] && fail "samgr.sock left behind"
e=$(grep -n -x 'init: exit echod (code 0)' "$log" | tail -1 | cut -d: -f1)
p=$(grep -n -x 'init: exit policyd (code 0)' "$log" | tail -1 | cut -d: -f1)
l=$(grep -n -x 'init: exit logd (code 0)' "$log" | tail -1 | cut -d: -f1)
s=$(grep -n -x 'init: exit samgrd (code 0)' "$log" | cut -d: -f1)
[ -n "$e" ] && [ -n "$l" ] && [ -n "$p" ] && [ -n "$s" ] && [ "$e" -lt "$l" ] &&
	[ "$l" -lt "$p" ] && [ "$p" -lt "$s" ] ||
	fail "not stopped in reverse order"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error (leak or UB) in some process"
echo "ok SIGTERM: echod, logd, policyd, then samgrd stopped, exit 0, no process and no socket left"

# ---- 7. A service that dies at once every time: storm limit, the rest still boots ----
export NEXUS_RUNTIME_DIR=$tmp/run2
log=$tmp/storm.log
cat >"$tmp/storm.conf" <<CONF
samgrd   services/samgrd/samgrd   never
crashy   $(type -P false)      always
echod    services/echod/echod     always
CONF
"$init" --table "$tmp/storm.conf" --bindir "$build/source" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "storm boot did not finish"
[ "$(grep -c -x 'init: failed crashy' "$log")" = 1 ] || fail "no 'init: failed crashy'"
[ "$(grep -c -x 'init: exit crashy (code 1)' "$log")" = 5 ] || fail "crashy not exited 5 times"
f=$(grep -n -x 'init: failed crashy' "$log" | cut -d: -f1)
u=$(grep -n -x 'init: up echod' "$log" | cut -d: -f1)
[ "$f" -lt "$u" ] || fail "echod started before crashy was given up"
"$nx" echo after-storm >/dev/null || fail "echod not served after the storm"
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "storm init exited $st after SIGTERM"
[ -e "$NEXUS_RUNTIME_DIR/samgr.sock" ] && fail "samgr.sock left behind"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error (leak or UB) in some process"
echo "ok storm: crashy exited 5 times, 'init: failed crashy', echod still served, clean stop"

# ---- 8. samgrd with restart never dies: init stops the rest and fails ----
# (With restart always, as in services.conf, init restarts samgrd alone: tests/e2e/restart.sh.)
export NEXUS_RUNTIME_DIR=$tmp/run3
log=$tmp/samgrd-death.log
sed 's/^\(samgrd .*\) always /\1 never /' "$build/source/init/services.conf" >"$tmp/never.conf"
grep -q '^samgrd .* never ' "$tmp/never.conf" || fail "no samgrd line with never"
"$init" --table "$tmp/never.conf" --bindir "$build/source" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "third boot did not finish"
children=$(pgrep -P "$ipid" || true)
kill -KILL "$(pgrep -P "$ipid" -x samgrd)"
st=0; wait "$ipid" || st=$?
[ "$st" = 1 ] || fail "init exited $st after samgrd died, not 1"
grep -q -x 'init: failed samgrd' "$log" || fail "no 'init: failed samgrd'"
grep -q -x 'init: recover samgrd' "$log" && fail "samgrd with restart never recovered"
for c in $children; do kill -0 "$c" 2>/dev/null && fail "child $c left running"; done
[ -e "$NEXUS_RUNTIME_DIR/samgr.sock" ] && fail "samgr.sock left behind"
echo "ok kill -9 samgrd (restart never): 'init: failed samgrd', the rest stopped, exit 1"

# ---- 9. samgrd that dies at once every time: storm limit, failed, clean stop, exit 1 ----
export NEXUS_RUNTIME_DIR=$tmp/run4
log=$tmp/samgrd-storm.log
cat >"$tmp/samgrd-storm.conf" <<CONF
samgrd   $(type -P false)      always   sandbox=none
echod    services/echod/echod     always
CONF
st=0
timeout 60 "$init" --table "$tmp/samgrd-storm.conf" --bindir "$build/source" >"$log" 2>&1 ||
	st=$?
[ "$st" = 1 ] || fail "init exited $st after samgrd's storm, not 1"
[ "$(grep -c -x 'init: exit samgrd (code 1)' "$log")" = 5 ] || fail "samgrd not exited 5 times"
[ "$(grep -c -x 'init: recover samgrd' "$log")" = 4 ] || fail "samgrd not recovered 4 times"
grep -q -x 'init: failed samgrd' "$log" || fail "no 'init: failed samgrd'"
grep -q '^init: .* echod$' "$log" && fail "echod started without samgrd"
grep -q -x 'init: stopped' "$log" || fail "no 'init: stopped'"
[ -e "$NEXUS_RUNTIME_DIR/samgr.sock" ] && fail "samgr.sock left behind"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error (leak or UB) in some process"
echo "ok storm: samgrd exited 5 times, 'init: failed samgrd', echod never started, exit 1"
