#!/usr/bin/env bash
# A fuzzing campaign: each libFuzzer target runs until it has spent its budget of CPU time
# (user + system as measured, not wall clock: on a shared machine the two differ), JOBS targets
# at a time; then its checked-in corpus and the new inputs are minimised together (-merge=1)
# into tests/fuzz/corpus/<target>/ (inputs named by hand stay: fuzz-corpus-replace.sh).
# One line per target: CPU seconds, runs, edges (cov), features (ft), corpus kept, crashes.
# A crash ends that target's run; the input is kept beside the executable (EXE-crash-*) and
# the campaign exits non-zero. Logs stay in LOG_DIR, the summary lines in LOG_DIR/summary.
# Usage: fuzz-campaign.sh BUILD_DIR LOG_DIR JOBS TARGET=CPU_SECONDS...
set -euo pipefail
build=$1 logs=$2 jobs=$3
shift 3
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$logs"
: >"$logs/summary"

# The differential target reads capnp messages like the reader: it starts from that corpus too.
extra_seeds() { [ "$1" = fuzz_capnp_diff ] && echo "$top/tests/fuzz/corpus/fuzz_capnp_reader"; true; }

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

run_target() {
	local name=${1%%=*} budget=${1#*=}
	local exe="$build/tests/fuzz/$name" seeds="$top/tests/fuzz/corpus/$name"
	local work="$logs/$name" spent=0 runs=0 round=0 status=0 extra
	[ -x "$exe" ] || { echo "$name: no such target in $build" >&2; return 1; }
	extra=$(extra_seeds "$name")
	# A campaign starts from the corpus alone: an earlier one's new inputs were merged into it.
	rm -rf "$work"
	mkdir -p "$work/new" "$seeds"
	# CPU time is counted in hundredths of a second, so that short top-up rounds add up.
	while [ "$spent" -lt $((budget * 100)) ]; do
		round=$((round + 1))
		local log="$work/run.$round.log" ask cpu
		ask=$(((budget * 100 - spent + 99) / 100))
		"$(command -v time)" -f '%U %S' -o "$work/time.$round" "$exe" \
			-max_total_time="$ask" -rss_limit_mb=2048 -timeout=10 \
			-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
			-artifact_prefix="$exe-" "$work/new" "$seeds" $extra >"$log" 2>&1 || status=$?
		cpu=$(awk '{ printf "%d", ($1 + $2) * 100 }' "$work/time.$round")
		spent=$((spent + cpu))
		runs=$((runs + $(stat_of number_of_executed_units "$log")))
		[ "$status" = 0 ] || break
		# A target that cannot use the time it is given (it exits at once) must not spin here.
		[ "$cpu" -ge $((ask * 20)) ] || break
	done
	spent=$((spent / 100))
	local last cov ft
	last=$(grep -E '^#[0-9]+' "$work/run.$round.log" | tail -n 1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	if [ "$status" != 0 ]; then
		printf '%-22s cpu %5ss runs %-11s cov %-5s ft %-6s CRASH (see %s)\n' "$name" \
			"$spent" "$runs" "${cov:-?}" "${ft:-?}" "$work/run.$round.log"
		return 1
	fi
	mkdir "$work/min"
	"$exe" -merge=1 -rss_limit_mb=2048 -timeout=10 "$work/min" "$seeds" "$work/new" $extra \
		>"$work/merge.log" 2>&1 || { tail -n 20 "$work/merge.log" >&2; return 1; }
	"$top/scripts/fuzz-corpus-replace.sh" "$work/min" "$seeds"
	printf '%-22s cpu %5ss runs %-11s cov %-5s ft %-6s corpus %s inputs %s bytes crashes 0\n' \
		"$name" "$spent" "$runs" "${cov:-?}" "${ft:-?}" "$(find "$seeds" -type f | wc -l)" \
		"$(cat "$seeds"/* | wc -c)"
}

failed=0
for t in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || failed=1; done
	run_target "$t" | tee -a "$logs/summary" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || failed=1; done
exit "$failed"
