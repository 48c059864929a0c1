#!/usr/bin/env bash
# End to end: identityd and Samgr.authenticate. Boot; users added by root through nx (a
# duplicate, SQL-hostile names and an over-long password refused); a non-root user (nobody,
# when run as root) logs in as alice and is granted, as user:alice, what its uid lacks
# (ipc.connect.echod); its token file is 0600 and its own; concurrent logins; a revoked
# session loses user: on a connection that stays open (ident-probe hold); logout; lockout;
# bad input to identityd and to authenticate; no password in the journal or the state dir;
# kill -9 of identityd: restarted, no user lost, login works again.
# Every wait is bounded; nothing asserts on timing.
# Usage: identity.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/ident-probe
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
pw_alice='Alice-S3cret;pw'
pw_bob='b0b-secret-pw'
pw_wrong='Wr0ng-guess-7'

# ---- 0. Who plays alice: nobody when we are root, else ourselves ----
# A policy copy: alice (as user:alice) may reach echod, which her uid may not.
cp -r "$(cd "$(dirname "$0")/../.." && pwd)/policies" "$tmp/policies"
echo "allow user:alice ipc.connect.echod" >>"$tmp/policies/default.policy"
export NEXUS_POLICY_DIR=$tmp/policies
if [ "$(id -u)" = 0 ]; then
	alice_uid=65534
	as_alice=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	alice_uid=$(id -u)
	as_alice=()
	# Not root: this uid is the operator for users and reads the journal, nothing more.
	echo "allow uid:$alice_uid identity.admin ipc.connect.logd log.query" \
		>>"$tmp/policies/default.policy"
fi
mkdir -p "$tmp/alice"
chown "$alice_uid" "$tmp/alice"
chmod 755 "$tmp"
alice() { NEXUS_SESSION_FILE=$tmp/alice/session "${as_alice[@]}" "$nx" "$@"; }
export NEXUS_SESSION_FILE=$tmp/root-session

# ---- 1. Boot: identityd's markers once each, after logd ----
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
prev=$(grep -n -x 'init: up logd' "$log" | cut -d: -f1)
for m in 'init: start identityd' 'identityd: ready' 'init: up identityd'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
	line=$(grep -n -x -- "$m" "$log" | cut -d: -f1)
	[ "$line" -gt "$prev" ] || fail "marker '$m' out of order"
	prev=$line
done
# samgr.sock is for every local user; policy is the gate.
chmod 755 "$tmp/run"
chmod 666 "$tmp/run/samgr.sock"
echo "ok identityd boots after logd, markers once each"

# ---- 2. Usage ----
for c in "user --help" "user add --help" "login --help" "logout --help" "whoami --help" \
	"session --help" "session revoke --help"; do
	# shellcheck disable=SC2086 # word splitting wanted
	"$nx" $c >/dev/null || fail "nx $c did not exit 0"
done
for bad in "user" "user frob" "user add" "user add a b" "user list x" "login" "login a b" \
	"logout x" "whoami x" "session" "session frob" "session revoke" "session revoke x1"; do
	st=0; $nx $bad >/dev/null 2>&1 </dev/null || st=$?
	[ "$st" = 2 ] || fail "nx $bad exited $st, not 2"
done
st=0; "$nx" user add carol </dev/null >/dev/null 2>&1 || st=$?
[ "$st" = 2 ] || fail "no terminal and no --password-stdin: exit $st"
echo "ok nx user/login/logout/whoami/session: --help, bad usage exits 2"

# ---- 3. Users ----
echo "$pw_alice" | "$nx" user add alice --password-stdin >/dev/null || fail "add alice"
echo "$pw_bob" | "$nx" user add bob --password-stdin >/dev/null || fail "add bob"
st=0; err=$(echo x | "$nx" user add alice --password-stdin 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == *"already_exists: name: user alice exists"* ]] || fail "dup: $st $err"
for hostile in "x';DROP TABLE users;--" 'a"b' 'semi;colon' 'Upper' 'sp ace' ''; do
	st=0; err=$(echo x | "$nx" user add "$hostile" --password-stdin 2>&1) || st=$?
	[ "$st" = 1 ] && [[ "$err" == *"invalid_argument: name"* ]] || fail "name '$hostile': $st $err"
done
long=$(head -c 257 /dev/zero | tr '\0' p)
st=0; err=$(echo "$long" | "$nx" user add carol --password-stdin 2>&1) || st=$?
[ "$st" = 2 ] && [[ "$err" == *"password: longer than 256 bytes"* ]] || fail "long pw: $st $err"
out=$("$probe" too-long)
[[ "$out" == "probe: too-long: too_large: password: longer than 256 bytes" ]] || fail "$out"
"$nx" user list --json | py "[u['name'] for u in d] == ['alice', 'bob']" || fail "user list"
echo "ok users: added, duplicate and SQL-hostile names refused, 257-byte password refused"

