#!/usr/bin/env bash
# End to end: everything logs through nx-log into logd, and policyd audits its denials.
#   1. the services' ready markers are in the journal under their subjects;
#   2. a refusal a service enforces is an audit record with its rule; what-if checks and allows
#      are not audited;
#   3. after kill -9 logd, a record logged while logd was away arrives once logd is back
#      (buffered by the facade, or counted in a drop or lost report); 3b. a client streaming
#      through nx-svc's log sink while logd is stopped and killed: confirmed + lost = sent, the
#      lost reported, nothing stored twice.
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
# as_uid U ARGS: nx ARGS as uid U; nobody: as uid 65534.
as_uid() {
	local u=$1
	shift
	(cd / && setpriv --reuid "$u" --regid "$u" --clear-groups "$nx" "$@" 2>&1)
}
nobody() { as_uid 65534 "$@"; }
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
# policyd logs this denial while logd is gone or coming back: the facade buffers it (or, sent
# into the dying channel, counts it lost and reports it). Each denial here is another subject's
# first: policyd's audit rate limit (per subject and rule) records it.
as_uid 65533 svc resolve while.logd.down >/dev/null || true
wait_for "$log" 'init: up logd' 2 || fail "logd was not restarted"
poll_query "any(r['fields'].get('cap') == 'ipc.connect.while.logd.down' for r in d) or
	any(r['scope'] == 'nx-log' and ('dropped' in r['fields'] or 'lost' in r['fields'])
		for r in d)" \
	--subject svc:policyd ||
	fail "the record logged while logd was away never arrived: $(cat "$tmp/q")"
# And the services keep logging to the new logd.
as_uid 65532 svc resolve after.restart >/dev/null || true
poll_query "any(r['fields'].get('cap') == 'ipc.connect.after.restart' for r in d)" --scope audit ||
	fail "policyd did not reach the restarted logd"
echo "ok kill -9 logd: restarted; a record logged meanwhile arrived; policyd logs to the new logd"

# ---- 3b. logd stopped, then killed, under a client streaming through nx-svc's log sink ----
# What the sink sent to the stopped logd is never answered: when logd dies those records are
# counted as lost and, once the sink reached the new logd, reported there (nx-log's report,
# lost=N), never sent twice. So confirmed + lost = sent, the journal holds every record but
# the lost ones, and its reports add up to them.
mkfifo "$tmp/ctl"
"$build/tests/e2e/log-probe" stream <"$tmp/ctl" >"$tmp/stream.out" 2>&1 &
spid=$!
pids+=("$spid")
exec 7>"$tmp/ctl"
wait_for "$tmp/stream.out" 'probe: settled sent 100 confirmed 100 lost 0' ||
	fail "the first 100 records did not settle: $(cat "$tmp/stream.out")"
lpid=$(pgrep -P "$ipid" -x logd) || fail "no logd child of init"
kill -STOP "$lpid"
# Stopped for sure (state T) before the probe sends: a logd still running could store a record
# whose answer then never comes.
for _ in $(seq 200); do
	[ "$(awk '{print $3}' "/proc/$lpid/stat")" = T ] && break
	sleep 0.05
done
[ "$(awk '{print $3}' "/proc/$lpid/stat")" = T ] || fail "logd did not stop"
echo stopped >&7
wait_for "$tmp/stream.out" 'probe: unsettled [1-9][0-9]*' ||
	fail "nothing in flight to the stopped logd: $(cat "$tmp/stream.out")"
n=$(grep -c -x 'init: up logd' "$log")
kill -KILL "$lpid"
wait_for "$log" 'init: up logd' $((n + 1)) || fail "logd was not restarted"
echo killed >&7
exec 7>&-
wait "$spid" || fail "log-probe stream: $(cat "$tmp/stream.out")"
read -r sent confirmed lost dropped < <(sed -n 's/^probe: sent \([0-9]*\) confirmed \([0-9]*\) lost \([0-9]*\) dropped \([0-9]*\)$/\1 \2 \3 \4/p' "$tmp/stream.out")
[ -n "${dropped:-}" ] || fail "no final counts: $(cat "$tmp/stream.out")"
[ "$((confirmed + lost))" = "$sent" ] && [ "$lost" -ge 1 ] && [ "$dropped" = 0 ] ||
	fail "sent $sent, confirmed $confirmed, lost $lost, dropped $dropped"
poll_query "sum(int(r['fields'].get('lost', 0)) for r in d if r['scope'] == 'nx-log') == $lost and
	len({r['message'] for r in d if r['scope'] == 'e2e.stream'}) == 300 - $lost and
	len([r for r in d if r['scope'] == 'e2e.stream']) == 300 - $lost and
	all(m in {r['message'] for r in d} for m in ['s%d' % i for i in list(range(1, 101)) + list(range(201, 301))])" \
	--subject "uid:$(id -u)" --max 1000 ||
	fail "journal vs lost $lost: $(grep -c e2e.stream "$tmp/q") stream records, reports: $(grep nx-log "$tmp/q")"
echo "ok logd stopped and killed under a streaming client: $confirmed confirmed + $lost lost =" \
	"$sent sent; the lost reported once the sink was back, none stored twice"

# ---- 4. SIGTERM: clean exit, no sanitizer report ----
kill -TERM "$ipid"
st=0; wait "$ipid" || st=$?
[ "$st" = 0 ] || fail "init exited $st after SIGTERM"
grep -q 'Sanitizer' "$log" && fail "a sanitizer reported an error in some process"
echo "ok SIGTERM: clean stop, no sanitizer report"
