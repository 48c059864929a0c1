#!/usr/bin/env bash
# End to end, two devices on one host (each a whole Nexus boot with its own runtime and state
# dir; sessions over TCP on 127.0.0.1, discovery off: peers are given by address):
#  - dsoftbusd boots, has its Noise static key signed, reports its device id and port;
#  - an unpaired device cannot call: Bus.open refuses before any session;
#  - pairing: A pairs B by address; a wrong code on B drops the pairing (integrity); A pairs
#    again and B accepts with the right code; both then list each other as paired;
#  - remote echo: `nx --peer B echo` on A reaches B's echod as peer:<A>/uid:0; a service B does
#    not export is not_found, one B exports but whose policy does not grant peers is denied;
#  - a VMO (3000 bytes to keystored's verify) is streamed to B and resealed there;
#  - a call carrying an fd that is no VMO is answered unsupported:, the channel lives on;
#  - 64 streams at once (BUSMUX_STREAMS_MAX), the 65th refused, all freed when closed;
#  - B's dsoftbusd killed -9 is restarted by init: A, which dialled B, reconnects by itself
#    (counted in `nx bus status`); pins and exports persist, A calls it again;
#  - hostile TCP peers: garbage instead of a handshake, a stalled handshake (slowloris), more
#    half-open connections than BUS_HANDSHAKING_MAX: each costs only itself, is counted in
#    `nx bus status`, and both devices keep serving;
#  - unpair on B: A's next call is refused (B no longer knows A);
#  - bad input to Bus and nx bus (bad ids, codes, names) is refused with exit 2 or a section 9
#    error, and dsoftbusd keeps serving.
# Every wait is bounded; nothing asserts on timing.
# usage: bus.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "SKIP: bus.sh runs two systems as root (services' own uids)"; exit 77; }

# on NODE CMD...: runs CMD with NODE's runtime and state dirs.
on() {
	local node=$1
	shift
	NEXUS_RUNTIME_DIR=$tmp/$node/run NEXUS_STATE_DIR=$tmp/$node/state "$@"
}

boot_node() {
	local node=$1
	mkdir -p "$tmp/$node"
	: >"$tmp/$node.log"
	NEXUS_RUNTIME_DIR=$tmp/$node/run NEXUS_STATE_DIR=$tmp/$node/state "$init" \
		>>"$tmp/$node.log" 2>&1 &
	pids+=($!)
	log=$tmp/$node.log
	wait_for "$tmp/$node.log" 'init: ready' 1 60 || fail "$node did not boot"
	log=
}

