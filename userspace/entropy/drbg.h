/* SPDX-License-Identifier: MIT */
/*
 * SP 800-90A Rev. 1 HMAC_DRBG with SHA-256 (section 10.1.2), no prediction resistance, on
 * libsodium's crypto_auth_hmacsha256. Security strength 256 bits.
 *
 * Pure: the caller brings the entropy input (already health-tested, SP 800-90B) and decides
 * when to reseed; generate refuses once the reseed counter passes ENT_DRBG_RESEED_INTERVAL.
 * The state is wiped by ent_drbg_wipe (and by a failed instantiate).
 */
#ifndef USERSPACE_ENTROPY_DRBG_H
#define USERSPACE_ENTROPY_DRBG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "nexus/limits.h" /* ENT_DRBG_* */

/* Bytes of entropy input (full entropy) and nonce instantiate needs at least for 256-bit
 * security strength (SP 800-90A section 8.6.7: a nonce of half the strength). */
#define ENT_DRBG_SEED_MIN  32u
#define ENT_DRBG_NONCE_MIN 16u

struct ent_drbg {
	uint8_t key[crypto_auth_hmacsha256_KEYBYTES];
	uint8_t v[crypto_auth_hmacsha256_BYTES];
	/* HMAC state keyed with `key`: generate copies it per output block instead of hashing
	 * the key pads again, halving the SHA-256 compressions per 32 bytes. */
	crypto_auth_hmacsha256_state keyed;
	uint64_t reseed_counter;
	bool instantiated;
};

/* Instantiates from entropy || nonce || pers. entropy_len >= ENT_DRBG_SEED_MIN, nonce_len >=
 * ENT_DRBG_NONCE_MIN (-EINVAL), each input <= ENT_DRBG_INPUT_MAX (-EMSGSIZE); pers may be
 * NULL with length 0. Inputs are borrowed. */
int ent_drbg_instantiate(struct ent_drbg *d, const void *entropy, size_t entropy_len,
        const void *nonce, size_t nonce_len, const void *pers, size_t pers_len);

/* Reseeds from entropy || add (section 10.1.2.4) and resets the reseed counter. Same bounds
 * as instantiate; -EINVAL if not instantiated. */
int ent_drbg_reseed(struct ent_drbg *d, const void *entropy, size_t entropy_len, const void *add,
        size_t add_len);

/* Writes n bytes (0 < n <= ENT_DRBG_REQUEST_MAX, else -EMSGSIZE) to out, with optional
 * additional input. -ESTALE: the reseed counter passed ENT_DRBG_RESEED_INTERVAL (reseed
 * first; nothing written). -EINVAL: not instantiated. */
int ent_drbg_generate(struct ent_drbg *d, void *out, size_t n, const void *add, size_t add_len);

/* Forgets the state (sodium_memzero); generate refuses until instantiated again. */
void ent_drbg_wipe(struct ent_drbg *d);

#endif
