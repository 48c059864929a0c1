/* SPDX-License-Identifier: MIT */
/* Noise SymmetricState (rev 34 §5.2) over BLAKE2b, with HMAC and HKDF as §4.3 defines them. */
#include <string.h>

#include <sodium.h>

#include "symmetric.h"

_Static_assert(NOISE_HASHLEN == crypto_generichash_blake2b_BYTES_MAX, "BLAKE2b-512");

/* HMAC (RFC 2104) over BLAKE2b-512: H((K ^ opad) || H((K ^ ipad) || data)), the key
 * zero-padded to the 128-byte block. The data comes in up to two pieces so that HKDF can
 * hash "previous output || counter" without copying. */
static void hmac2(const uint8_t key[NOISE_HASHLEN], const void *a, size_t a_len, const void *b,
        size_t b_len, uint8_t ret_mac[NOISE_HASHLEN])
{
	crypto_generichash_blake2b_state st;
	uint8_t pad[NOISE_BLOCKLEN];
	uint8_t inner[NOISE_HASHLEN];

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < NOISE_HASHLEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	if (a_len)
		crypto_generichash_blake2b_update(&st, a, a_len);
	if (b_len)
		crypto_generichash_blake2b_update(&st, b, b_len);
	crypto_generichash_blake2b_final(&st, inner, sizeof(inner));

	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < NOISE_HASHLEN; i++)
		pad[i] ^= key[i];
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	crypto_generichash_blake2b_update(&st, inner, sizeof(inner));
	crypto_generichash_blake2b_final(&st, ret_mac, NOISE_HASHLEN);

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

void noise_hmac(const uint8_t key[NOISE_HASHLEN], const void *data, size_t len,
        uint8_t ret_mac[NOISE_HASHLEN])
{
	hmac2(key, data, len, NULL, 0, ret_mac);
}

void noise_hkdf2(const uint8_t ck[NOISE_HASHLEN], const void *ikm, size_t ikm_len,
        uint8_t ret_out1[NOISE_HASHLEN], uint8_t ret_out2[NOISE_HASHLEN])
{
	static const uint8_t one = 0x01, two = 0x02;
	uint8_t temp_key[NOISE_HASHLEN];
	uint8_t out1[NOISE_HASHLEN];

	noise_hmac(ck, ikm, ikm_len, temp_key);
	/* out1 is kept aside: ret_out1 may alias ck. */
	noise_hmac(temp_key, &one, 1, out1);
	hmac2(temp_key, out1, sizeof(out1), &two, 1, ret_out2);
	memcpy(ret_out1, out1, NOISE_HASHLEN);
	sodium_memzero(temp_key, sizeof(temp_key));
	sodium_memzero(out1, sizeof(out1));
}

void noise_ss_init(struct noise_symmetric *ss, const char *protocol_name)
{
	size_t len = strlen(protocol_name);

	noise_ss_wipe(ss);
	if (len <= NOISE_HASHLEN)
		memcpy(ss->h, protocol_name, len);
	else
		crypto_generichash_blake2b(
		        ss->h, NOISE_HASHLEN, (const uint8_t *)protocol_name, len, NULL, 0);
	memcpy(ss->ck, ss->h, NOISE_HASHLEN);
	noise_cipher_init(&ss->cipher, NULL);
}

void noise_ss_mix_hash(struct noise_symmetric *ss, const void *data, size_t len)
{
	crypto_generichash_blake2b_state st;

	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_blake2b_update(&st, ss->h, NOISE_HASHLEN);
	if (len)
		crypto_generichash_blake2b_update(&st, data, len);
	crypto_generichash_blake2b_final(&st, ss->h, NOISE_HASHLEN);
}

void noise_ss_mix_key(struct noise_symmetric *ss, const uint8_t ikm[NOISE_DHLEN])
{
	uint8_t temp_k[NOISE_HASHLEN];

	noise_hkdf2(ss->ck, ikm, NOISE_DHLEN, ss->ck, temp_k);
	/* HASHLEN 64 > 32: the cipher key is temp_k's first 32 bytes (§5.2). */
	noise_cipher_init(&ss->cipher, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

int noise_ss_encrypt_and_hash(struct noise_symmetric *ss, const void *in, size_t len, uint8_t *out,
        size_t size, size_t *ret_len)
{
	size_t n = 0;
	int r = noise_cipher_encrypt(&ss->cipher, ss->h, NOISE_HASHLEN, in, len, out, size, &n);

	if (r < 0)
		return r;
	noise_ss_mix_hash(ss, out, n);
	*ret_len = n;
	return 0;
}

int noise_ss_decrypt_and_hash(struct noise_symmetric *ss, const void *in, size_t len, uint8_t *out,
        size_t size, size_t *ret_len)
{
	uint8_t h[NOISE_HASHLEN];
	size_t n = 0;
	int r;

	/* MixHash takes the ciphertext, which an in-place decrypt overwrites: hash it into a
	 * copy of h first and commit only if it decrypts. */
	memcpy(h, ss->h, sizeof(h));
	noise_ss_mix_hash(ss, in, len);
	r = noise_cipher_decrypt(&ss->cipher, h, sizeof(h), in, len, out, size, &n);
	if (r < 0) {
		memcpy(ss->h, h, sizeof(h));
		return r;
	}
	*ret_len = n;
	return 0;
}

void noise_ss_split(
        const struct noise_symmetric *ss, struct noise_cipher *ret_c1, struct noise_cipher *ret_c2)
{
	uint8_t k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];

	noise_hkdf2(ss->ck, NULL, 0, k1, k2);
	noise_cipher_init(ret_c1, k1);
	noise_cipher_init(ret_c2, k2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
}

void noise_ss_wipe(struct noise_symmetric *ss)
{
	sodium_memzero(ss, sizeof(*ss));
}
