#!/usr/bin/env bash
# End to end: vfsd in the boot order, driven through nx fs (and fs-probe for what nx never
# sends). /tmp is emptied at boot and /data kept; a table of hostile paths and symlinks planted
# in the state dir, each refused with its reason and nothing changed; three subjects (uid:0,
# and uids 65534 and 65533 through setpriv) each see only their own trees, and only the
# operator acts as another (Fs.actAs); 10,000 entries listed page by page, complete and
# stable under churn; 64 MiB written and read back through VMOs; the open-file limit and a
# directory over the listing limit; garbage and bad VMOs cost only the caller; vfsd killed
# keeps /data. Second boot with small quotas: bytes and entries refused with limit_exceeded,
# also after vfsd restarted; /pkg serves an installed bundle's files read-only. Every wait is
# bounded; nothing asserts on timing.
# Usage: vfsd.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/fs-probe
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# expect_fail STATUS MESSAGE nx-args...: nx exits STATUS and prints exactly MESSAGE on stderr.
expect_fail() {
	local want_st=$1 want=$2 st=0 err
	shift 2
	err=$("$nx" "$@" 2>&1 >/dev/null) || st=$?
	[ "$st" = "$want_st" ] && [ "$err" = "$want" ] || fail "nx $*: $st '$err', not $want_st '$want'"
}
# Other subjects are other uids (setpriv): without root this test cannot run, and says so (77:
# meson counts it skipped, not passed).
[ "$(id -u)" = 0 ] || { echo "vfsd.sh needs root (other subjects are other uids, via setpriv)"; exit 77; }
command -v setpriv >/dev/null || fail "setpriv missing (util-linux)"

# Three subjects with their own trees; uid 65532 may reach vfsd but holds no fs.* capability.
cp -r "$src/policies" "$tmp/policies"
cat >>"$tmp/policies/default.policy" <<'POL'
allow uid:65534 ipc.connect.vfsd fs.read fs.write
allow uid:65533 ipc.connect.vfsd fs.read fs.write
allow uid:65532 ipc.connect.vfsd
POL
export NEXUS_POLICY_DIR=$tmp/policies
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state
state=$tmp/state/vfsd
mkdir -p "$state/tmp/uid:0" "$state/data/uid:0"
echo stale >"$state/tmp/uid:0/stale"
echo kept >"$state/data/uid:0/kept"
give_state vfsd

# boot LOG: starts nexus-init, waits for init: ready; sets $ipid.
boot() {
	log=$1
	"$init" >"$log" 2>&1 &
	ipid=$!
	pids+=("$ipid")
	wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
	chmod 0711 "$tmp" "$NEXUS_RUNTIME_DIR"
	chmod 0666 "$NEXUS_RUNTIME_DIR/samgr.sock"
}
stop() {
	kill -TERM "$ipid"
	wait "$ipid" || fail "nexus-init exited $?"
}
as_uid() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$nx" "$@"; }

# ---- 1. Boot: vfsd's markers once each, after identityd; /tmp emptied, /data kept ----
boot "$tmp/init.log"
for m in 'init: start vfsd' 'vfsd: ready' 'init: up vfsd'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
done
[ "$(grep -n -x 'init: up identityd' "$log" | cut -d: -f1)" -lt \
	"$(grep -n -x 'init: start vfsd' "$log" | cut -d: -f1)" ] || fail "vfsd started before identityd was up"
[ "$("$nx" fs ls /tmp)" = "" ] || fail "/tmp not emptied at boot: $("$nx" fs ls /tmp)"
[ "$("$nx" fs cat /data/kept)" = kept ] || fail "/data/kept lost at boot"
out=$("$nx" fs ls / --json)
py "[e['name'] for e in d['entries']] == ['data', 'pkg', 'tmp'] and
    all(e['type'] == 'directory' for e in d['entries'])" <<<"$out" || fail "ls /: $out"
echo "ok vfsd boots after echod, markers once each; /tmp emptied, /data kept"

# ---- 2. Usage ----
out=$("$nx" fs --help) && [[ "$out" == "usage: nx fs"* ]] || fail "nx fs --help"
for sub in ls stat cat put mkdir rm mv; do
	out=$("$nx" fs "$sub" --help) && [[ "$out" == "usage: nx fs [--as SUBJECT] $sub"* ]] ||
		fail "nx fs $sub --help: $out"
