#!/usr/bin/env bash
# make install: installs what meson marks for installation from BUILD_DIR under PREFIX,
# staged under DESTDIR when given (packaging, tests). The build dir is reconfigured only when
# its prefix differs, then built and installed. Prints each file installed.
# Usage: install.sh BUILD_DIR PREFIX [DESTDIR]
set -euo pipefail
build=$1 prefix=$2 destdir=${3:-}
cd "$(dirname "$0")/.."
current=$(meson introspect --buildoptions "$build" |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
if [ "$current" != "$prefix" ]; then
	meson configure "$build" -Dprefix="$prefix"
fi
ninja -C "$build"
if [ -n "$destdir" ]; then
	meson install -C "$build" --no-rebuild --destdir "$destdir"
else
	meson install -C "$build" --no-rebuild
fi
