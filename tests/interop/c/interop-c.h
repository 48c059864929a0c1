/* SPDX-License-Identifier: MIT */
/*
 * What the Nexus C interop peers (nx-interop-server, nx-interop-client) share: sampleValue
 * built by hand through the generated builders, its field-by-field check through the
 * generated readers, and sealed pattern memfds and reading one back through its fd (the C
 * counterparts of cxx-common.h).
 */
#ifndef TESTS_INTEROP_C_INTEROP_C_H
#define TESTS_INTEROP_C_INTEROP_C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "interop-util.h"
#include "interop.capnp.h"

/* The two shapes the echo check sends: sampleValue as written in interop.capnp, and the same
 * with the union on `inner`, a 40-element struct list and a 131-bit bool list. */
enum interop_shape {
	INTEROP_SHAPE_SAMPLE,
	INTEROP_SHAPE_WIDE,
};

/* Fills `v` (freshly initialised, nothing set) field by field. Returns 0 or the builder's
 * negative errno. */
int interop_sample_value_build(interop_all_types_b v, enum interop_shape shape);

/* Checks `v` against sampleValue field by field through the generated getters. Returns 0, or
 * -1 with a one-line description of the first difference in `why` (always NUL-terminated). */
int interop_sample_value_check(interop_all_types v, char *why, size_t why_len);

/* The canonical encoding of `s` in a malloc'ed buffer (*ret_buf is the caller's to free).
 * Returns 0 or nx_capnp_canonicalize()'s negative errno, or -ENOMEM. */
int interop_canonical(const nx_capnp_struct *s, void **ret_buf, size_t *ret_len);

/* A sealed (shrink, grow, write, seal) close-on-exec memfd of `size` bytes of
 * interop_pattern(seed); *ret_fd is the caller's. -EMSGSIZE over INTEROP_BLOB_MAX_BYTES. */
int interop_memfd_make(uint64_t size, uint32_t seed, int *ret_fd);
/* FNV-1a 64 of the first `size` bytes of the pattern for `seed`. */
uint64_t interop_pattern_hash(uint64_t size, uint32_t seed);

struct interop_fd_contents {
	uint64_t size;
	uint64_t hash;
	uint8_t head[INTEROP_BLOB_HEAD_BYTES];
	size_t head_len;
	bool sealed;
};

/* Reads a peer's memfd as DESIGN.md section 5 says: a regular file within
 * INTEROP_BLOB_MAX_BYTES, mapped read-only when sealed, else copied out with pread. `fd` is
 * borrowed. Returns 0, -EBADF (not a regular file), -EMSGSIZE (too large), or the errno of a
 * failed read or map. */
int interop_fd_read(int fd, struct interop_fd_contents *ret);

#endif
