/* SPDX-License-Identifier: MIT */
/* Reader: every pointer kind, element size, default, upgrade and limit on hand-made input. */
#include "nxc-test.h"

static void test_primitives_and_defaults(void **state)
{
	FD_BEGIN();
	/* root -> struct(2 data words, 0 ptrs) */
	const uint64_t w[] = {
	        t_struct(0, 2, 0),
	        0x0807060504030201ull,
	        0x4004000000000003ull,
	};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;

	t_reader1(&r, &seg, w, 3);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(s.data_bytes, 16);
	assert_true(nx_capnp_struct_get_bool(&s, 0, false));
	assert_false(nx_capnp_struct_get_bool(&s, 1, false));
	assert_false(nx_capnp_struct_get_bool(&s, 0, true)); /* XOR with the default */
	assert_int_equal(nx_capnp_struct_get_u8(&s, 2, 0), 3);
	assert_int_equal(nx_capnp_struct_get_u16(&s, 1, 0), 0x0403);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 1, 0), 0x08070605);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 1, 0xff), 0x080706fa);
	assert_true(nx_capnp_struct_get_u64(&s, 0, 0) == 0x0807060504030201ull);
	assert_true(nx_capnp_struct_get_f64(&s, 1, 3) == 2.5);
	/* Older struct: fields past the data section read as their defaults. */
	assert_int_equal(nx_capnp_struct_get_u32(&s, 4, 1234), 1234);
	assert_int_equal(nx_capnp_struct_get_u64(&s, 2, 77), 77);
	assert_true(nx_capnp_struct_get_bool(&s, 128, true));
	assert_true(nx_capnp_struct_get_f32(&s, 100, 0x40200000u) == 2.5f);
	assert_int_equal(nx_capnp_struct_get_u32(&s, UINT32_MAX, 9), 9);
	/* and pointers past the pointer section read as null */
	nx_capnp_ptr p = nx_capnp_struct_ptr(&s, 0);
	assert_true(nx_capnp_ptr_is_null(&p));
	assert_int_equal(nx_capnp_ptr_kind(&p), NX_CAPNP_KIND_NULL);
	const char *t;
	size_t n;
	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), 0);
	assert_string_equal(t, "");
	assert_int_equal(r.error, 0);
	FD_END();
}

static void test_null_root_is_empty_struct(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {0};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;

	t_reader1(&r, &seg, w, 1);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(s.data_bytes, 0);
	assert_int_equal(s.nptrs, 0);
	assert_int_equal(nx_capnp_struct_get_u16(&s, 0, 42), 42);
	FD_END();
}