done
for bad in "fs" "fs frob /data" "fs ls" "fs ls /a /b" "fs cat" "fs put x" "fs mv /data/a" \
	"fs stat /data --frob" "fs ls /data --page 0" "fs ls /data --page x" "fs cat /data/x --json" \
	"fs --as"; do
	st=0; $nx $bad >/dev/null 2>&1 || st=$?
	[ "$st" = 2 ] || fail "nx $bad exited $st, not 2"
done
echo "ok nx fs: --help for each command, bad usage exits 2"

# ---- 3. A round trip ----
printf 'hello vfs\n' | "$nx" fs put - /data/notes.txt || fail "put"
[ "$("$nx" fs cat /data/notes.txt)" = "hello vfs" ] || fail "cat"
"$nx" fs mkdir /data/dir || fail "mkdir"
"$nx" fs mv /data/notes.txt /data/dir/moved.txt || fail "mv"
expect_fail 1 "nx: invalid_argument: /data/dir: directory not empty" fs rm /data/dir
"$nx" fs mv /data/dir/moved.txt /tmp/moved.txt || fail "mv to /tmp"
"$nx" fs stat /tmp/moved.txt --json | py "d['type'] == 'file' and d['size'] == 10" ||
	fail "stat after mv"
expect_fail 1 "nx: not_found: /data/notes.txt: no such file or directory" fs cat /data/notes.txt
expect_fail 1 "nx: invalid_argument: to: /data/dir/sub is beneath /data/dir, which cannot move into itself" \
	fs mv /data/dir /data/dir/sub
"$nx" fs rm /tmp/moved.txt || fail "rm file"
"$nx" fs rm /data/dir || fail "rm empty dir"
expect_fail 1 "nx: already_exists: /data/kept: exists already" fs mkdir /data/kept
expect_fail 1 "nx: denied: path: /data is read-only" fs rm /data
expect_fail 1 "nx: denied: from: / is read-only" fs mv / /data/x
expect_fail 1 "nx: invalid_argument: /data: is a directory" fs cat /data
[ "$(cat "$state/data/uid:0/kept")" = kept ] || fail "state file changed"
echo "ok put, cat, mkdir, mv (also /data to /tmp), stat, rm; refusals name the path"

# ---- 4. Hostile paths and planted symlinks: refused with their reason, nothing changed ----
mkdir -p "$tmp/outside" "$state/data/uid:65534"
echo secret >"$tmp/outside/secret"
echo theirs >"$state/data/uid:65534/theirs"
ln -s "$tmp/outside" "$state/data/uid:0/out-abs"
ln -s ../../../../outside/secret "$state/data/uid:0/out-rel"
ln -s ../uid:65534 "$state/data/uid:0/other-subject"
ln -s kept "$state/data/uid:0/inside"
give_state vfsd
snapshot() { (cd "$tmp" && find state outside -printf '%p %s %y\n' | sort); }
before=$(snapshot)
long=$(printf 'n%.0s' $(seq 300))
huge=$(printf 'n%.0s' $(seq 4096))
chain=$(printf '/a%.0s' $(seq 40))
dd='invalid_argument: path'
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086
	expect_fail 1 "nx: $want" fs $args
done <<EOF2
cat /data/..|$dd: a '..' component
cat /data/../../etc/passwd|$dd: a '..' component
cat /../data/kept|$dd: a '..' component
cat /data/a/../../b|$dd: a '..' component
put /etc/hostname /data/../x|$dd: a '..' component
cat data/kept|$dd: not absolute (must start with '/')
cat /data//kept|$dd: an empty component ('//')
cat /data/$long|too_large: path: a component longer than 255 bytes
cat /data$chain|too_large: path: more than 32 components
cat /etc/passwd|not_found: path: /etc/passwd: not in the namespace (/data, /tmp, /pkg)
cat /data/out-abs/secret|invalid_argument: /data/out-abs/secret: a symlink on the way (vfsd never follows one)
cat /data/out-rel|invalid_argument: /data/out-rel: a symlink on the way (vfsd never follows one)
ls /data/other-subject|invalid_argument: /data/other-subject: a symlink on the way (vfsd never follows one)
cat /data/other-subject/theirs|invalid_argument: /data/other-subject/theirs: a symlink on the way (vfsd never follows one)
cat /data/inside|invalid_argument: /data/inside: a symlink on the way (vfsd never follows one)
put /etc/hostname /data/out-abs/new|invalid_argument: /data/out-abs/new: a symlink on the way (vfsd never follows one)
mkdir /data/out-abs/d|invalid_argument: /data/out-abs/d: a symlink on the way (vfsd never follows one)
mv /data/kept /data/out-abs/kept|invalid_argument: /data/out-abs/kept: a symlink on the way (vfsd never follows one)
EOF2
# A 4 KiB name does not fit one control message: refused before vfsd (too_large), or by it.
st=0; err=$("$nx" fs cat "/data/$huge" 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: too_large:"* ]] || fail "4 KiB name: $st $err"
out=$("$probe" bad) || fail "probe bad: $out"
[ "$(snapshot)" = "$before" ] || fail "a refused path changed the state dir: $(diff <(echo "$before") <(snapshot))"
"$nx" fs ls /data --json | py "sorted((e['name'], e['type']) for e in d['entries']) == [
    ('inside', 'other'), ('kept', 'file'), ('other-subject', 'other'), ('out-abs', 'other'),
    ('out-rel', 'other')]" || fail "ls /data with planted links: $("$nx" fs ls /data)"
