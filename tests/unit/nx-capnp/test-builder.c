/* SPDX-License-Identifier: MIT */
/* Builder, deep copy and canonical form, checked by reading back with the reader. */
#include "nxc-test.h"

/* Counts live allocations so each test proves it freed every segment. */
static int live;

static void *count_alloc(void *ctx, size_t bytes)
{
	void *p = calloc(1, bytes);

	if (p)
		live++;
	return p;
}

static void count_free(void *ctx, void *p, size_t bytes)
{
	live--;
	free(p);
}

static const struct nx_capnp_allocator counting = {count_alloc, count_free, NULL};

static void *fail_alloc(void *ctx, size_t bytes)
{
	return NULL;
}

static const struct nx_capnp_allocator failing = {fail_alloc, NULL, NULL};

static void test_build_and_read_back(void **state)
{
	FD_BEGIN();
	uint64_t first[64];
	nx_capnp_builder b;
	nx_capnp_bstruct root, in;
	nx_capnp_blist l;
	nx_capnp_bptr p;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader r;
	nx_capnp_struct s, e;
	nx_capnp_list rl;
	nx_capnp_ptr rp;
	const char *t;
	size_t n;

	memset(first, 0xa5, sizeof(first)); /* the builder must clear what it uses */
	nx_capnp_builder_init(&b, first, sizeof(first), NULL);
	assert_int_equal(nx_capnp_builder_init_root(&b, 2, 6, &root), 0);
	nx_capnp_bstruct_set_u32(&root, 0, 7, 0);
	nx_capnp_bstruct_set_u32(&root, 1, 1234, 1234); /* equal to default: stored as 0 */
	nx_capnp_bstruct_set_bool(&root, 64, true, false);
	nx_capnp_bstruct_set_f64(&root, 1, 2.5, 0); /* overlaps nothing above bit 64 but bit 64 */
	nx_capnp_bstruct_set_u16(&root, 100, 1, 0); /* past the data section: ignored */
	assert_int_equal(nx_capnp_bstruct_get_u32(&root, 0, 0), 7);
	assert_int_equal(nx_capnp_bstruct_get_u32(&root, 1, 0), 0);
	assert_int_equal(nx_capnp_bstruct_get_u32(&root, 1, 1234), 1234);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "hello!!", 5), 0);
	p = nx_capnp_bstruct_ptr(&root, 1);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_BIT, 70, &l), 0);
	nx_capnp_blist_set_bool(&l, 69, true);
	nx_capnp_blist_set_bool(&l, 3, true);
	nx_capnp_blist_set_bool(&l, 3, false);
	nx_capnp_blist_set_bool(&l, 70, true); /* out of range: ignored */
	p = nx_capnp_bstruct_ptr(&root, 2);
	assert_int_equal(nx_capnp_bptr_init_struct_list(&p, 1, 1, 3, &l), 0);
	nx_capnp_blist_get_struct(&l, 2, &in);
	nx_capnp_bstruct_set_u32(&in, 1, 99, 0);
	p = nx_capnp_bstruct_ptr(&in, 0);
	assert_int_equal(nx_capnp_bptr_set_data(&p, "\x01\x02\x03", 3), 0);
	p = nx_capnp_bstruct_ptr(&root, 3);
	assert_int_equal(nx_capnp_bptr_set_cap(&p, 1), 0);
	p = nx_capnp_bstruct_ptr(&root, 4);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 2, &l), 0);
	nx_capnp_bptr lp = nx_capnp_blist_ptr(&l, 1);
	assert_int_equal(nx_capnp_bptr_set_text(&lp, "x", 1), 0);
	p = nx_capnp_bstruct_ptr(&root, 5);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 0, 0, &in), 0); /* empty struct */
	p = nx_capnp_bstruct_ptr(&root, 6);
	assert_null(p.p);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "x", 1), -EINVAL);
	assert_int_equal(b.nsegs, 1);
	assert_int_equal(b.error, 0);

	nx_capnp_builder_as_reader(&b, segs, &r);
	r.ncaps = 2;
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 0, 0), 7);
	assert_int_equal(nx_capnp_struct_get_u32(&s, 1, 1234), 1234);
	assert_true(nx_capnp_struct_get_f64(&s, 1, 0) == 2.5);
	rp = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_text(&rp, &t, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(t, "hello");
	rp = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&rp, NX_CAPNP_ELEM_BIT, &rl), 0);
	assert_int_equal(rl.count, 70);
	assert_true(nx_capnp_list_get_bool(&rl, 69));
	assert_false(nx_capnp_list_get_bool(&rl, 3));
	rp = nx_capnp_struct_ptr(&s, 2);
	assert_int_equal(nx_capnp_ptr_read_list(&rp, NX_CAPNP_ELEM_COMPOSITE, &rl), 0);
	assert_int_equal(rl.count, 3);
	nx_capnp_list_get_struct(&rl, 2, &e);
	assert_int_equal(nx_capnp_struct_get_u32(&e, 1, 0), 99);
	rp = nx_capnp_struct_ptr(&e, 0);
	const uint8_t *d;
	assert_int_equal(nx_capnp_ptr_read_data(&rp, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "\x01\x02\x03", 3);
	rp = nx_capnp_struct_ptr(&s, 3);
	uint32_t cap;
	assert_int_equal(nx_capnp_ptr_read_cap(&rp, &cap), 0);
	assert_int_equal(cap, 1);
	rp = nx_capnp_struct_ptr(&s, 4);
	assert_int_equal(nx_capnp_ptr_read_list(&rp, NX_CAPNP_ELEM_POINTER, &rl), 0);
	rp = nx_capnp_list_ptr(&rl, 1);
	assert_int_equal(nx_capnp_ptr_read_text(&rp, &t, &n), 0);
	assert_string_equal(t, "x");
	rp = nx_capnp_struct_ptr(&s, 5);
	assert_int_equal(nx_capnp_ptr_kind(&rp), NX_CAPNP_KIND_STRUCT);
	assert_int_equal(nx_capnp_ptr_read_struct(&rp, &e), 0);
	assert_int_equal(e.data_bytes, 0);
	assert_int_equal(r.error, 0);
	nx_capnp_builder_done(&b);
	FD_END();
}

