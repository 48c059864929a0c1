#!/usr/bin/env bash
# bench-bus across a veth link: two network namespaces (tests/e2e/netns-lib.sh), the server
# side in node b, the measuring side in node a. First the session layer alone (bench-bus run);
# then both nodes boot Nexus, pair (tests/e2e/bus-nodes.sh) and a calls echod on b through
# the two dsoftbusds (bench-bus call). Prints bench-bus's RESULT and SUMMARY lines;
# "skipped: needs root" (exit 0) where namespaces cannot be made.
# Usage: bench-bus.sh BUILD_DIR [bench-bus run options...]
set -euo pipefail
build=$1
shift
tests=$(cd "$(dirname "$0")/../tests/e2e" && pwd)
exe=$build/bench/bench-bus
# shellcheck source=tests/e2e/lib.sh
. "$tests/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "bench-bus: skipped: needs root"
	exit 0
fi
# shellcheck source=tests/e2e/netns-lib.sh
. "$tests/netns-lib.sh"
# shellcheck source=tests/e2e/bus-nodes.sh
. "$tests/bus-nodes.sh"
[ -x "$exe" ] || fail "$exe not built"
netns_setup a b
node_exec b "$exe" serve 7900 >"$tmp/server.log" 2>&1 &
pids+=($!)
wait_for "$tmp/server.log" listening 1 10 || { log=$tmp/server.log; fail "bench-bus server"; }
node_run a "$exe" run "$(node_ip b)" 7900 "$@"

WAIT_SECS=60
for n in a b; do node_boot "$n"; done
node_run b "$nx" bus export echod >/dev/null || fail "nx bus export echod on b"
bus_pair a b
node_run a "$exe" call "$(node_ip b)" 7900 "$(bus_device b)" --iters 2000