static void test_lists_every_size(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {
	        t_struct(0, 0, 8), t_list(7, 0, 5), /* 1: void x5 -> 9 (no words) */
	        t_list(7, 1, 10),                   /* 2: bits x10 -> 10 */
	        t_list(7, 2, 3),                    /* 3: bytes x3 -> 11 */
	        t_list(7, 3, 2),                    /* 4: u16 x2 -> 12 */
	        t_list(7, 4, 2),                    /* 5: u32 x2 -> 13 */
	        t_list(7, 5, 1),                    /* 6: u64 x1 -> 14 */
	        t_list(7, 6, 1),                    /* 7: ptr x1 -> 15 */
	        t_list(7, 7, 4),                    /* 8: composite, 4 words -> 16 */
	        0,                                  /* 9 */
	        0x0000000000000205ull,              /* 10: bits 1,0,1,0,0,0,0,0, 0,1 */
	        0x0000000000030201ull,              /* 11 */
	        0x00000000bbbbaaaaull,              /* 12 */
	        0x2222222211111111ull,              /* 13 */
	        0x1234567890abcdefull,              /* 14 */
	        t_list(0, 2, 3),                    /* 15: -> 16?? no: text below */
	        t_tag(2, 1, 1),                     /* 16 */
	        7, 0,                               /* 17,18: element 0 */
	        9, 0,                               /* 19,20: element 1 */
	};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s, e;
	nx_capnp_list l;
	nx_capnp_ptr p;

	t_reader1(&r, &seg, w, sizeof(w) / 8);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_VOID, &l), 0);
	assert_int_equal(l.count, 5);
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_BIT, &l), 0);
	assert_int_equal(l.count, 10);
	assert_true(nx_capnp_list_get_bool(&l, 0));
	assert_false(nx_capnp_list_get_bool(&l, 1));
	assert_true(nx_capnp_list_get_bool(&l, 2));
	assert_true(nx_capnp_list_get_bool(&l, 9));
	assert_false(nx_capnp_list_get_bool(&l, 10)); /* out of range */
	p = nx_capnp_struct_ptr(&s, 2);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_BYTE, &l), 0);
	assert_int_equal(nx_capnp_list_get_u8(&l, 2), 3);
	p = nx_capnp_struct_ptr(&s, 3);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_2BYTES, &l), 0);
	assert_int_equal(nx_capnp_list_get_u16(&l, 1), 0xbbbb);
	p = nx_capnp_struct_ptr(&s, 4);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &l), 0);
	assert_int_equal(nx_capnp_list_get_u32(&l, 1), 0x22222222);
	p = nx_capnp_struct_ptr(&s, 5);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_8BYTES, &l), 0);
	assert_true(nx_capnp_list_get_u64(&l, 0) == 0x1234567890abcdefull);
	/* a wider primitive list reads as a narrower one (its low bytes) */
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &l), 0);
	assert_int_equal(nx_capnp_list_get_u32(&l, 0), 0x90abcdef);
	p = nx_capnp_struct_ptr(&s, 7);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_COMPOSITE, &l), 0);
	assert_int_equal(l.count, 2);
	nx_capnp_list_get_struct(&l, 1, &e);
	assert_int_equal(nx_capnp_struct_get_u64(&e, 0, 0), 9);
	assert_int_equal(e.nptrs, 1);
	/* upgrade: a struct list read as a primitive list gives each element's first field */
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &l), 0);
	assert_int_equal(nx_capnp_list_get_u32(&l, 0), 7);
	assert_int_equal(nx_capnp_list_get_u32(&l, 1), 9);
	/* and as a pointer list gives each element's first pointer */
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_POINTER, &l), 0);
	assert_int_equal(l.count, 2);
	/* downgrade the other way: a u32 list read as a struct list */
	p = nx_capnp_struct_ptr(&s, 4);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_COMPOSITE, &l), 0);
	nx_capnp_list_get_struct(&l, 1, &e);
	assert_int_equal(nx_capnp_struct_get_u32(&e, 0, 0), 0x22222222);
	assert_int_equal(nx_capnp_struct_get_u32(&e, 1, 5), 5); /* past its 4 bytes: default */
	assert_int_equal(r.error, 0);
	FD_END();
}

/* Incompatible list encodings are refused with -EBADMSG and the error sticks. */
static void test_list_incompatible(void **state)
{
	FD_BEGIN();
	static const struct {
		unsigned actual_elem;
		enum nx_capnp_elem expected;
	} bad[] = {
	        {1, NX_CAPNP_ELEM_COMPOSITE}, /* bit list as struct list */
	        {1, NX_CAPNP_ELEM_BYTE}, {2, NX_CAPNP_ELEM_BIT},
	        {2, NX_CAPNP_ELEM_2BYTES}, /* narrower data than declared */
	        {4, NX_CAPNP_ELEM_8BYTES},
	        {4, NX_CAPNP_ELEM_POINTER}, /* data list as pointer list */
	        {6, NX_CAPNP_ELEM_4BYTES},  /* pointer list as data list */
	        {0, NX_CAPNP_ELEM_BYTE},    /* void list as data */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const uint64_t w[] = {t_list(0, bad[i].actual_elem, 1), 0};
		struct nx_capnp_seg seg;
		nx_capnp_reader r;
		nx_capnp_list l;
		nx_capnp_ptr root;

		t_reader1(&r, &seg, w, 2);
		root = nx_capnp_reader_root(&r);
		assert_int_equal(nx_capnp_ptr_read_list(&root, bad[i].expected, &l), -EBADMSG);
		assert_int_equal(l.count, 0);
		assert_int_equal(r.error, -EBADMSG);
	}
	FD_END();
}

static void test_struct_list_as_bits_rejected(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {t_list(0, 7, 1), t_tag(1, 1, 0), 1};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_list l;
	nx_capnp_ptr root;

	t_reader1(&r, &seg, w, 3);
	root = nx_capnp_reader_root(&r);
	assert_int_equal(nx_capnp_ptr_read_list(&root, NX_CAPNP_ELEM_BIT, &l), -EBADMSG);
	FD_END();
}

