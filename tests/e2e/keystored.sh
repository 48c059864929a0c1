#!/usr/bin/env bash
# End to end: keystored booted by nexus-init after rngd, its device key made from rngd
# entropy. Through nx: create/list/public/sign/verify/delete, --json, --help, usage errors;
# a signature for one domain fails in another; data over KS_INLINE_DATA_MAX through a VMO.
# Three subjects (uid:0, uid:1000, uid:65534 via setpriv) each use only their own keys and
# their own crypto.sign.* grants. The device key survives kill -9 of keystored and a stop +
# boot on the same state dir. NEXUS_KEYSTORED_CRASH_AT aborts keystored at each step of a
# create and a delete: the store holds the old or the new state after. The seeds of every
# stored key (decrypted by key-probe from the state dir) appear nowhere: not in the state
# dir's files, not in any answer (key-probe dump), not in nx's output or the console. A
# damaged KEK, a truncated and an emptied keys.db, a flipped record give `integrity:` to
# callers and in logd, and keystored keeps serving verify (and the other keys). Bad input
# (garbage, unknown method, over-long or invalid fields, bad VMOs) is refused and keystored
# keeps serving, never restarted; held creations are bounded and freed by a caller gone.
# Every wait is bounded (poll up to N seconds); nothing asserts on timing.
# Usage: keystored.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/key-probe

# Three local users are three subjects: that needs root and setpriv (else: skipped, 77).
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "keystored.sh needs root and setpriv for its three subjects"
	exit 77
fi
grep -q '^rngd ' "$build/source/init/services.conf" || fail "no rngd in services.conf"

cp -r "$(cd "$(dirname "$0")/../.." && pwd)/policies" "$tmp/policies"
cat >>"$tmp/policies/default.policy" <<'POL'
allow uid:1000  ipc.connect.keystored crypto.key.manage crypto.sign.user.*
allow uid:65534 ipc.connect.keystored crypto.key.manage crypto.sign.user.*
POL
export NEXUS_POLICY_DIR=$tmp/policies NEXUS_RUNTIME_DIR=$tmp/run
state=$NEXUS_STATE_DIR/keystored
log=$tmp/init.log
out_all=$tmp/nx-output # everything nx printed, searched for private key bytes at the end
: >"$out_all"

