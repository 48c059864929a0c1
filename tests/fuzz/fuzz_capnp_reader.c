/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: parse a frame, walk the whole message generically (every pointer, every
 * list element, byte lists as text and data), then canonicalize it and deep-copy it into a
 * builder whose first segment is tiny, so far and double-far placement run too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/nx-capnp/nxc-walk.h"
#include "nx-capnp/capnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Canonicalizes the flat (one-segment, no table) message in `in`. */
static int canon_of_flat(const uint64_t *in, size_t len, uint64_t *o, size_t cap, size_t *ret)
{
	struct nx_capnp_seg flat = {in, (uint32_t)(len / 8)};
	nx_capnp_reader r;
	nx_capnp_struct s;
	int err;

	/* no cap table needed: a canonical form holds no capability */
	nx_capnp_reader_init(&r, &flat, 1);
	if (nxc_walk(&r) == -EBADMSG)
		abort();
	nx_capnp_reader_init(&r, &flat, 1);
	err = nx_capnp_reader_root_struct(&r, &s);
	if (err == -EBADMSG)
		abort();
	return err ? err : nx_capnp_canonicalize(&s, o, cap, ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[(64 * 1024) / 8], out[(64 * 1024) / 8], again[(64 * 1024) / 8];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs;
	size_t bytes, n, canon_len;
	nx_capnp_reader r;
	nx_capnp_struct root;
	nx_capnp_builder b;
	nx_capnp_bptr dst;
	nx_capnp_ptr src;
	uint64_t first[4];

	if (size > sizeof(buf))
		return 0;
	/* Aligned copy: frame_parse wants 8-byte alignment, as a receive buffer has. */
	memcpy(buf, data, size);
	if (nx_capnp_frame_parse(
	            buf, size, sizeof(buf), segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes) < 0)
		return 0;
	if (bytes > size)
		abort();

	nx_capnp_reader_init(&r, segs, nsegs);
	r.ncaps = 2;
	(void)nxc_walk(&r);

	nx_capnp_reader_init(&r, segs, nsegs);
	canon_len = 0;
	if (nx_capnp_reader_root_struct(&r, &root) == 0 &&
	        nx_capnp_canonicalize(&root, out, sizeof(out), &canon_len) == 0) {
		if (canon_len > sizeof(out) || canon_len % 8 || canon_len == 0)
			abort();
		/* canonical output is a valid one-segment message, and its own canonical form */
		if (canon_of_flat(out, canon_len, again, sizeof(again), &n) == 0 &&
		        (n != canon_len || memcmp(out, again, n) != 0))
			abort();
	} else {
		canon_len = 0;
	}

	nx_capnp_reader_init(&r, segs, nsegs);
	nx_capnp_builder_init(&b, first, sizeof(first), &nx_capnp_malloc_allocator);
	dst = nx_capnp_builder_root(&b);
	src = nx_capnp_reader_root(&r);
	if (src.p && nx_capnp_bptr_copy(&dst, &src) == 0) {
		struct nx_capnp_seg bsegs[NX_CAPNP_MAX_SEGMENTS];
		nx_capnp_reader r3;
		nx_capnp_struct croot;

		/* every index a copy can hold is below UINT32_MAX (copy refuses NX_CAPNP_NO_CAP) */
		nx_capnp_builder_as_reader(&b, bsegs, &r3);
		r3.ncaps = UINT32_MAX;
		if (nxc_walk(&r3) == -EBADMSG)
			abort();
		/* a copy has the same canonical form as its source (when both fit the budget;
		 * a copy of an aliased source is bigger than the source, so it may not) */
		nx_capnp_builder_as_reader(&b, bsegs, &r3);
		if (canon_len && nx_capnp_reader_root_struct(&r3, &croot) == 0 &&
		        nx_capnp_canonicalize(&croot, again, sizeof(again), &n) == 0 &&
		        (n != canon_len || memcmp(out, again, n) != 0))
			abort();
	}
	nx_capnp_builder_done(&b);
	return 0;
}