# ---- 4. alice: uid lacks echod; logged in, user:alice has it ----
[ "$(alice whoami)" = "uid:$alice_uid" ] || fail "whoami before login"
st=0; err=$(alice echo hi 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == *"denied"*"ipc.connect.echod"* ]] || fail "uid echo: $st $err"
st=0; err=$(echo "$pw_wrong" | alice login alice --password-stdin 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == *"denied: login: wrong user name or password"* ]] || fail "$err"
[ ! -e "$tmp/alice/session" ] || fail "a failed login left a session file"
echo "$pw_alice" | alice login alice --password-stdin | grep -q "^logged in as alice" ||
	fail "alice login"
[ "$(stat -c '%a %u' "$tmp/alice/session")" = "600 $alice_uid" ] ||
	fail "session file: $(stat -c '%a %u' "$tmp/alice/session")"
alice whoami --json >"$tmp/who"
py "d['subject'] == 'user:alice' and d['session']['user'] == 'alice'" <"$tmp/who" ||
	fail "whoami: $(cat "$tmp/who")"
sid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["id"])' <"$tmp/who")
[ "$(alice echo hi)" = "hi (echod saw subject user:alice)" ] || fail "echo as user:alice"
alice svc list >/dev/null || fail "svc list as user:alice"
alice session list --json | py "[s['id'] for s in d] == [$sid]" || fail "alice sees only hers"
echo "ok alice: uid:$alice_uid denied echod; after nx login user:alice reaches it; token file 0600"

# ---- 5. Concurrent logins: distinct sessions, all live ----
logins=()
for i in 1 2 3 4; do
	(echo "$pw_alice" | NEXUS_SESSION_FILE=$tmp/c$i "$nx" login alice --password-stdin \
		>"$tmp/c$i.out" 2>&1) &
	logins+=("$!")
done
wait "${logins[@]}"
for i in 1 2 3 4; do grep -q "^logged in as alice" "$tmp/c$i.out" || fail "login $i: $(cat "$tmp/c$i.out")"; done
"$nx" session list --json | py "len([s for s in d if s['user'] == 'alice']) == 5 and
	len(set(s['id'] for s in d)) == len(d)" || fail "concurrent sessions"
NEXUS_SESSION_FILE=$tmp/c1 "$nx" whoami --json | py "d['subject'] == 'user:alice'" ||
	fail "root as user:alice"
echo "ok concurrent logins: 4 at once, 5 distinct live sessions"

# ---- 6. Revocation on an open connection ----
mkfifo "$tmp/hold.in"
"${as_alice[@]}" "$probe" hold <"$tmp/hold.in" >"$tmp/hold.out" 2>&1 &
hold=$!
pids+=("$hold")
exec 7>"$tmp/hold.in"
head -1 "$tmp/alice/session" >&7
wait_for "$tmp/hold.out" 'probe: resolve echod: ok' 1 20 ||
	fail "hold: $(cat "$tmp/hold.out")"
grep -qx "probe: subject user:alice" "$tmp/hold.out" || fail "hold subject"
"$nx" session revoke "$sid" >/dev/null || fail "revoke $sid"
echo again >&7
exec 7>&-
wait "$hold" || fail "hold exited $?"
tail -1 "$tmp/hold.out" | grep -q "^probe: resolve echod: denied: this subject does not hold ipc.connect.echod" ||
	fail "after revoke: $(cat "$tmp/hold.out")"
err=$(alice whoami 2>&1 >"$tmp/who2")
[[ "$err" == *"session not accepted (denied: token: expired, revoked or unknown)"* ]] ||
	fail "revoked token: $err"
[ "$(cat "$tmp/who2")" = "uid:$alice_uid" ] || fail "after revoke whoami: $(cat "$tmp/who2")"
alice logout | grep -q "session had ended already" || fail "logout of a revoked session"
[ ! -e "$tmp/alice/session" ] || fail "logout left the file"
echo "ok revoke: the open connection lost user:alice on its next call; logout forgets the token"

# ---- 7. Logout, password change ----
echo "$pw_alice" | alice login alice --password-stdin >/dev/null || fail "relogin"
alice logout | grep -qx "logged out" || fail "logout"
st=0; alice logout >/dev/null 2>&1 || st=$?
[ "$st" = 1 ] || fail "logout twice: $st"
echo "$pw_bob" | NEXUS_SESSION_FILE=$tmp/bob "$nx" login bob --password-stdin >/dev/null || fail "bob"
echo "new-$pw_bob" | "$nx" user passwd bob --password-stdin >/dev/null || fail "passwd bob"
err=$(NEXUS_SESSION_FILE=$tmp/bob "$nx" whoami 2>&1 >/dev/null)
[[ "$err" == *"session not accepted"* ]] || fail "passwd left bob's session: $err"
st=0; echo "$pw_bob" | "$nx" login bob --password-stdin >/dev/null 2>&1 || st=$?
[ "$st" = 1 ] || fail "old password still works"
echo "ok logout; passwd ends the user's sessions and the old password"

