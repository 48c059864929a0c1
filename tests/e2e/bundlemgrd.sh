#!/usr/bin/env bash
# End to end: bundlemgrd in the boot order, driven through nx as uid:<n>, with a key made by
# `nx bundle keygen` and trusted by copying KEY.pub into the trust dir.
#   1 boot: markers once each, bundlemgrd after echod (services.conf order)
#   2 offline: keygen, pack the sample from examples/bundles/hello, inspect; usage errors
#   3 round trip: install, list, info, cat (openFile), grants in `nx policy explain`, upgrade
#     (a shared blob stored once, its count), remove (records, blobs and grants gone)
#   4 bad bundles (bundle-forge): each refused with its own reason, leaving no trace
#   5 downgrade refused, --force allowed for the operator
#   6 crash safety: NEXUS_BUNDLEMGRD_CRASH_AT at each step of install and remove, restart,
#     the old state or the new one
#   7 grants survive a reboot and a policyd restart; bad input to the daemon
# Every wait is bounded; nothing asserts on timing.
# Usage: bundlemgrd.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
forge=$build/tests/e2e/bundle-forge
sample=$src/examples/bundles/hello
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
operator_policy_for_non_root
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state
store=$NEXUS_STATE_DIR/bundlemgrd
log=$tmp/init.log
ipid=

boot() {
	"$init" >>"$log" 2>&1 &
	ipid=$!
	pids+=("$ipid")
	wait_for "$log" 'init: ready' "$1" 60 || fail "no 'init: ready' ($1)"
}
stop() {
	kill -TERM "$ipid"
	wait "$ipid" || true
}
blobs() { find "$store/blobs" -type f | wc -l; }
sql() { sqlite3 "$store/bundles.db" "$1"; }

# ---- 1. Boot ----
boot 1
prev=$(grep -n -x 'init: up echod' "$log" | cut -d: -f1)
for m in 'init: start bundlemgrd' 'bundlemgrd: ready' 'init: up bundlemgrd'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
	line=$(grep -n -x -- "$m" "$log" | cut -d: -f1)
	[ "$line" -gt "$prev" ] || fail "marker '$m' out of order"
	prev=$line
done
echo "ok bundlemgrd boots in order, markers once each"

# ---- 2. Offline: keygen, pack, inspect ----
cd "$tmp"
key_id=$("$nx" bundle keygen pub.key) || fail "keygen"
[[ "$key_id" =~ ^[0-9a-f]{16}$ ]] || fail "key id: $key_id"
[ "$(stat -c %a pub.key)" = 600 ] || fail "secret key not 0600"
cp pub.key.pub "$store/trust/$key_id.pub"
"$nx" bundle pack "$sample/root" --manifest "$sample/manifest.nxm" --key pub.key -o hello.nxb >/dev/null ||
	fail "pack"
"$nx" bundle inspect hello.nxb --json >inspect.json || fail "inspect"
py "d['id'] == 'org.nexus.hello' and d['version'] == 1 and d['publisher'] == '$key_id' and
    d['signature'] == 'verifies' and [f['path'] for f in d['files']] == ['bin/hello', 'share/greeting.txt'] and
    d['files'][0]['mode'] == 0o755 and d['caps'] == ['log.append', 'ipc.connect.echod']" <inspect.json ||
	fail "inspect: $(cat inspect.json)"
out=$("$nx" bundle --help) && [[ "$out" == "usage: nx bundle"* ]] || fail "nx bundle --help"
out=$("$nx" bundle pack --help) && [[ "$out" == "usage: nx bundle"* ]] || fail "nx bundle pack --help"
for bad in "bundle" "bundle frob" "bundle keygen" "bundle inspect" "bundle pack $sample/root" \
	"bundle list extra" "bundle info" "bundle remove" "bundle cat x" "bundle list --force"; do
	st=0; $nx $bad >/dev/null 2>&1 || st=$?
	[ "$st" = 2 ] || fail "nx $bad exited $st, not 2"
done
echo "ok offline: keygen (key id $key_id), pack, inspect --json; usage exits 2"

# ---- 3. Round trip ----
"$nx" bundle install hello.nxb --json >inst.json || fail "install"
py "d == {'id': 'org.nexus.hello', 'version': 1, 'previous': 0}" <inst.json || fail "install: $(cat inst.json)"
"$nx" bundle list --json >list.json || fail "list"
py "len(d) == 1 and d[0]['id'] == 'org.nexus.hello' and d[0]['files'] == 2 and d[0]['publisher'] == '$key_id'" \
	<list.json || fail "list: $(cat list.json)"
"$nx" bundle info org.nexus.hello --json >info.json || fail "info"
py "d['entry'] == 'bin/hello' and d['restart'] == 'on-failure' and len(d['files']) == 2 and
    d['limits']['tasks'] == 4" <info.json || fail "info: $(cat info.json)"
"$nx" bundle cat org.nexus.hello share/greeting.txt >greeting || fail "cat"
cmp greeting "$sample/root/share/greeting.txt" || fail "cat: contents differ"
"$nx" bundle cat org.nexus.hello bin/hello | cmp - "$sample/root/bin/hello" || fail "cat bin/hello"
out=$("$nx" policy explain app:org.nexus.hello ipc.connect.echod) ||
	fail "grant not in force: $out"
[[ "$out" == "allowed by bundle-grants:"*"allow app:org.nexus.hello ipc.connect.echod" ]] ||
	fail "explain: $out"
[ "$(blobs)" = 2 ] || fail "blobs after install: $(blobs)"
echo "ok round trip: install, list, info, cat (openFile), grant visible in nx policy explain"
