/* SPDX-License-Identifier: MIT */
/* keystore records and the KEK file (record.h). */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "record.h"

_Static_assert(KS_KEK_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "XChaCha key");
_Static_assert(KS_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "XChaCha nonce");
_Static_assert(KS_TAG_LEN == crypto_aead_xchacha20poly1305_ietf_ABYTES, "Poly1305 tag");

#define RECORD_VERSION 1u
#define AD_PREFIX      "nexus-key-record-v1"
#define AD_MAX         (sizeof(AD_PREFIX) + KS_OWNER_MAX + 1 + KS_NAME_MAX + 1 + KS_PUBLIC_LEN)
#define KEK_MAGIC      "NXKEK1\n" /* with its NUL: 8 bytes */
#define KEK_CHECK_LEN  16u

static const uint8_t record_magic[4] = {'N', 'X', 'K', 'R'};

/* The record's associated data; 0 with *ret_len, or -EINVAL. */
static int make_ad(const char *owner, const char *name, const uint8_t public[KS_PUBLIC_LEN],
        uint8_t ad[AD_MAX], size_t *ret_len)
{
	size_t olen = owner ? strnlen(owner, KS_OWNER_MAX + 1) : 0;
	size_t nlen = name ? strnlen(name, KS_NAME_MAX + 1) : 0;
	uint8_t *p = ad;

	if (olen == 0 || olen > KS_OWNER_MAX || nlen == 0 || nlen > KS_NAME_MAX)
		return -EINVAL;
	memcpy(p, AD_PREFIX, sizeof(AD_PREFIX));
	p += sizeof(AD_PREFIX);
	memcpy(p, owner, olen + 1);
	p += olen + 1;
	memcpy(p, name, nlen + 1);
	p += nlen + 1;
	memcpy(p, public, KS_PUBLIC_LEN);
	*ret_len = (size_t)(p - ad) + KS_PUBLIC_LEN;
	return 0;
}

int ks_record_make(const uint8_t kek[KS_KEK_LEN], const char *owner, const char *name,
        const uint8_t entropy[KS_CREATE_ENTROPY], uint8_t ret_public[KS_PUBLIC_LEN],
        uint8_t ret_record[KS_RECORD_LEN])
{
	uint8_t public[KS_PUBLIC_LEN], secret[KS_SECRET_LEN], ad[AD_MAX];
	const uint8_t *nonce;
	uint8_t *p = ret_record;
	size_t adlen = 0;
	int r;

	if (!kek || !entropy || !ret_public || !ret_record)
		return -EINVAL;
	nonce = entropy + KS_SEED_LEN;
	/* The seed is all of the secret key that needs keeping: the rest is the public key. */
	crypto_sign_seed_keypair(public, secret, entropy);
	sodium_memzero(secret, sizeof(secret));
	r = make_ad(owner, name, public, ad, &adlen);
	if (r < 0)
		return r;
	memcpy(p, record_magic, sizeof(record_magic));
	p[4] = RECORD_VERSION;
	memcpy(p + 5, nonce, KS_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	        p + 5 + KS_NONCE_LEN, NULL, entropy, KS_SEED_LEN, ad, adlen, NULL, nonce, kek);
	memcpy(ret_public, public, KS_PUBLIC_LEN);
	return 0;
}

int ks_record_open(const uint8_t kek[KS_KEK_LEN], const char *owner, const char *name,
        const uint8_t *public, size_t pub_len, const uint8_t *rec, size_t len,
        uint8_t ret_secret[KS_SECRET_LEN])
{
	uint8_t ad[AD_MAX], seed[KS_SEED_LEN];
	size_t adlen = 0;
	int r;

	if (!kek || !ret_secret)
		return -EINVAL;
	if (!public || pub_len != KS_PUBLIC_LEN || !rec || len != KS_RECORD_LEN ||
	        memcmp(rec, record_magic, sizeof(record_magic)) != 0 || rec[4] != RECORD_VERSION)
		return -EBADMSG;
	r = make_ad(owner, name, public, ad, &adlen);
	if (r < 0)
		return r;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, rec + 5 + KS_NONCE_LEN,
	            KS_SEED_LEN + KS_TAG_LEN, ad, adlen, rec + 5, kek) != 0)
		return -EBADMSG;
	/* libsodium's secret key is the seed followed by the public key; the public key is
	 * authentic (it was authenticated as associated data). */
	memcpy(ret_secret, seed, KS_SEED_LEN);
	memcpy(ret_secret + KS_SEED_LEN, public, KS_PUBLIC_LEN);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

void ks_kek_file_encode(const uint8_t kek[KS_KEK_LEN], uint8_t ret_file[KS_KEK_FILE_LEN])
{
	memcpy(ret_file, KEK_MAGIC, 8);
	memcpy(ret_file + 8, kek, KS_KEK_LEN);
	crypto_generichash(
	        ret_file + 8 + KS_KEK_LEN, KEK_CHECK_LEN, ret_file, 8 + KS_KEK_LEN, NULL, 0);
}

int ks_kek_file_decode(const uint8_t *buf, size_t len, uint8_t ret_kek[KS_KEK_LEN])
{
	uint8_t check[KEK_CHECK_LEN];

	if (!buf || len != KS_KEK_FILE_LEN || memcmp(buf, KEK_MAGIC, 8) != 0)
		return -EBADMSG;
	crypto_generichash(check, sizeof(check), buf, 8 + KS_KEK_LEN, NULL, 0);
	if (sodium_memcmp(check, buf + 8 + KS_KEK_LEN, KEK_CHECK_LEN) != 0)
		return -EBADMSG;
	memcpy(ret_kek, buf + 8, KS_KEK_LEN);
	return 0;
}
