#!/usr/bin/env bash
# The safe-C gate: what pure code (userspace/, and the freestanding nx-capnp runtime) may do.
# C has no forbid(unsafe_code); these rules are its stand-in:
#   header    no <sys/*>, <unistd.h>, <fcntl.h>, socket/network or other syscall headers
#   call      no strcpy, strcat, sprintf, gets, alloca, strtok, atoi and friends
#   compile   gcc -fanalyzer -Wvla -Werror (no VLAs, zero analyzer findings)
# Usage: safe-c-gate.sh [--root DIR] [FILE...]   (FILEs relative to DIR; default: every C file
# under userspace/ and source/libs/nx-capnp/ of DIR, itself by default this checkout).
# Prints "file:line: rule: message" per violation and exits 1 if there was any.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${1:-}" = --root ]; then
	root=$2
	shift 2
fi
cd "$root"

if [ $# -gt 0 ]; then
	files=("$@")
else
	mapfile -t files < <(find userspace source/libs/nx-capnp -name '*.[ch]' | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "safe-c: no files to check" >&2; exit 1; }
fail=0

# Header and call rules. The check is token-aware: a first pass blanks comments and the
# contents of string and character literals (keeping every newline, so line numbers stay
# right), except the "..." of an #include line, which names a header. Identifiers are then
# matched whole, so "strcpy" in a comment, in a string or inside my_strcpy_checked passes.
# shellcheck disable=SC2016 # the awk program is meant literally
rules='
BEGIN {
	# Why each is banned: no bound on the destination (strcpy, stpcpy, strcat, sprintf,
	# vsprintf, gets), silent truncation without a NUL (strncpy, strncat), unbounded stack
	# growth (alloca), hidden global state (strtok), no error reporting on bad or
	# out-of-range numbers (ato*, and scanf-family %d). Use the snprintf/strtol families.
	n = split("strcpy stpcpy strcat strncpy strncat sprintf vsprintf gets alloca " \
		"__builtin_alloca strtok atoi atol atoll atof scanf sscanf fscanf vscanf " \
		"vsscanf vfscanf", list, " ")
	for (i = 1; i <= n; i++)
		banned[list[i]] = 1
}
FNR == 1 { in_comment = 0 }
{
	line = $0
	out = ""
	is_include = !in_comment && line ~ /^[ \t]*#[ \t]*include/
	quote = ""
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		two = substr(line, i, 2)
		if (in_comment) {
			if (two == "*/") { in_comment = 0; out = out "  "; i++ }
			else out = out " "
		} else if (quote != "") {
			if (c == "\\") { out = out "  "; i++ }
			else if (c == quote) { out = out c; quote = "" }
			else out = out " "
		} else if (two == "//") {
			break
		} else if (two == "/*") {
			in_comment = 1; out = out "  "; i++
		} else if ((c == "\"" && !is_include) || c == "\047") {
			quote = c; out = out c
		} else {
			out = out c
		}
	}

	if (out ~ /^[ \t]*#[ \t]*include/) {
		hdr = out
		sub(/^[ \t]*#[ \t]*include(_next)?[ \t]*[<"]/, "", hdr)
		sub(/[>"].*/, "", hdr)
		if (hdr ~ /^(sys|netinet|arpa|net|linux|asm)\// ||
		    hdr ~ /^(unistd|fcntl|netdb|poll|dirent|signal|pthread)\.h$/)
			printf "%s:%d: header: <%s> is a system interface; pure code gets no fds or syscalls\n", FILENAME, FNR, hdr
		next
	}
	rest = out
	while (match(rest, /[A-Za-z_][A-Za-z0-9_]*/)) {
		word = substr(rest, RSTART, RLENGTH)
		if (word in banned)
			printf "%s:%d: call: %s is banned (unbounded, unchecked or stateful)\n", FILENAME, FNR, word
		rest = substr(rest, RSTART + RLENGTH)
	}
}
'
found=$(awk "$rules" "${files[@]}")
if [ -n "$found" ]; then
	printf '%s\n' "$found"
	fail=1
fi

# Compile rule: each .c alone with the project's warnings plus -fanalyzer (which runs after
# code generation starts, so -fsyntax-only would skip it: objects go to /dev/null). Only the
# diagnostics' first lines are shown, tagged with the rule; the path notes are noise here.
# shellcheck disable=SC2207 # pkg-config prints whitespace-separated flags
sodium_cflags=($(pkg-config --cflags libsodium 2>/dev/null || true))
# Headers generated from schemas (userspace/bundle's bundle-format.capnp.h) live in the build
# dir, given as $SAFE_C_BUILD (meson test and make lint set it).
gen_includes=()
if [ -n "${SAFE_C_BUILD:-}" ]; then
	for d in "$SAFE_C_BUILD"/userspace/*/; do gen_includes+=("-I$d"); done
fi
for f in "${files[@]}"; do
	[[ $f == *.c ]] || continue
	if ! diag=$(gcc -std=gnu11 -D_GNU_SOURCE -c -o /dev/null -fanalyzer -Werror -Wall -Wextra \
		-Wvla -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
		-fdiagnostics-plain-output -Iinclude -Isource/libs -Iuserspace \
		"${sodium_cflags[@]}" "${gen_includes[@]}" "$f" 2>&1); then
		printf '%s\n' "$diag" | grep -E '^[^ ]+:[0-9]+:[0-9]+: (error|warning):' |
			sed -E 's/^([^:]+:[0-9]+):[0-9]+: (error|warning): /\1: compile: /' || true
		printf '%s\n' "$diag" | grep -qE '^[^ ]+:[0-9]+:[0-9]+: (error|warning):' ||
			printf '%s: compile: gcc failed:\n%s\n' "$f" "$diag"
		fail=1
	fi
done

if [ "$fail" = 0 ]; then
	echo "safe-c: ${#files[@]} files clean (headers, calls, -fanalyzer -Wvla)"
else
	echo "safe-c: violations found" >&2
	exit 1
fi
