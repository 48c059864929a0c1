/* SPDX-License-Identifier: MIT */
/* The bytes sign() and verify() work on: inline `data`, or a sealed VMO's (DESIGN.md section 5:
 * checked, then mapped read-only). */
#ifndef KEYSTORED_PAYLOAD_H
#define KEYSTORED_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus-types.capnp.h"
#include "nx-abi/vmo.h"

struct ksd_payload {
	const uint8_t *data; /* the inline bytes (the call's message) or the map */
	size_t len;
	struct nx_vmo_map map;
};

/* Reads the payload: `data` (dlen bytes, borrowed from the call) unless has_vmo, then the VMO
 * of `ref`, at most KS_VMO_DATA_MAX bytes, sealed, of exactly ref's size. 0 with *ret (release
 * with ksd_payload_done); else a negative errno for the caller's answer with *ret_why naming
 * the field: -EINVAL (both given, no VMO attached, not a memfd, not sealed, size not the
 * VMO's), -EMSGSIZE (too large). */
int ksd_payload_read(const uint8_t *data, size_t dlen, bool has_vmo, nexus_vmo_ref ref,
        struct ksd_payload *ret, const char **ret_why);

/* Unmaps a VMO payload. */
void ksd_payload_done(struct ksd_payload *p);

#endif
