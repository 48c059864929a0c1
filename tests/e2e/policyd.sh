#!/usr/bin/env bash
# End to end: policyd booted by nexus-init on a copy of policies/ ($NEXUS_POLICY_DIR).
# check/explain/version through nx against default.policy (and its include); checkMany and bad
# input; a watcher; a broken file keeps the old policy and names file:line; a fixed file gives a
# new version; a symlink out of the directory is refused; reload denied once the policy in
# force no longer grants it (printed on the console: no logd yet); garbage on policyd's channel
# costs only that client; no fd leaked; clean stop, no sanitizer report.
# Every wait is bounded (poll for a line up to N seconds); nothing asserts on timing.
# Usage: policyd.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
probe=$build/tests/e2e/policy-probe

# ---- 1. Boot on a copy of the policy directory ----
cp -r "$src/policies" "$tmp/policies"
me=uid:$(id -u)
# default.policy makes uid:0 the operator; another user running the tests is made one here.
if [ "$me" != uid:0 ]; then
	printf 'allow %s ipc.connect.* samgr.list\nallow %s policy.reload\n' "$me" "$me" \
		>>"$tmp/policies/default.policy"
fi
export NEXUS_POLICY_DIR=$tmp/policies
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' || fail "no 'init: ready'"
prev=0
for m in 'init: up samgrd' 'init: start policyd' 'policyd: ready' 'init: up policyd' \
	'init: ready'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
	line=$(grep -n -x -- "$m" "$log" | cut -d: -f1)
	[ "$line" -gt "$prev" ] || fail "marker '$m' out of order"
	prev=$line
done
grep -q -x "policyd: info policy: policy [0-9a-f]\{64\} ([0-9]* rules) from $tmp/policies" "$log" ||
	fail "policyd did not say which policy it loaded"
echo "ok boot: policyd started after samgrd, ready once, loaded \$NEXUS_POLICY_DIR"

# ---- 2. check / explain / version against policies/default.policy ----
out=$("$nx" policy --help) && [[ "$out" == "usage: nx policy"* ]] || fail "nx policy --help"
st=0; "$nx" policy check onlyone 2>/dev/null || st=$?
[ "$st" = 2 ] || fail "nx policy check with one argument exited $st, not 2"
[ "$("$nx" policy check app:mail log.append)" = allowed ] || fail "app:mail log.append"
st=0; out=$("$nx" policy check app:mail policy.reload) || st=$?
[ "$st" = 1 ] && [ "$out" = denied ] || fail "app:mail policy.reload: $st $out"
st=0; out=$("$nx" policy check app:mail net.fetch) || st=$?
[ "$st" = 1 ] && [ "$out" = denied ] || fail "app:mail net.fetch (no rule): $st $out"
[ "$("$nx" policy check svc:logd ipc.register.logd --json)" = \
	'{"subject":"svc:logd","cap":"ipc.register.logd","allowed":true}' ] || fail "check --json"
dl=$(grep -n '^deny  app:\* ipc.register.\* policy.reload' "$tmp/policies/default.policy" |
	cut -d: -f1)
st=0; out=$("$nx" policy explain app:mail policy.reload) || st=$?
[ "$st" = 1 ] && [ "$out" = "denied by default.policy:$dl: deny app:* policy.reload" ] ||
	fail "explain deny: $st $out"
sl=$(grep -n '^allow svc:logd ' "$tmp/policies/services.policy" | cut -d: -f1)
[ "$("$nx" policy explain svc:logd ipc.register.logd)" = \
	"allowed by services.policy:$sl: allow svc:logd ipc.register.logd" ] ||
	fail "explain an allow from the included file"
st=0; out=$("$nx" policy explain app:mail net.fetch --json) || st=$?
[ "$st" = 1 ] && [ "$out" = '{"subject":"app:mail","cap":"net.fetch","allowed":false,"rule":"no rule: deny by default","file":"","line":0,"byDefault":true}' ] ||
	fail "explain by default --json: $st $out"
