#!/bin/sh
# capnpc-c rejects what it cannot generate with `file:line: error:` and a non-zero exit.
#   error.sh CAPNP PLUGIN SCHEMAS_DIR BAD_SCHEMA EXPECTED_LOCATION MESSAGE_PATTERN
set -u
capnp=$1 plugin=$2 schemas=$3 schema=$4 where=$5 what=$6
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if "$capnp" compile -I"$schemas" -o"$plugin:$out" "$schema" 2>"$out/stderr"; then
	echo "capnpc-c accepted $schema"
	exit 1
fi
cat "$out/stderr"
if ! grep -q "^$where: error: .*$what" "$out/stderr"; then
	echo "expected '$where: error: ...$what...'"
	exit 1
fi
# A request that is not a Cap'n Proto message is refused too.
if printf 'not a capnp message' | "$plugin" 2>/dev/null; then
	echo "capnpc-c accepted garbage on stdin"
	exit 1
fi
# Nothing half-written may be left behind for the build to pick up.
if ls "$out" | grep -q '\.capnp\.[ch]$'; then
	echo "outputs were written despite the error"
	exit 1
fi
exit 0
