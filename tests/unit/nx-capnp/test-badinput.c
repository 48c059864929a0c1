/* SPDX-License-Identifier: MIT */
/*
 * Table-driven hostile messages: each is walked completely and must end with the expected
 * negative errno, never a crash (ASan/UBSan run these), then copied and canonicalized, which
 * must fail the same way.
 */
#include "nxc-test.h"
#include "nxc-walk.h"

#define MAXW 80

struct vec {
	const char *name;
	uint32_t nsegs;
	uint32_t seglen[3];
	uint64_t w[3][MAXW];
	uint32_t ncaps;
	int err;
};

static const struct vec vecs[] = {
        {"struct past end", 1, {2}, {{t_struct(0, 2, 0), 1}}, 0, -EBADMSG},
        {"struct before start", 1, {1}, {{t_struct(-5, 1, 0)}}, 0, -EBADMSG},
        {"struct offset max", 1, {1}, {{t_struct((1 << 29) - 1, 1, 0)}}, 0, -EBADMSG},
        {"struct offset min", 1, {1}, {{t_struct(-(1 << 29), 1, 0)}}, 0, -EBADMSG},
        {"struct size max", 1, {2}, {{t_struct(0, 0xffff, 0xffff), 0}}, 0, -EBADMSG},
        {"list past end", 1, {2}, {{t_list(0, 5, 2), 1}}, 0, -EBADMSG},
        {"byte list huge count", 1, {2}, {{t_list(0, 2, (1u << 29) - 1), 0}}, 0, -EBADMSG},
        {"u64 list huge count", 1, {2}, {{t_list(0, 5, (1u << 29) - 1), 0}}, 0, -EBADMSG},
        {"bit list huge count", 1, {2}, {{t_list(0, 1, (1u << 29) - 1), 0}}, 0, -EBADMSG},
        {"ptr list huge count", 1, {2}, {{t_list(0, 6, (1u << 29) - 1), 0}}, 0, -EBADMSG},
        {"composite huge words", 1, {2}, {{t_list(0, 7, (1u << 29) - 1), t_tag(1, 1, 0)}}, 0,
                -EBADMSG},
        {"composite without tag", 1, {1}, {{t_list(0, 7, 0)}}, 0, -EBADMSG},
        {"composite tag count too big", 1, {4}, {{t_list(0, 7, 2), t_tag(3, 1, 0), 0, 0}}, 0,
                -EBADMSG},
        {"composite tag count max", 1, {4}, {{t_list(0, 7, 2), t_tag((1u << 30) - 1, 1, 1), 0, 0}},
                0, -EBADMSG},
        {"composite tag not a struct", 1, {3}, {{t_list(0, 7, 1), t_list(0, 2, 0), 0}}, 0,
                -EBADMSG},
        {"far to missing segment", 1, {1}, {{t_far(false, 0, 5)}}, 0, -EBADMSG},
        {"far to segment 0xffffffff", 1, {1}, {{t_far(false, 0, 0xffffffffu)}}, 0, -EBADMSG},
        {"far pad past end", 1, {1}, {{t_far(false, 3, 0)}}, 0, -EBADMSG},
        {"far pad position max", 1, {1}, {{t_far(false, (1u << 29) - 1, 0)}}, 0, -EBADMSG},
        {"far to itself", 1, {1}, {{t_far(false, 0, 0)}}, 0, -EBADMSG},
        {"far to far across segments", 2, {1, 1}, {{t_far(false, 0, 1)}, {t_far(false, 0, 0)}}, 0,
                -EBADMSG},
        {"double-far pad truncated", 1, {1}, {{t_far(true, 0, 0)}}, 0, -EBADMSG},
        {"double-far pad not far", 1, {3},
                {{t_far(true, 1, 0), t_struct(0, 0, 0), t_struct(0, 0, 0)}}, 0, -EBADMSG},
        {"double-far tag is far", 1, {3},
                {{t_far(true, 1, 0), t_far(false, 0, 0), t_far(false, 0, 0)}}, 0, -EBADMSG},
        {"double-far tag is other", 1, {3}, {{t_far(true, 1, 0), t_far(false, 0, 0), 0x7}}, 1,
                -EBADMSG},
        {"double-far object past end", 2, {3, 1},
                {{t_far(true, 1, 0), t_far(false, 0, 1), t_struct(0, 2, 0)}, {0}}, 0, -EBADMSG},
        {"double-far to missing segment", 1, {3},
                {{t_far(true, 1, 0), t_far(false, 0, 9), t_struct(0, 0, 0)}}, 0, -EBADMSG},
        {"reserved other pointer", 1, {1}, {{0x7}}, 0, -EBADMSG},
        {"cap past cap table", 1, {2}, {{t_struct(0, 0, 1), t_cap(0)}}, 0, -EBADMSG},
        {"cap index max", 1, {2}, {{t_struct(0, 0, 1), t_cap(UINT32_MAX)}}, 3, -EBADMSG},
        /* fuzz_capnp_reader's input of issue 11 (corpus: canonical-with-capability), in
         * short: a cap of index 0xffffffff in a struct list element behind a far pointer */
        {"cap index max in far struct list", 2, {1, 5},
                {{t_far(false, 0, 1)},
                        {t_struct(0, 0, 1), t_list(0, 7, 2), t_tag(1, 1, 1), 7, t_cap(UINT32_MAX)}},
                UINT32_MAX, -EBADMSG},
        {"empty first segment", 1, {0}, {{0}}, 0, -EBADMSG},
        {"struct loop", 1, {2}, {{t_struct(0, 0, 1), t_struct(-1, 0, 1)}}, 0, -ELOOP},
        {"list of itself", 1, {1}, {{t_list(-1, 6, 1)}}, 0, -ELOOP},
        {"void list amplification", 1, {1}, {{t_list(0, 0, (1u << 29) - 1)}}, 0, -ELOOP},
        {"empty struct list amplification", 1, {2},
                {{t_list(0, 7, 0), t_tag((1u << 29) - 1, 0, 0)}}, 0, -ELOOP},
};

