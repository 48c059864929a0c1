/* SPDX-License-Identifier: MIT */
/*
 * The short authentication string both devices show while pairing: 6 decimal digits from the
 * Noise handshake hash h (which both sides hold only if no one sat between them):
 *
 *     d = BLAKE2b-256("nexus-bus-sas/1" || h)
 *     sas = (first 8 bytes of d as a big-endian u64) mod 10^6, as %06u
 *
 * Pure (libsodium's BLAKE2b). Call sodium_init() once before.
 */
#ifndef BUSPAIR_SAS_H
#define BUSPAIR_SAS_H

#include <stddef.h>
#include <stdint.h>

#define BUSPAIR_SAS_LEN    6u
#define BUSPAIR_SAS_DOMAIN "nexus-bus-sas/1"
/* Longest handshake hash (BLAKE2b's 64 bytes). */
#define BUSPAIR_HASH_MAX 64u

/* The SAS of handshake hash h (1..BUSPAIR_HASH_MAX bytes, borrowed) into ret (NUL-terminated).
 * 0, -EINVAL (length). */
int buspair_sas(const uint8_t *h, size_t len, char ret[BUSPAIR_SAS_LEN + 1]);

/* 0 if `sas` is BUSPAIR_SAS_LEN decimal digits and a NUL, else -EINVAL. */
int buspair_sas_check(const char *sas);

#endif
