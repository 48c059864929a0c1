#!/usr/bin/env bash
# dsoftbusd's discovery against an independent reader, in two network namespaces joined by a
# veth pair (made here, removed on exit; the host's network is never touched):
#  - bus-announce (the discovery adapter alone, a local signer) announces in namespace A;
#    python3-zeroconf in namespace B browses _nexus._tcp.local., resolves the instance and
#    checks port, address, TXT fields and the Ed25519 signature (python3-cryptography);
#  - a device of ours registered with zeroconf's responder in B before the adapter starts is
#    found by the adapter's browse (its query answered by zeroconf), and its goodbye when
#    zeroconf unregisters it takes it out of the table;
#  - announcements built by zeroconf's encoder and signed in Python reach the adapter: a good
#    one is accepted (a new peer), forged, replayed, stale, future, mismatched, unsigned,
#    oversized and garbage ones are each ignored and counted under their cause;
#  - the adapter keeps serving: zeroconf resolves it again afterwards;
#  - two adapters (A, and a second in B) find each other; A's services change (signed anew,
#    announced) and B sees it changed; A's earlier announcement, captured off the link and
#    replayed, is refused by B as a replay; B's goodbye takes it out of A's table.
# usage: bus-discovery.sh BUILD_DIR
set -euo pipefail
build=$1
here=$(dirname "$0")
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
announce=$build/tests/e2e/bus-announce
py=/usr/bin/python3