/* 70 nested one-element pointer lists: deeper than the nesting limit, far under the budget. */
static void make_deep(struct vec *v)
{
	*v = (struct vec){.name = "nesting 70", .nsegs = 1, .seglen = {71}, .err = -ELOOP};
	for (int i = 0; i < 70; i++)
		v->w[0][i] = t_list(0, 6, 1);
	v->w[0][70] = 0;
}

/* A struct with 60 pointers all aliasing one 12-word list of lists. */
static void make_overlap(struct vec *v)
{
	*v = (struct vec){.name = "overlapping lists", .nsegs = 1, .seglen = {79}, .err = -ELOOP};
	v->w[0][0] = t_struct(0, 0, 60);
	for (int i = 0; i < 60; i++)
		v->w[0][1 + i] = t_list(59 - i, 6, 18);
	/* the list's elements point back at the list itself, one level down each time */
	for (int i = 0; i < 18; i++)
		v->w[0][61 + i] = t_list(-1 - i, 6, 18);
}

static void run(const struct vec *v)
{
	struct nx_capnp_seg segs[3];
	nx_capnp_reader r;
	nx_capnp_struct root;
	nx_capnp_builder b;
	nx_capnp_bptr dst;
	nx_capnp_ptr src;
	uint8_t out[1024];
	size_t n;
	int err;

	for (uint32_t i = 0; i < v->nsegs; i++)
		segs[i] = (struct nx_capnp_seg){v->w[i], v->seglen[i]};
	nx_capnp_reader_init(&r, segs, v->nsegs);
	r.ncaps = v->ncaps;
	err = nxc_walk(&r);
	if (err != v->err)
		fail_msg("%s: walk gave %d, want %d", v->name, err, v->err);

	nx_capnp_reader_init(&r, segs, v->nsegs);
	r.ncaps = v->ncaps;
	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	dst = nx_capnp_builder_root(&b);
	src = nx_capnp_reader_root(&r);
	err = src.p ? nx_capnp_bptr_copy(&dst, &src) : r.error;
	nx_capnp_builder_done(&b);
	/* copy keeps cap indexes as they are (except NX_CAPNP_NO_CAP, which fits no table),
	 * so an index past this message's table is not its error */
	if (err != (strstr(v->name, "cap past") ? 0 : v->err))
		fail_msg("%s: copy gave %d, want %d", v->name, err, v->err);

	/* a message with a cap has no canonical form, whatever its index; the others fail as
	 * malformed (a root that is no struct fails before the walk's error is reached) */
	nx_capnp_reader_init(&r, segs, v->nsegs);
	err = nx_capnp_reader_root_struct(&r, &root);
	if (err == 0)
		err = nx_capnp_canonicalize(&root, out, sizeof(out), &n);
	if (strncmp(v->name, "cap ", 4) == 0 ? err != -EOPNOTSUPP : err >= 0 || err == -EOPNOTSUPP)
		fail_msg("%s: canonicalize gave %d", v->name, err);
}