v0=$("$nx" policy version)
[[ "$v0" =~ ^[0-9a-f]{64}$ ]] || fail "version: $v0"
[ "$("$nx" policy version --json)" = "{\"version\":\"$v0\"}" ] || fail "version --json"
echo "ok check (exit 0/1, --json), explain (deny, include, by default, --json), version"

# ---- 3. checkMany and bad input: invalid_argument / too_large, nothing changes ----
[ "$("$probe" check-many app:mail log.append app:mail policy.reload uid:0 samgr.list)" = \
	'probe: allowed 1 0 1' ] || fail "checkMany"
out=$("$probe" check-many-n 64 app:x log.append) && [ "$(wc -w <<<"$out")" = 66 ] ||
	fail "checkMany with 64 queries: $out"
st=0; out=$("$probe" check-many-n 65 app:x log.append) || st=$?
[ "$st" = 1 ] && [ "$out" = "probe: too_large: queries: more than 64 elements" ] ||
	fail "65 queries: $st $out"
st=0; out=$("$probe" check-many app:x log.append 'app:x y' log.append) || st=$?
[ "$st" = 1 ] && [ "$out" = "probe: invalid_argument: queries[1].subject: not printable ASCII without spaces" ] ||
	fail "checkMany with a bad query: $st $out"