"$nx" fs rm /data/out-abs || fail "rm a planted symlink"
[ -d "$tmp/outside" ] && [ -f "$tmp/outside/secret" ] || fail "rm followed the symlink"
echo "ok 21 hostile paths and planted symlinks (out, to another subject, inside) refused with their reasons; NUL refused; nothing changed; a planted link is removed, not followed"

# ---- 5. Three subjects: each its own trees; only the operator acts as another ----
for u in 65534 65533; do
	printf 'mine %s\n' "$u" | as_uid "$u" fs put - /data/secret || fail "uid $u put"
	printf 'tmp %s\n' "$u" | as_uid "$u" fs put - /tmp/scratch || fail "uid $u put /tmp"
done
printf 'mine 0\n' | "$nx" fs put - /data/secret || fail "uid 0 put"
for u in 0 65534 65533; do
	[ "$(as_uid "$u" fs cat /data/secret)" = "mine $u" ] || fail "uid $u reads another's secret"
done
as_uid 65534 fs ls /data --json | py "sorted(e['name'] for e in d['entries']) == ['secret', 'theirs']" ||
	fail "uid 65534 sees: $(as_uid 65534 fs ls /data)"
as_uid 65533 fs ls /data --json | py "[e['name'] for e in d['entries']] == ['secret']" ||
	fail "uid 65533 sees: $(as_uid 65533 fs ls /data)"
as_uid 65533 fs ls /tmp --json | py "[e['name'] for e in d['entries']] == ['scratch']" ||
	fail "uid 65533 /tmp: $(as_uid 65533 fs ls /tmp)"