# json_field NODE FIELD: a field of `nx bus status --json` on NODE.
status_field() {
	on "$1" "$nx" bus status --json | $py -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

boot_node a
# b keeps its port across the restart below (a reaches it where it was last): a free one.
# b lets paired devices verify signatures with its keystored (the VMO test below).
cp -r "$(cd "$(dirname "$0")/../.." && pwd)/policies" "$tmp/b-policies"
echo "allow peer:* ipc.connect.keystored" >>"$tmp/b-policies/bus.policy"
NEXUS_POLICY_DIR=$tmp/b-policies \
	NEXUS_BUS_PORT=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
	boot_node b
grep -q -x 'dsoftbusd: ready' "$tmp/a.log" || fail "no dsoftbusd: ready on a"
A=$(status_field a device)
B=$(status_field b device)
PB=$(status_field b port)
[[ "$A" =~ ^[0-9a-f]{32}$ && "$B" =~ ^[0-9a-f]{32}$ && "$A" != "$B" ]] ||
	fail "device ids: '$A' '$B'"
[ "$PB" -gt 0 ] || fail "b's port: $PB"
echo "ok two devices: a=$A b=$B (b on port $PB)"

# ---- Usage errors and bad input: exit 2, or a section 9 error; dsoftbusd keeps serving ----
expect() { # expect STATUS PATTERN NODE ARGS...: nx's exit status and a line of its output
	local want=$1 pattern=$2 node=$3 st=0 out
	shift 3
	out=$(on "$node" "$nx" "$@" 2>&1) || st=$?
	[ "$st" = "$want" ] && grep -q -- "$pattern" <<<"$out" ||
		fail "nx $* on $node: exit $st (want $want), said: $out"
}
expect 2 'not a device id' a bus pair nothex
expect 2 'not a device id' a bus accept "${B}0"
expect 2 'not 6 digits' a bus accept "$B" --sas 12345
expect 2 'exclude each other' a bus pair "$B" --yes --sas 123456
expect 2 'missing argument' a bus unpair
expect 2 'not a device id' a --peer ABC echo hi
expect 1 'invalid_argument: service' b bus export 'No!'
expect 1 'invalid_argument: address' a bus pair "$B" --address 127.0.0.1
expect 1 'not_found: .* was not discovered' a bus pair "$B"
expect 1 'not_found: no pairing' b bus accept "$A"
expect 1 'not_found: .* is not paired' b bus unpair "$A"
expect 1 'invalid_argument: device: that is this device' a bus pair "$A" --address "127.0.0.1:$PB"
expect 0 'usage: nx bus' a bus --help
expect 0 'DEVICE' a bus pair --help
echo "ok bad input refused"

# ---- Unpaired: never called ----
expect 1 "unavailable: $B is not paired" a --peer "$B" echo hi
echo "ok an unpaired device is not called"

# ---- Pairing: a wrong code drops it; the right one pins both sides ----
expect 0 'echod exported' b bus export echod
out=$(on a "$nx" bus pair "$B" --address "127.0.0.1:$PB" --yes) || { grep -A20 "Assert\|ERROR\|exit dsoftbusd" "$tmp/a.log" "$tmp/b.log"; fail "pair: $out"; }
code=$(sed -n 's/^code \([0-9]\{6\}\)$/\1/p' <<<"$out")
[ -n "$code" ] || fail "pair printed no code: $out"
for _ in $(seq 100); do
	on b "$nx" bus pending --json | grep -q "\"device\":\"$A\"" && break
	sleep 0.1
done
on b "$nx" bus pending --json | grep -q "{\"device\":\"$A\",\"sas\":\"$code\",\"confirmedHere\":false,\"confirmedThere\":true}" ||
	fail "b's pending: $(on b "$nx" bus pending --json)"
wrong=$(printf '%06d' $(((10#$code + 1) % 1000000)))
expect 1 'integrity: sas' b bus accept "$A" --sas "$wrong"
expect 1 'not_found: no pairing' b bus accept "$A"
out=$(on a "$nx" bus pair "$B" --yes) || fail "pair again: $out"
grep -q "^code $code$" <<<"$out" || fail "same session, same code: $out"
for _ in $(seq 100); do
	on b "$nx" bus pending --json | grep -q "\"device\":\"$A\"" && break
	sleep 0.1
done
expect 0 'confirmed' b bus accept "$A" --sas "$code"
for node in a b; do
	for _ in $(seq 100); do
		on $node "$nx" bus peers --json | grep -q '"paired":true,"connected":true' && break
		sleep 0.1
	done
done
on a "$nx" bus peers --json | grep -q "{\"device\":\"$B\",.*\"paired\":true,\"connected\":true" ||
	fail "a's peers: $(on a "$nx" bus peers --json)"
on b "$nx" bus peers --json | grep -q "{\"device\":\"$A\",.*\"paired\":true,\"connected\":true" ||
	fail "b's peers: $(on b "$nx" bus peers --json)"
expect 1 'already_exists' a bus pair "$B"
echo "ok paired with code $code (a wrong code dropped the first attempt)"

# ---- Remote calls ----
out=$(on a "$nx" --peer "$B" echo hello) || fail "remote echo: $out"
[ "$out" = "hello (echod saw subject peer:$A/uid:0)" ] || fail "remote echo said: $out"
expect 1 "not_found: rngd is not exported by $B" a --peer "$B" rng status
expect 0 'rngd exported' b bus export rngd
expect 1 "denied: this subject does not hold ipc.connect.rngd" a --peer "$B" rng status
expect 1 "not_found: echod is not exported by $A" b --peer "$A" echo hi
[ "$(status_field b opensRefused)" -ge 2 ] && [ "$(status_field a opensRefused)" -ge 1 ] ||
	fail "refused opens not counted"
echo "ok remote echo as peer:$A/uid:0; not exported: not_found; not granted: denied"

# ---- Streams per session: BUSMUX_STREAMS_MAX at once, the next limit_exceeded ----
out=$(on a "$build/tests/e2e/bus-probe" open-many "$B" echod 65 2>&1) && fail "65 streams: $out"
grep -q -x 'probe: opened 64' <<<"$out" && grep -q '^probe: limit_exceeded' <<<"$out" ||
	fail "stream cap: $out"
# Closed, they are freed (the services and samgrd notice the closed channels as they come).
ok=
for _ in $(seq 50); do
	out=$(on a "$nx" --peer "$B" echo after-cap 2>&1) && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "after the stream cap: $out"
echo "ok BUSMUX_STREAMS_MAX streams held at once, the next refused, all freed when closed"

# ---- An fd that is no VMO: the call is refused with unsupported:, the channel lives on ----
out=$(on a "$build/tests/e2e/bus-probe" send-socket "$B" 2>&1) || fail "send-socket: $out"
grep -q '^probe: unsupported: ' <<<"$out" &&
	grep -q -x "probe: echo alive peer:$A/uid:0" <<<"$out" || fail "send-socket: $out"
echo "ok a call carrying a socket: unsupported:, and the same channel still calls echod"

# ---- A VMO crosses the bus: data over KS_INLINE_DATA_MAX goes to B's keystored as a VMO ----
expect 0 'keystored exported' b bus export keystored
head -c 3000 /dev/urandom >"$tmp/data"
pub=$(on a "$nx" key public @device) || fail "a's device key"
sig=$(on a "$nx" key sign @device bus.test <"$tmp/data") || fail "a signs: $sig"
out=$(on a "$nx" --peer "$B" key verify "$pub" bus.test "$sig" <"$tmp/data") ||
	fail "verify through b (a 3000-byte VMO over the bus): $out"
printf 'x' | dd of="$tmp/data" bs=1 seek=2999 conv=notrunc 2>/dev/null
st=0; out=$(on a "$nx" --peer "$B" key verify "$pub" bus.test "$sig" <"$tmp/data") || st=$?
[ "$st" = 1 ] || fail "a changed last byte still verified through b: $out"
echo "ok a 3000-byte VMO crossed the bus: b's keystored verified it, and refused it changed"

# ---- B's dsoftbusd killed: restarted with its pins and exports; A reaches it again ----
# The side that dials (A dialled B) reconnects with backoff by itself, without an open.
connected_to_b() {
	on a "$nx" bus peers --json |
		$py -c "import json,sys; sys.exit(not any(json.loads(l)['device'] == '$B' and json.loads(l)['connected'] for l in sys.stdin if l.strip()))"
}
connected_to_b || fail "a has no session with b before b's restart"
reconnects0=$(status_field a reconnects)
bpid=$(pgrep -P "${pids[1]}" -x dsoftbusd) || fail "no dsoftbusd child of b's init"
kill -KILL "$bpid"
log=$tmp/b.log
wait_for "$tmp/b.log" 'dsoftbusd: ready' 2 30 || fail "b's dsoftbusd did not come back"
log=
ok=
for _ in $(seq 300); do
	[ "$(status_field a reconnects)" -gt "$reconnects0" ] && connected_to_b && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "a did not reconnect to b by itself: $(on a "$nx" bus peers 2>&1)"
echo "ok b's dsoftbusd killed -9: a's session came back without an open (reconnects counted)"
ok=
for _ in $(seq 50); do
	out=$(on a "$nx" --peer "$B" echo again 2>&1) && { ok=1; break; }
	sleep 0.2
done
[ -n "$ok" ] && [ "$out" = "again (echod saw subject peer:$A/uid:0)" ] ||
	fail "after b's restart: $out"
[ "$(status_field b device)" = "$B" ] || fail "b's device id changed"
echo "ok b's dsoftbusd killed -9: restarted, still paired and exporting, called again"

# ---- Hostile TCP peers cost only themselves ----
failed0=$(status_field b handshakesFailed)
$py - "$PB" <<'PY' || fail "hostile peers"
import socket, sys, time
port = int(sys.argv[1])
def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)
def dropped(s):
    """dsoftbusd closed the connection (unread bytes make it a reset)."""
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
# Garbage instead of a handshake: a length prefix and bytes no Noise message decodes from.
s = conn(); s.sendall(b"\x00\x05hello" + b"\x00\x40" + bytes(64)); s.settimeout(10)
assert dropped(s), "garbage was answered"
s.close()
# A message length past Noise's 65535: impossible to express, so an over-short one instead.
s = conn(); s.sendall(b"\x00\x00"); assert dropped(s); s.close()
# Slowloris: half a length prefix, then silence, until dsoftbusd drops us at
# BUS_HANDSHAKE_TIMEOUT_NS.
s = conn(); s.sendall(b"\x00"); s.settimeout(30)
assert dropped(s), "a stalled handshake was kept"
s.close()
PY
[ "$(status_field b handshakesFailed)" -ge $((failed0 + 3)) ] ||
	fail "hostile handshakes not counted: $(on b "$nx" bus status)"
out=$(on a "$nx" --peer "$B" echo still) || fail "after hostile peers: $out"
echo "ok garbage, a too-short message and a stalled handshake each cost only themselves"

# More half-open connections than BUS_HANDSHAKING_MAX: the rest are closed at once.
$py - "$PB" <<'PY' || fail "handshake flood"
import socket, sys
port = int(sys.argv[1])
def dropped(s):
    try:
        return s.recv(10) == b""
    except ConnectionResetError:
        return True
held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
extra = socket.create_connection(("127.0.0.1", port), timeout=10)
extra.settimeout(10)
assert dropped(extra), "the connection past BUS_HANDSHAKING_MAX was kept"
for s in held: s.close()
PY
out=$(on a "$nx" --peer "$B" echo flood) || fail "after the flood: $out"
echo "ok BUS_HANDSHAKING_MAX half-open connections: the next one is closed, the bus serves"

# ---- Unpair on B: A is refused from then on ----
expect 0 "unpaired $A" b bus unpair "$A"
expect 1 "denied: device $A is not paired with $B" a --peer "$B" echo hi
on b "$nx" bus peers --json | grep -q "\"device\":\"$A\",.*\"paired\":false" ||
	fail "b still lists a as paired"
echo "ok unpaired on b: a's calls are refused"
