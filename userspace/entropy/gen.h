/* SPDX-License-Identifier: MIT */
/*
 * The generator rngd serves from: an HMAC_DRBG (drbg.h) with a reseed policy on top, after
 * a number of bytes served or a time since the last seed, whichever comes first. Time is the
 * caller's monotonic clock. Requests of any size up to RNG_REQUEST_MAX are cut into
 * ENT_DRBG_REQUEST_MAX generate calls.
 */
#ifndef USERSPACE_ENTROPY_GEN_H
#define USERSPACE_ENTROPY_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "drbg.h"

struct ent_gen {
	struct ent_drbg drbg;
	uint64_t reseed_bytes;
	uint64_t reseed_interval_ns;
	uint64_t seeded_ns;        /* when last instantiated or reseeded */
	uint64_t bytes_since_seed; /* served since then */
	uint64_t reseeds;          /* since instantiation */
	uint64_t bytes_served;
};

/* Not seeded yet; reseeds after reseed_bytes (> 0) or reseed_interval_ns (> 0). */
void ent_gen_init(struct ent_gen *g, uint64_t reseed_bytes, uint64_t reseed_interval_ns);

/* True when the next fill would refuse: never seeded, or a threshold is reached. */
bool ent_gen_reseed_due(const struct ent_gen *g, uint64_t now_ns);

/* First seed: ent_drbg_instantiate's arguments and errors; also restarts the thresholds. */
int ent_gen_instantiate(struct ent_gen *g, const void *entropy, size_t entropy_len,
        const void *nonce, size_t nonce_len, const void *pers, size_t pers_len, uint64_t now_ns);

/* A reseed from `entropy` (ent_drbg_reseed's bounds and errors), counted; restarts the
 * thresholds. */
int ent_gen_reseed(struct ent_gen *g, const void *entropy, size_t entropy_len, uint64_t now_ns);

/* Writes n > 0 bytes to out. -ESTALE when a reseed is due (nothing written; seed, then fill
 * again); -EINVAL for n = 0 or out NULL. */
int ent_gen_fill(struct ent_gen *g, void *out, size_t n, uint64_t now_ns);

/* Wipes the DRBG state. */
void ent_gen_wipe(struct ent_gen *g);

#endif
