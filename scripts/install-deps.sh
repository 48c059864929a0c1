#!/usr/bin/env bash
# Installs the Debian 12 packages Nexus needs to build, test and benchmark,
# and only those that are missing. Run as root (the Makefile calls it).
set -euo pipefail

packages=(
	build-essential pkg-config meson ninja-build python3
	capnproto libcapnp-dev           # the reference compiler and C++ RPC library (our oracle)
	libcmocka-dev                    # unit tests
	libsodium-dev                    # SHA-256, HMAC, Ed25519, XChaCha20-Poly1305, argon2id, Noise
	libsqlite3-dev sqlite3           # persistent state: keys, users, sessions, bundles
	clang-14 libclang-rt-14-dev      # libFuzzer
	clang-format clang-tidy cppcheck # make lint
	util-linux procps                # taskset and setpriv; pgrep for the e2e tests
	man-db groff-base                # man -l: the e2e test renders the man pages
	libdbus-1-dev dbus               # the D-Bus baseline of the system benchmarks
	libseccomp-dev                   # nx-abi builds the sandbox's seccomp filters with it
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install packages (run: sudo $0)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
