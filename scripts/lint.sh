#!/usr/bin/env bash
# make lint: clang-format (check mode), clang-tidy and cppcheck over the project's C sources,
# then the safe-C gate (scripts/safe-c-gate.sh) over userspace/ and nx-capnp.
# Generated code and golden outputs are not linted; the generator's own source is.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v -e '/golden/' -e '^tests/fuzz/corpus/')
mapfile -t sources < <(printf '%s\n' "${files[@]}" | grep '\.c$' | grep -v '^tests/')
fail=0

echo "lint: clang-format on ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}" || fail=1

echo "lint: clang-tidy on ${#sources[@]} files"
clang-tidy -p "$build" --quiet "${sources[@]}" 2>/dev/null || fail=1

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	--std=c11 -D__linux__ -I include -I source/libs \
	--suppress=missingIncludeSystem "${sources[@]}" || fail=1

echo "lint: safe-C gate"
SAFE_C_BUILD=$build scripts/safe-c-gate.sh || fail=1

[ "$fail" = 0 ] && echo "lint: clean" || { echo "lint: problems found" >&2; exit 1; }