/* A one-segment builder without allocator fails with -ENOMEM, and the error sticks. */
static void test_full_without_allocator(void **state)
{
	FD_BEGIN();
	uint64_t first[4];
	nx_capnp_builder b;
	nx_capnp_bstruct root, c;
	nx_capnp_bptr p;

	nx_capnp_builder_init(&b, first, sizeof(first), NULL);
	assert_int_equal(nx_capnp_builder_init_root(&b, 1, 1, &root), 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 2, 0, &c), -ENOMEM);
	assert_null(c.data);
	assert_int_equal(b.error, -ENOMEM);
	/* a struct that would fit now is refused too: the error is sticky */
	assert_int_equal(nx_capnp_bptr_set_text(&p, "", 0), -ENOMEM);
	uint8_t out[64];
	size_t len;
	assert_int_equal(nx_capnp_frame_write(&b, out, sizeof(out), &len), -ENOMEM);
	nx_capnp_builder_done(&b);

	nx_capnp_builder_init(&b, NULL, 0, &failing);
	assert_int_equal(nx_capnp_builder_init_root(&b, 1, 1, &root), -ENOMEM);
	nx_capnp_builder_done(&b);
	FD_END();
}

/* Objects that do not fit the pointer's segment go behind far pointers, and the reader
 * follows them. */
static void test_far_pointers(void **state)
{
	FD_BEGIN();
	uint64_t first[3];
	nx_capnp_builder b;
	nx_capnp_bstruct root;
	nx_capnp_bptr p;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader r;
	nx_capnp_struct s;
	nx_capnp_ptr rp;
	const char *t;
	size_t n;

	live = 0;
	nx_capnp_builder_init(&b, first, sizeof(first), &counting);
	assert_int_equal(nx_capnp_builder_init_root(&b, 1, 1, &root), 0);
	nx_capnp_bstruct_set_u64(&root, 0, 5, 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "far away", 8), 0);
	assert_int_equal(b.nsegs, 2);
	assert_int_equal(live, 1);
	/* the pointer in segment 0 is a far pointer to the pad at word 0 of segment 1 */
	assert_true(first[2] == t_far(false, 0, 1));
	nx_capnp_builder_as_reader(&b, segs, &r);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	rp = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_text(&rp, &t, &n), 0);
	assert_string_equal(t, "far away");
	nx_capnp_builder_done(&b);
	assert_int_equal(live, 0);
	FD_END();
}

/* Only an exact-fit hole is left for the object and a small gap elsewhere: the object goes
 * into the hole behind a double-far pointer whose two-word pad sits in the gap. */
