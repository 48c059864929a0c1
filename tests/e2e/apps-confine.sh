#!/usr/bin/env bash
# End to end: what confines an app (issue 9's proof, second part), on a real boot.
#   1 boot; hello installed twice (org.example.hello and org.example.other, the same binary)
#     and escape; both hellos run once, each writing /data/hello.txt and /tmp/hello.txt
#   2 escape: every try is denied, each for its own reason (Landlock, seccomp, its uid,
#     policy through samgrd and vfsd, rlimits), and exits 0; the tries that pass
#     through policyd are audit records of svc:policyd naming app:org.example.escape
#   3 two apps: each one's /data and /tmp hold what it wrote itself (vfsd's trees are per
#     subject; neither can name the other's: escape's actAs was denied)
#   4 two instances of one app running at once: different pids, uids, and net, ipc and uts
#     namespaces; neither has a host /tmp (escape's try)
# Every wait is bounded; nothing asserts on timing.
# Usage: apps-confine.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/apps-lib.sh
. "$(dirname "$0")/apps-lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: execd runs apps under uids of their own: root only"; exit 77; }
# Runtime and state outside /tmp, as an installed system has them (/run/nexus, /var/lib/nexus):
# under /tmp, execd's private /tmp would hide them from apps and prove nothing.
sysdir=$(mktemp -d /run/nexus-e2e.XXXXXX)
chmod 0711 "$sysdir"
trap 'cleanup; rm -rf "$sysdir"' EXIT
export NEXUS_RUNTIME_DIR=$sysdir/run NEXUS_STATE_DIR=$sysdir/state
log=$tmp/init.log
py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }

# ---- 1. Boot, install, both hellos run ----
"$init" >"$log" 2>&1 &
pids+=($!)
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
apps_trust
apps_install hello
apps_install hello org.example.other
apps_install escape
for app in org.example.hello org.example.other; do
	out=$("$nx" run "$app" --wait) || fail "$app: $out"
done
echo "ok hello installed as two apps and escape; both hellos ran"

# ---- 2. escape: every try denied ----
other_data=$NEXUS_STATE_DIR/vfsd/data/app:org.example.hello/hello.txt
[ -f "$other_data" ] || fail "hello's data is not at $other_data"
st=0; out=$("$nx" run org.example.escape --wait -- --other org.example.hello \
	--other-data "$other_data" --runtime "$NEXUS_RUNTIME_DIR") || st=$?
poll_journal "any(r['message'].startswith('escape: ') and ' tries, ' in r['message'] for r in d)" \
	--subject app:org.example.escape || fail "escape's summary not in the journal: $out"
got=$("$nx" log query --subject app:org.example.escape -o cat)
[ "$st" = 0 ] || fail "escape exited $st: $out; it said: $got"
expect() { # TRY REASON-REGEX
	grep -qE -- "^escape: $1: denied \($2\)$" <<<"$got" || fail "escape: '$1' not denied by $2: $got"
}
expect 'open /etc/shadow' 'EACCES: Permission denied'
expect "open another app's data on the host" 'EACCES: Permission denied'
expect "create a file in the host's /tmp" 'EACCES: Permission denied'
expect "open another app's data through vfsd" 'denied: .*fs\.admin.*'
expect 'write into its /pkg' 'denied: path: /pkg/org.example.escape/bin/escape is read-only'
expect 'create an AF_INET socket' 'EPERM: Operation not permitted'
expect 'connect to samgr.sock' 'EPERM: Operation not permitted'
expect 'ptrace its parent' 'EPERM: Operation not permitted'
expect 'signal its parent \(another uid\)' 'EPERM: Operation not permitted'
expect 'become root \(setuid 0\)' 'EPERM: Operation not permitted'
expect 'resolve a service it was not granted \(keystored\)' 'denied: .*ipc\.connect\.keystored'
expect "register the service name 'escape'" 'denied: .*ipc\.register\.escape.*'
expect 'spawn a process through execd' 'denied: .*ipc\.connect\.execd'
expect 'open its own binary for writing' 'ETXTBSY: Text file busy'
expect 'fork-bomb past its pids limit' 'EAGAIN: Resource temporarily unavailable after [0-9]+ processes'
expect 'allocate past its memory limit' 'ENOMEM: Cannot allocate memory after [0-9]+ MiB'
grep -qx 'escape: 16 tries, 0 allowed' <<<"$got" || fail "escape's summary: $got"
for cap in ipc.connect.keystored ipc.register.escape ipc.connect.execd fs.admin; do
	poll_journal "any(r['message'] == 'denied' and r['fields'].get('subject') == 'app:org.example.escape'
		and r['fields'].get('cap') == '$cap' for r in d)" --subject svc:policyd --scope audit ||
		fail "policyd's denial of $cap to escape is not in the journal"
done
echo "ok escape: 16 tries, each denied for its own reason; the 4 that pass through policyd are" \
	"audit records of svc:policyd"

# ---- 3. Two apps: no shared /data, no shared /tmp ----
for app in org.example.hello org.example.other; do
	for tree in data tmp; do
		"$nx" fs --as "app:$app" cat "/$tree/hello.txt" | grep -q "of app:$app\$" ||
			fail "$app's /$tree/hello.txt is not its own"
	done
done
[ "$(stat -c %i "$NEXUS_STATE_DIR/vfsd/data/app:org.example.hello")" != \
	"$(stat -c %i "$NEXUS_STATE_DIR/vfsd/data/app:org.example.other")" ] || fail "one data dir"
echo "ok two apps: each one's /data and /tmp hold only what it wrote"

# ---- 4. Two instances of one app at once ----
a=$("$nx" run org.example.hello --json -- --linger 60 instance-a) || fail "instance a: $a"
b=$("$nx" run org.example.hello --json -- --linger 60 instance-b) || fail "instance b: $b"
pa=$(python3 -c "import json,sys; print(json.load(sys.stdin)['pid'])" <<<"$a")
pb=$(python3 -c "import json,sys; print(json.load(sys.stdin)['pid'])" <<<"$b")
# Only these two linger: once both said so, both run.
poll_journal "sum(r['message'].startswith('hello: info linger:') for r in d) == 2" \
	--subject app:org.example.hello || fail "the two instances do not both run"
kill -0 "$pa" && kill -0 "$pb" || fail "an instance ended early"
[ "$pa" != "$pb" ] || fail "one pid"
[ "$(stat -c %u "/proc/$pa")" != "$(stat -c %u "/proc/$pb")" ] || fail "instances share a uid"
# Not pid or mount namespaces (execd's README says why); neither has a /tmp of the host's at
# all (escape's try above), and vfsd's /tmp is per subject (section 3).
for ns in net ipc uts; do
	[ "$(readlink "/proc/$pa/ns/$ns")" != "$(readlink "/proc/$pb/ns/$ns")" ] ||
		fail "instances share a $ns namespace"
	[ "$(readlink "/proc/$pa/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ] ||
		fail "instance a is in the host's $ns namespace"
done
"$nx" kill "$pa" >/dev/null && "$nx" kill "$pb" >/dev/null || fail "kill the instances"
echo "ok two instances of one app: own pid, uid and net/ipc/uts namespaces"
