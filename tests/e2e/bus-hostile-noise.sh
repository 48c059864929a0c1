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
# refused one. Then dsoftbusd dials (`nx bus pair ID --address`) a hostile responder: message 2
# signing another static key, cut short, random, or good but from another device than the one
# dialled; it refuses before sending message 3, pairing fails with `unavailable: ...
# handshake failed`, counted in handshakesFailed. Each hostile connection costs only itself:
# dsoftbusd keeps serving, is never restarted, and nothing else in its counters moves. Every
# wait is bounded; nothing asserts on timing.
# usage: bus-hostile-noise.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
py=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "bus-hostile-noise.sh boots as root (services' own uids)"
$py -c 'import dissononce, cryptography' 2>/dev/null ||
	skip "python3-dissononce or python3-cryptography missing (scripts/install-deps.sh)"

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
# baseline, then counters_moved NAME=DELTA...: until each named counter of `nx bus status
# --json` moved by DELTA since the baseline, and the other refusal counters not at all.
watched="handshakesOk handshakesFailed pinMismatches recordsRejected sessionsKilled opensRefused"
baseline() { "$nx" bus status --json >"$tmp/baseline.json" || fail "nx bus status failed"; }
counters_moved() {
	for _ in $(seq 200); do
		"$nx" bus status --json >"$status" || fail "nx bus status failed"
		# shellcheck disable=SC2086 # $watched is a list of names
		$py - "$status" "$tmp/baseline.json" $watched -- "$@" <<'PY' && return 0
import json, sys
args = sys.argv[3:]
s, b = (json.load(open(f)) for f in sys.argv[1:3])
want = dict.fromkeys(args[:args.index("--")], 0)
want.update((k, int(v)) for k, v in (a.split("=") for a in args[args.index("--") + 1:]))
sys.exit(0 if all(s[k] - b[k] == d for k, d in want.items()) else 1)
PY
		sleep 0.1
	done
	fail "counters did not move by $*: now $(cat "$status"), before $(cat "$tmp/baseline.json")"
}

device=$(counter device)
port=$(counter port)
[[ "$device" =~ ^[0-9a-f]{32}$ ]] || fail "device id '$device'"
[ "$port" -gt 0 ] || fail "port '$port'"
evil() {
	$py "$here/bus-evil-noise.py" 127.0.0.1 "$port" "$1" --expect-device "$device" ||
		fail "hostile peer case $1"
}

baseline
evil honest
counters_moved handshakesOk=1
echo "ok an honest initiator: handshake with device $device, PING answered"

baseline
for c in wrong-static wrong-signer truncated; do
	evil "$c"
done
counters_moved handshakesFailed=3
echo "ok wrong static key, wrong signer, truncated message 3: refused and counted"

baseline
for c in garbage-after replay; do
	evil "$c"
done
counters_moved handshakesOk=2 recordsRejected=2
echo "ok garbage after the handshake, a replayed record: session ended and counted"

# A refused peer costs only itself: an honest session held open across hostile ones still
# answers after them.
baseline
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
counters_moved handshakesOk=2 handshakesFailed=1 recordsRejected=1
echo "ok a session held open is still answered after hostile connections"

# dsoftbusd as the initiator (`nx bus pair ID --address`) meets a hostile responder: a bad
# message 2, or a good one from another device than it dialled. It must end the connection
# without message 3 (its own identity) and say why pairing failed.
respond() { # respond CASE [DIAL_ID]: the id nx dials defaults to the responder's own
	local out=$tmp/respond-$1 rpid st=0 said sport sid
	$py "$here/bus-evil-noise.py" serve "$1" >"$out" 2>&1 &
	rpid=$!
	pids+=("$rpid")
	wait_for "$out" 'listening [0-9]* [0-9a-f]\{32\}' || fail "responder $1: $(cat "$out")"
	read -r _ sport sid <"$out"
	said=$("$nx" bus pair "${2:-$sid}" --address "127.0.0.1:$sport" --yes 2>&1) || st=$?
	[ "$st" = 1 ] && grep -q 'unavailable: .*handshake failed' <<<"$said" ||
		fail "nx bus pair to a hostile responder ($1): exit $st, said: $said"
	wait "$rpid" || fail "hostile responder $1: $(cat "$out")"
	echo "ok serve $1: nx bus pair said: $said"
}
baseline
respond wrong-static
respond truncated
respond garbage
respond honest "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
counters_moved handshakesFailed=4
echo "ok hostile responders: refused before message 3, counted"

baseline
evil honest
counters_moved handshakesOk=1
[ "$(grep -c -x 'init: start dsoftbusd' "$log")" = 1 ] || fail "dsoftbusd was restarted"
echo "ok dsoftbusd keeps serving, never restarted"

kill -TERM "$ipid"
wait "$ipid" || fail "nexus-init did not stop cleanly"
grep -q 'Sanitizer' "$log" && fail "sanitizer report"
echo "ok bus-hostile-noise"
