/* SPDX-License-Identifier: MIT */
/*
 * The one place userspace/bundle calls libsodium: SHA-256, Ed25519 sign and verify, and a
 * constant-time compare. libsodium is pure computation (no fds, no allocation) but not built
 * with the project's sanitizers; under MemorySanitizer (scripts/msan-test.sh) the bytes it
 * writes are marked initialised here, since MSan cannot see inside it.
 */
#ifndef BUNDLE_CRYPTO_H
#define BUNDLE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"

/* SHA-256 of len bytes into digest (BND_HASH_LEN bytes). */
void bnd_sha256(uint8_t digest[BND_HASH_LEN], const void *data, size_t len);

/* Whether sig (BND_SIG_LEN) is key's Ed25519 signature of msg (len bytes). */
bool bnd_verify(const uint8_t *sig, const void *msg, size_t len, const uint8_t key[BND_KEY_LEN]);

/* Signs msg (len bytes) with secret (BND_SECRET_LEN) into sig (BND_SIG_LEN). 0 or -EIO. */
int bnd_sign(uint8_t *sig, const void *msg, size_t len, const uint8_t *secret);

/* Whether n bytes at a and b are equal, in time independent of where they differ. */
bool bnd_equal(const void *a, const void *b, size_t n);

#endif
