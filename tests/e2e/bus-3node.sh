#!/usr/bin/env bash
# The device bus across three devices (issue 10's proof): nodes a, b, c in network namespaces
# on one bridge (netns-lib.sh), each a full Nexus boot with its own state dir, dsoftbusd
# included.
#   1. discovery: each node lists the other two, at their addresses
#   2. pairing a-b and b-c: `nx bus pair` on one side, `nx bus accept` on the other, the code
#      equal on both; then each lists the other as paired
#   3. a calls echod on b (`nx --peer B echo hello`): b's echod sees peer:<a>/uid:0
#   4. c, not paired with a, cannot call a; a counts the refusal
#   5. a 64 MiB VMO from a to b (`nx --peer B fs put`, one VMO): b's file has the same bytes,
#      and reading it back from a (a 64 MiB VMO the other way) gives them too
#   6. b's dsoftbusd killed -9: init restarts it, a reconnects and calls again
#   7. b's cable cut: a's call fails; restored: a calls again
#   8. b restarts on another port: a, which last reached it on the old one, dials it where it
#      announces itself now
# Needs root (skipped otherwise). Every wait is bounded; nothing asserts on timing.
# Usage: bus-3node.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
WAIT_SECS=60
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/netns-lib.sh
. "$(dirname "$0")/netns-lib.sh"
# shellcheck source=tests/e2e/bus-nodes.sh
. "$(dirname "$0")/bus-nodes.sh"
netns_require_root

# Paired devices may also use b's vfsd (for the VMO); the demo grant covers echod.
cp -r "$src/policies" "$tmp/policies"
echo "allow peer:* ipc.connect.vfsd fs.read fs.write" >>"$tmp/policies/default.policy"
export NEXUS_POLICY_DIR=$tmp/policies

netns_setup a b c
declare -A init_pid
for n in a b c; do
	node_boot "$n"
	init_pid[$n]=$booted_pid
done
declare -A dev
for n in a b c; do
	dev[$n]=$(bus_device "$n")
	node_run "$n" "$nx" bus export echod >/dev/null || fail "nx bus export echod on $n"
done
node_run b "$nx" bus export vfsd >/dev/null || fail "nx bus export vfsd on b"

# ---- 1. discovery ----
for n in a b c; do
	for m in a b c; do
		[ "$n" = "$m" ] && continue
		soon bus_peer_holds "$n" "${dev[$m]}" "p['address'].startswith('$(node_ip "$m"):')" ||
			fail "$n does not discover $m at $(node_ip "$m")"
	done
done
bus_peer_holds a "${dev[b]}" "not p['paired']" || fail "b is paired with a before pairing"
echo "ok discovery: every node lists the other two at their addresses, unpaired"

# ---- 2. pairing a-b and b-c ----
for pair in "a b" "b c"; do
	# shellcheck disable=SC2086 # two node names
	bus_pair $pair
	echo "ok pairing ${pair/ /-}: both show code $bus_pair_code, both list the other as paired"
done
bus_peer_holds a "${dev[c]}" "not p['paired']" || fail "a lists c as paired"

# ---- 3. a calls echod on b ----
out=$(node_run a "$nx" --peer "${dev[b]}" echo hello) || fail "nx --peer b echo: $out"
[ "$out" = "hello (echod saw subject peer:${dev[a]}/uid:0)" ] ||
	fail "echod on b answered '$out', not hello as peer:${dev[a]}/uid:0"
echo "ok remote call: a -> echod on b, which sees peer:${dev[a]}/uid:0"

# ---- 4. c cannot call a ----
if out=$(node_run c "$nx" --peer "${dev[a]}" echo hi 2>&1); then
	fail "c, not paired with a, called echod on a: $out"
fi
grep -q -E 'unavailable|denied' <<<"$out" || fail "c's refused call does not say why: $out"
echo "ok refusal: c, not paired with a, cannot call a ($out)"

# ---- 5. a 64 MiB VMO from a to b ----
head -c $((64 << 20)) /dev/urandom >"$tmp/big"
want=$(sha256sum <"$tmp/big" | cut -d' ' -f1)
node_run a "$nx" --peer "${dev[b]}" fs put "$tmp/big" /data/big ||
	fail "nx --peer b fs put of 64 MiB"
stored=$(find "$tmp/b/state" -type f -name big -size $((64 << 10))k)
[ -n "$stored" ] || fail "no 64 MiB file 'big' in b's state"
[ "$(sha256sum <"$stored" | cut -d' ' -f1)" = "$want" ] || fail "b stored other bytes"
[ "$(node_run a "$nx" --peer "${dev[b]}" fs cat /data/big | sha256sum | cut -d' ' -f1)" = "$want" ] ||
	fail "reading the 64 MiB back from b gives other bytes"
echo "ok VMO: 64 MiB from a to b arrive intact, and come back intact"

# ---- 6. b's dsoftbusd killed -9 ----
# What a's call to b says now, and how each sees the other (for a failure message).
why_not_b() {
	node_run a "$nx" --peer "${dev[b]}" echo again 2>&1 || true
	node_run a "$nx" bus peers 2>&1 || true
	node_run b "$nx" bus status 2>&1 | head -3 || true
}
calls_b() { [[ "$(node_run a "$nx" --peer "${dev[b]}" echo again 2>/dev/null)" == "again "* ]]; }
bus_pid=$(ip netns pids "$(netns_ns b)" | xargs -r ps -o pid=,comm= -p | awk '$2 == "dsoftbusd" {print $1}')
[ -n "$bus_pid" ] || fail "no dsoftbusd in b"
kill -KILL "$bus_pid"
wait_for "$tmp/b/init.log" 'init: up dsoftbusd' 2 || { log=$tmp/b/init.log; fail "dsoftbusd not restarted on b"; }
soon calls_b || fail "a cannot call b again after b's dsoftbusd restarted: $(why_not_b)"
echo "ok restart: b's dsoftbusd killed -9 and restarted, a reconnects and calls again"

# ---- 7. b's cable cut and restored ----
node_link b down
if node_run a timeout 30 "$nx" --peer "${dev[b]}" echo cut >/dev/null 2>&1; then
	fail "a called b with b's cable cut"
fi
node_link b up
soon calls_b || fail "a cannot call b after its cable came back: $(why_not_b)"
echo "ok link: with b's cable cut a's call fails, restored a calls again"

# ---- 8. b restarts on another port ----
kill -TERM "${init_pid[b]}"
wait "${init_pid[b]}" || true
boot_init "$tmp/b/init-newport.log" node_exec b env NEXUS_BUS_PORT=7421
soon bus_peer_holds a "${dev[b]}" "p['address'] == '$(node_ip b):7421'" ||
	fail "a does not see b's announcement on port 7421: $(why_not_b)"
soon calls_b || fail "a cannot call b on its new port: $(why_not_b)"
echo "ok new port: b restarted on port 7421, a dials it there, not where it last reached it"
