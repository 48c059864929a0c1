/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the framing: frame_size must agree with frame_parse, never claim more
 * than max_bytes, and the segments it returns must lie inside the frame.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nx-capnp/capnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[8192 / 8];
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	size_t max = NX_MSG_MAX_BYTES, need = 0, bytes = 0;
	uint32_t nsegs = 0;
	int e1, e2;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	e1 = nx_capnp_frame_size(buf, size, max, &need);
	if (e1 == 0 && (need > max || need % 8))
		abort();
	if (e1 == -EAGAIN && need <= size)
		abort();
	e2 = nx_capnp_frame_parse(buf, size, max, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes);
	if (e1 < 0 && e1 != -EAGAIN && e2 != e1)
		abort();
	if (e2 == 0) {
		const uint8_t *end = (const uint8_t *)buf + bytes;

		if (e1 != 0 || bytes != need || bytes > size || nsegs == 0)
			abort();
		for (uint32_t i = 0; i < nsegs; i++) {
			const uint8_t *s = (const uint8_t *)segs[i].words;

			if (s < (const uint8_t *)buf || s > end ||
			        (size_t)(end - s) / 8 < segs[i].nwords)
				abort();
		}
	}
	return 0;
}
