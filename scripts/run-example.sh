#!/usr/bin/env bash
# make run (until the system boots): starts example-server, runs example-client against it,
# then stops the server with SIGTERM. Both say what happens. Usage: run-example.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
runtime=${NEXUS_RUNTIME_DIR:-$PWD/.nexus}
mkdir -p "$runtime"
export NEXUS_RUNTIME_DIR=$runtime
server="$build/examples/example-server"
client="$build/examples/example-client"
log="$runtime/example-server.log"

"$server" >"$log" 2>&1 &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT

for _ in $(seq 100); do
	grep -q 'ready' "$log" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "run: example-server died" >&2; exit 1; }
	sleep 0.05
done
grep -q 'ready' "$log" || { cat "$log"; echo "run: example-server not ready after 5 s" >&2; exit 1; }

status=0
"$client" || status=$?
trap - EXIT
kill -TERM "$pid" 2>/dev/null || true
server_status=0
wait "$pid" || server_status=$?
echo "--- example-server said:"
cat "$log"
[ -S "$runtime/example.sock" ] && { echo "run: stale socket left behind" >&2; status=1; }
[ "$server_status" = 0 ] || { echo "run: example-server exited with $server_status" >&2; status=1; }
exit "$status"