static void test_double_far(void **state)
{
	FD_BEGIN();
	static uint64_t first[202];
	static uint8_t blob[2000];
	nx_capnp_builder b;
	nx_capnp_bstruct root, big;
	nx_capnp_blist l;
	nx_capnp_bptr p;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader r;
	nx_capnp_struct s;
	nx_capnp_list rl;
	nx_capnp_ptr rp;

	live = 0;
	nx_capnp_builder_init(&b, first, sizeof(first), &counting);
	/* seg0: root pointer + struct(0, 2): 199 words free */
	assert_int_equal(nx_capnp_builder_init_root(&b, 0, 2, &root), 0);
	/* 300 words: a new segment of exactly pad + object, full afterwards */
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_init_struct(&p, 0, 299, &big), 0);
	assert_int_equal(b.nsegs, 2);
	assert_int_equal(b.segs[1].used, b.segs[1].cap);
	/* 250 words: fits nowhere, so seg2 (303 words) takes pad + 250, leaving 52 */
	p = nx_capnp_bstruct_ptr(&big, 0);
	assert_int_equal(nx_capnp_bptr_set_data(&p, blob, sizeof(blob)), 0);
	assert_int_equal(b.nsegs, 3);
	assert_int_equal(b.segs[2].cap - b.segs[2].used, 52);
	/* 199 words: seg0 has exactly 199, no room for a pad; the pad goes to seg2 */
	p = nx_capnp_bstruct_ptr(&big, 1);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_8BYTES, 199, &l), 0);
	nx_capnp_blist_set_u64(&l, 198, 0x77);
	assert_int_equal(b.nsegs, 3);
	assert_int_equal(l.seg, 0);
	assert_true(*p.p == t_far(true, 251, 2));
	assert_int_equal(b.segs[0].used, b.segs[0].cap);

	nx_capnp_builder_as_reader(&b, segs, &r);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	rp = nx_capnp_struct_ptr(&s, 0);
	assert_int_equal(nx_capnp_ptr_read_struct(&rp, &s), 0);
	rp = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&rp, NX_CAPNP_ELEM_8BYTES, &rl), 0);
	assert_int_equal(rl.count, 199);
	assert_int_equal(nx_capnp_list_get_u64(&rl, 198), 0x77);
	assert_int_equal(r.error, 0);
	nx_capnp_builder_done(&b);
	assert_int_equal(live, 0);
	FD_END();
}

/* Past NX_CAPNP_BUILDER_MAX_SEGS segments the builder fails with -EMSGSIZE. */
static void test_too_many_segments(void **state)
{
	FD_BEGIN();
	nx_capnp_builder b;
	nx_capnp_bstruct root;
	nx_capnp_blist l;
	int err = 0;
	unsigned i;

	live = 0;
	nx_capnp_builder_init(&b, NULL, 0, &counting);
	assert_int_equal(nx_capnp_builder_init_root(&b, 0, 200, &root), 0);
	for (i = 0; i < 200 && err == 0; i++) {
		nx_capnp_bptr p = nx_capnp_bstruct_ptr(&root, i);

		/* larger than the biggest grown segment: each takes a new segment of its own */
		err = nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_8BYTES, 8192, &l);
	}
	assert_int_equal(err, -EMSGSIZE);
	assert_int_equal(i, NX_CAPNP_BUILDER_MAX_SEGS);
	assert_int_equal(b.nsegs, NX_CAPNP_BUILDER_MAX_SEGS);
	assert_int_equal(b.error, -EMSGSIZE);
	nx_capnp_builder_done(&b);
	assert_int_equal(live, 0);
	FD_END();
}

static void test_list_limits(void **state)
{
	FD_BEGIN();
	uint64_t first[16];
	nx_capnp_builder b;
	nx_capnp_bstruct root;
	nx_capnp_blist l;
	nx_capnp_bptr p;

	nx_capnp_builder_init(&b, first, sizeof(first), NULL);
	assert_int_equal(nx_capnp_builder_init_root(&b, 0, 1, &root), 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_COMPOSITE, 1, &l), -EINVAL);
	assert_int_equal(b.error, 0);
	assert_int_equal(nx_capnp_bptr_init_struct_list(&p, 65535, 65535, 1u << 20, &l), -EMSGSIZE);
	nx_capnp_builder_done(&b);
	nx_capnp_builder_init(&b, first, sizeof(first), NULL);
	assert_int_equal(nx_capnp_builder_init_root(&b, 0, 1, &root), 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(
	        nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_BYTE, UINT32_MAX, &l), -EMSGSIZE);
	nx_capnp_builder_done(&b);
	nx_capnp_builder_init(&b, first, sizeof(first), NULL);
	assert_int_equal(nx_capnp_builder_init_root(&b, 0, 1, &root), 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_set_data(&p, first, SIZE_MAX), -EMSGSIZE);
	nx_capnp_builder_done(&b);
	FD_END();
}