[ "$(id -u)" = 0 ] || { echo "SKIP: network namespaces need root"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip (iproute2)"; exit 77; }
$py -c 'import zeroconf, cryptography' 2>/dev/null ||
	{ echo "SKIP: python3-zeroconf or python3-cryptography missing (scripts/install-deps.sh)"; exit 77; }

ns_a=nxdisc-a-$$
ns_b=nxdisc-b-$$
veth_a=nxda$$
veth_b=nxdb$$
addr_a=10.231.7.1
addr_b=10.231.7.2
netns_cleanup() {
	ip netns del "$ns_a" 2>/dev/null || true # deleting a namespace removes its veth end
	ip netns del "$ns_b" 2>/dev/null || true
	cleanup
}
trap netns_cleanup EXIT

ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add "$veth_a" type veth peer name "$veth_b"
ip link set "$veth_a" netns "$ns_a"
ip link set "$veth_b" netns "$ns_b"
for side in "$ns_a $veth_a $addr_a" "$ns_b $veth_b $addr_b"; do
	read -r ns dev addr <<<"$side"
	ip -n "$ns" addr add "$addr/24" dev "$dev"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$dev" up
	ip -n "$ns" route add 224.0.0.0/4 dev "$dev"
done

# zeroconf's responder holds a device of ours before the adapter starts: only the adapter's
# browse query can find it.
reg=$tmp/register.out
ip netns exec "$ns_b" $py "$here/bus-discovery.py" register "$addr_b" >"$reg" &
pids+=($!)
registrar=$!
wait_for "$reg" 'registered [0-9a-f]\{32\}' || fail "zeroconf did not register"
reg_id=$(awk '{print $2}' "$reg")

out=$tmp/announce.out
log=$out
ip netns exec "$ns_a" "$announce" 5 "$veth_a" 7411 echod,vfsd >"$out" 2>"$tmp/announce.err" &
pids+=($!)
announcer=$!
wait_for "$out" 'id [0-9a-f]\{32\} dk [0-9a-f]\{64\} nk [0-9a-f]\{64\}' || fail "bus-announce did not start"
id=$(awk '$1 == "id" {print $2}' "$out")
dk=$(awk '$1 == "id" {print $4}' "$out")
nk=$(awk '$1 == "id" {print $6}' "$out")
expect="resolved $id 7411 $addr_a echod,vfsd dk=$dk nk=$nk sig=ok"

wait_for "$out" "peer new $reg_id $addr_b 7003 logd" || fail "the browse did not find zeroconf's device"
kill -TERM "$registrar"
wait "$registrar" || fail "the zeroconf registrar failed"
wait_for "$out" "gone $reg_id" || fail "zeroconf's goodbye did not take its device out"

# zeroconf resolves what the adapter announces, signature included.
resolved=$(ip netns exec "$ns_b" $py "$here/bus-discovery.py" browse "$addr_b") ||
	fail "zeroconf could not resolve the announcement"
[ "$resolved" = "$expect" ] || fail "zeroconf resolved: $resolved (expected: $expect)"

# Counts as printed on SIGUSR1: waits until the last line holds every expected pair.
counts_hold() {
	local line
	for _ in $(seq 200); do
		kill -USR1 "$announcer"
		sleep 0.1
		line=$(grep '^counts ' "$out" | tail -n 1 || true)
		local ok=1
		for pair in "$@"; do
			[[ " $line " == *" $pair "* ]] || ok=0
		done
		[ "$ok" = 1 ] && return 0
	done
	echo "last counts: $line"
	return 1
}

good=$(ip netns exec "$ns_b" $py "$here/bus-discovery.py" hostile "$addr_b") ||
	fail "the hostile sender failed"
counts_hold new=2 signature=2 replay=2 stale=1 future=1 id=1 malformed=2 full=0 peers=1 ||
	fail "hostile announcements were not each counted under their cause"
grep -qx "peer new $good $addr_b 7001 echod" "$out" || fail "the good announcement is not a peer"

# Still serving after all that.
resolved=$(ip netns exec "$ns_b" $py "$here/bus-discovery.py" browse "$addr_b") ||
	fail "zeroconf could not resolve the announcement after the hostile ones"
[ "$resolved" = "$expect" ] || fail "resolved: $resolved (expected: $expect)"

# Adapter to adapter. A listener in B keeps A's first answer to B's browse, as it came.
cap=$tmp/capture.out
ip netns exec "$ns_b" $py "$here/bus-discovery.py" capture "$addr_b" "$id" "$tmp/old.pkt" >"$cap" &
pids+=($!)
capturer=$!
wait_for "$cap" listening || fail "the capture did not start"
out_b=$tmp/announce-b.out
ip netns exec "$ns_b" "$announce" 6 "$veth_b" 7412 logd >"$out_b" 2>"$tmp/announce-b.err" &
pids+=($!)
announcer_b=$!
wait_for "$out_b" 'id [0-9a-f]\{32\} dk .*' || fail "the second bus-announce did not start"
id_b=$(awk '$1 == "id" {print $2}' "$out_b")
wait_for "$out_b" "peer new $id $addr_a 7411 echod,vfsd" || fail "B did not find A: $(cat "$out_b")"
wait_for "$out" "peer new $id_b $addr_b 7412 logd" || fail "A did not find B"
wait "$capturer" || fail "A's announcement was not captured"
kill -USR2 "$announcer"
wait_for "$out_b" "peer changed $id $addr_a 7411 echod,vfsd,more" ||
	fail "B did not see A's services change: $(cat "$out_b")"
ip netns exec "$ns_b" $py "$here/bus-discovery.py" replay "$addr_b" "$tmp/old.pkt" ||
	fail "the replay was not sent"
out=$out_b announcer=$announcer_b counts_hold new=1 changed=1 replay=1 peers=1 ||
	fail "B did not refuse A's replayed announcement"
grep -q "peer changed $id .* echod,vfsd\$" "$out_b" && fail "the replay changed A back in B's table"
kill -TERM "$announcer_b"
wait "$announcer_b" || fail "the second bus-announce did not exit 0 on SIGTERM"
wait_for "$out" "peer goodbye $id_b $addr_b 7412 logd" || fail "A did not hear B's goodbye"
wait_for "$out" "gone $id_b" || fail "B's goodbye did not take it out of A's table"

kill -TERM "$announcer"
wait "$announcer" || fail "bus-announce did not exit 0 on SIGTERM"
echo "bus-discovery: ok"
