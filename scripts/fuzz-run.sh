#!/usr/bin/env bash
# Runs one libFuzzer target for N seconds on its checked-in seed corpus, writing new inputs to
# a temp dir (the source tree stays untouched). Usage: fuzz-run.sh EXE SECONDS [SEED_DIR]
set -euo pipefail
exe=$1 secs=$2 seeds=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=("$work")
[ -n "$seeds" ] && [ -d "$seeds" ] && args+=("$seeds")
# libFuzzer reports a crash with exit code 77 by default, which meson reads as "skipped":
# make every finding a plain failure.
exec "$exe" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 \
	-timeout_exitcode=1 -print_final_stats=1 "${args[@]}"
