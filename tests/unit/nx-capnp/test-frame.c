/* SPDX-License-Identifier: MIT */
/* Framing: the segment table, decided from the first bytes, refusing before allocation. */
#include "nxc-test.h"

static void test_roundtrip(void **state)
{
	FD_BEGIN();
	uint64_t first[3];
	nx_capnp_builder b;
	nx_capnp_bstruct root;
	nx_capnp_bptr p;
	uint64_t out[64];
	size_t len, size;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs;
	nx_capnp_reader r;
	nx_capnp_struct s;
	nx_capnp_ptr rp;
	const char *t;
	size_t n;

	nx_capnp_builder_init(&b, first, sizeof(first), &nx_capnp_malloc_allocator);
	assert_int_equal(nx_capnp_builder_init_root(&b, 1, 1, &root), 0);
	nx_capnp_bstruct_set_u32(&root, 1, 0xdead, 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "two segments", 12), 0);
	assert_int_equal(b.nsegs, 2);
	/* 16 bytes of table for 2 segments (4 + 2 * 4, padded), then 3 + 1 + 2 words */
	assert_int_equal(nx_capnp_frame_bytes(&b), 16 + 8 * 3 + 8 * 3);
	assert_int_equal(nx_capnp_frame_write(&b, out, 16, &len), -ENOBUFS);
	assert_int_equal(nx_capnp_frame_write(&b, out, sizeof(out), &len), 0);
	assert_int_equal(len, nx_capnp_frame_bytes(&b));
	nx_capnp_builder_done(&b);

	assert_int_equal(nx_capnp_frame_size(out, len, NX_MSG_MAX_BYTES, &size), 0);
	assert_int_equal(size, len);
	/* every strict prefix asks for more */
	for (size_t i = 0; i < len; i++) {
		size_t need = 0;
		int err = nx_capnp_frame_parse(
		        out, i, NX_MSG_MAX_BYTES, segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &need);

		assert_int_equal(err, -EAGAIN);
	}
	assert_int_equal(nx_capnp_frame_parse(out, len, NX_MSG_MAX_BYTES, segs,
	                         NX_CAPNP_MAX_SEGMENTS, &nsegs, &size),
	        0);
	assert_int_equal(nsegs, 2);
	assert_int_equal(nx_capnp_frame_parse(out, len, NX_MSG_MAX_BYTES, segs, 1, &nsegs, &size),
	        -EMSGSIZE);
	nx_capnp_reader_init(&r, segs, 2);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 1, 0), 0xdead);
	rp = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_text(&rp, &t, &n), 0);
	assert_string_equal(t, "two segments");
	FD_END();
}

/* Table-driven bad and partial tables: each decided from the header alone. */
static void test_size_table(void **state)
{
	FD_BEGIN();
	static const struct {
		const char *name;
		uint32_t words[8];
		size_t len;
		size_t max;
		int err;
		size_t bytes; /* expected *ret_bytes (needed or total) */
	} v[] = {
	        {"empty", {0}, 0, 4096, -EAGAIN, 8},
	        {"3 bytes", {0}, 3, 4096, -EAGAIN, 8},
	        {"1 seg, 4 bytes", {0, 1}, 4, 4096, -EAGAIN, 8},
	        {"1 seg ok", {0, 1}, 8, 4096, 0, 16},
	        {"2 segs, table partial", {1, 1, 1}, 8, 4096, -EAGAIN, 16},
	        {"2 segs ok", {1, 1, 2, 0}, 16, 4096, 0, 16 + 24},
	        {"64 segs, partial table", {63}, 8, 4096, -EAGAIN, 264},
	        {"65 segs", {64}, 4, 4096, -EMSGSIZE, 0},
	        {"count 0xffffffff (wraps to 0 if not widened)", {0xffffffffu}, 4, 4096, -EMSGSIZE,
	                0},
	        {"exactly max", {0, 511}, 8, 4096, 0, 4096},
	        {"oversize by one word", {0, 512}, 8, 4096, -EMSGSIZE, 0},
	        {"huge segment", {0, 0xffffffffu}, 8, SIZE_MAX, 0, 8 + 0xffffffffull * 8},
	        {"huge segment, limit", {0, 0xffffffffu}, 8, 4096, -EMSGSIZE, 0},
	        {"sum of huge segments", {3, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
	                24, 4096, -EMSGSIZE, 0},
	        {"table larger than max", {63}, 4, 16, -EMSGSIZE, 0},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t got = 0;
		int err = nx_capnp_frame_size(v[i].words, v[i].len, v[i].max, &got);

		if (err != v[i].err || (v[i].bytes && got != v[i].bytes))
			fail_msg("%s: err %d bytes %zu", v[i].name, err, got);
	}
	FD_END();
}

/* An empty first segment frames fine but has no root: the reader reports it. */
static void test_empty_first_segment(void **state)
{
	FD_BEGIN();
	const uint32_t frame[2] = {0, 0};
	struct nx_capnp_seg segs[1];
	uint32_t nsegs;
	size_t bytes;
	nx_capnp_reader r;
	nx_capnp_struct s;

	assert_int_equal(
	        nx_capnp_frame_parse(frame, sizeof(frame), 4096, segs, 1, &nsegs, &bytes), 0);
	nx_capnp_reader_init(&r, segs, nsegs);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), -EBADMSG);
	assert_int_equal(s.data_bytes, 0);
	FD_END();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_size_table),
	        cmocka_unit_test(test_empty_first_segment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