ipid=
boot() {
	: >"$log"
	"$init" >>"$log" 2>&1 &
	ipid=$!
	pids+=("$ipid")
	wait_for "$log" 'init: ready' || fail "no 'init: ready'"
}
stop() {
	kill -TERM "$ipid"
	wait "$ipid" || fail "nexus-init did not stop cleanly"
	grep -q 'Sanitizer' "$log" && fail "sanitizer report"
	return 0
}
# as UID NX-ARGS...: nx as another local user (the socket opened to it; policy decides).
as() {
	local uid=$1
	shift
	setpriv --reuid "$uid" --regid "$uid" --clear-groups "$nx" "$@" 2>&1 | tee -a "$out_all"
	return "${PIPESTATUS[0]}"
}
k() { as 0 key "$@"; }
# until KEY's public key is served (the device key right after a first boot waits for rngd).
public_soon() {
	for _ in $(seq 400); do
		"$nx" key public "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
keystored_pid() { pgrep -P "$ipid" -x keystored; }
# in_journal TEXT: until logd holds a record of keystored's with TEXT (bounded).
in_journal() {
	for _ in $(seq 200); do
		"$nx" log query --subject svc:keystored --grep "$1" 2>/dev/null | grep -q -F -- "$1" &&
			return 0
		sleep 0.05
	done
	return 1
}

# ---- 1. Boot: keystored after rngd, the device key made once from rngd entropy ----
boot
chmod 0711 "$tmp" "$NEXUS_RUNTIME_DIR"
chmod 0666 "$NEXUS_RUNTIME_DIR/samgr.sock"
prev=0
for m in 'init: up logd' 'init: up rngd' 'init: start keystored' 'keystored: ready' \
	'init: up keystored' 'init: ready'; do
	line=$(grep -n -x -- "$m" "$log" | head -1 | cut -d: -f1)
	[ -n "$line" ] && [ "$line" -gt "$prev" ] || fail "marker '$m' missing or out of order"
	prev=$line
done
device=$(public_soon @device) || fail "no device key"
[[ "$device" =~ ^[0-9a-f]{64}$ ]] || fail "device key: $device"
wait_for "$log" 'keystored: notice keys: device key made from rngd entropy' ||
	fail "keystored did not say it made the device key"
[ "$(stat -c %a "$state/kek")" = 600 ] && [ "$(stat -c %a "$state/keys.db")" = 600 ] ||
	fail "key files not 0600"
echo "ok boot: keystored after rngd, device key $device, kek and keys.db 0600"

# ---- 2. nx key: create, list, public, sign, verify, delete; --json; usage ----
out=$(k --help) && [[ "$out" == "usage: nx key list"* ]] || fail "nx key --help"
out=$(k sign --help) && [[ "$out" == "usage: nx key sign KEY DOMAIN"* ]] || fail "sign --help"
st=0; out=$(k sign onlykey) || st=$?
[ "$st" = 2 ] && [ "$out" = "nx key: sign: missing arguments (nx key --help)" ] ||
	fail "sign with one argument: $st $out"
st=0; out=$(k verify zz dom 00) || st=$?
[ "$st" = 2 ] && [ "$out" = "nx key: zz: PUBLIC: not 64 hex digits" ] || fail "verify zz: $out"
st=0; out=$(k frob) || st=$?
[ "$st" = 2 ] || fail "nx key frob exited $st"
pub=$(k create alpha) && [[ "$pub" =~ ^[0-9a-f]{64}$ ]] || fail "create alpha: $pub"
[ "$(k public alpha)" = "$pub" ] || fail "public alpha"
st=0; out=$(k create alpha) || st=$?
[ "$st" = 1 ] && [ "$out" = "nx: already_exists: name: a key alpha exists" ] ||
	fail "create alpha twice: $st $out"
out=$(k list --json)
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [k["name"] for k in d] == ["alpha"], d
assert d[0]["publicKey"] == sys.argv[2] and d[0]["createdNs"] > 0, d
' "$out" "$pub" || fail "list --json: $out"
sig=$(k sign alpha app.login --data 'hello keys') && [[ "$sig" =~ ^[0-9a-f]{128}$ ]] ||
	fail "sign: $sig"
[ "$(k verify "$pub" app.login "$sig" --data 'hello keys')" = valid ] || fail "verify"
st=0; out=$(k verify "$pub" app.logout "$sig" --data 'hello keys') || st=$?
[ "$st" = 1 ] && [ "$out" = invalid ] || fail "a signature for domain A verified in B"
st=0; out=$(k verify "$pub" app.login "$sig" --data 'hello keyz') || st=$?
[ "$st" = 1 ] && [ "$out" = invalid ] || fail "other data verified"
[ "$(k verify "$device" app.login "$sig" --data 'hello keys' --json)" = '{"valid":false}' ] ||
	fail "another key verified"
out=$(k sign @device boot.id --data nonce --json)
dsig=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["signature"])' "$out")
[ "$(k verify "$device" boot.id "$dsig" --data nonce)" = valid ] || fail "device signature"
# Over KS_INLINE_DATA_MAX (2048 bytes): a sealed VMO, both ways.
head -c 300000 /dev/urandom >"$tmp/big"
big=$(k sign alpha bundle <"$tmp/big") || fail "sign 300 kB: $big"
[ "$(k verify "$pub" bundle "$big" <"$tmp/big")" = valid ] || fail "verify 300 kB"
head -c 2048 "$tmp/big" >"$tmp/edge"
edge=$(k sign alpha bundle <"$tmp/edge") && [ "$(k verify "$pub" bundle "$edge" <"$tmp/edge")" = valid ] ||
	fail "2048 bytes inline"
head -c 1048577 /dev/zero >"$tmp/huge"
st=0; out=$(k sign alpha bundle <"$tmp/huge") || st=$?
[ "$st" = 2 ] && [ "$out" = "nx key: data: longer than 1048576 bytes" ] || fail "huge: $st $out"
echo "ok nx key: create/list/public/sign/verify, domains separate, VMO data, usage errors"

# ---- 3. Three subjects: each sees, uses and deletes only its own keys ----
for u in 0 1000 65534; do
	as "$u" key create "shared" >"$tmp/shared.$u" || fail "uid:$u create shared: $(cat "$tmp/shared.$u")"
	as "$u" key create "own$u" >/dev/null || fail "uid:$u create own$u"
