#!/bin/sh
# check-limits.sh can fail: a limit no test names is reported, and naming it in a test fixes it.
# usage: check-limits-selftest.sh CHECK_SCRIPT
set -eu
check=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/include/nexus" "$tmp/tests/unit/x"
printf '#define NX_SELFTEST_MAX 1u\n' >"$tmp/include/nexus/limits.h"
printf 'int main(void) { return 0; }\n' >"$tmp/tests/unit/x/test.c"
if "$check" "$tmp" 2>/dev/null; then
	echo "an untested limit passed the check" >&2
	exit 1
fi
printf 'int main(void) { return NX_SELFTEST_MAX + 1 > NX_SELFTEST_MAX ? 0 : 1; }\n' \
	>"$tmp/tests/unit/x/test.c"
"$check" "$tmp"
