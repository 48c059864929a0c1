#!/usr/bin/env bash
# make fuzz: every libFuzzer target of the fuzz build for SECONDS each, one summary line per
# target. The targets are the executables tests/fuzz/meson.build defines, as meson lists them.
# Exits non-zero if any target found a crash. FUZZ_MERGE=1 (make fuzz-merge) minimises each
# target's new inputs into tests/fuzz/corpus/<target>/.
# Usage: fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=$1 secs=$2
top=$(cd "$(dirname "$0")/.." && pwd)
targets=$("$top/scripts/fuzz-targets.sh" "$build")
[ -n "$targets" ] || { echo "fuzz: no targets built in $build" >&2; exit 1; }
failed=0
for exe in $targets; do
	name=$(basename "$exe")
	"$top/scripts/fuzz-run.sh" "$exe" "$secs" "$top/tests/fuzz/corpus/$name" || failed=1
done
exit "$failed"