done
[ "$(sort -u "$tmp"/shared.* | wc -l)" = 3 ] || fail "one name, three subjects, not three keys"
for u in 0 1000 65534; do
	names=$(as "$u" key list --json | python3 -c 'import json,sys; print(" ".join(k["name"] for k in json.load(sys.stdin)))')
	want="own$u shared"
	[ "$u" = 0 ] && want="alpha own0 shared"
	[ "$names" = "$want" ] || fail "uid:$u lists '$names', not '$want'"
	[ "$(as "$u" key public shared)" = "$(cat "$tmp/shared.$u")" ] || fail "uid:$u shared"
	for v in 0 1000 65534; do
		[ "$u" = "$v" ] && continue
		st=0; out=$(as "$u" key public "own$v") || st=$?
		[ "$st" = 1 ] && [ "$out" = "nx: not_found: key: no key own$v" ] ||
			fail "uid:$u reached own$v of uid:$v: $st $out"
		st=0; out=$(as "$u" key sign "own$v" user.x --data x) || st=$?
		[ "$st" = 1 ] && [[ "$out" == "nx: not_found:"* ]] || fail "uid:$u signed with own$v: $out"
		st=0; out=$(as "$u" key delete "own$v") || st=$?
		[ "$st" = 1 ] && [[ "$out" == "nx: not_found:"* ]] || fail "uid:$u deleted own$v: $out"
	done
done
s1000=$(as 1000 key sign own1000 user.mail --data m) || fail "uid:1000 sign in user.mail"
[ "$(k verify "$(as 1000 key public own1000)" user.mail "$s1000" --data m)" = valid ] ||
	fail "uid:1000's signature"
st=0; out=$(as 65534 key sign own65534 dsoftbus --data m) || st=$?
[ "$st" = 1 ] && [ "$out" = "nx: denied: uid:65534 lacks crypto.sign.dsoftbus" ] ||
	fail "uid:65534 signed outside its domains: $st $out"
st=0; out=$(as 65534 key sign @device user.x --data m) && [[ "$out" =~ ^[0-9a-f]{128}$ ]] ||
	fail "uid:65534 with the device key in a granted domain: $out"
st=0; out=$(as 1000 key delete @device) || st=$?
[ "$st" = 1 ] && [ "$out" = "nx: denied: name: the device key is never deleted" ] ||
	fail "delete @device: $st $out"
[ "$(as 65534 key delete own65534)" = "deleted own65534" ] || fail "uid:65534 delete"
[ "$(as 1000 key public own1000)" != "" ] || fail "uid:1000 lost own1000"
echo "ok subjects: uid:0, uid:1000, uid:65534 each reach only their own keys and domains"

# ---- 4. Bad input: refused, keystored keeps serving, keeps no fd of it ----
kpid=$(keystored_pid) || fail "no keystored child of init"
kfd0=$(ls "/proc/$kpid/fd" | wc -l)
long=$(printf 'n%.0s' $(seq 65))
st=0; out=$(k create "$long") || st=$?
[ "$st" = 1 ] && [ "$out" = "nx: too_large: name: longer than 64 bytes" ] || fail "long name: $out"
st=0; out=$(k create 'a b') || st=$?
[ "$st" = 1 ] && [[ "$out" == "nx: invalid_argument: key: not @device nor a name"* ]] ||
	fail "name 'a b': $out"
st=0; out=$(k create "x';DROP TABLE keys;--") || st=$?
[ "$st" = 1 ] && [[ "$out" == "nx: invalid_argument:"* ]] || fail "SQL-ish name: $out"
st=0; out=$(k sign alpha 'Bad..Domain' --data x) || st=$?
[ "$st" = 1 ] && [[ "$out" == "nx: invalid_argument: domain:"* ]] || fail "bad domain: $out"
out=$("$probe" garbage) || fail "garbage: $out"
[ "$out" = "probe: keystored closed the channel" ] || fail "garbage: $out"
out=$("$probe" unknown-method) || fail "unknown method answered: $out"
[[ "$out" == "probe: unsupported:"* ]] || fail "unknown method: $out"
for how in unsealed size both large; do
	out=$("$probe" vmo "$how" alpha) || fail "vmo $how: $out"
	[[ "$out" == "probe: invalid_argument: "* || "$out" == "probe: too_large: "* ]] ||
		fail "vmo $how: $out"