# ---- 8. Bad input: identityd and samgrd keep serving ----
out=$("$probe" bad-auth)
[[ "$out" == *"probe: authenticate: invalid_argument: token: not 32 bytes"* ]] || fail "$out"
[[ "$out" == *"probe: authenticate: denied: token: expired, revoked or unknown"* ]] || fail "$out"
out=$("$probe" unknown)
[[ "$out" == "probe: unknown: unsupported"* ]] || fail "$out"
"$probe" garbage | grep -q "channel closed" || fail "garbage"
"$nx" user list >/dev/null || fail "identityd stopped serving after bad input"
st=0; err=$(NEXUS_SESSION_FILE=$tmp/c2 "$nx" user list 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == *"denied: user:alice lacks identity.admin"* ]] ||
	fail "user:alice administering: $st $err"
echo "ok bad input: short and unknown tokens, unknown method, garbage frame; user: is no admin"

# ---- 9. No password in the journal or the store ----
"$nx" log query --max 2000 >"$tmp/journal"
grep -q "login refused" "$tmp/journal" || fail "failed logins not audited"
grep -q "login succeeded" "$tmp/journal" || fail "logins not audited"
for secret in "$pw_alice" "$pw_bob" "new-$pw_bob" "$pw_wrong"; do
	! grep -qF -- "$secret" "$tmp/journal" "$log" || fail "'$secret' in the journal or console"
	! grep -rqaF -- "$secret" "$tmp/state" || fail "'$secret' in the state dir"
done
echo "ok audit: logins recorded, no password in the journal, the console or the state dir"

# ---- 10. kill -9 identityd: restarted, no user lost ----
kill -KILL "$(pgrep -P "$ipid" -x identityd)"
wait_for "$log" 'init: up identityd' 2 30 || fail "identityd not restarted"
"$nx" user list --json | py "[u['name'] for u in d] == ['alice', 'bob']" || fail "users lost"
NEXUS_SESSION_FILE=$tmp/c3 "$nx" whoami --json | py "d['subject'] == 'user:alice'" ||
	fail "session lost"
echo "$pw_alice" | alice login alice --password-stdin >/dev/null || fail "login after restart"
[ "$(alice echo hi)" = "hi (echod saw subject user:alice)" ] || fail "echo after restart"
echo "ok kill -9 identityd: restarted, users and sessions kept, login works"

# ---- 11. Lockout: past the free failures a wait, even for the right password ----
for i in 1 2 3; do
	st=0; echo "$pw_wrong" | "$nx" login bob --password-stdin >/dev/null 2>&1 || st=$?
	[ "$st" = 1 ] || fail "wrong password $i: $st"
done
st=0; err=$(echo "$pw_wrong" | "$nx" login bob --password-stdin 2>&1) || st=$?
[[ "$err" == *"denied: login: wrong user name or password"* ]] || fail "4th: $err"
st=0; err=$(echo "new-$pw_bob" | "$nx" login bob --password-stdin 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == *"limit_exceeded: login: too many failed attempts; retry in"* ]] ||
	fail "locked: $st $err"
grep -q "outcome=locked" <("$nx" log query --scope auth --max 2000) || fail "lockout not audited"
echo "ok lockout: after 3 free failures bob is locked, the right password refused meanwhile"

# ---- 12. The whole system again, sessions of 2 s: no user lost; expiry ends user: ----
kill -TERM "$ipid"
wait "$ipid" || fail "nexus-init did not stop cleanly"
export NEXUS_IDENTITY_SESSION_TTL=2
log=$tmp/init2.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready' on the second boot"
chmod 666 "$tmp/run/samgr.sock"
"$nx" user list --json | py "[u['name'] for u in d] == ['alice', 'bob']" ||
	fail "users lost across a restart of the system"
echo "$pw_alice" | alice login alice --password-stdin >/dev/null || fail "login, second boot"
head -1 "$tmp/alice/session" | "${as_alice[@]}" "$probe" expire >"$tmp/expire.out" 2>&1 ||
	fail "expire: $(cat "$tmp/expire.out")"
grep -qx "probe: subject user:alice" "$tmp/expire.out" || fail "expire subject"
tail -1 "$tmp/expire.out" |
	grep -q "^probe: resolve echod: denied: this subject does not hold ipc.connect.echod" ||
	fail "after expiry: $(cat "$tmp/expire.out")"
err=$(alice whoami 2>&1 >/dev/null)
[[ "$err" == *"session not accepted (denied: token: expired, revoked or unknown)"* ]] ||
	fail "expired token: $err"
echo "ok second boot: users kept; a 2 s session expires, its open connection loses user:alice"
echo "PASS identity"
