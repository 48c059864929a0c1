/* SPDX-License-Identifier: MIT */
/* keystore signatures (sign.h). */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "sign.h"

_Static_assert(KS_PUBLIC_LEN == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key");
_Static_assert(KS_SECRET_LEN == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key");
_Static_assert(KS_SEED_LEN == crypto_sign_SEEDBYTES, "Ed25519 seed");
_Static_assert(KS_SIGNATURE_LEN == crypto_sign_BYTES, "Ed25519 signature");

/* Messages of inline data are built on the stack; only VMO-sized data needs the heap. */
#define STACK_MESSAGE_MAX (sizeof(KS_SIGN_PREFIX) + KS_DOMAIN_MAX + 1 + KS_INLINE_DATA_MAX)

size_t ks_sign_message_len(size_t domain_len, size_t data_len)
{
	return sizeof(KS_SIGN_PREFIX) + domain_len + 1 + data_len;
}

int ks_sign_message(
        const char *domain, const void *data, size_t len, uint8_t *buf, size_t cap, size_t *ret_len)
{
	size_t dlen = domain ? strlen(domain) : 0;
	size_t need;

	if (!domain || !ks_domain_valid(domain, dlen) || (!data && len) || !buf || !ret_len)
		return -EINVAL;
	need = ks_sign_message_len(dlen, len);
	if (need > cap)
		return -ENOBUFS;
	memcpy(buf, KS_SIGN_PREFIX, sizeof(KS_SIGN_PREFIX)); /* with its NUL */
	memcpy(buf + sizeof(KS_SIGN_PREFIX), domain, dlen + 1);
	if (len)
		memcpy(buf + sizeof(KS_SIGN_PREFIX) + dlen + 1, data, len);
	*ret_len = need;
	return 0;
}

/* The message in `stack` when it fits, else in *ret_heap (the caller frees it). */
static int build(const char *domain, const void *data, size_t len, uint8_t *stack,
        uint8_t **ret_msg, size_t *ret_len, uint8_t **ret_heap)
{
	size_t need = ks_sign_message_len(domain ? strlen(domain) : 0, len);
	uint8_t *buf = stack;

	*ret_heap = NULL;
	if (need > STACK_MESSAGE_MAX) {
		buf = malloc(need);
		if (!buf)
			return -ENOMEM;
		*ret_heap = buf;
	}
	*ret_msg = buf;
	return ks_sign_message(domain, data, len, buf, need, ret_len);
}

int ks_sign(const uint8_t secret[KS_SECRET_LEN], const char *domain, const void *data, size_t len,
        uint8_t ret_sig[KS_SIGNATURE_LEN])
{
	uint8_t stack[STACK_MESSAGE_MAX], *msg = NULL, *heap = NULL;
	size_t mlen = 0;
	int r;

	if (!secret || !ret_sig)
		return -EINVAL;
	r = build(domain, data, len, stack, &msg, &mlen, &heap);
	if (r >= 0 && crypto_sign_detached(ret_sig, NULL, msg, mlen, secret) != 0)
		r = -EINVAL; /* libsodium's Ed25519 signing does not fail on valid input */
	free(heap);
	return r;
}

int ks_verify(const uint8_t public[KS_PUBLIC_LEN], const char *domain, const void *data, size_t len,
        const uint8_t sig[KS_SIGNATURE_LEN])
{
	uint8_t stack[STACK_MESSAGE_MAX], *msg = NULL, *heap = NULL;
	size_t mlen = 0;
	int r;

	if (!public || !sig)
		return -EINVAL;
	r = build(domain, data, len, stack, &msg, &mlen, &heap);
	if (r >= 0 && crypto_sign_verify_detached(sig, msg, mlen, public) != 0)
		r = -EBADMSG;
	free(heap);
	return r;
}
