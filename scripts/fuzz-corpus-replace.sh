#!/usr/bin/env bash
# Replaces a checked-in corpus by a minimised one (the output of libFuzzer's -merge=1).
# libFuzzer names its inputs by the SHA-1 of their content; those are replaced. Inputs named by
# hand (a finding kept as a regression, a seed written for a path) always stay, and the
# minimised set's copy of one of them is dropped.
# Usage: fuzz-corpus-replace.sh MINIMISED_DIR CORPUS_DIR
set -euo pipefail
min=$1 corpus=$2
mkdir -p "$corpus"
find "$corpus" -maxdepth 1 -type f -regextype egrep -regex '.*/[0-9a-f]{40}' -delete
cp "$min"/* "$corpus"/
for kept in "$corpus"/*; do
	[[ $(basename "$kept") =~ ^[0-9a-f]{40}$ ]] && continue
	rm -f "$corpus/$(sha1sum <"$kept" | cut -c1-40)"
done
