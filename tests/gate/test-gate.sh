#!/usr/bin/env bash
# The safe-C gate catches what it promises: each plant below, made in a copy of a userspace
# file in a temporary tree, must fail the gate with that file, the plant's line and the rule.
# The tree copy keeps the real checkout untouched. One control case (banned words only in
# comments and strings) must pass, or a gate that fails on everything would pass this test.
# Usage: test-gate.sh SOURCE_ROOT
set -euo pipefail
src=$(cd "${1:?usage: test-gate.sh SOURCE_ROOT}" && pwd)
gate=$src/scripts/safe-c-gate.sh
target=userspace/journal/journal.c
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
before=$(sha256sum <"$src/$target")
mkdir -p "$tmp/source"
cp -r "$src/userspace" "$src/include" "$tmp/"
cp -r "$src/source/libs" "$tmp/source/" # headers the userspace files include (nx-util)
failures=0

# plant NAME EXPECT TEXT: appends TEXT to a fresh copy of $target; the gate must fail and
# print EXPECT (a regex, after "file:line: ") at the line where TEXT begins.
plant() {
	local name=$1 expect=$2 text=$3 line out
	cp "$src/$target" "$tmp/$target"
	line=$(($(wc -l <"$tmp/$target") + 1))
	printf '%s\n' "$text" >>"$tmp/$target"
	if out=$("$gate" --root "$tmp" "$target" 2>&1); then
		echo "FAIL $name: the gate passed"
		failures=$((failures + 1))
	elif ! grep -qE "^$target:$line: $expect" <<<"$out"; then
		echo "FAIL $name: no \"$target:$line: $expect\" in:"
		printf '%s\n' "$out"
		failures=$((failures + 1))
	else
		echo "ok   $name: $(grep -E "^$target:$line: " <<<"$out" | head -1)"
	fi
}

plant strcpy 'call: strcpy is banned' \
	'void gate_plant(char *d, const char *s); void gate_plant(char *d, const char *s) { strcpy(d, s); }'
plant unistd 'header: <unistd.h>' '#include <unistd.h>'
plant vla 'compile: .*-Werror=vla' \
	'int gate_plant(int n); int gate_plant(int n) { char b[n]; b[0] = 1; return b[0]; }'
plant analyzer 'compile: .*-Werror=analyzer-' \
	'int gate_plant(void); int gate_plant(void) { char *p = malloc(8); return p ? 0 : 1; }'

# Control: banned words where they are not code. The file must pass whole.
cp "$src/$target" "$tmp/$target"
cat >>"$tmp/$target" <<'EOF'
/* strcpy(d, s); #include <unistd.h> */
// sprintf(buf, "%d", atoi(s));
static const char gate_words[] = "strcpy(\"x\") gets alloca";
static const char gate_quote = '"';
const char *gate_control(void);
const char *gate_control(void) { return gate_quote == '"' ? gate_words : "strtok"; }
EOF
if out=$("$gate" --root "$tmp" "$target" 2>&1); then
	echo "ok   control: banned words in comments and strings pass"
else
	echo "FAIL control: the gate failed on comments and strings:"
	printf '%s\n' "$out"
	failures=$((failures + 1))
fi

if [ "$(sha256sum <"$src/$target")" = "$before" ]; then
	echo "ok   the real $target is untouched"
else
	echo "FAIL the real $target changed while the test ran"
	failures=$((failures + 1))
fi
[ "$failures" = 0 ] || { echo "$failures case(s) failed"; exit 1; }