static void test_text_and_data(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {
	        t_struct(0, 0, 4),
	        t_list(3, 2, 3), /* "hi\0" */
	        t_list(3, 2, 2), /* "hi" without NUL: bad text, fine data */
	        t_list(2, 2, 0), /* empty byte list: bad text */
	        t_list(1, 3, 2), /* u16 list: neither text nor data */
	        0x0000000000006968ull,
	        0x0000000000006968ull,
	};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	nx_capnp_ptr p;
	const char *t;
	const uint8_t *d;
	size_t n;

	t_reader1(&r, &seg, w, sizeof(w) / 8);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(t, "hi");
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_data(&p, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(d, "hi", 2);
	assert_int_equal(r.error, 0);
	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), -EBADMSG);
	assert_string_equal(t, "");
	assert_int_equal(n, 0);
	p = nx_capnp_struct_ptr(&s, 2);
	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), -EBADMSG);
	p = nx_capnp_struct_ptr(&s, 3);
	assert_int_equal(nx_capnp_ptr_read_data(&p, &d, &n), -EBADMSG);
	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), -EBADMSG);
	FD_END();
}

static void test_caps(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {t_struct(0, 0, 3), t_cap(0), t_cap(5), 0x0000000700000007ull};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	nx_capnp_ptr p;
	uint32_t idx;

	t_reader1(&r, &seg, w, 4);
	r.ncaps = 2;
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_kind(&p), NX_CAPNP_KIND_CAP);
	assert_int_equal(nx_capnp_ptr_read_cap(&p, &idx), 0);
	assert_int_equal(idx, 0);
	/* a cap pointer read as a struct is malformed */
	nx_capnp_struct c;
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &c), -EBADMSG);
	r.error = 0;
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_cap(&p, &idx), -EBADMSG); /* 5 >= ncaps */
	assert_int_equal(idx, NX_CAPNP_NO_CAP);
	r.error = 0;
	p = nx_capnp_struct_ptr(&s, 2); /* "other" pointer that is not a capability */
	assert_int_equal(nx_capnp_ptr_kind(&p), NX_CAPNP_KIND_INVALID);
	assert_int_equal(nx_capnp_ptr_read_cap(&p, &idx), -EBADMSG);
	/* null reads as no cap */
	p = nx_capnp_struct_ptr(&s, 9);
	assert_int_equal(nx_capnp_ptr_read_cap(&p, &idx), 0);
	assert_int_equal(idx, NX_CAPNP_NO_CAP);
	FD_END();
}

static void test_far_and_double_far(void **state)
{
	FD_BEGIN();
	/* seg0: root far -> seg1 pad 0; seg1: pad (struct, 1 ptr), struct, its ptr double-far
	 * -> seg2 pad at 0: far to seg1 word 3 + tag; seg1 word 3: the text. */
	const uint64_t s0[] = {t_far(false, 0, 1)};
	const uint64_t s1[] = {
	        t_struct(0, 1, 1), 0xabcdull, t_far(true, 0, 2), 0x00000000636261ull};
	const uint64_t s2[] = {t_far(false, 3, 1), t_list(0, 2, 4)};
	struct nx_capnp_seg segs[3] = {{s0, 1}, {s1, 4}, {s2, 2}};
	nx_capnp_reader r;
	nx_capnp_struct s;
	nx_capnp_ptr p;
	const char *t;
	size_t n;

	nx_capnp_reader_init(&r, segs, 3);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(s.seg, 1);
	assert_int_equal(nx_capnp_struct_get_u64(&s, 0, 0), 0xabcd);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_kind(&p), NX_CAPNP_KIND_LIST);
	assert_int_equal(nx_capnp_ptr_read_text(&p, &t, &n), 0);
	assert_string_equal(t, "abc");
	assert_int_equal(r.error, 0);
	FD_END();
}

/* Readings the reference makes and fuzz_capnp_diff found we did not: a double-far whose tag is
 * a capability pointer is that capability; a double-far's pad gives only a segment and a
 * position (its double-far bit is ignored); a struct list's tag counts elements in 29
 * bits (the top bit of its 30-bit field is ignored). */
