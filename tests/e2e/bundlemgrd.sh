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
# A policy copy: the test's uid may also set grants in policyd (the grants limit, section 7),
# and is the bundle operator when it is not root.
cp -r "$src/policies" "$tmp/policies"
echo "allow uid:$(id -u) policy.grant" >>"$tmp/policies/default.policy"
if [ "$(id -u)" != 0 ]; then
	echo "allow uid:$(id -u) ipc.connect.* samgr.list bundle.install bundle.remove bundle.list" \
		"bundle.read bundle.watch bundle.downgrade" >>"$tmp/policies/default.policy"
fi
export NEXUS_POLICY_DIR=$tmp/policies
probe=$build/tests/e2e/bundle-probe
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
prev=$(grep -n -x 'init: up identityd' "$log" | cut -d: -f1)
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
give_state bundlemgrd
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

# ---- 3b. Upgrade (one file changed, one shared), a second bundle sharing both, removals ----
mkdir -p v2/bin v2/share
cp "$sample/root/bin/hello" v2/bin/hello
echo "Hello again, from version 2." >v2/share/greeting.txt
sed 's/^version = 1$/version = 2/' "$sample/manifest.nxm" >v2.nxm
"$nx" bundle pack v2 --manifest v2.nxm --key pub.key -o hello2.nxb >/dev/null || fail "pack v2"
out=$("$nx" bundle install hello2.nxb) || fail "upgrade: $out"
[ "$out" = "installed org.nexus.hello version 2 (previous 1)" ] || fail "upgrade: $out"
"$nx" bundle cat org.nexus.hello share/greeting.txt | cmp - v2/share/greeting.txt ||
	fail "upgrade: old contents served"
[ "$(blobs)" = 2 ] || fail "upgrade: $(blobs) blobs, not 2 (old greeting collected)"
[ "$(sql 'SELECT SUM(refs) FROM blobs')" = 2 ] || fail "upgrade: refs"
sed 's/^id = org.nexus.hello$/id = org.nexus.twin/' v2.nxm >twin.nxm
"$nx" bundle pack v2 --manifest twin.nxm --key pub.key -o twin.nxb >/dev/null || fail "pack twin"
"$nx" bundle install twin.nxb >/dev/null || fail "install twin"
[ "$(blobs)" = 2 ] || fail "twin: $(blobs) blobs, not 2 (shared contents stored once)"
[ "$(sql 'SELECT GROUP_CONCAT(refs) FROM blobs')" = "2,2" ] || fail "twin: refs $(sql 'SELECT refs FROM blobs')"
[ "$(sql 'SELECT COUNT(*) FROM bundles')" = 2 ] || fail "twin: records"
out=$("$nx" bundle remove org.nexus.twin) && [ "$out" = "removed org.nexus.twin version 2" ] ||
	fail "remove twin: $out"
[ "$(blobs)" = 2 ] && [ "$(sql 'SELECT GROUP_CONCAT(refs) FROM blobs')" = "1,1" ] ||
	fail "after twin removed: $(blobs) blobs, refs $(sql 'SELECT refs FROM blobs')"
"$nx" bundle remove org.nexus.hello >/dev/null || fail "remove hello"
[ "$(blobs)" = 0 ] && [ "$(sql 'SELECT COUNT(*) FROM blobs')" = 0 ] &&
	[ "$(sql 'SELECT COUNT(*) FROM files')" = 0 ] && [ "$(sql 'SELECT COUNT(*) FROM bundles')" = 0 ] ||
	fail "after removal: blobs $(blobs), records left"
