/* SPDX-License-Identifier: MIT */
/* Limits of userspace/entropy (ENT_*) and rngd (RNGD_*), included by limits.h. The interface's
 * own (inline answer, largest request) are rng.capnp's RNG_INLINE_MAX and RNG_REQUEST_MAX.
 * Freestanding. */
#ifndef NEXUS_LIMITS_RNG_H
#define NEXUS_LIMITS_RNG_H

/* SP 800-90A Table 2 (HMAC_DRBG): bytes one generate call returns at most (2^19 bits). */
#define ENT_DRBG_REQUEST_MAX (1u << 16)
/* SP 800-90A Table 2: generate calls between reseeds at most (reseed_interval, 2^48). */
#define ENT_DRBG_RESEED_INTERVAL (1ull << 48)
/* Entropy input, nonce, personalization and additional input: bytes accepted each (SP
 * 800-90A allows 2^35 bits; ours come from a few reads of a source). */
#define ENT_DRBG_INPUT_MAX 1024u

/* SP 800-90B section 4.4: the false-positive probability the cutoffs are computed for,
 * alpha = 2^-ENT_HEALTH_ALPHA_LOG2. */
#define ENT_HEALTH_ALPHA_LOG2 20u
/* Adaptive proportion test window for non-binary (8-bit) samples, section 4.4.2. */
#define ENT_HEALTH_APT_WINDOW 512u
/* Section 4.3 item 12: samples a source's startup test runs through both tests. */
#define ENT_HEALTH_STARTUP_SAMPLES 1024u
/* Claimed min-entropy per 8-bit sample, in thousandths of a bit: 1..8000. */
#define ENT_HEALTH_MIN_ENTROPY_MAX 8000u

/* Subjects the byte-rate limiter tracks at once; past it the least recently seen is
 * forgotten (it comes back with a full bucket). */
#define ENT_RATE_SUBJECTS_MAX 256u
/* Longest subject the limiter keeps (nexus-types.capnp's subject cap). */
#define ENT_RATE_SUBJECT_MAX 128u

/* rngd: reseed the DRBG after this many bytes served or this long, whichever comes first. */
#define RNGD_RESEED_BYTES       (4u << 20)
#define RNGD_RESEED_INTERVAL_NS (60ull * 1000000000ull)
/* How long one read of the hardware source may take before it counts as failed. */
#define RNGD_HWRNG_TIMEOUT_MS 2000
/* Per-subject byte rate and burst by default ($NEXUS_RNGD_RATE, $NEXUS_RNGD_BURST), and the
 * largest values those accept. */
#define RNGD_RATE_DEFAULT  (1u << 20)
#define RNGD_BURST_DEFAULT (8u << 20)
#define RNGD_RATE_MAX      (1u << 30)

#endif
