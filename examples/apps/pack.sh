#!/usr/bin/env bash
# Packs a sample app into a signed bundle: the built binary as bin/NAME, the files of
# examples/apps/NAME/root/, and its manifest.nxm, with the bundle id and restart policy
# replaced when given. Used by tests/e2e/apps-lib.sh and scripts/bench.sh.
#
#   examples/apps/pack.sh BUILD_DIR NAME KEY OUT.nxb [ID [RESTART]]
#
# KEY is a key `nx bundle keygen` made; the bundle installs with `nx bundle install OUT.nxb`
# once KEY.pub is trusted.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 BUILD_DIR NAME KEY OUT.nxb [ID [RESTART]]" >&2; exit 2; }
build=$1 name=$2 key=$3 out=$4 id=${5:-} restart=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin"
if [ -d "$here/$name/root" ]; then cp -r "$here/$name/root/." "$work/root/"; fi
cp "$build/examples/apps/$name" "$work/root/bin/$name"
cp "$here/$name/manifest.nxm" "$work/manifest.nxm"
if [ -n "$id" ]; then sed -i "s/^id = .*/id = $id/" "$work/manifest.nxm"; fi
if [ -n "$restart" ]; then sed -i "s/^restart = .*/restart = $restart/" "$work/manifest.nxm"; fi
"$build/source/tools/nx/nx" bundle pack "$work/root" --manifest "$work/manifest.nxm" \
	--key "$key" -o "$out" >/dev/null