st=0; out=$("$nx" policy explain app:org.nexus.hello ipc.connect.echod) || st=$?
[ "$st" = 1 ] && [[ "$out" == "denied: no rule allows it"* ]] || fail "grant left after remove: $out"
st=0; err=$("$nx" bundle remove org.nexus.hello 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: not_found: id: org.nexus.hello is not installed" ] || fail "remove twice: $err"
st=0; err=$("$nx" bundle cat org.nexus.hello bin/hello 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: not_found: "* ]] || fail "cat after remove: $err"
echo "ok upgrade, a twin sharing both blobs (stored once, counted twice), removals collect them, grants go"

# ---- 4. Bad bundles: each refused with its own reason, no trace, no fd kept ----
bpid=$(awk '$1 == "bundlemgrd" {print $2}' "$NEXUS_RUNTIME_DIR/status")
fds() { ls "/proc/$bpid/fd" | wc -l; }
fds0=$(fds)
check_clean() {
	[ "$(blobs)" = 0 ] && [ "$(sql 'SELECT COUNT(*) FROM bundles')" = 0 ] &&
		[ -z "$(ls -A "$store/staging")" ] || fail "$1 left a trace"
}
refused() { # KIND PATTERN
	"$forge" "$1" org.nexus.bad pub.key "bad-$1.nxb" || fail "forge $1"
	st=0; err=$("$nx" bundle install "bad-$1.nxb" 2>&1) || st=$?
	[ "$st" = 1 ] && [[ "$err" =~ $2 ]] || fail "$1: exit $st, '$err'"
	check_clean "$1"
}
refused unsigned '^nx: denied: signature: missing \(unsigned bundle\)$'
refused untrusted '^nx: denied: signature: publisher [0-9a-f]{16} is not a trust anchor$'
refused other-manifest "^nx: denied: signature: does not verify with publisher $key_id's key$"
refused flipped '^nx: integrity: files\[1\]: contents do not match sha256$'
refused missing '^nx: integrity: contents: 1 files for 2 manifest entries \(one missing\)$'
refused extra '^nx: integrity: contents: 3 files for 2 manifest entries \(one extra\)$'
refused dotdot '^nx: invalid_argument: manifest.files\[1\].path: not a relative normalised path$'
refused absolute '^nx: invalid_argument: manifest.files\[1\].path: not a relative normalised path$'
refused duplicate '^nx: invalid_argument: manifest.files\[1\].path: the same path as files\[0\] is$'
refused ungrantable "^nx: denied: caps: publisher:$key_id may not grant proc.spawn \(needs grant.proc.spawn\)$"
refused truncated '^nx: invalid_argument: structure: truncated'
payload() { # KIND PATTERN
	out=$("$probe" payload "$1" hello.nxb) || fail "payload $1: $out"
	[[ "$out" =~ $2 ]] || fail "payload $1: $out"
	check_clean "payload $1"
}
payload unsealed '^probe: invalid_argument: payload.vmo: not sealed$'
payload notmemfd '^probe: invalid_argument: payload.vmo: not a memfd$'
payload oversized "^probe: too_large: size: $((256 * 1024 * 1024 + 1)) bytes, more than $((256 * 1024 * 1024))$"
payload wrongsize '^probe: invalid_argument: payload.size: [0-9]+, the VMO holds [0-9]+$'
payload novmo '^probe: invalid_argument: payload.vmo: no Vmo given$'
long=org.$(printf 'a%.0s' $(seq 130))
st=0; err=$("$nx" bundle info "$long" 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: too_large: id: longer than 128 bytes" ] || fail "over-long id: $err"
[ "$(fds)" = "$fds0" ] || fail "bundlemgrd holds $(fds) fds, $fds0 before the bad bundles"
[ "$(awk '$1 == "bundlemgrd" {print $2}' "$NEXUS_RUNTIME_DIR/status")" = "$bpid" ] ||
	fail "bundlemgrd was restarted"
echo "ok bad bundles refused, each with its own reason, no trace: 11 forged, 5 bad payload VMOs," \
	"an over-long id; no fd kept, no restart"

# ---- 5. Downgrade: refused, allowed with --force ----
"$nx" bundle install hello2.nxb >/dev/null || fail "install v2"
st=0; err=$("$nx" bundle install hello.nxb 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: already_exists: manifest.version: 1 is not above the installed 2 (a downgrade needs force)" ] ||
	fail "downgrade: $st $err"
st=0; err=$("$nx" bundle install hello2.nxb 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: already_exists: manifest.version: 2 is not above"* ]] || fail "same version: $err"
out=$("$nx" bundle install hello.nxb --force) && [ "$out" = "installed org.nexus.hello version 1 (previous 2)" ] ||
	fail "forced downgrade: $out"
"$nx" bundle cat org.nexus.hello share/greeting.txt | cmp - "$sample/root/share/greeting.txt" ||
	fail "downgrade: contents"
[ "$(blobs)" = 2 ] || fail "downgrade: blobs $(blobs)"
echo "ok downgrade refused (already_exists), --force by the operator installs it"

# ---- 6. Bad input to the daemon; watchers ----
out=$("$probe" garbage) || fail "garbage: $out"
"$nx" bundle list >/dev/null || fail "bundlemgrd stopped serving after garbage"
out=$("$probe" watchers) || fail "watchers: $out"
[[ "$out" == *"probe: limit_exceeded: watchers: 4 held through this connection"* ]] &&
	[[ "$out" == *"probe: per channel 4"* ]] && [[ "$out" == *"probe: in all 64"* ]] &&
	[[ "$out" == *"probe: limit_exceeded: watchers: 64 held already"* ]] || fail "watchers: $out"
"$probe" watch 2 >watch.out &
wpid=$!
pids+=("$wpid")
wait_for watch.out 'probe: watching' 1 20 || fail "watch: not watching"
"$nx" bundle install hello2.nxb >/dev/null || fail "upgrade watched"
"$nx" bundle remove org.nexus.hello >/dev/null || fail "remove watched"
wait "$wpid" || fail "watch: $(cat watch.out)"
grep -qx 'probe: upgraded org.nexus.hello 2' watch.out && grep -qx 'probe: removed org.nexus.hello 2' watch.out ||
	fail "watch events: $(cat watch.out)"
st=0; err=$("$nx" bundle info Not.An.Id 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: invalid_argument: id: not a reverse-DNS bundle id" ] || fail "bad id: $err"
st=0; err=$("$nx" bundle cat org.nexus.hello ../x 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: invalid_argument: path: not a relative normalised path" ] || fail "bad path: $err"
echo "ok garbage costs only its channel, watcher limits (4 per channel, 64 in all), events, bad ids and paths"

# ---- 7. Limits: list pages (BUNDLEMGRD_LIST_MAX, 16), bundles installed (BUNDLEMGRD_BUNDLES_MAX,
# 1024, rows written while bundlemgrd is stopped), policyd's grant subjects
# (POLD_GRANT_SUBJECTS_MAX, 1024); watchers (BUNDLEMGRD_WATCHERS_PER_CONN_MAX,
# BUNDLEMGRD_WATCHERS_MAX) are crossed in section 6 ----
out=$("$probe" grants 2000) || fail "grants: $out"
[[ "$out" == *"probe: granted 1024"* ]] &&
	[[ "$out" == *"probe: limit_exceeded: grants: 1024 subjects hold grants already"* ]] || fail "grants: $out"
stop
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1024)
     INSERT INTO bundles SELECT printf('org.fake.b%04d', i), 1, 'k', 'e', 0, 0, 0, 0, 0, 0, x'00' FROM n"
boot 2
"$nx" bundle list --json >list.json || fail "list 1024"
py "len(d) == 1024 and d[0]['id'] == 'org.fake.b0001' and d[-1]['id'] == 'org.fake.b1024'" <list.json ||
	fail "list pages"
st=0; err=$("$nx" bundle install hello.nxb 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: limit_exceeded: bundles: 1024 installed already" ] || fail "bundles limit: $err"
stop
sql "DELETE FROM bundles"
boot 3
echo "ok limits: list pages of 16 through 1024 bundles, the 1025th refused, policyd's 1025th grant subject refused"

# ---- 8. Grants survive a reboot and a policyd restart ----
"$nx" bundle install hello.nxb >/dev/null || fail "install for reboot"
stop
boot 4
"$nx" policy explain app:org.nexus.hello ipc.connect.echod >/dev/null || fail "grant lost in reboot"
"$nx" bundle cat org.nexus.hello bin/hello | cmp - "$sample/root/bin/hello" || fail "contents lost in reboot"
ppid_=$(awk '$1 == "policyd" {print $2}' "$NEXUS_RUNTIME_DIR/status")
kill -KILL "$ppid_"
wait_for "$log" 'init: up policyd' 5 30 || fail "policyd not restarted"
for _ in $(seq 100); do
	"$nx" policy explain app:org.nexus.hello ipc.connect.echod >/dev/null 2>&1 && break
	sleep 0.1
done
"$nx" policy explain app:org.nexus.hello ipc.connect.echod >/dev/null || fail "grant lost with policyd"
echo "ok grants survive a reboot and are set again in a restarted policyd"

# ---- 9. Crash safety: bundlemgrd aborts at each step, restarts, the old state or the new ----
crash_at() { # STEP ACTION ARG
	stop
	NEXUS_BUNDLEMGRD_CRASH_AT=$1 boot $((++boots))
	st=0; "$nx" bundle "$2" "$3" >/dev/null 2>&1 || st=$?
	[ "$st" = 1 ] || fail "$1: the $2 did not fail ($st)"
	readies=$((readies + 2)) # the boot's, then the restart's after the abort
	wait_for "$log" 'bundlemgrd: ready' $readies 30 || fail "$1: bundlemgrd not restarted"
}
boots=4
readies=$(grep -c -x 'bundlemgrd: ready' "$log")
"$nx" bundle remove org.nexus.hello >/dev/null || fail "remove before crashes"
for step in install-staged install-published; do
	crash_at $step install hello.nxb
	[ "$("$nx" bundle list --json)" = "[]" ] && check_clean "$step" || fail "$step: installed"
done
for step in install-committed install-done; do
	crash_at $step install hello.nxb
	"$nx" bundle cat org.nexus.hello share/greeting.txt | cmp - "$sample/root/share/greeting.txt" ||
		fail "$step: not installed"
	[ "$(blobs)" = 2 ] && [ -z "$(ls -A "$store/staging")" ] || fail "$step: blobs $(blobs)"
	"$nx" policy explain app:org.nexus.hello ipc.connect.echod >/dev/null || fail "$step: no grant"
	stop; boot $((++boots)); readies=$((readies + 1))
	"$nx" bundle remove org.nexus.hello >/dev/null || fail "$step: remove"
done
for step in remove-committed remove-done; do
	"$nx" bundle install hello.nxb >/dev/null || fail "$step: install"
	crash_at $step remove org.nexus.hello
	[ "$("$nx" bundle list --json)" = "[]" ] && check_clean "$step" || fail "$step: still installed"
	st=0; "$nx" policy explain app:org.nexus.hello ipc.connect.echod >/dev/null || st=$?
	[ "$st" = 1 ] || fail "$step: grant left"
done
grep -q 'bundlemgrd: notice store: recovered: 0 staged files and 2 unused blobs removed' "$log" ||
	fail "no recovery logged"
echo "ok crash at each step of install and remove: the old state or the new, leftovers swept"

stop
echo "ok stopped cleanly"
