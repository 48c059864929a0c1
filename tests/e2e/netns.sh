#!/usr/bin/env bash
# The network-namespace harness (netns-lib.sh) on its own: three nodes a, b, c on one bridge;
# TCP reaches every node from every other, a multicast datagram from a reaches b and c; each
# node boots its own full Nexus (own runtime and state dir, own samgr.sock) and answers nx;
# cutting a's cable makes it unreachable and restoring it makes it reachable again; the
# cleanup leaves no namespace and no process behind. Needs root (skipped otherwise).
# Every wait is bounded; nothing asserts on timing.
# Usage: netns.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/netns-lib.sh
. "$(dirname "$0")/netns-lib.sh"
netcheck=$(dirname "$0")/netcheck.py
netns_require_root

netns_setup a b c
[ "$(node_ip b)" = 10.77.0.2 ] || fail "node b is not 10.77.0.2"

# reach SRC DST [SECS]: a TCP line from SRC comes back from DST.
reach() {
	local out=$tmp/listen.$1.$2
	node_exec "$2" /usr/bin/python3 "$netcheck" tcp-listen 7001 >"$out" 2>&1 &
	local lpid=$!
	pids+=("$lpid")
	wait_for "$out" listening || { kill "$lpid" 2>/dev/null; return 1; }
	if node_run "$1" /usr/bin/python3 "$netcheck" tcp-send "$(node_ip "$2")" 7001 "${3:-5}"; then
		wait "$lpid"
	else
		kill "$lpid" 2>/dev/null || true
		wait "$lpid" 2>/dev/null || true
		return 1
	fi
}

for src in a b c; do
	for dst in a b c; do
		[ "$src" = "$dst" ] || reach "$src" "$dst" || fail "no TCP from $src to $dst"
	done
done
echo "ok unicast: every node reaches every other"

for n in b c; do
	node_exec "$n" /usr/bin/python3 "$netcheck" mcast-listen 224.0.0.251 5353 >"$tmp/mcast.$n" 2>&1 &
	pids+=($!)
	wait_for "$tmp/mcast.$n" listening || fail "no multicast listener in $n"
done
for _ in $(seq 50); do
	node_run a /usr/bin/python3 "$netcheck" mcast-send 224.0.0.251 5353
	grep -q announce "$tmp/mcast.b" && grep -q announce "$tmp/mcast.c" && break
	sleep 0.1
done
for n in b c; do
	grep -qx "$(node_ip a) announce" "$tmp/mcast.$n" || fail "multicast from a did not reach $n"
done
echo "ok multicast: a's datagram to 224.0.0.251:5353 reaches b and c"

for n in a b c; do node_boot "$n"; done
for n in a b c; do
	[ -S "$tmp/$n/run/samgr.sock" ] || fail "no samgr.sock for $n"
	[[ "$(node_run "$n" "$nx" echo "from $n")" == "from $n"* ]] || fail "nx echo on $n"
	[[ "$(node_run "$n" "$nx" svc list)" == *$'\necho'* ]] || fail "nx svc list on $n"
done
echo "ok boot: three Nexus instances, each with its own runtime and state"

node_link a down
! reach b a 2 || fail "a is reachable with its cable cut"
node_link a up
reach b a 10 || fail "a is unreachable after its cable came back"
echo "ok link: cutting a's cable isolates it, restoring it reconnects"

netns_cleanup
if ip netns list | grep -q -- "$netns_prefix"; then fail "namespaces left behind"; fi
for p in "${pids[@]}"; do
	if kill -0 "$p" 2>/dev/null; then fail "process $p left behind"; fi
done
echo "ok cleanup: no namespace, no process left"