static size_t canon(nx_capnp_reader *r, uint8_t *out, size_t cap)
{
	nx_capnp_struct s;
	size_t n = 0;

	assert_int_equal(nx_capnp_reader_root_struct(r, &s), 0);
	assert_int_equal(nx_capnp_canonicalize(&s, out, cap, &n), 0);
	return n;
}

/* Canonical form of the example checked against `capnp convert binary:canonical` by hand:
 * (a = 5, b = "hi") of struct { a :UInt32; b :Text; c :UInt64 }. */
static void test_canonical_trims(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {t_struct(0, 2, 1), 5, 0, t_list(0, 2, 3), 0x6968};
	const uint8_t expect[] = {
	        0,
	        0,
	        0,
	        0,
	        1,
	        0,
	        1,
	        0,
	        5,
	        0,
	        0,
	        0,
	        0,
	        0,
	        0,
	        0,
	        1,
	        0,
	        0,
	        0,
	        0x1a,
	        0,
	        0,
	        0,
	        'h',
	        'i',
	        0,
	        0,
	        0,
	        0,
	        0,
	        0,
	};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	uint8_t out[64];
	size_t n = 0;

	t_reader1(&r, &seg, w, 5);
	assert_int_equal(canon(&r, out, sizeof(out)), sizeof(expect));
	assert_memory_equal(out, expect, sizeof(expect));
	/* too small: -ENOBUFS and the size needed */
	t_reader1(&r, &seg, w, 5);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_canonicalize(&s, out, 8, &n), -ENOBUFS);
	assert_int_equal(n, sizeof(expect));
	assert_int_equal(nx_capnp_canonicalize(&s, NULL, 0, &n), -ENOBUFS);
	assert_int_equal(n, sizeof(expect));
	FD_END();
}

/* Padding inside a list's last word is not part of the value: the reference drops bits past
 * a bool list's count and bytes past a byte list's count (bytes from capnp 0.9.2's
 * binary:canonical on these inputs). */
static void test_canonical_list_padding(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {
	        t_struct(0, 0, 2),
	        t_list(1, 1, 3),
	        t_list(1, 2, 3),
	        0xfdull,
	        0xffffffff00030201ull,
	};
	const uint64_t expect[] = {
	        t_struct(0, 0, 2),
	        t_list(1, 1, 3),
	        t_list(1, 2, 3),
	        0x05ull,
	        0x030201ull,
	};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	uint8_t out[64];

	t_reader1(&r, &seg, w, 5);
	assert_int_equal(canon(&r, out, sizeof(out)), sizeof(expect));
	assert_memory_equal(out, expect, sizeof(expect));
	FD_END();
}

/* Deep copy preserves the canonical form, through far pointers and into a tiny segment. */
/* Copies the root of `w` into a builder whose first segment is tiny (so far pointers are
 * needed); the copy is read through `r2`, whose segments are in `segs`. */
static void copy_of(nx_capnp_builder *b, const uint64_t *w, uint32_t nwords,
        struct nx_capnp_seg *segs, nx_capnp_reader *r2)
{
	static uint64_t first[2];
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_bptr root;
	nx_capnp_ptr src;

	t_reader1(&r, &seg, w, nwords);
	r.ncaps = 4;
	nx_capnp_builder_init(b, first, sizeof(first), &counting);
	root = nx_capnp_builder_root(b);
	src = nx_capnp_reader_root(&r);
	assert_int_equal(nx_capnp_bptr_copy(&root, &src), 0);
	assert_true(b->nsegs >= 2);
	nx_capnp_builder_as_reader(b, segs, r2);
	r2->ncaps = 4;
}

/* A copy has the source's canonical form. With a capability in it neither has one (the
 * reference refuses too), but the copy still carries the cap's index. */
