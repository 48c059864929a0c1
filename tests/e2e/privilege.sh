#!/usr/bin/env bash
# End to end: least privilege. nexus-init starts with an extra fd open and keeps none of it;
# every service runs under its own non-zero uid with no capability at all (CapEff, CapPrm,
# CapInh, CapAmb and CapBnd zero) except exactly the set its services.conf entry names, with
# NoNewPrivs 1, Seccomp 2, RLIMIT_NOFILE/NPROC from the entry or NX_INIT_NOFILE_DEFAULT and
# NX_INIT_NPROC_DEFAULT, its own mount namespace with a private /tmp, its state dir its own
# (0700); a root-only file named by open= arrives as fd 6; `nx status` (and --json) shows uid,
# capabilities and namespaces. A bad services.conf option is refused naming the line.
# Usage: privilege.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	# Without root nexus-init cannot give a uid away: it says so once per mechanism.
	echo "SKIP: needs root"
	exit 77
fi
export NEXUS_RUNTIME_DIR=$tmp/run NEXUS_STATE_DIR=$tmp/state NEXUS_UID_BASE=62000
log=$tmp/init.log
echo "only root reads this" >"$tmp/secret"
chmod 0600 "$tmp/secret"
echo marker >"$tmp/inherited"
cat >"$tmp/services.conf" <<CONF
samgrd   services/samgrd/samgrd   always   nofile=8192
policyd  services/policyd/policyd always   sandbox=policy
logd     services/logd/logd       always   uid=62100
echod    services/echod/echod     always   caps=CAP_NET_BIND_SERVICE nproc=64 open=$tmp/secret  # test
CONF

# ---- 1. A bad option is refused before anything starts ----
echo "samgrd services/samgrd/samgrd always caps=CAP_CHOWN" >"$tmp/bad.conf"
st=0; err=$("$init" --table "$tmp/bad.conf" 2>&1) || st=$?
[ "$st" = 2 ] && [[ "$err" == *"bad.conf:1: error: caps: say why in a # comment"* ]] ||
	fail "caps without a reason: $st $err"
echo "ok a caps= entry without its reason is refused"

