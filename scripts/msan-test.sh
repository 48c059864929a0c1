#!/usr/bin/env bash
# MemorySanitizer over the pure libraries (userspace/) and nx-capnp: the unit-test suites of
# those libraries, built by clang-14 with -fsanitize=memory in a build dir of their own, then
# run. ASan does not see reads of uninitialised memory; MSan does, but only in code it
# instrumented. cmocka and libsodium come from the system, uninstrumented: they cause no false
# reports here (values passed into them are not checked, and their outputs that the tests
# branch on are written through intercepted libc), but MSan is blind inside them. The rest of
# the project (C++ capnp, daemons) is not built: uninstrumented C++ libraries would report
# falsely.
# Usage: msan-test.sh SOURCE_ROOT BUILD_DIR   (BUILD_DIR is created on first use)
set -euo pipefail
src=$(cd "${1:?usage: msan-test.sh SOURCE_ROOT BUILD_DIR}" && pwd)
out=${2:?usage: msan-test.sh SOURCE_ROOT BUILD_DIR}
cc=${MSAN_CC:-clang-14}
suites=(nx-capnp journal registry supervise policy bundle)

if [ ! -f "$out/build.ninja" ]; then
	CC=$cc CXX=${cc/clang/clang++} meson setup "$out" "$src" \
		-Db_sanitize=memory -Db_lundef=false
fi

# A probe first: if this compiler's MSan does not catch a branch on uninitialised heap
# memory, a green run below would prove nothing.
printf '%s\n' '#include <stdlib.h>' \
	'int main(void) { int *p = malloc(sizeof(*p)); return *p ? 2 : 0; }' >"$out/msan-probe.c"
"$cc" -fsanitize=memory "$out/msan-probe.c" -o "$out/msan-probe"
if probe=$("$out/msan-probe" 2>&1) || ! grep -q use-of-uninitialized-value <<<"$probe"; then
	printf 'msan: MemorySanitizer missed the probe'"'"'s uninitialised read:\n%s\n' "$probe" >&2
	exit 1
fi

# Build only the executables those suites run (meson 1.0 cannot build "a suite").
mapfile -t targets < <(python3 - "$out" "${suites[@]}" <<'PY'
import json, os, sys
out, suites = sys.argv[1], {"nexus:" + s for s in sys.argv[2:]}
info = os.path.join(out, "meson-info")
ids = {t["id"]: t for t in json.load(open(os.path.join(info, "intro-targets.json")))}
for test in json.load(open(os.path.join(info, "intro-tests.json"))):
    if suites & set(test["suite"]):
        for dep in test["depends"]:
            for f in ids[dep]["filename"]:
                print(os.path.relpath(f, out))
PY
)
[ ${#targets[@]} -gt 0 ] || { echo "msan: no tests in suites ${suites[*]}" >&2; exit 1; }
ninja -C "$out" -j2 "${targets[@]}"
suite_args=()
for s in "${suites[@]}"; do suite_args+=(--suite "$s"); done
MSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$out" --no-rebuild --print-errorlogs "${suite_args[@]}"
