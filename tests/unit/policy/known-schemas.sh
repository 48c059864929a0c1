#!/usr/bin/env bash
# Every capability a schema documents ("Needs `x`" in tools/nexus-idl/schemas) is in
# policies/capabilities, so that a policy granting it loads: a policy of one rule per such
# capability (a <name> placeholder made a name) is validated with nx against a copy of the
# list. Usage: known-schemas.sh NX SOURCE_DIR
set -euo pipefail
nx=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src/policies/capabilities" "$tmp/capabilities"
grep -rhoE 'Needs `[^`]+`' "$src/tools/nexus-idl/schemas" | sed -E 's/Needs `([^`]+)`/\1/' |
	sed -E 's/<[a-z]+>/x/g' | sort -u >"$tmp/caps"
[ -s "$tmp/caps" ] || { echo "FAIL: no Needs lines found"; exit 1; }
sed 's/^/allow svc:x /' "$tmp/caps" >"$tmp/default.policy"
if ! out=$("$nx" policy validate "$tmp/default.policy" 2>&1); then
	echo "FAIL: a schema's capability is missing from policies/capabilities: $out"
	exit 1
fi
echo "ok $(wc -l <"$tmp/caps") capabilities of the schemas are known: $(tr '\n' ' ' <"$tmp/caps")"