[ "$(cat "$state/data/uid:65533/secret")" = "mine 65533" ] || fail "uid:65533's tree on disk"
st=0; err=$(as_uid 65534 fs --as uid:0 cat /data/secret 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: denied: uid:65534 lacks fs.admin" ] || fail "uid 65534 --as: $st $err"
st=0; err=$(as_uid 65532 fs ls /data 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: denied: uid:65532 lacks fs.read" ] || fail "uid 65532: $st $err"
[ "$("$nx" fs --as uid:65533 cat /data/secret)" = "mine 65533" ] || fail "operator --as uid:65533"
printf 'for app\n' | "$nx" fs --as app:org.example.a put - /data/given || fail "operator put --as app"
[ "$(cat "$state/data/app:org.example.a/given")" = "for app" ] || fail "app tree on disk"
echo "ok three subjects see only their own /data and /tmp; uid:65534 --as refused (fs.admin), uid:65532 lacks fs.read; the operator acts as uid:65533 and app:org.example.a"

# ---- 6. 10,000 entries, listed page by page: complete, ordered, stable under churn ----
"$nx" fs mkdir /data/many || fail "mkdir many"
out=$("$probe" many /data/many 10000) || fail "probe many: $out"
"$nx" fs ls /data/many --json >"$tmp/many.json" || fail "ls many"
py "len(d['entries']) == 10000 and d['pages'] > 1 and
    [e['name'] for e in d['entries']] == ['f%05d' % i for i in range(10000)]" <"$tmp/many.json" ||
	fail "ls of 10,000: $(head -c 300 "$tmp/many.json")"
pages=$(py "True" <"$tmp/many.json" && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pages"])' "$tmp/many.json")
out=$("$probe" list-churn /data/many 10000) || fail "probe list-churn: $out"
echo "ok 10,000 entries: nx fs ls lists all in $pages pages in order; $out"

# ---- 7. 64 MiB through VMOs, contents checked ----
head -c $((64 << 20)) /dev/urandom >"$tmp/big"
"$nx" fs put "$tmp/big" /data/big || fail "put 64 MiB"
"$nx" fs cat /data/big >"$tmp/big.back" || fail "cat 64 MiB"
cmp -s "$tmp/big" "$tmp/big.back" || fail "64 MiB read back differs"
cmp -s "$tmp/big" "$state/data/uid:0/big" || fail "64 MiB on disk differs"
"$nx" fs stat /data/big --json | py "d['size'] == 64 << 20" || fail "stat big"
rm -f "$tmp/big.back"
echo "ok 64 MiB written and read back through VMOs, contents identical (and on disk)"

# ---- 8. Bad input costs only the caller: garbage, bad VMOs, the open-file limit ----
fds() { ls "/proc/$1/fd" | wc -l; }
vpid=$(pgrep -P "$ipid" -x vfsd) || fail "no vfsd child of init"
v0=$(fds "$vpid")
out=$("$probe" garbage) || fail "garbage: $out"
out=$("$probe" io /data/io.bin) || fail "probe io: $out"
out=$("$probe" open-many /data/kept 1100) || fail "open-many: $out"
grep -q -x 'probe: opened 1024' <<<"$out" && # VFS_OPEN_FILES_MAX
	grep -q -x 'probe: refused: limit_exceeded: /data/kept: vfsd holds 1024 open files already' <<<"$out" ||
	fail "open-many: $out"
[ "$("$nx" fs cat /data/kept)" = kept ] || fail "vfsd stopped serving after bad input"
[ "$(pgrep -P "$ipid" -x vfsd)" = "$vpid" ] || fail "vfsd restarted after bad input"
ok=
for _ in $(seq 100); do
	[ "$(fds "$vpid")" = "$v0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "vfsd fds $v0 -> $(fds "$vpid") after bad input"
echo "ok garbage closes that channel; bad VMOs, flags, NUL and an unknown method refused; 1024 open files (VFS_OPEN_FILES_MAX) then limit_exceeded; same vfsd, no fd leaked"

# ---- 9. A directory over VFS_DIR_ENTRIES_MAX (65536) entries is refused whole ----
mkdir -p "$state/data/app:huge/huge"
python3 -c 'import os,sys; [open(os.path.join(sys.argv[1], "h%06d" % i), "w").close() for i in range(65537)]' \
	"$state/data/app:huge/huge"
expect_fail 1 "nx: too_large: /data/huge: more than 65536 entries" fs --as app:huge ls /data/huge
[ "$("$nx" fs --as app:huge stat /data/huge/h065536)" = "/data/huge/h065536 file 0" ] ||
	fail "stat in the huge directory"
echo "ok a directory of 65537 entries is too_large to list (its entries still reachable)"

# ---- 10. vfsd killed: restarted by init, /data kept, /tmp emptied ----
kill -KILL "$vpid"
wait_for "$log" 'init: up vfsd' 2 30 || fail "vfsd not restarted"
[ "$("$nx" fs cat /data/secret)" = "mine 0" ] || fail "/data lost when vfsd restarted"
[ "$(as_uid 65533 fs ls /tmp)" = "" ] || fail "/tmp kept across a vfsd restart"
stop
echo "ok kill -9 vfsd: restarted, /data kept, /tmp emptied; clean stop"

# ---- 11. Quotas (second boot: 1 MiB and 5 entries per subject) ----
export NEXUS_STATE_DIR=$tmp/state2 NEXUS_VFS_QUOTA_BYTES=1048576 NEXUS_VFS_QUOTA_ENTRIES=5
boot "$tmp/init2.log"
head -c 1048576 /dev/zero >"$tmp/mib"
"$nx" fs put "$tmp/mib" /data/full || fail "put exactly the byte quota"
st=0; err=$(printf x | "$nx" fs put - /data/one 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: limit_exceeded: write: uid:0 would pass its quota of 1048576 bytes" ] ||
	fail "one byte over the quota: $st $err"
"$nx" fs stat /data/one --json | py "d['size'] == 0" || fail "the refused write landed"
expect_fail 1 "nx: limit_exceeded: write: app:q would pass its quota of 1048576 bytes" \
	fs --as app:q put "$tmp/big" /data/big
printf x | "$nx" fs --as app:q put - /data/small || fail "another subject has its own quota"
out=$("$probe" truncate /data/one 1048577) &&
	[ "$out" = "probe: refused: limit_exceeded: truncate: uid:0 would pass its quota of 1048576 bytes" ] ||
	fail "truncate past the quota: $out"
out=$("$probe" truncate /data/full 1000) && [ "$out" = "probe: truncated" ] || fail "truncate down: $out"
out=$("$probe" truncate /data/one 1047576) && [ "$out" = "probe: truncated" ] || fail "truncate up: $out"
out=$("$probe" truncate /data/one 1047577) &&
	[ "$out" = "probe: refused: limit_exceeded: truncate: uid:0 would pass its quota of 1048576 bytes" ] ||
	fail "truncate one byte past the quota: $out"
"$nx" fs rm /data/full || fail "rm full"
printf x | "$nx" fs put - /data/one || fail "put after rm"
for d in d2 d3 d4 d5; do "$nx" fs mkdir "/data/$d" || fail "mkdir $d"; done
expect_fail 1 "nx: limit_exceeded: /data/d6: uid:0 would pass its quota of 5 entries" fs mkdir /data/d6
expect_fail 1 "nx: limit_exceeded: /tmp/t: uid:0 would pass its quota of 5 entries" fs put "$tmp/mib" /tmp/t
vpid=$(pgrep -P "$ipid" -x vfsd) || fail "no vfsd"
kill -KILL "$vpid"
wait_for "$log" 'init: up vfsd' 2 30 || fail "vfsd not restarted"
expect_fail 1 "nx: limit_exceeded: /data/d6: uid:0 would pass its quota of 5 entries" fs mkdir /data/d6
"$nx" fs rm /data/d5 || fail "rm d5"
"$nx" fs mkdir /data/d6 || fail "mkdir after rm"
[ ! -e "$tmp/state2/vfsd/data/uid:0/d5" ] && [ -d "$tmp/state2/vfsd/data/uid:0/d6" ] || fail "state2"
echo "ok quotas: 1 MiB exactly then one byte more (write, truncate), the 6th entry, refused as limit_exceeded (also after vfsd restarted and counted again); per subject; freed by rm"

# ---- 12. /pkg: an installed bundle's files, read-only, through bundlemgrd ----
sample=$src/examples/bundles/hello
key_id=$("$nx" bundle keygen "$tmp/pub.key") || fail "keygen"
cp "$tmp/pub.key.pub" "$tmp/state2/bundlemgrd/trust/$key_id.pub"
"$nx" bundle pack "$sample/root" --manifest "$sample/manifest.nxm" --key "$tmp/pub.key" \
	-o "$tmp/hello.nxb" >/dev/null || fail "pack"
"$nx" bundle install "$tmp/hello.nxb" >/dev/null || fail "install"
"$nx" fs cat /pkg/org.nexus.hello/share/greeting.txt | cmp - "$sample/root/share/greeting.txt" ||
	fail "/pkg read differs"
"$nx" fs --as app:org.nexus.hello cat /pkg/org.nexus.hello/bin/hello | cmp - "$sample/root/bin/hello" ||
	fail "/pkg read as the app"
"$nx" fs stat /pkg/org.nexus.hello/bin/hello --json |
	py "d['type'] == 'file' and d['size'] == $(stat -c %s "$sample/root/bin/hello")" || fail "stat /pkg file"
"$nx" fs stat /pkg/org.nexus.hello --json | py "d['type'] == 'directory'" || fail "stat /pkg/<bundle>"
"$nx" fs ls /pkg --json | py "[(e['name'], e['type']) for e in d['entries']] == [('org.nexus.hello', 'directory')]" ||
	fail "ls /pkg: $("$nx" fs ls /pkg)"
expect_fail 1 "nx: denied: path: /pkg/org.nexus.hello/new is read-only" fs put "$tmp/mib" /pkg/org.nexus.hello/new
expect_fail 1 "nx: denied: path: /pkg/org.nexus.hello/bin/hello is read-only" fs rm /pkg/org.nexus.hello/bin/hello
expect_fail 1 "nx: unsupported: /pkg/org.nexus.hello: listing inside a bundle is not served (open or stat its files)" \
	fs ls /pkg/org.nexus.hello
st=0; err=$("$nx" fs cat /pkg/org.nexus.hello/nope 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: not_found:"* ]] || fail "missing /pkg file: $st $err"
st=0; err=$("$nx" fs cat /pkg/org.nobody/x 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: not_found:"* ]] || fail "missing bundle: $st $err"
echo "ok /pkg: an installed bundle's files read (also as the app), stat, ls /pkg; writes refused, missing files not_found"
stop
echo "ok clean stop"
