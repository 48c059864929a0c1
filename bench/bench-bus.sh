#!/usr/bin/env bash
# bench-bus across a veth link: two network namespaces (tests/e2e/netns-lib.sh), the server
# side in node b, the measuring side in node a. Prints bench-bus's RESULT and SUMMARY lines;
# "skipped: needs root" (exit 0) where namespaces cannot be made.
# Usage: bench-bus.sh BUILD_DIR [bench-bus run options...]
set -euo pipefail
build=$1
shift
tests=$(cd "$(dirname "$0")/../tests/e2e" && pwd)
exe=${BENCH_BUS_EXE:-$build/bench/bench-bus}
# shellcheck source=tests/e2e/lib.sh
. "$tests/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "bench-bus: skipped: needs root"
	exit 0
fi
# shellcheck source=tests/e2e/netns-lib.sh
. "$tests/netns-lib.sh"
[ -x "$exe" ] || fail "$exe not built"
netns_setup a b
node_exec b "$exe" serve 7900 >"$tmp/server.log" 2>&1 &
pids+=($!)
wait_for "$tmp/server.log" listening 1 10 || { log=$tmp/server.log; fail "bench-bus server"; }
node_run a "$exe" run "$(node_ip b)" 7900 "$@"
