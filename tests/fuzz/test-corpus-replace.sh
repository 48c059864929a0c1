#!/usr/bin/env bash
# scripts/fuzz-corpus-replace.sh on a made-up corpus: libFuzzer's inputs (named by SHA-1) are
# replaced by the minimised set, inputs named by hand stay, and the minimised set's copy of a
# hand-named input is not kept twice.
set -euo pipefail
replace=${1:?usage: test-corpus-replace.sh FUZZ_CORPUS_REPLACE}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus" "$tmp/min"
sha() { printf '%s' "$1" | sha1sum | cut -c1-40; }
put() { printf '%s' "$3" >"$tmp/$1/$2"; }

put corpus finding-kept-by-hand 'finding'
put corpus "$(sha stale)" stale
put corpus "$(sha kept)" kept
put min "$(sha kept)" kept
put min "$(sha new)" new
put min "$(sha finding)" finding

"$replace" "$tmp/min" "$tmp/corpus"

want=$(printf '%s\n' finding-kept-by-hand "$(sha kept)" "$(sha new)" | sort)
got=$(ls "$tmp/corpus" | sort)
if [ "$got" != "$want" ]; then
	printf 'corpus after replace:\n%s\nwanted:\n%s\n' "$got" "$want" >&2
	exit 1
fi
[ "$(cat "$tmp/corpus/finding-kept-by-hand")" = finding ] || { echo "named input changed" >&2; exit 1; }
echo "corpus-replace: named input kept, stale input gone, new input added"
