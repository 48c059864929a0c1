#!/usr/bin/env bash
# End to end through libnexus alone: a client built with `pkg-config --cflags --libs nexus`
# against the build dir (meson-uninstalled/nexus-uninstalled.pc) resolves echod and calls it;
# echod is killed with SIGKILL and restarted by nexus-init; the same nexus handle calls again
# and succeeds (automatic re-resolve). Resolve errors come back as -errno + section 9 message.
# Every wait is bounded (poll for a line up to N seconds); nothing asserts on timing.
# Usage: libnexus.sh BUILD_DIR CC SANITIZE
set -euo pipefail
build=$1 cc=$2 sanitize=$3
src=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# ---- 1. Build the client the way an outside project would ----
export PKG_CONFIG_PATH=$build/meson-uninstalled
[ "$(pkg-config --modversion nexus)" = "$(pkg-config --modversion nexus-uninstalled)" ] ||
	fail "pkg-config does not find nexus in $PKG_CONFIG_PATH"
san=()
[ "$sanitize" != none ] && san=("-fsanitize=$sanitize")
# shellcheck disable=SC2046 # pkg-config output is meant to be split
"$cc" -std=gnu11 -Wall -Wextra -Werror "${san[@]}" $(pkg-config --cflags nexus) \
	"$src/libnexus-client.c" -o "$tmp/client" $(pkg-config --libs nexus) ||
	fail "client does not build with pkg-config --cflags --libs nexus"
client=$tmp/client
echo "ok client built with pkg-config nexus $(pkg-config --modversion nexus)"

# ---- 2. Boot ----
if [ "$(id -u)" != 0 ]; then
	cp -r "$src/../../policies" "$tmp/policies"
	echo "allow uid:$(id -u) ipc.connect.* samgr.list" >>"$tmp/policies/default.policy"
	export NEXUS_POLICY_DIR=$tmp/policies
fi
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"

# ---- 3. Errors: -errno and the section 9 message ----
st=0; out=$("$client" resolve nosuch) || st=$?
[ "$st" = 1 ] && [[ "$out" == "client: resolve error -2: not_found: "* ]] ||
	fail "resolve nosuch: $st $out"
st=0; out=$(NEXUS_RUNTIME_DIR=$tmp/nowhere "$client" resolve echod) || st=$?
[ "$st" = 1 ] && [ "$out" = \
	"client: connect error: not_found: $tmp/nowhere/samgr.sock: No such file or directory" ] ||
	fail "connect to nowhere: $st $out"
# The schema's limits, answered by samgrd's and echod's generated dispatchers naming the field.
st=0; out=$("$client" resolve '') || st=$?
[ "$st" = 1 ] && [ "$out" = "client: resolve error -22: invalid_argument: name: empty" ] ||
	fail "resolve '': $st $out"
st=0; out=$(echo 1 | "$client" "$(head -c 257 /dev/zero | tr '\0' x)") || st=$?
[ "$st" = 1 ] &&
	[ "$out" = "client: 1 error -90: too_large: text: longer than 256 bytes" ] ||
	fail "257-byte echo: $st $out"
echo "ok resolve not_found -> -ENOENT with message; connect error with message; resolve('') and a 257-byte echo refused naming the field"

# ---- 4. One handle across a restart of echod ----
mkfifo "$tmp/in"
"$client" hello <"$tmp/in" >"$tmp/client.out" 2>&1 &
cpid=$!
pids+=("$cpid")
exec {to}>"$tmp/in"
echo 1 >&"$to"
wait_for "$tmp/client.out" 'client: 1 hello (.*)' || fail "first call: $(cat "$tmp/client.out")"
epid=$(pgrep -P "$ipid" -x echod) || fail "no echod child of init"
kill -KILL "$epid"
wait_for "$log" 'init: exit echod (signal 9)' || fail "exit of echod not logged"
wait_for "$log" 'init: up echod' 2 || fail "echod not up again"
[ "$(pgrep -P "$ipid" -x echod)" != "$epid" ] || fail "same echod pid"
echo 2 >&"$to"
wait_for "$tmp/client.out" 'client: 2 hello (.*)' ||
	fail "call after restart: $(cat "$tmp/client.out")"
exec {to}>&-
st=0; wait "$cpid" || st=$?
[ "$st" = 0 ] || fail "client exited $st: $(cat "$tmp/client.out")"
echo "ok same handle: call, kill -9 echod, up again, call again"

# ---- 5. nx policy show: the rules in force, with file and line ----
out=$("$nx" policy show) || fail "nx policy show failed"
grep -q -E '^allow +svc:logd +ipc.register.logd +services.policy:[0-9]+$' <<<"$out" ||
	fail "nx policy show: $out"
out=$("$nx" policy show --json) || fail "nx policy show --json failed"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(r["subject"] == "svc:logd" and r["allow"] for r in d)' <<<"$out" ||
	fail "nx policy show --json: $out"
st=0; "$nx" policy show extra >/dev/null 2>&1 || st=$?
[ "$st" = 2 ] || fail "nx policy show extra: exit $st, not 2"
echo "ok nx policy show (+ --json, usage)"

# ---- 6. Stop ----
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st"
grep -q 'Sanitizer' "$log" "$tmp/client.out" && fail "a sanitizer reported an error"
echo "ok libnexus"
