/* SPDX-License-Identifier: MIT */
/*
 * The standard stream framing: a little-endian u32 holding the segment count minus one, one
 * u32 word count per segment, zero padding to a word boundary, then the segments. The size of
 * the whole frame is known from the table alone, so oversize and too-many-segment frames are
 * refused before a receiver reserves anything for them.
 */
#include "layout.h"

/* Bytes of a segment table for n segments: 4 + 4n rounded up to 8. */
static uint64_t table_bytes(uint64_t n)
{
	return (4 + 4 * n + 7) / 8 * 8;
}

NXC_EXPORT int nx_capnp_frame_size(const void *buf, size_t len, size_t max_bytes, size_t *ret_bytes)
{
	const uint8_t *b = buf;
	uint64_t n, head, total = 0;

	assert_return(ret_bytes && (buf || len == 0), -EINVAL);
	if (len < 4) {
		*ret_bytes = 8;
		return -EAGAIN;
	}
	/* Widen first: a count field of 0xffffffff means 2^32 segments, not zero. */
	n = (uint64_t)nxc_load32(b) + 1;
	if (n > NX_CAPNP_MAX_SEGMENTS)
		return -EMSGSIZE;
	head = table_bytes(n);
	if (head > max_bytes)
		return -EMSGSIZE;
	if (len < head) {
		*ret_bytes = (size_t)head;
		return -EAGAIN;
	}
	for (uint64_t i = 0; i < n; i++)
		total += (uint64_t)nxc_load32(b + 4 + 4 * i) * 8;
	/* n <= 64 segments of < 2^35 bytes each: the sum cannot wrap. */
	if (total > max_bytes - head)
		return -EMSGSIZE;
	*ret_bytes = (size_t)(head + total);
	return 0;
}

NXC_EXPORT int nx_capnp_frame_parse(const void *buf, size_t len, size_t max_bytes,
        struct nx_capnp_seg *segs, uint32_t max_segs, uint32_t *ret_nsegs, size_t *ret_bytes)
{
	const uint8_t *b = buf;
	size_t bytes;
	uint64_t n, off;
	int err;

	assert_return(segs && ret_nsegs && ret_bytes, -EINVAL);
	assert_return(((uintptr_t)buf & 7) == 0, -EINVAL);
	err = nx_capnp_frame_size(buf, len, max_bytes, &bytes);
	if (err < 0)
		return err;
	if (len < bytes)
		return -EAGAIN;
	n = (uint64_t)nxc_load32(b) + 1;
	if (n > max_segs)
		return -EMSGSIZE;
	off = table_bytes(n);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t words = nxc_load32(b + 4 + 4 * i);

		segs[i] = (struct nx_capnp_seg){
		        .words = (const uint64_t *)(const void *)(b + off), .nwords = words};
		off += (uint64_t)words * 8;
	}
	*ret_nsegs = (uint32_t)n;
	*ret_bytes = bytes;
	return 0;
}

NXC_EXPORT size_t nx_capnp_frame_bytes(const nx_capnp_builder *b)
{
	if (!b || b->nsegs == 0)
		return 0;
	return (size_t)table_bytes(b->nsegs) + nx_capnp_builder_words(b) * 8;
}

NXC_EXPORT int nx_capnp_frame_write(
        const nx_capnp_builder *b, void *out, size_t cap, size_t *ret_len)
{
	uint8_t *o = out;
	size_t need, off;

	assert_return(b && ret_len && (out || cap == 0), -EINVAL);
	if (b->error)
		return b->error;
	assert_return(b->nsegs > 0, -EINVAL);
	need = nx_capnp_frame_bytes(b);
	if (need > cap)
		return -ENOBUFS;
	memset(o, 0, (size_t)table_bytes(b->nsegs));
	nxc_store32(o, b->nsegs - 1);
	for (uint32_t i = 0; i < b->nsegs; i++)
		nxc_store32(o + 4 + 4 * i, b->segs[i].used);
	off = (size_t)table_bytes(b->nsegs);
	for (uint32_t i = 0; i < b->nsegs; i++) {
		memcpy(o + off, b->segs[i].words, (size_t)b->segs[i].used * 8);
		off += (size_t)b->segs[i].used * 8;
	}
	*ret_len = off;
	return 0;
}
