#!/bin/sh
# Every limit in include/nexus/limits*.h (STYLE.md 20) is named by at least one test outside
# this directory: the test that crosses it. Prints the ones no test names and fails.
# usage: check-limits.sh SOURCE_ROOT
set -eu
root=$1
missing=0
names=$(sed -n 's/^#define \([A-Z][A-Z0-9_]*\) .*/\1/p' "$root"/include/nexus/limits*.h)
[ -n "$names" ] || { echo "no limits found under $root/include/nexus" >&2; exit 1; }
for name in $names; do
	# A library's name for a system limit (#define REG_X NX_Y) is crossed as either name.
	aliases=$(sed -n "s/^#define \([A-Z][A-Z0-9_]*\) *$name\$/\1/p" "$root"/include/nexus/limits*.h)
	if ! printf '%s\n' "$name" $aliases | grep -rqwF --include='*.c' --include='*.cc' \
		--include='*.cpp' --include='*.sh' --exclude-dir=limits -f - "$root/tests"; then
		echo "no test crosses $name" >&2
		missing=$((missing + 1))
	fi
done
[ "$missing" -eq 0 ]