# ---- 2. Boot with fd 9 open: init drops it ----
"$init" --table "$tmp/services.conf" --bindir "$build/source" >"$log" 2>&1 9<"$tmp/inherited" &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"
# (fd 9 itself is soon reused by init's own channels: the file is what must be gone.)
for fd in /proc/"$ipid"/fd/*; do
	[ "$(readlink "$fd")" != "$tmp/inherited" ] || fail "init kept inherited $fd"
done
echo "ok nexus-init closed the fd it inherited"

# ---- 3. Each service: its uid, no capabilities, its limits, its namespace ----
declare -A want_uid=([samgrd]=62000 [policyd]=62001 [logd]=62100 [echod]=62003)
declare -A want_caps=([samgrd]=0 [policyd]=0 [logd]=0 [echod]=400) # CAP_NET_BIND_SERVICE: 10
declare -A want_nofile=([samgrd]=8192 [policyd]=1024 [logd]=1024 [echod]=1024)
declare -A want_nproc=([samgrd]=4096 [policyd]=4096 [logd]=4096 [echod]=64)
field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
for s in samgrd policyd logd echod; do
	pid=$(pgrep -P "$ipid" -x "$s") || fail "no $s"
	u=${want_uid[$s]}
	grep -q -x "Uid:	$u	$u	$u	$u" "/proc/$pid/status" || fail "$s: $(grep Uid "/proc/$pid/status")"
	grep -q -x "Gid:	$u	$u	$u	$u" "/proc/$pid/status" || fail "$s: $(grep Gid "/proc/$pid/status")"
	[ -z "$(field Groups "$pid")" ] || fail "$s: $(grep Groups "/proc/$pid/status")"
	c=$(printf '%016x' "0x${want_caps[$s]}")
	for k in CapEff CapPrm CapBnd CapAmb; do
		[ "$(field "$k" "$pid")" = "$c" ] || fail "$s: $k $(field "$k" "$pid"), not $c"
	done
	[ "$(field CapInh "$pid")" = "$c" ] || fail "$s: CapInh $(field CapInh "$pid")"
	[ "$(field NoNewPrivs "$pid")" = 1 ] || fail "$s: NoNewPrivs"
	[ "$(field Seccomp "$pid")" = 2 ] || fail "$s: Seccomp"
	read -r soft hard < <(awk '/^Max open files/ {print $4, $5}' "/proc/$pid/limits")
	[ "$soft $hard" = "${want_nofile[$s]} ${want_nofile[$s]}" ] || fail "$s: nofile $soft $hard"
	read -r soft hard < <(awk '/^Max processes/ {print $3, $4}' "/proc/$pid/limits")
	[ "$soft $hard" = "${want_nproc[$s]} ${want_nproc[$s]}" ] || fail "$s: nproc $soft $hard"
	[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink "/proc/$ipid/ns/mnt")" ] ||
		fail "$s: shares init's mount namespace"
	# Its /tmp is its own: the test's files are not there, its state dir is.
	[ ! -e "/proc/$pid/root$tmp/init.log" ] || fail "$s sees the host's /tmp"
	[ -d "/proc/$pid/root$NEXUS_STATE_DIR/$s" ] || fail "$s cannot see its state dir"
	[ "$(stat -c '%u %g %a' "$NEXUS_STATE_DIR/$s")" = "$u $u 700" ] ||
		fail "$s: state dir $(stat -c '%u %g %a' "$NEXUS_STATE_DIR/$s")"
done
echo "ok every service: own uid/gid, capabilities exactly as named, limits, private /tmp"

# ---- 4. open=: the root-only file is echod's fd 6, though echod is not root ----
epid=$(pgrep -P "$ipid" -x echod)
[ "$(readlink "/proc/$epid/fd/6")" = "$tmp/secret" ] || fail "echod fd 6: $(ls -l "/proc/$epid/fd")"
for s in samgrd policyd logd; do
	pid=$(pgrep -P "$ipid" -x "$s")
	for fd in /proc/"$pid"/fd/*; do
		[ "$(readlink "$fd")" != "$tmp/secret" ] || fail "$s got echod's open= file"
	done
done
echo "ok open= hands a root-only file to a service as fd 6"

# ---- 5. nx status and --json show uid, capabilities and namespaces ----
out=$("$nx" status) || fail "nx status: $out"
# STARTED UPTIME LAST-EXIT RSS-KIB CPU-MS between RST and UID.
run='  *[0-9T:-]*  *[0-9hms]*  *-  *[0-9]*  *[0-9]*'
grep -q "^echod  *$epid  *up  *0$run  *62003  *CAP_NET_BIND_SERVICE  *mnt  *[a-z_,]*uid$" <<<"$out" ||
	fail "nx status echod: $out"
grep -q "^logd  *[1-9][0-9]*  *up  *0$run  *62100  *-  *mnt  " <<<"$out" || fail "nx status logd: $out"
"$nx" status --json >"$tmp/status.json" || fail "nx status --json"
python3 - "$tmp/status.json" <<'PY' || fail "json: $(cat "$tmp/status.json")"
import json, sys
d = {s["name"]: s for s in json.load(open(sys.argv[1]))["services"]}
assert d["echod"]["uid"] == 62003 and d["echod"]["caps"] == ["CAP_NET_BIND_SERVICE"], d
assert d["samgrd"]["uid"] == 62000 and d["samgrd"]["caps"] == [], d
assert all(s["namespaces"] == ["mnt"] for s in d.values()), d
assert all("uid" in s["sandbox"] and "caps" in s["sandbox"] for s in d.values()), d
PY
"$nx" svc list >/dev/null || fail "nx svc list with unprivileged services"
echo "ok nx status shows uid, capabilities, namespaces; the system serves"

kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: stopped cleanly"