st=0; err=$("$nx" policy check '' log.append 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: invalid_argument: subject: empty" ] || fail "empty subject: $err"
st=0; err=$("$nx" policy check app:x 'log append' 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: invalid_argument: cap: not printable ASCII without spaces" ] ||
	fail "cap with a space: $err"
st=0; err=$("$nx" policy explain "app:$(printf 'x%.0s' $(seq 130))" log.append 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: too_large: subject: longer than 128 bytes" ] ||
	fail "subject over 128 bytes: $err"
[ "$("$nx" policy version)" = "$v0" ] || fail "version changed by bad input"
echo "ok checkMany (3 answers, 64 fine, 65 too_large, bad query named); bad input refused"

# ---- 3b. Audit: rate-limited per subject and rule; what-if questions are not audited ----
# What-if questions (this probe's checkMany, nx policy check) are not audited: only what a
# service enforces. 2,000 resolves of distinct names by uid 65534 make samgrd ask policyd
# about each (up to NX_POLICY_HELD_MAX held at a time, the rest refused overloaded at once).
# They share one subject and rule (deny by default): per NX_RATELOG_WINDOW_NS, one record and
# one "suppressed" summary, and every denial is either recorded or counted in a summary.
# uid 65533's first denial during the flood is recorded all the same (a new subject).
out=$("$probe" check-many-n 64 app:burst secret.burst 2) || fail "what-if burst: $out"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0711 "$tmp"
	as_uid() { local u=$1; shift; (cd / && setpriv --reuid "$u" --regid "$u" --clear-groups "$@"); }
	as_uid 65534 "$probe" resolve-burst 2000 burst >"$tmp/burst.out" &
	bpid=$!
	wait_for "$log" 'policyd: notice audit: denied subject=uid:65534 cap=ipc.connect.burst.*' ||
		fail "the flood's first denial is not audited"
	as_uid 65533 "$probe" resolve-burst 1 other >/dev/null || fail "uid 65533's resolve"
	wait "$bpid" || fail "denial flood: $(cat "$tmp/burst.out")"
	[[ "$(cat "$tmp/burst.out")" =~ ^probe:\ refused\ 2000\ denied\ ([0-9]+)$ ]] ||
		fail "denial flood: $(cat "$tmp/burst.out")"
	denied=${BASH_REMATCH[1]}
	# audit_sums: "<records> <summaries> <suppressed>" of uid:65534's denials in the journal.
	audit_sums() {
		"$nx" log query --subject svc:policyd --scope audit --max 1000 --json |
			python3 -c 'import json, sys
d = [json.loads(l) for l in sys.stdin if l.strip()]
f = [r["fields"] for r in d if r["fields"].get("subject") == "uid:65534"]
rec = [x for x in f if x.get("cap", "").startswith("ipc.connect.burst")]
summ = [x for x in f if "suppressed" in x and x.get("rule") == "no rule: deny by default"]
print(len(rec), len(summ), sum(int(x["suppressed"]) for x in summ))'
	}
	ok= nrec=0 nsum=0 nsup=0
	for _ in $(seq 100); do
		read -r nrec nsum nsup < <(audit_sums) || true
		[ "$((nrec + nsup))" = "$denied" ] && { ok=1; break; }
		sleep 0.1
	done
	[ -n "$ok" ] || fail "$denied denials, journal: $nrec records + $nsup suppressed in $nsum summaries"
	# Bounded: a record opens each window, a summary closes it.
	[ "$nsum" -ge 1 ] && [ "$nrec" -le "$((nsum + 1))" ] && [ "$((nrec + nsum))" -le 40 ] ||
		fail "$nrec records and $nsum summaries for one subject's $denied denials"
	"$nx" log query --subject svc:policyd --scope audit --json |
		records_hold "any(x['fields'].get('subject') == 'uid:65533' and
			x['fields'].get('cap') == 'ipc.connect.other1' for x in r)" ||
		fail "uid 65533's first denial, amid the flood, is not in the journal"
	grep -q 'cap=secret.burst' "$log" && fail "a what-if check was audited"
	echo "ok audit: $denied enforced denials of one subject → $nrec records and $nsum" \
		"summaries ($nsup suppressed); another subject's first denial recorded; what-if not audited"
else
	echo "note: audit flood not run: another uid needs root and setpriv"
fi

# ---- 4. Reload: unchanged, broken (file:line, old kept), escaping symlink, fixed ----
pol=$tmp/policies
[ "$("$nx" policy reload)" = "$v0" ] || fail "reload of the same files changed the version"
"$nx" policy watch 2 >"$tmp/watch.out" 2>&1 &
wpid=$!
pids+=("$wpid")
wait_for "$tmp/watch.out" "version $v0" || fail "watcher did not get the version in force"
cp "$pol/services.policy" "$tmp/services.good"
echo 'allow svc:logd' >>"$pol/services.policy"
bad=$(wc -l <"$pol/services.policy")
st=0; err=$("$nx" policy reload 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: invalid_argument: services.policy:$bad: "* ]] ||
	fail "broken include: $st $err"
[ "$("$nx" policy version)" = "$v0" ] || fail "a broken file changed the version"
[ "$("$nx" policy check svc:logd ipc.register.logd)" = allowed ] || fail "old policy lost"
echo 'allow app:* all.of.etc' >"$tmp/outside.policy"
rm "$pol/services.policy"
ln -s "$tmp/outside.policy" "$pol/services.policy"
st=0; err=$("$nx" policy reload 2>&1) || st=$?
[ "$st" = 1 ] && [[ "$err" == "nx: invalid_argument: "*services.policy* ]] ||
	fail "a symlink out of the policy dir was followed: $st $err"
[ "$("$nx" policy version)" = "$v0" ] || fail "the escaping symlink changed the version"
rm "$pol/services.policy"
cp "$tmp/services.good" "$pol/services.policy"
echo 'allow app:mail net.fetch' >>"$pol/default.policy"
echo 'net.*' >>"$pol/capabilities" # known to policyd from now on
v1=$("$nx" policy reload) || fail "reload of the fixed files"
[[ "$v1" =~ ^[0-9a-f]{64}$ ]] && [ "$v1" != "$v0" ] || fail "fixed policy: version $v1"
[ "$("$nx" policy version)" = "$v1" ] || fail "version after reload"
[ "$("$nx" policy check app:mail net.fetch)" = allowed ] || fail "new rule not in force"
st=0; wait "$wpid" || st=$?
[ "$st" = 0 ] && [ "$(tr '\n' '|' <"$tmp/watch.out")" = "version $v0|version $v1|" ] ||
	fail "watcher exited $st and saw: $(cat "$tmp/watch.out")"
grep -q -x "policyd: warn policy: reload by $me failed, policy $v0 stays: services.policy:$bad: .*" \
	"$log" || fail "failed reload not on the console"
echo "ok reload: unchanged; broken → services.policy:$bad, old kept; symlink out refused;" \
	"fixed → new version, watcher told"

# ---- 4b. Watchers: 16 per connection, 256 in all; slots freed when their holder goes ----
st=0; out=$("$probe" watch-many 17) || st=$?
[ "$st" = 1 ] && grep -q -x 'probe: watching 16' <<<"$out" &&
	grep -q -x 'probe: limit_exceeded: watchers: 16 held through this connection' <<<"$out" ||
	fail "17th watcher on one connection not refused: $out"
# Every service that asks policyd holds one (it drops its cached decisions on every version):
# samgrd, logd, rngd, ... each said "asking policyd from now on".
held=$(grep -o '^[a-z]*: info policy: asking policyd from now on$' "$log" | sort -u | wc -l)
ok=
for _ in $(seq 100); do
	st=0; out=$("$probe" watch-many $((256 - held + 1)) 16) || st=$?
	if [ "$st" = 1 ] && grep -q -x "probe: watching $((256 - held))" <<<"$out"; then ok=1; break; fi
	sleep 0.05
done
[ -n "$ok" ] && grep -q -x 'probe: limit_exceeded: watchers: 256 held already' <<<"$out" ||
	fail "257th watcher in all not refused: $out"
ok=
for _ in $(seq 100); do
	if "$probe" watch-many $((256 - held)) 16 >/dev/null; then ok=1; break; fi
	sleep 0.05
done
[ -n "$ok" ] || fail "watcher slots not freed when their connections ended"
echo "ok watchers: 16 per connection, 256 in all (limit_exceeded past each), freed after"

# ---- 5. Garbage on policyd's channel costs only that client; no fd leaked ----
fds() { ls "/proc/$1/fd" | wc -l; }
ppid_=$(pgrep -P "$ipid" -x policyd) || fail "no policyd child of init"
p0=$(fds "$ppid_")
out=$("$probe" garbage) || fail "garbage client was not dropped: $out"
for _ in $(seq 10); do "$nx" policy check app:mail log.append >/dev/null || fail "leak check"; done
"$nx" policy reload >/dev/null || fail "reload (leak check)"
st=0; "$probe" check-many-n 65 a:b c.d >/dev/null || st=$?
[ "$st" = 1 ] || fail "65 queries (leak check)"
[ "$("$nx" policy version)" = "$v1" ] || fail "policyd stopped serving after garbage"
[ "$(pgrep -P "$ipid" -x policyd)" = "$ppid_" ] || fail "policyd was restarted"
ok=
for _ in $(seq 100); do
	[ "$(fds "$ppid_")" = "$p0" ] && { ok=1; break; }
	sleep 0.05
done
[ -n "$ok" ] || fail "fds leaked in policyd: $p0 -> $(fds "$ppid_")"
echo "ok garbage on policyd's channel: that client dropped, others served; no fd leaked ($p0)"

# ---- 5b. samgrd asks policyd: decisions follow reloads, cached ones included ----
"$nx" echo before >/dev/null || fail "nx echo before the deny"
mkfifo "$tmp/go"
"$probe" resolve-twice echod <"$tmp/go" >"$tmp/twice.out" 2>&1 &
tpid=$!
pids+=("$tpid")
exec 7>"$tmp/go"
wait_for "$tmp/twice.out" 'probe: resolved echod' || fail "first resolve: $(cat "$tmp/twice.out")"
echo "deny $me ipc.connect.echod" >>"$pol/default.policy"
vd=$("$nx" policy reload) || fail "reload with the deny"
wait_for "$log" "samgrd: info policy: policy $vd in force, cached decisions dropped" ||
	fail "samgrd did not hear the new version"
echo go >&7
exec 7>&-
st=0; wait "$tpid" || st=$?
[ "$st" = 1 ] && grep -q -x 'probe: denied: this subject does not hold ipc.connect.echod' \
	"$tmp/twice.out" || fail "a cached decision outlived the policy: $(cat "$tmp/twice.out")"
st=0; err=$("$nx" echo denied 2>&1) || st=$?
[ "$st" = 1 ] && [ "$(head -1 <<<"$err")" = "nx: denied: this subject does not hold ipc.connect.echod" ] &&
	[[ "$err" == *"nx: the rule that decided: deny $me ipc.connect.echod (default.policy:"* ]] ||
	fail "nx echo under the deny: $st $err"
sed -i "/^deny $me ipc.connect.echod\$/d" "$pol/default.policy"
[ "$("$nx" policy reload)" = "$v1" ] || fail "reload without the deny"
"$nx" echo allowed-again >/dev/null || fail "nx echo after the deny went"
echo "ok samgrd asks policyd: a deny reloaded reaches new and cached decisions; lifted again"

# ---- 6. Reload denied by the policy in force: refused, printed, nothing changes ----
sed -i -e 's/^allow uid:0 \(.*\) policy.reload /allow uid:0 \1 /' \
	-e "/^allow $me policy.reload\$/d" "$pol/default.policy"
grep -q "^allow \($me\|uid:0\) .*policy.reload" "$pol/default.policy" && fail "test setup: sed"
v2=$("$nx" policy reload) || fail "reload dropping $me's policy.reload"
[ "$v2" != "$v1" ] || fail "version unchanged"
echo 'allow app:mail other.thing' >>"$pol/default.policy"
echo 'other.*' >>"$pol/capabilities"
st=0; err=$("$nx" policy reload 2>&1) || st=$?
[ "$st" = 1 ] && [ "$err" = "nx: denied: $me does not hold policy.reload" ] ||
	fail "reload without policy.reload: $st $err"
[ "$("$nx" policy version)" = "$v2" ] || fail "a denied reload changed the version"
[ "$("$nx" policy check app:mail other.thing)" = denied ] || fail "denied reload took effect"
grep -q -x "policyd: notice audit: denied subject=$me cap=policy.reload rule=.* version=$v2 asker=$me" "$log" ||
	fail "denied reload not on the console"
echo "ok reload denied once $me lost policy.reload; printed on the console; version kept"

# ---- 6b. kill -9 policyd: interim rule meanwhile, the restarted one decides again ----
echo "deny $me ipc.connect.echod" >>"$pol/default.policy"
ppid_=$(pgrep -P "$ipid" -x policyd) || fail "no policyd child of init"
kill -KILL "$ppid_"
wait_for "$log" 'init: up policyd' 2 || fail "policyd was not restarted"
grep -q -x 'samgrd: warn policy: lost policyd, interim rule until it registers again' "$log" ||
	fail "samgrd did not notice policyd's death"
wait_for "$log" 'samgrd: info policy: asking policyd from now on' 2 || fail "samgrd did not ask it again"
[ "$("$nx" policy check app:mail other.thing)" = allowed ] || fail "restart did not load files"
st=0; err=$("$nx" echo denied 2>&1) || st=$?
[ "$st" = 1 ] && [ "$(head -1 <<<"$err")" = "nx: denied: this subject does not hold ipc.connect.echod" ] &&
	[[ "$err" == *"nx: the rule that decided: deny $me ipc.connect.echod (default.policy:"* ]] ||
	fail "samgrd did not ask the restarted policyd: $st $err"
echo "ok kill -9 policyd: restarted, loaded the files, samgrd asks the new one"

# ---- 7. SIGTERM: clean stop, no sanitizer report ----
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q -x 'init: exit policyd (code 0)' "$log" || fail "policyd did not exit 0"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error (leak or UB) in some process"
echo "ok SIGTERM: policyd exit 0, no sanitizer report"
