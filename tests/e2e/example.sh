#!/usr/bin/env bash
# End to end over real sockets: example-server serves example-client; a client that sends
# garbage loses its own connection while the server keeps serving others; SIGTERM leaves no
# process and no socket behind. Usage: example.sh BUILD_DIR
set -euo pipefail
build=$1
export NEXUS_RUNTIME_DIR
NEXUS_RUNTIME_DIR=$(mktemp -d)
log=$NEXUS_RUNTIME_DIR/server.log
sock=$NEXUS_RUNTIME_DIR/example.sock
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$NEXUS_RUNTIME_DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$log"; exit 1; }

"$build/examples/example-server" >"$log" 2>&1 &
pid=$!
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "server did not start"

# A misbehaving client: a valid-looking segment table claiming 1 GiB, then garbage. The server
# must drop this connection (we read EOF) and nothing else.
python3 - "$sock" <<'PY' || fail "garbage client was not disconnected"
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(5)
s.sendall(struct.pack("<II", 0, 1 << 27) + os.urandom(56))
try:
    data = s.recv(4096)
    while data:          # the server may answer with an Abort before closing
        data = s.recv(4096)
except ConnectionResetError:
    pass
print("ok garbage client disconnected")
PY

# Another one that holds a connection open silently while a good client is served.
python3 - "$sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
time.sleep(3)
PY
idle=$!

"$build/examples/example-client" >"$NEXUS_RUNTIME_DIR/client.out" || { cat "$NEXUS_RUNTIME_DIR/client.out"; fail "client failed"; }
grep -q '^example-client: done$' "$NEXUS_RUNTIME_DIR/client.out" || fail "client did not finish"
echo "ok good client served while another is idle and one sent garbage"
kill "$idle" 2>/dev/null || true
wait "$idle" 2>/dev/null || true

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "server exited with $status after SIGTERM"
[ -e "$sock" ] && fail "socket left behind"
echo "ok clean shutdown: exit 0, no socket left"