static void test_copy_roundtrip(void **state)
{
	FD_BEGIN();
	uint64_t w[] = {
	        t_struct(0, 1, 3),
	        42,
	        t_list(2, 7, 4), /* 2 -> 5: two structs of (1, 1) */
	        t_cap(3),
	        t_list(6, 1, 3), /* 4 -> 11: bits */
	        t_tag(2, 1, 1),
	        1,
	        t_list(1, 2, 2),
	        2,
	        0,
	        0x0000000000006261ull,
	        0x5ull,
	};
	struct nx_capnp_seg seg, segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader r, r2;
	nx_capnp_struct s;
	nx_capnp_builder b;
	nx_capnp_ptr p;
	uint8_t c1[256], c2[256];
	size_t n1, n2;
	uint32_t idx;

	live = 0;
	copy_of(&b, w, sizeof(w) / 8, segs, &r2);
	assert_int_equal(nx_capnp_reader_root_struct(&r2, &s), 0);
	p = nx_capnp_struct_ptr(&s, 1);
	assert_int_equal(nx_capnp_ptr_read_cap(&p, &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(nx_capnp_canonicalize(&s, c2, sizeof(c2), &n2), -EOPNOTSUPP);
	t_reader1(&r, &seg, w, sizeof(w) / 8);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_canonicalize(&s, c1, sizeof(c1), &n1), -EOPNOTSUPP);
	nx_capnp_builder_done(&b);

	w[3] = 0; /* the cap goes: now both have a canonical form, the same one */
	t_reader1(&r, &seg, w, sizeof(w) / 8);
	n1 = canon(&r, c1, sizeof(c1));
	copy_of(&b, w, sizeof(w) / 8, segs, &r2);
	n2 = canon(&r2, c2, sizeof(c2));
	assert_int_equal(n1, n2);
	assert_memory_equal(c1, c2, n1);
	nx_capnp_builder_as_reader(&b, segs, &r2);
	assert_int_equal(nx_capnp_reader_root_struct(&r2, &s), 0);
	assert_int_equal(nx_capnp_struct_get_u64(&s, 0, 0), 42);
	nx_capnp_builder_done(&b);
	assert_int_equal(live, 0);
	FD_END();
}

/* Index NX_CAPNP_NO_CAP fits no cap table: the builder does not write it, and a copy of a
 * message holding it fails instead of writing a pointer its own reader would reject (the
 * fuzz_capnp_reader input of issue 11 had one). */
static void test_cap_index_no_cap(void **state)
{
	FD_BEGIN();
	const uint64_t w[] = {t_struct(0, 0, 1), t_cap(NX_CAPNP_NO_CAP)};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_builder b;
	nx_capnp_bptr root;
	nx_capnp_ptr src;
	uint64_t first[8];

	nx_capnp_builder_init(&b, first, sizeof(first), NULL);
	root = nx_capnp_builder_root(&b);
	assert_int_equal(nx_capnp_bptr_set_cap(&root, NX_CAPNP_NO_CAP), -EINVAL);
	assert_int_equal(nx_capnp_bptr_set_cap(&root, NX_CAPNP_NO_CAP - 1), 0);
	nx_capnp_bptr_set_null(&root);
	t_reader1(&r, &seg, w, 2);
	r.ncaps = 1;
	src = nx_capnp_reader_root(&r);
	assert_int_equal(nx_capnp_bptr_copy(&root, &src), -EBADMSG);
	assert_int_equal(r.error, -EBADMSG);
	assert_int_equal(b.error, 0);
	nx_capnp_builder_done(&b);
	FD_END();
}

/* Copying a hostile message is bounded by the source reader's traversal budget. */
static void test_copy_amplification_bounded(void **state)
{
	FD_BEGIN();
	enum { NPTR = 60, LISTW = 60 };
	uint64_t w[1 + NPTR + LISTW] = {0};
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_builder b;
	nx_capnp_bptr root;
	nx_capnp_ptr src;

	live = 0;
	w[0] = t_struct(0, 0, NPTR);
	for (int i = 0; i < NPTR; i++)
		w[1 + i] = t_list((int32_t)(NPTR - 1 - i), 5, LISTW);
	t_reader1(&r, &seg, w, 1 + NPTR + LISTW);
	nx_capnp_builder_init(&b, NULL, 0, &counting);
	root = nx_capnp_builder_root(&b);
	src = nx_capnp_reader_root(&r);
	assert_int_equal(nx_capnp_bptr_copy(&root, &src), -ELOOP);
	/* what was copied stays under the budget: 8x the source */
	assert_true(nx_capnp_builder_words(&b) <= 8u * (1 + NPTR + LISTW) + 8);
	nx_capnp_builder_done(&b);
	assert_int_equal(live, 0);
	FD_END();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_build_and_read_back),
	        cmocka_unit_test(test_full_without_allocator),
	        cmocka_unit_test(test_far_pointers),
	        cmocka_unit_test(test_double_far),
	        cmocka_unit_test(test_too_many_segments),
	        cmocka_unit_test(test_list_limits),
	        cmocka_unit_test(test_canonical_trims),
	        cmocka_unit_test(test_canonical_list_padding),
	        cmocka_unit_test(test_copy_roundtrip),
	        cmocka_unit_test(test_cap_index_no_cap),
	        cmocka_unit_test(test_copy_amplification_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
