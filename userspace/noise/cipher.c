/* SPDX-License-Identifier: MIT */
/* Noise CipherState (rev 34 §5.1) with ChaChaPoly (§12.3) and rekey (§11.3). */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "nx-util/macro.h"

_Static_assert(NOISE_KEYLEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "ChaChaPoly key");
_Static_assert(NOISE_TAGLEN == crypto_aead_chacha20poly1305_ietf_ABYTES, "Poly1305 tag");

/* 2^64-1 is reserved for rekey: no message is ever sent under it (§5.1). */
#define NONCE_RESERVED UINT64_MAX

/* ChaChaPoly's 96-bit nonce: 32 zero bits, then n little-endian (§12.3). */
static void nonce_bytes(uint64_t n, uint8_t ret_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES])
{
	memset(ret_nonce, 0, 4);
	for (unsigned i = 0; i < 8; i++)
		ret_nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

void noise_cipher_init(struct noise_cipher *cs, const uint8_t k[NOISE_KEYLEN])
{
	sodium_memzero(cs, sizeof(*cs));
	if (k) {
		memcpy(cs->k, k, NOISE_KEYLEN);
		cs->has_key = true;
	}
}

void noise_cipher_wipe(struct noise_cipher *cs)
{
	if (cs)
		sodium_memzero(cs, sizeof(*cs));
}

int noise_cipher_encrypt(struct noise_cipher *cs, const void *ad, size_t ad_len, const void *in,
        size_t len, uint8_t *out, size_t size, size_t *ret_len)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	unsigned long long out_len = 0;

	assert_return(
	        cs && (in || len == 0) && (out || size == 0) && ret_len && (ad || ad_len == 0),
	        -EINVAL);
	if (!cs->has_key) {
		/* Before the handshake keys anything, EncryptWithAd returns the plaintext. */
		if (len > NOISE_MSG_MAX)
			return -EMSGSIZE;
		if (size < len)
			return -ENOBUFS;
		if (len)
			memmove(out, in, len);
		*ret_len = len;
		return 0;
	}
	if (cs->n == NONCE_RESERVED)
		return -EOVERFLOW;
	if (len > NOISE_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (size < len + NOISE_TAGLEN)
		return -ENOBUFS;
	nonce_bytes(cs->n, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(
	        out, &out_len, in, len, ad, ad_len, NULL, nonce, cs->k);
	cs->n++;
	*ret_len = (size_t)out_len;
	return 0;
}

int noise_cipher_decrypt(struct noise_cipher *cs, const void *ad, size_t ad_len, const void *in,
        size_t len, uint8_t *out, size_t size, size_t *ret_len)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	unsigned long long out_len = 0;

	assert_return(
	        cs && (in || len == 0) && (out || size == 0) && ret_len && (ad || ad_len == 0),
	        -EINVAL);
	if (len > NOISE_MSG_MAX)
		return -EMSGSIZE;
	if (!cs->has_key) {
		if (size < len)
			return -ENOBUFS;
		if (len)
			memmove(out, in, len);
		*ret_len = len;
		return 0;
	}
	if (cs->n == NONCE_RESERVED)
		return -EOVERFLOW;
	if (len < NOISE_TAGLEN)
		return -EBADMSG;
	if (size < len - NOISE_TAGLEN)
		return -ENOBUFS;
	nonce_bytes(cs->n, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(
	            out, &out_len, NULL, in, len, ad, ad_len, nonce, cs->k) != 0)
		return -EBADMSG;
	cs->n++;
	*ret_len = (size_t)out_len;
	return 0;
}

int noise_cipher_rekey(struct noise_cipher *cs)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t zeros[NOISE_KEYLEN] = {0};
	uint8_t block[NOISE_KEYLEN + NOISE_TAGLEN];

	assert_return(cs, -EINVAL);
	if (!cs->has_key)
		return -EPROTO;
	nonce_bytes(NONCE_RESERVED, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(
	        block, NULL, zeros, sizeof(zeros), NULL, 0, NULL, nonce, cs->k);
	memcpy(cs->k, block, NOISE_KEYLEN);
	sodium_memzero(block, sizeof(block));
	return 0;
}
