#!/usr/bin/env bash
# make fuzz: every libFuzzer target in the fuzz build for SECONDS each.
set -euo pipefail
build=$1 secs=$2
top=$(cd "$(dirname "$0")/.." && pwd)
found=0
for exe in "$build"/tests/fuzz/fuzz_*; do
	[ -x "$exe" ] || continue
	found=1
	name=$(basename "$exe")
	echo "== $name for ${secs}s"
	"$top/scripts/fuzz-run.sh" "$exe" "$secs" "$top/tests/fuzz/corpus/$name"
done
[ "$found" = 1 ] || { echo "fuzz: no targets built in $build" >&2; exit 1; }
