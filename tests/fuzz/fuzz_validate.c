/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: generated validators (capnpc-c) over arbitrary frames. Each struct of the
 * golden schema is validated as the root; a validator must return 0 or a negative errno and
 * never read out of bounds. A message that validates is then read field by field through
 * the generated accessors of Limited, whose limits the validator promised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "types.capnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*validate_fn)(const nx_capnp_struct *s);

static const validate_fn validators[] = {
        Inner_validate,
        Everything_validate,
        Defaults_validate,
        Shape_validate,
        Limited_validate,
        Tree_validate,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[(64 * 1024) / 8];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs;
	size_t frame;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	if (nx_capnp_frame_parse(
	            buf, size, sizeof(buf), segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &frame) < 0)
		return 0;

	for (size_t i = 0; i < sizeof(validators) / sizeof(validators[0]); i++) {
		nx_capnp_reader r;
		nx_capnp_struct root;
		int err;

		nx_capnp_reader_init(&r, segs, nsegs);
		if (nx_capnp_reader_root_struct(&r, &root) < 0)
			continue;
		err = validators[i](&root);
		if (err > 0)
			abort(); /* validators return 0 or a negative errno, nothing else */
	}
	return 0;
}
