#!/usr/bin/env bash
# End to end: hostile Noise peers against a booted dsoftbusd (issue 10). python3-dissononce is
# the initiator over TCP on 127.0.0.1 (tests/e2e/bus-evil-noise.py, discovery off), one
# misbehaviour per connection:
#  - a handshake whose payload signs another Noise static key than the one used, or is signed
#    by another device key than it names: refused at message 3, no record comes back, counted
#    in handshakesFailed;
#  - message 3 cut short: refused, counted in handshakesFailed;
#  - random bytes as a record after a good handshake, and a good record (a PING, answered)
#    sent again: the session ends, counted in recordsRejected;
# and an honest session (PING answered by PONG, from dsoftbusd's device as its handshake
# payload proves) before and after, and in between a second connection held open across a
# refused one. Each hostile connection costs only itself: dsoftbusd keeps serving, is never
# restarted, and nothing else in its counters moves. Every wait is bounded; nothing asserts
# on timing.
# usage: bus-hostile-noise.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
py=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "SKIP: bus-hostile-noise.sh boots as root (services' own uids)"; exit 77; }
$py -c 'import dissononce, cryptography' 2>/dev/null ||
	{ echo "SKIP: python3-dissononce or python3-cryptography missing (scripts/install-deps.sh)"; exit 77; }

export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
grep -q -x 'dsoftbusd: ready' "$log" || fail "no 'dsoftbusd: ready'"

status=$tmp/status.json
# counter NAME: a field of `nx bus status --json`, read fresh.
counter() {
	"$nx" bus status --json >"$status" || fail "nx bus status failed"
	$py -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$status" "$1"
}
# counters_become EXPR: until the Python expression over `s` (the status now) and `b` (the
# status saved by `baseline`) holds; bounded.
baseline() { "$nx" bus status --json >"$tmp/baseline.json" || fail "nx bus status failed"; }
counters_become() {
	for _ in $(seq 200); do
		"$nx" bus status --json >"$status" || fail "nx bus status failed"
		$py -c "import json,sys; s=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if ($1) else 1)" \
			"$status" "$tmp/baseline.json" && return 0
		sleep 0.1
	done
	fail "counters never satisfied: $1; now $(cat "$status"), before $(cat "$tmp/baseline.json")"
}

device=$(counter device)
port=$(counter port)
[[ "$device" =~ ^[0-9a-f]{32}$ ]] || fail "device id '$device'"
[ "$port" -gt 0 ] || fail "port '$port'"
evil() {
	$py "$here/bus-evil-noise.py" 127.0.0.1 "$port" "$1" --expect-device "$device" ||
		fail "hostile peer case $1"
}

# Counters other than the ones a case is expected to move stay as they were.
same_others='all(s[k] == b[k] for k in ("pinMismatches", "sessionsKilled", "opensRefused"))'

baseline
evil honest
counters_become "s['handshakesOk'] == b['handshakesOk'] + 1 and s['handshakesFailed'] == b['handshakesFailed'] and $same_others"
echo "ok an honest initiator: handshake with device $device, PING answered"

baseline
for c in wrong-static wrong-signer truncated; do
	evil "$c"
done
counters_become "s['handshakesFailed'] == b['handshakesFailed'] + 3 and s['handshakesOk'] == b['handshakesOk'] and s['recordsRejected'] == b['recordsRejected'] and $same_others"
echo "ok wrong static key, wrong signer, truncated message 3: refused and counted"

baseline
for c in garbage-after replay; do
	evil "$c"
done
counters_become "s['recordsRejected'] == b['recordsRejected'] + 2 and s['handshakesOk'] == b['handshakesOk'] + 2 and s['handshakesFailed'] == b['handshakesFailed'] and $same_others"
echo "ok garbage after the handshake, a replayed record: session ended and counted"

# A refused peer costs only itself: an honest session held open across a hostile one still
# answers after it.
holder=$tmp/holder
mkfifo "$holder.in"
$py "$here/bus-evil-noise.py" 127.0.0.1 "$port" held --expect-device "$device" \
	<"$holder.in" >"$holder.out" 2>&1 &
hpid=$!
pids+=("$hpid")
exec 7>"$holder.in"
wait_for "$holder.out" open || fail "the held session did not start: $(cat "$holder.out")"
evil wrong-static
evil replay
echo go >&7
exec 7>&-
wait "$hpid" || fail "the held session: $(cat "$holder.out")"
echo "ok a session held open is still answered after hostile connections"

baseline
evil honest
counters_become "s['handshakesOk'] == b['handshakesOk'] + 1 and $same_others"
[ "$(grep -c -x 'init: start dsoftbusd' "$log")" = 1 ] || fail "dsoftbusd was restarted"
echo "ok dsoftbusd keeps serving, never restarted"

kill -TERM "$ipid"
wait "$ipid" || fail "nexus-init did not stop cleanly"
grep -q 'Sanitizer' "$log" && fail "sanitizer report"
echo "ok bus-hostile-noise"
