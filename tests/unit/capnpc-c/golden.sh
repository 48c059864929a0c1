#!/bin/sh
# Golden test for capnpc-c: regenerate every golden/*.capnp and diff against expected/.
#   golden.sh check   CAPNP PLUGIN SCHEMAS_DIR GOLDEN_DIR EXPECTED_DIR
#   golden.sh refresh CAPNP PLUGIN SCHEMAS_DIR GOLDEN_DIR EXPECTED_DIR   (rewrites expected/)
# Usually run as `meson test -C build --suite capnpc-c` and `ninja -C build capnpc-c-golden`.
set -eu
mode=$1 capnp=$2 plugin=$3 schemas=$4 golden=$5 expected=$6
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$capnp" compile -I"$schemas" --src-prefix="$golden" -o"$plugin:$out" "$golden"/*.capnp
if [ "$mode" = refresh ]; then
	mkdir -p "$expected"
	rm -f "$expected"/*.capnp.h "$expected"/*.capnp.c
	cp "$out"/*.capnp.h "$out"/*.capnp.c "$expected"/
	echo "golden outputs refreshed in $expected"
	exit 0
fi
status=0
for f in "$out"/* "$expected"/*; do
	name=$(basename "$f")
	case $name in *.capnp.h|*.capnp.c) ;; *) continue ;; esac
	if ! diff -u "$expected/$name" "$out/$name"; then
		status=1
	fi
done
exit $status
