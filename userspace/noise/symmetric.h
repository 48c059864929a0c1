/* SPDX-License-Identifier: MIT */
/*
 * The hash side of Noise (rev 34 §4.3, §5.2) with BLAKE2b: HMAC built from BLAKE2b over its
 * 128-byte block, as the spec defines it (not libsodium's keyed BLAKE2b, which is a different
 * function), HKDF over that HMAC, and the SymmetricState operations the handshake uses.
 * Private to userspace/noise.
 */
#ifndef USERSPACE_NOISE_SYMMETRIC_H
#define USERSPACE_NOISE_SYMMETRIC_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"

#define NOISE_BLOCKLEN 128u /* BLAKE2b's block */

/* HMAC-HASH(key, data) with a NOISE_HASHLEN key; data may be NULL with len 0. */
void noise_hmac(const uint8_t key[NOISE_HASHLEN], const void *data, size_t len,
        uint8_t ret_mac[NOISE_HASHLEN]);

/* HKDF(ck, ikm, 2): two outputs of NOISE_HASHLEN bytes. */
void noise_hkdf2(const uint8_t ck[NOISE_HASHLEN], const void *ikm, size_t ikm_len,
        uint8_t ret_out1[NOISE_HASHLEN], uint8_t ret_out2[NOISE_HASHLEN]);

/* InitializeSymmetric(protocol_name). */
void noise_ss_init(struct noise_symmetric *ss, const char *protocol_name);

void noise_ss_mix_hash(struct noise_symmetric *ss, const void *data, size_t len);

void noise_ss_mix_key(struct noise_symmetric *ss, const uint8_t ikm[NOISE_DHLEN]);

/* EncryptAndHash / DecryptAndHash: noise_cipher_encrypt / _decrypt with h as associated data,
 * then MixHash(ciphertext). Same arguments and errors. */
int noise_ss_encrypt_and_hash(struct noise_symmetric *ss, const void *in, size_t len, uint8_t *out,
        size_t size, size_t *ret_len);
int noise_ss_decrypt_and_hash(struct noise_symmetric *ss, const void *in, size_t len, uint8_t *out,
        size_t size, size_t *ret_len);

/* Split(): c1 (initiator to responder), c2 (responder to initiator). */
void noise_ss_split(
        const struct noise_symmetric *ss, struct noise_cipher *ret_c1, struct noise_cipher *ret_c2);

void noise_ss_wipe(struct noise_symmetric *ss);

#endif