done
# Creations waiting for rngd: KS_CREATES_PENDING_MAX (16) held while rngd is stopped, the
# 17th refused at once; all held ones made once rngd runs again.
# A caller that goes away while its creations wait gets no key and frees their places.
rpid=$(pgrep -P "$ipid" -x rngd) || fail "no rngd child of init"
full='probe: refused limit_exceeded: create: 16 creations wait for rngd already'
kill -STOP "$rpid"
"$probe" pending 17 gone >"$tmp/gone" &
ppid=$!
pids+=("$ppid")
wait_for "$tmp/gone" "$full" || { kill -CONT "$rpid"; fail "17th create not refused: $(cat "$tmp/gone")"; }
kill -KILL "$ppid"
wait "$ppid" 2>/dev/null || true
"$probe" pending 17 p >"$tmp/pending" &
ppid=$!
pids+=("$ppid")
wait_for "$tmp/pending" "$full" ||
	{ kill -CONT "$rpid"; fail "the places of a caller gone were not freed: $(cat "$tmp/pending")"; }
kill -CONT "$rpid"
wait "$ppid" || fail "pending: $(cat "$tmp/pending")"
[ "$(tail -1 "$tmp/pending")" = "probe: created 16 refused 1" ] || fail "pending: $(cat "$tmp/pending")"
k list | grep -q '^gone' && fail "a creation of a caller gone made a key"
[ "$(k public alpha)" = "$pub" ] || fail "keystored stopped serving after bad input"
grep -q 'init: exit keystored' "$log" && fail "bad input made keystored exit"
# Every channel and VMO of the bad calls is closed (channels close as their peers go).
for _ in $(seq 100); do [ "$(ls "/proc/$kpid/fd" | wc -l)" = "$kfd0" ] && break; sleep 0.05; done
[ "$(ls "/proc/$kpid/fd" | wc -l)" = "$kfd0" ] ||
	fail "keystored holds $(ls "/proc/$kpid/fd" | wc -l) fds after bad input, $kfd0 before"
echo "ok bad input: long/invalid names, domains, garbage, unknown method, bad VMOs refused;"
echo "   no fd left behind in keystored;"
echo "   16 creations held while rngd is stopped, the 17th refused, the 16 made after;"
echo "   a caller gone while its creations wait gets no key and frees their places"

# ---- 5. The device key survives kill -9 and a stop + boot on the same state dir ----
kill -KILL "$(keystored_pid)"
wait_for "$log" 'keystored: ready' 2 || fail "keystored not restarted"
[ "$(public_soon @device)" = "$device" ] || fail "device key changed after kill -9"
[ "$(k public alpha)" = "$pub" ] || fail "alpha lost after kill -9"
stop
boot
[ "$(public_soon @device)" = "$device" ] || fail "device key changed after a reboot"
[ "$(k public alpha)" = "$pub" ] || fail "alpha lost after a reboot"
grep -q 'device key made' "$log" && fail "a second device key was made"
stop
echo "ok device key: same after kill -9 of keystored and after stop + boot"

# ---- 6. kill -9 (abort) at each step of create and delete: old or new state ----
crash_case() { # STEP OP NAME WANT(present|absent)
	local step=$1 op=$2 name=$3 want=$4 st=0 out
	NEXUS_KEYSTORED_CRASH_AT=$step boot
	public_soon @device >/dev/null || fail "$step: no device key"
	if [ "$op" = delete ]; then
		# Creations pass no delete step: make the victim first.
		k create "$name" >/dev/null || fail "$step: create $name"
	fi
	out=$(k "$op" "$name") || st=$?
	[ "$st" = 1 ] || fail "$step: $op $name did not fail: $out"
	wait_for "$log" 'keystored: ready' 2 || fail "$step: keystored not restarted"
	grep -q -x 'init: exit keystored (signal 6)' "$log" || fail "$step: no abort"
	[ "$(public_soon @device)" = "$device" ] || fail "$step: device key changed"
	st=0; out=$(k public "$name") || st=$?
	if [ "$want" = present ]; then
		[ "$st" = 0 ] || fail "$step: $name lost: $out"
		s=$(k sign "$name" user.x --data y) && [ "$(k verify "$out" user.x "$s" --data y)" = valid ] ||
			fail "$step: $name present but unusable"
	else
		[ "$st" = 1 ] && [[ "$out" == "nx: not_found:"* ]] || fail "$step: $name after the crash: $out"
	fi
	stop
}
crash_case create-begun create c1 absent
crash_case create-inserted create c2 absent
crash_case create-committed create c3 present
crash_case delete-begun delete d1 present
crash_case delete-removed delete d2 present
crash_case delete-committed delete d3 absent
echo "ok crashes: create and delete aborted at every step leave the old or the new state"

