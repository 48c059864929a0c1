/* SPDX-License-Identifier: MIT */
/* Limits of the Noise library (userspace/noise), included by limits.h. Freestanding. */
#ifndef NEXUS_LIMITS_NOISE_H
#define NEXUS_LIMITS_NOISE_H

/* One Noise message, handshake or transport, ciphertext and tag included (Noise rev 34 §3);
 * the bus carries it behind a 2-byte length. Larger is -EMSGSIZE. */
#define NOISE_MSG_MAX 65535u

#endif