static void test_vectors(void **state)
{
	FD_BEGIN();
	static struct vec extra;

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		run(&vecs[i]);
	make_deep(&extra);
	run(&extra);
	make_overlap(&extra);
	run(&extra);
	FD_END();
}

/* The same walks on every truncation of a valid two-segment message: never a crash, and
 * every error is one of the documented ones. */
static void test_truncations(void **state)
{
	FD_BEGIN();
	uint64_t first[3];
	nx_capnp_builder b;
	nx_capnp_bstruct root, e;
	nx_capnp_blist l;
	nx_capnp_bptr p;
	uint64_t frame[64];
	size_t len;

	nx_capnp_builder_init(&b, first, sizeof(first), &nx_capnp_malloc_allocator);
	assert_int_equal(nx_capnp_builder_init_root(&b, 1, 2, &root), 0);
	p = nx_capnp_bstruct_ptr(&root, 0);
	assert_int_equal(nx_capnp_bptr_init_struct_list(&p, 1, 1, 2, &l), 0);
	nx_capnp_blist_get_struct(&l, 1, &e);
	p = nx_capnp_bstruct_ptr(&e, 0);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "abcdefghij", 10), 0);
	p = nx_capnp_bstruct_ptr(&root, 1);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_BIT, 9, &l), 0);
	assert_int_equal(nx_capnp_frame_write(&b, frame, sizeof(frame), &len), 0);
	nx_capnp_builder_done(&b);

	struct nx_capnp_seg full[NX_CAPNP_MAX_SEGMENTS], segs[NX_CAPNP_MAX_SEGMENTS];
	uint32_t nsegs;
	size_t bytes;
	nx_capnp_reader r;

	assert_int_equal(
	        nx_capnp_frame_parse(frame, len, 4096, full, NX_CAPNP_MAX_SEGMENTS, &nsegs, &bytes),
	        0);
	assert_int_equal(nsegs, 2);
	nx_capnp_reader_init(&r, full, nsegs);
	assert_int_equal(nxc_walk(&r), 0);
	for (size_t cut = 0; cut < len; cut++) {
		uint32_t cut_words = (uint32_t)(cut / 8);

		assert_int_equal(nx_capnp_frame_parse(frame, cut, 4096, segs, NX_CAPNP_MAX_SEGMENTS,
		                         &nsegs, &bytes),
		        -EAGAIN);
		/* the same message with its segments cut where the buffer ends: every word
		 * belongs to some object, so each cut is noticed */
		for (uint32_t i = 0; i < 2; i++) {
			uint32_t at = (uint32_t)(full[i].words - frame);

			segs[i] = full[i];
			if (cut_words < at + full[i].nwords)
				segs[i].nwords = cut_words > at ? cut_words - at : 0;
		}
		nx_capnp_reader_init(&r, segs, 2);
		assert_int_equal(nxc_walk(&r), cut_words * 8 < len ? -EBADMSG : 0);
	}
	FD_END();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vectors),
	        cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