# ---- 7. No private key byte in the state dir, an answer, nx's output or the console ----
boot
"$probe" dump @device alpha shared >"$tmp/dump" || fail "dump: $(cat "$tmp/dump")"
[ "$(grep -c '^answer ' "$tmp/dump")" = 7 ] || fail "dump: $(cat "$tmp/dump")"
stop
"$probe" secrets "$state" >"$tmp/seeds" || fail "secrets: $(cat "$tmp/seeds")"
n=$(grep -c '^seed ' "$tmp/seeds")
[ "$n" -ge 6 ] || fail "only $n seeds decrypted: the search below would prove nothing"
grep -q "^seed svc:keystored device " "$tmp/seeds" || fail "no device seed"
for f in "$state"/*; do xxd -p "$f" | tr -d '\n'; echo; done >"$tmp/state.hex"
# The search sees what is there: alpha's public key, stored in clear beside its record, is
# found in the dump of the state dir and in the answers.
grep -q "$pub" "$tmp/state.hex" || fail "the search does not see alpha's public key in the state dir"
grep -q "$pub" "$tmp/dump" || fail "the search does not see alpha's public key in the answers"
while read -r _ owner name seed; do
	for hay in "$tmp/state.hex" "$tmp/dump" "$out_all" "$log"; do
		# The whole seed, and each of its halves (a record is no place for a part either).
		for part in "$seed" "${seed:0:32}" "${seed:32:32}"; do
			grep -q "$part" "$hay" && fail "a seed of $owner/$name is in $hay"
		done
	done
done <"$tmp/seeds"
echo "ok secrets: $n seeds found in no file of the state dir, no answer, no output, no log line"

# ---- 8. Damage: integrity to callers and in logd, never a crash ----
damaged() { # WHAT: boot on a damaged store, expect integrity naming WHAT
	local what=$1 st=0 out
	boot
	out=$(k public @device) || st=$?
	[ "$st" = 1 ] && [[ "$out" == "nx: integrity: $what"* ]] || fail "damage $what: $st $out"
	[[ "$(k list)" == "nx: integrity: $what"* ]] || fail "damage $what: list"
	[ "$(k verify "$pub" app.login "$sig" --data 'hello keys')" = valid ] ||
		fail "damage $what: verify stopped working"
	in_journal "integrity: $what" || fail "damage $what: not reported to logd"
	grep -q 'init: exit keystored' "$log" && fail "damage $what: keystored exited"
	stop
}
cp "$state/kek" "$tmp/kek.good"
cp "$state/keys.db" "$tmp/keys.good"
printf '\x01' | dd of="$state/kek" bs=1 seek=20 conv=notrunc status=none
damaged "kek: damaged"
cp "$tmp/kek.good" "$state/kek"
truncate -s 3000 "$state/keys.db"
damaged "keys.db"
: >"$state/keys.db"
damaged "keys.db: empty or missing while kek exists"
cp "$tmp/keys.good" "$state/keys.db"
# One record flipped (sqlite3, as a disk or an intruder might): that key is integrity, the
# others serve.
hex=$(sqlite3 "$state/keys.db" "SELECT hex(sealed) FROM keys WHERE owner = 'uid:0' AND name = 'own0'")
[ "${hex:60:1}" = 0 ] && flip=1 || flip=0
sqlite3 "$state/keys.db" \
	"UPDATE keys SET sealed = X'${hex:0:60}$flip${hex:61}' WHERE owner = 'uid:0' AND name = 'own0'"
boot
[ "$(public_soon @device)" = "$device" ] || fail "repaired store: another device key"
st=0; out=$(k sign own0 user.x --data x) || st=$?
[ "$st" = 1 ] && [ "$out" = "nx: integrity: key own0 of uid:0: sealed record fails authentication" ] ||
	fail "flipped record: $st $out"
[ "$(k public alpha)" = "$pub" ] || fail "a flipped record cost another key"
in_journal "integrity: key own0 of uid:0" || fail "flipped record not reported to logd"
stop
echo "ok damage: KEK, truncated and emptied keys.db, a flipped record: integrity (callers, logd)"