static void test_reference_readings(void **state)
{
	FD_BEGIN();
	const uint64_t s0[] = {t_struct(0, 0, 3), t_far(true, 0, 1), t_list(1, 7, 2),
	        t_far(true, 2, 1), t_tag((1u << 29) | 2u, 1, 0), 7, 8};
	/* pads: a far one, then one of double-far kind pointing at s0's data word 7 */
	const uint64_t s1[] = {t_far(false, 0, 0), t_cap(1), t_far(true, 5, 0), t_struct(0, 1, 0)};
	struct nx_capnp_seg segs[2] = {{s0, 7}, {s1, 4}};
	nx_capnp_reader r;
	nx_capnp_struct s, e;
	nx_capnp_list l;
	nx_capnp_ptr p;
	uint32_t idx;

	nx_capnp_reader_init(&r, segs, 2);
	r.ncaps = 2;
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_kind(&p), NX_CAPNP_KIND_CAP);
	assert_int_equal(nx_capnp_ptr_read_cap(&p, &idx), 0);
	assert_int_equal(idx, 1);
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_COMPOSITE, &l), 0);
	assert_int_equal(l.count, 2);
	nx_capnp_list_get_struct(&l, 1, &e);
	assert_int_equal(nx_capnp_struct_get_u64(&e, 0, 0), 8);
	p = nx_capnp_struct_ptr(&s, 2);
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &e), 0);
	assert_int_equal(nx_capnp_struct_get_u64(&e, 0, 0), 7);
	assert_int_equal(r.error, 0);
	FD_END();
}

/* A struct whose pointer points at itself: the nesting limit ends the walk. */
static void test_self_loop_hits_nesting(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {t_struct(0, 0, 1), t_struct(-1, 0, 1)};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	int depth = 0, err = 0;

	t_reader1(&r, &seg, w, 2);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	while (err == 0 && depth < 1000) {
		nx_capnp_ptr p = nx_capnp_struct_ptr(&s, 0);

		err = nx_capnp_ptr_read_struct(&p, &s);
		depth++;
	}
	assert_int_equal(err, -ELOOP);
	/* the root took one level; the traversal budget (8 x 2 words) runs out first */
	assert_true(depth <= NX_CAPNP_NESTING_LIMIT);
	assert_int_equal(r.error, -ELOOP);
	FD_END();
}

/* Nesting: 70 distinct nested structs; the 65th level is refused even with budget left. */
static void test_nesting_limit(void **state)
{
	FD_BEGIN();
	enum { N = 70 };
	uint64_t w[N + 1];
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	int depth = 1, err;

	w[0] = t_struct(0, 0, 1);
	for (int i = 1; i <= N; i++)
		w[i] = i < N ? t_struct(0, 0, 1) : 0;
	t_reader1(&r, &seg, w, N + 1);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	for (;;) {
		nx_capnp_ptr p = nx_capnp_struct_ptr(&s, 0);

		err = nx_capnp_ptr_read_struct(&p, &s);
		if (err < 0)
			break;
		depth++;
	}
	assert_int_equal(err, -ELOOP);
	assert_int_equal(depth, NX_CAPNP_NESTING_LIMIT);
	assert_true(r.traversal_left > 0);
	FD_END();
}

/* Many pointers aliasing one big list: the budget stops the walk long before 100x. */
static void test_traversal_limit_stops_amplification(void **state)
{
	FD_BEGIN();
	enum { NPTR = 100, LISTW = 100 };
	uint64_t w[1 + NPTR + LISTW] = {0};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	int ok = 0, err = 0;

	w[0] = t_struct(0, 0, NPTR);
	for (int i = 0; i < NPTR; i++)
		w[1 + i] = t_list((int32_t)(NPTR - 1 - i), 5, LISTW);
	t_reader1(&r, &seg, w, 1 + NPTR + LISTW);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	for (int i = 0; i < NPTR && err == 0; i++) {
		nx_capnp_ptr p = nx_capnp_struct_ptr(&s, (uint32_t)i);
		nx_capnp_list l;

		err = nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_8BYTES, &l);
		if (err == 0) {
			assert_int_equal(l.count, LISTW);
			ok++;
		}
	}
	assert_int_equal(err, -ELOOP);
	/* budget 8 * 201 words, root 100, each list 100: 15 lists fit */
	assert_int_equal(ok, (8 * (1 + NPTR + LISTW) - NPTR) / LISTW);
	FD_END();
}

