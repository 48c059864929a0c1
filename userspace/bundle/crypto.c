/* SPDX-License-Identifier: MIT */
/* libsodium for userspace/bundle (crypto.h). */
#include <errno.h>
#include <sodium.h>

#include "crypto.h"

#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#include <sanitizer/msan_interface.h>
#define MARK_WRITTEN(p, n) __msan_unpoison(p, n)
#endif
#endif
#ifndef MARK_WRITTEN
#define MARK_WRITTEN(p, n) ((void)(p), (void)(n))
#endif

void bnd_sha256(uint8_t digest[BND_HASH_LEN], const void *data, size_t len)
{
	crypto_hash_sha256(digest, data, len);
	MARK_WRITTEN(digest, BND_HASH_LEN);
}

bool bnd_verify(const uint8_t *sig, const void *msg, size_t len, const uint8_t key[BND_KEY_LEN])
{
	int r = crypto_sign_verify_detached(sig, msg, len, key);

	MARK_WRITTEN(&r, sizeof(r));
	return r == 0;
}

int bnd_sign(uint8_t *sig, const void *msg, size_t len, const uint8_t *secret)
{
	int r = crypto_sign_detached(sig, NULL, msg, len, secret);

	MARK_WRITTEN(&r, sizeof(r));
	MARK_WRITTEN(sig, BND_SIG_LEN);
	return r == 0 ? 0 : -EIO;
}

bool bnd_equal(const void *a, const void *b, size_t n)
{
	int r = sodium_memcmp(a, b, n);

	MARK_WRITTEN(&r, sizeof(r));
	return r == 0;
}
