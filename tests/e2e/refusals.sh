#!/usr/bin/env bash
# End to end: refusals that say why, logged a bounded number of times. One subject (uid:0)
# holds NX_CONN_MAX_PER_SUBJECT connections to samgr.sock and opens 2,000 more: each of those
# gets an Abort naming `limit_exceeded:` and the numbers before the close (not a plain EOF),
# `nx` prints that reason, another subject (uid:65534) is served meanwhile, and the console
# and the journal grow by a bounded number of lines: the first refusal, then one "suppressed
# N" summary (NX_RATELOG_WINDOW_NS later). logd refuses an empty message
# (invalid_argument). Bounded waits only; nothing asserts on timing.
# Usage: refusals.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

operator_policy_for_non_root
chmod 0755 "$tmp" # another user reaches the runtime dir below it (policy decides the rest)
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state
log=$tmp/init.log
"$init" >"$log" 2>&1 &
pids+=("$!")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"
sock=$NEXUS_RUNTIME_DIR/samgr.sock
other=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${other[@]}" "$nx" svc list >/dev/null || fail "uid:65534 not served before the flood"
console0=$(grep -c 'refused' "$log" || true)

python3 - "$sock" "$nx" "$(id -u)" "${other[@]}" <<'PY' || fail "flood"
import socket, subprocess, sys
path, nx, uid, other = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
want = ("limit_exceeded: uid:%s holds 64 connections to samgrd, the most one subject may"
        % uid).encode()

def refused():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data

held = []
for _ in range(64):   # NX_CONN_MAX_PER_SUBJECT
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    held.append(s)
for i in range(2000):
    data = refused()
    if want not in data:
        sys.exit("connection %d: no limit_exceeded Abort, got %r" % (65 + i, data[:200]))
    if i == 1000:
        # Another subject is served in the middle of the flood; uid:0 is told why not.
        r = subprocess.run(other + [nx, "svc", "list"], capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            sys.exit("uid:65534 not served during the flood: %s" % r.stderr)
        r = subprocess.run([nx, "svc", "list"], capture_output=True, text=True, timeout=30)
        if r.returncode != 1 or "limit_exceeded: uid:%s holds 64" % uid not in r.stderr:
            sys.exit("nx as uid:0 during the flood: %d %s" % (r.returncode, r.stderr))
for s in held:
    s.close()
PY
echo "ok 2,000 connections over the limit: each told limit_exceeded with the numbers; uid:65534 served"

# One line for the first refusal, one summary for the rest, once the window is over.
wait_for "$log" "samgrd: warn refused uid:0 limit_exceeded: suppressed [0-9]* more like it" ||
	fail "no suppressed summary: $(grep refused "$log" | head -5)"
console=$(($(grep -c 'refused' "$log") - console0))
[ "$console" -le 4 ] || fail "console grew by $console refusal lines: $(grep refused "$log" | head)"
n=$(grep -o 'suppressed [0-9]*' "$log" | awk '{s += $2} END {print s}')
[ "$n" -ge 2000 ] || fail "summaries count $n suppressed, not at least 2,000"
ok=
for _ in $(seq 100); do
	out=$("$nx" log query --grep 'refused' --max 1000) || true
	[ "$(grep -c 'suppressed' <<<"$out")" -ge 1 ] && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "no summary in the journal: $out"
j=$(grep -c 'refused' <<<"$out")
[ "$j" -le 4 ] || fail "journal grew by $j refusal records: $out"
echo "ok console +$console and journal +$j lines for 2,001 refusals (first + suppressed $n)"

"$nx" svc list >/dev/null || fail "uid:0 not served again after the flood"
echo "ok uid:0 served again once its connections closed"

# ---- logd: an empty message (query max 0 and clamping: tests/unit/journal test-query) ----
for i in 1 2 3; do "$nx" log append info e2e.limits "record $i" >/dev/null || fail "append $i"; done
out=$("$nx" log query --scope e2e.limits --max 1 --json) || fail "query --max 1"
records_hold "len(r) == 1" <<<"$out" ||
	fail "query --max 1: $out"
rejected() { "$nx" log stats --json | python3 -c "import json,sys; print(json.load(sys.stdin)['rejected'])"; }
r0=$(rejected)
st=0; err=$("$nx" log append info e2e.limits "" 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: invalid_argument: entry.message is empty" ] ||
	fail "empty message: $st $err"
[ "$(rejected)" = $((r0 + 1)) ] || fail "the empty message was not counted as rejected"
"$nx" log query --scope e2e.limits --json | records_hold "len(r) == 3" || fail "empty message stored"
echo "ok logd: an empty message is invalid_argument, counted as rejected, not stored"
