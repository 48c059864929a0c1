/* SPDX-License-Identifier: MIT */
/* Limits of keystored and its library (userspace/keystore), included by limits.h. The wire
 * limits are also keystore.capnp's constants (keystoreNameMaxLen, ...), which name these.
 * Freestanding. */
#ifndef NEXUS_LIMITS_KEYSTORE_H
#define NEXUS_LIMITS_KEYSTORE_H

/* A key name (without the NUL): 1..KS_NAME_MAX bytes of [A-Za-z0-9._-]. */
#define KS_NAME_MAX 64u
/* A signing domain (without the NUL): 1..KS_DOMAIN_MAX bytes of [a-z0-9._-]. */
#define KS_DOMAIN_MAX 64u
/* Data signed or verified inline in a message; larger data comes as a VMO. */
#define KS_INLINE_DATA_MAX 2048u
/* Data signed or verified through a VMO (1 MiB). */
#define KS_VMO_DATA_MAX (1u << 20)
/* Keys one subject holds (the device key is not counted); past it create() is
 * limit_exceeded. */
#define KS_KEYS_PER_SUBJECT 32u
/* create() calls waiting for rngd's entropy at once (all subjects); past it create() is
 * limit_exceeded. */
#define KS_CREATES_PENDING_MAX 16u

#endif