/* Zero-sized elements are still charged, so a 2-word message cannot claim 2^29 of them. */
static void test_empty_element_amplification(void **state)
{
	FD_BEGIN();
	const uint64_t voids[] = {t_list(0, 0, (1u << 29) - 1)};
	const uint64_t structs[] = {t_list(0, 7, 0), t_tag((1u << 29) - 1, 0, 0)};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_list l;
	nx_capnp_ptr root;

	t_reader1(&r, &seg, voids, 1);
	root = nx_capnp_reader_root(&r);
	assert_int_equal(nx_capnp_ptr_read_list(&root, NX_CAPNP_ELEM_VOID, &l), -ELOOP);
	assert_int_equal(l.count, 0);
	t_reader1(&r, &seg, structs, 2);
	root = nx_capnp_reader_root(&r);
	assert_int_equal(nx_capnp_ptr_read_list(&root, NX_CAPNP_ELEM_COMPOSITE, &l), -ELOOP);
	/* an empty list, repeatedly: each read costs a word */
	const uint64_t empty[] = {t_list(0, 2, 0)};
	t_reader1(&r, &seg, empty, 1);
	root = nx_capnp_reader_root(&r);
	for (unsigned i = 0; i < NX_CAPNP_TRAVERSAL_FACTOR; i++)
		assert_int_equal(nx_capnp_ptr_read_list(&root, NX_CAPNP_ELEM_BYTE, &l), 0);
	assert_int_equal(nx_capnp_ptr_read_list(&root, NX_CAPNP_ELEM_BYTE, &l), -ELOOP);
	FD_END();
}

/* Zero-word objects hold nothing to read, so like the reference we accept them wherever
 * their pointer says they are (the reader re-points them inside the segment). */
static void test_zero_sized_out_of_range(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {
	        t_struct(0, 0, 3),
	        t_struct(1000, 0, 0),
	        t_list(-1000, 0, 4),
	        t_list(99, 2, 0),
	};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s, e;
	nx_capnp_list l;
	nx_capnp_ptr p;

	t_reader1(&r, &seg, w, 4);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &e), 0);
	assert_int_equal(nx_capnp_struct_get_u32(&e, 0, 6), 6);
	assert_true(e.data >= (const uint8_t *)w && e.data <= (const uint8_t *)(w + 4));
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_VOID, &l), 0);
	assert_int_equal(l.count, 4);
	assert_true(l.start >= (const uint8_t *)w && l.start <= (const uint8_t *)(w + 4));
	p = nx_capnp_struct_ptr(&s, 2);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_BYTE, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(r.error, 0);
	FD_END();
}

static void test_sticky_error(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {t_struct(0, 0, 2), t_struct(5, 1, 0), t_list(0, 2, 100)};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s, c;
	nx_capnp_list l;
	nx_capnp_ptr p;

	t_reader1(&r, &seg, w, 3);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	p = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_struct(&p, &c), -EBADMSG);
	assert_int_equal(nx_capnp_struct_get_u64(&c, 0, 3), 3);
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_BYTE, &l), -EBADMSG);
	assert_int_equal(r.error, -EBADMSG);
	FD_END();
}

/* The reader never needs aligned input. */
static void test_unaligned_buffer(void **state)
{
	FD_BEGIN();
	uint64_t store[4];
	uint8_t *b = (uint8_t *)store + 0;
	const uint64_t w[] = {t_struct(0, 1, 0), 0x1122334455667788ull};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;

	/* Words are read through memcpy; a misaligned view still decodes (UBSan watches). */
	memcpy(b + 1, w, sizeof(w));
	seg.words = (const uint64_t *)(const void *)(b + 1);
	seg.nwords = 2;
	nx_capnp_reader_init(&r, &seg, 1);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_true(nx_capnp_struct_get_u64(&s, 0, 0) == 0x1122334455667788ull);
	assert_int_equal(nx_capnp_struct_get_u16(&s, 3, 0), 0x1122);
	FD_END();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_primitives_and_defaults),
	        cmocka_unit_test(test_null_root_is_empty_struct),
	        cmocka_unit_test(test_lists_every_size),
	        cmocka_unit_test(test_list_incompatible),
	        cmocka_unit_test(test_struct_list_as_bits_rejected),
	        cmocka_unit_test(test_text_and_data),
	        cmocka_unit_test(test_caps),
	        cmocka_unit_test(test_far_and_double_far),
	        cmocka_unit_test(test_reference_readings),
	        cmocka_unit_test(test_self_loop_hits_nesting),
	        cmocka_unit_test(test_nesting_limit),
	        cmocka_unit_test(test_traversal_limit_stops_amplification),
	        cmocka_unit_test(test_empty_element_amplification),
	        cmocka_unit_test(test_zero_sized_out_of_range),
	        cmocka_unit_test(test_sticky_error),
	        cmocka_unit_test(test_unaligned_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
