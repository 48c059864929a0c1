#!/usr/bin/env bash
# Prints the path of every libFuzzer target of a fuzz build: the executables
# tests/fuzz/meson.build defines, as meson lists them (so helpers and tests are never taken).
# Usage: fuzz-targets.sh BUILD_DIR
set -euo pipefail
meson introspect --targets "$1" | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["defined_in"].endswith("tests/fuzz/meson.build"):
        print(t["filename"][0])
'
