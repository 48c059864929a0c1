#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS on its checked-in seed corpus and prints one summary
# line. New inputs go to a temp dir, so the source tree stays untouched unless FUZZ_MERGE=1:
# then the seeds and the new inputs are minimised together (-merge=1) and replace SEED_DIR's
# libFuzzer-named inputs (fuzz-corpus-replace.sh).
# Crash inputs are kept beside the executable (EXE-crash-*). Exit status: 0 clean, 1 a finding.
# Usage: fuzz-run.sh EXE SECONDS [SEED_DIR]
set -euo pipefail
exe=$1 secs=$2 seeds=${3:-}
name=$(basename "$exe")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"
args=("$work/new")
[ -n "$seeds" ] && [ -d "$seeds" ] && args+=("$seeds")

# libFuzzer reports a crash with exit code 77 by default, which meson reads as "skipped":
# make every finding a plain failure.
status=0
"$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 \
	-timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$exe-" "${args[@]}" \
	>"$work/log" 2>&1 || status=$?

# The last status line ("#N DONE cov: C ft: F corp: K/S ...") and the final stats.
stat() { sed -n "s/^stat::$1: *//p" "$work/log" | tail -n 1; }
last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
crashes=$(grep -c -E '^artifact_prefix=.*Test unit written to' "$work/log" || true)
[ "$status" = 0 ] || [ "$crashes" -gt 0 ] || crashes=1
printf '%-20s runs %-10s cov %-6s corpus %-14s crashes %s  exec/s %s\n' "$name" \
	"$(stat number_of_executed_units)" "${cov:-?}" "${corp:-?}" "$crashes" \
	"$(stat average_exec_per_sec)"
if [ "$status" != 0 ]; then
	# The sanitizer's report and the crash input's path, for the log.
	grep -v -E '^#[0-9]+' "$work/log" | tail -n 60 >&2
	exit 1
fi

if [ "${FUZZ_MERGE:-0}" = 1 ] && [ -n "$seeds" ]; then
	mkdir -p "$seeds" "$work/min"
	"$exe" -merge=1 -rss_limit_mb=2048 -timeout=10 "$work/min" "$seeds" "$work/new" \
		>"$work/merge.log" 2>&1 || { tail -n 20 "$work/merge.log" >&2; exit 1; }
	"$(dirname "$0")/fuzz-corpus-replace.sh" "$work/min" "$seeds"
	echo "$name: corpus minimised to $(find "$seeds" -type f | wc -l) inputs," \
		"$(cat "$seeds"/* | wc -c) bytes in $seeds"
fi
