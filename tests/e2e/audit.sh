#!/usr/bin/env bash
# End to end: everything logs through nx-log into logd, and policyd audits its denials.


# under their subjects; after kill -9 logd, a record logged while logd was away arrives once
# logd is back (buffered by the facade, or counted in a drop report).
# Every wait is bounded (poll up to N seconds); nothing asserts on timing.
# Usage: audit.sh BUILD_DIR
set -euo pipefail
build=$1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# poll_query PYEXPR ARGS...: until `nx log query ARGS --json` satisfies PYEXPR (d = the list of
# records, one JSON object a line).
poll_query() {
	local expr=$1
	shift
	for _ in $(seq 200); do
		"$nx" log query "$@" --json 2>/dev/null >"$tmp/q" &&
			python3 -c "import json,sys; d=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if ($expr) else 1)" \
				"$tmp/q" && return 0
		sleep 0.1
	done
	return 1
}
[ "$(id -u)" = 0 ] || { echo "SKIP: log.query is root's (default.policy)"; exit 77; }

# ---- 1. Boot; the services' records reach the journal under their subjects ----
export NEXUS_RUNTIME_DIR=$tmp/run
log=$tmp/init.log
"$init" >"$log" 2>&1 &
ipid=$!
pids+=("$ipid")
wait_for "$log" 'init: ready' 1 60 || fail "no 'init: ready'"
for m in 'samgrd: ready' 'policyd: ready' 'logd: ready' 'echod: ready'; do
	[ "$(grep -c -x -- "$m" "$log")" = 1 ] || fail "marker '$m' not exactly once"
done
for s in echod policyd samgrd logd; do
	poll_query "any(r['subject'] == 'svc:$s' and r['scope'] == 'marker' and r['message'] == 'ready'
		for r in d)" --subject "svc:$s" ||
		fail "svc:$s's ready marker not in the journal: $(cat "$tmp/q")"
done
echo "ok the ready markers of echod, policyd, samgrd and logd are in the journal under their subjects"

# ---- 2. A refusal a service enforces is audited, with its rule; a what-if check is not ----
# A subject without ipc.connect.logd (uid 65534) asks for the journal: samgrd refuses the
# resolve, and the refusal is in the journal with the rule that decided it. samgr.sock is
# 0666: policy, not the file mode, refuses.
command -v setpriv >/dev/null || { echo "SKIP: no setpriv for another uid"; exit 77; }
chmod 0711 "$tmp"
nobody() { (cd / && setpriv --reuid 65534 --regid 65534 --clear-groups "$nx" "$@" 2>&1); }
[ "$("$nx" policy check app:audit.e2e whatif.cap || true)" = denied ] || fail "check not denied"
v=$("$nx" policy version) || fail "policy version"
st=0
err=$(nobody log query) || st=$?
[ "$st" = 1 ] && [[ "$err" == *denied:* ]] || fail "uid 65534 resolving logd: $st $err"
poll_query "any(r['subject'] == 'svc:policyd' and r['message'] == 'denied' and
	r['fields'].get('subject') == 'uid:65534' and r['fields'].get('cap') == 'ipc.connect.logd' and
	r['fields'].get('rule') == 'no rule: deny by default' and r['fields'].get('version') == '$v'
	and r['fields'].get('asker') == 'svc:samgrd' for r in d)" --scope audit ||
	fail "the refused resolve of logd is not in the journal: $(cat "$tmp/q")"
poll_query "not any(r['fields'].get('cap') == 'whatif.cap' for r in d)" --scope audit ||
	fail "a what-if check was audited"
# An allow is not audited by default.
[ "$("$nx" policy check svc:echod ipc.connect.logd)" = allowed ] || fail "allow"
poll_query "not any(r['fields'].get('subject') == 'svc:echod' and
	r['fields'].get('cap') == 'ipc.connect.logd' for r in d)" --scope audit ||
	fail "an allow was audited without NEXUS_POLICY_AUDIT_ALLOW"
echo "ok an enforced refusal is an audit record of svc:policyd (subject, cap, rule, version);" \
	"what-if checks and allows are not"

# ---- 3. kill -9 logd: restarted; a record logged meanwhile arrives after ----
lpid=$(pgrep -P "$ipid" -x logd) || fail "no logd child of init"
kill -KILL "$lpid"
# policyd logs this denial while logd is gone or coming back: the facade buffers it.
nobody svc resolve while.logd.down >/dev/null || true
wait_for "$log" 'init: up logd' 2 || fail "logd was not restarted"
poll_query "any(r['fields'].get('cap') == 'ipc.connect.while.logd.down' for r in d) or
	any(r['scope'] == 'nx-log' and r['message'].startswith('dropped') for r in d)" \
	--subject svc:policyd ||
	fail "the record logged while logd was away never arrived: $(cat "$tmp/q")"
# And the services keep logging to the new logd.
nobody svc resolve after.restart >/dev/null || true
poll_query "any(r['fields'].get('cap') == 'ipc.connect.after.restart' for r in d)" --scope audit ||
	fail "policyd did not reach the restarted logd"
echo "ok kill -9 logd: restarted; a record logged meanwhile arrived; policyd logs to the new logd"

# ---- 4. SIGTERM: clean exit, no sanitizer report ----
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: clean stop, no sanitizer report"
