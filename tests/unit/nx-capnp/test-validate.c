/* SPDX-License-Identifier: MIT */
/*
 * nx_capnp_validate: one table of cases over hand-written descriptors (as capnpc-c writes
 * them), each rule, nested paths, union members, lists of structs and of lists, groups, and a
 * truncated message; and the description a server answers with.
 */
#include "nx-capnp/validate.h"
#include "nxc-test.h"

/* struct Item { label @0 :Text $maxLen(4); } */
static const struct nx_capnp_vtype text_t = {.kind = NX_CAPNP_V_TEXT};
static const struct nx_capnp_vtype data_t = {.kind = NX_CAPNP_V_DATA};
static const struct nx_capnp_vfield item_fields[] = {
        {"label", &text_t, 0, NX_CAPNP_NO_DISC, 0, 4, NX_CAPNP_NO_LIMIT, false},
};
static const struct nx_capnp_desc item_desc = {"Item", 0, 1, item_fields};

/* group g { note @0 :Text $maxLen(1); } (pointer 5 of Doc) */
static const struct nx_capnp_vfield g_fields[] = {
        {"note", &text_t, 5, NX_CAPNP_NO_DISC, 0, 1, NX_CAPNP_NO_LIMIT, false},
};
static const struct nx_capnp_desc g_desc = {"Doc.g", 0, 1, g_fields};

/*
 * struct Doc {             data: level u16 @0, union discriminant u16 @1; pointers 0..6
 *   name  :Text $maxLen(8) $nonEmpty;       blob :Data $maxLen(2);
 *   items :List(Item) $maxCount(2);         tags :List(List(Text)) $maxLen(3);
 *   level :Level $closed (2 enumerants, default 1);
 *   union { a :Text $nonEmpty; b :Item; }   (pointer 4)
 *   g :group { note }                       levels :List(Level) $closed;
 * }
 */
static const struct nx_capnp_vtype item_t = {.kind = NX_CAPNP_V_STRUCT, .desc = &item_desc};
static const struct nx_capnp_vtype items_t = {
        .kind = NX_CAPNP_V_LIST, .elem = NX_CAPNP_ELEM_COMPOSITE, .elem_type = &item_t};
static const struct nx_capnp_vtype row_t = {
        .kind = NX_CAPNP_V_LIST, .elem = NX_CAPNP_ELEM_POINTER, .elem_type = &text_t};
static const struct nx_capnp_vtype tags_t = {
        .kind = NX_CAPNP_V_LIST, .elem = NX_CAPNP_ELEM_POINTER, .elem_type = &row_t};
static const struct nx_capnp_vtype level_t = {.kind = NX_CAPNP_V_ENUM, .enum_count = 2};
static const struct nx_capnp_vtype levels_t = {
        .kind = NX_CAPNP_V_LIST, .elem = NX_CAPNP_ELEM_2BYTES, .elem_type = &level_t};
static const struct nx_capnp_vtype g_t = {.kind = NX_CAPNP_V_GROUP, .desc = &g_desc};
static const struct nx_capnp_vfield doc_fields[] = {
        {"name", &text_t, 0, NX_CAPNP_NO_DISC, 0, 8, NX_CAPNP_NO_LIMIT, true},
        {"blob", &data_t, 1, NX_CAPNP_NO_DISC, 0, 2, NX_CAPNP_NO_LIMIT, false},
        {"items", &items_t, 2, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, 2, false},
        {"tags", &tags_t, 3, NX_CAPNP_NO_DISC, 0, 3, NX_CAPNP_NO_LIMIT, false},
        {"level", &level_t, 0, NX_CAPNP_NO_DISC, 1, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, false},
        {"a", &text_t, 4, 0, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, true},
        {"b", &item_t, 4, 1, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, false},
        {"g", &g_t, 0, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, false},
        {"levels", &levels_t, 6, NX_CAPNP_NO_DISC, 0, NX_CAPNP_NO_LIMIT, NX_CAPNP_NO_LIMIT, false},
};
static const struct nx_capnp_desc doc_desc = {"Doc", 1, 9, doc_fields};

enum bad {
	GOOD,
	NAME_EMPTY,
	NAME_MISSING,
	NAME_LONG,
	NAME_NUL,
	BLOB_LONG,
	ITEMS_MANY,
	ITEM_LABEL_LONG,
	TAG_LONG,
	LEVEL_UNKNOWN,
	A_EMPTY,
	B_LABEL_LONG,
	B_ACTIVE_A_IGNORED,
	NOTE_LONG,
	LEVELS_UNKNOWN,
	ITEMS_NOT_A_LIST,
};

static void set_text(nx_capnp_bstruct *s, uint32_t ptr, const char *t, size_t n)
{
	nx_capnp_bptr p = nx_capnp_bstruct_ptr(s, ptr);

	assert_int_equal(nx_capnp_bptr_set_text(&p, t, n), 0);
}

/* Builds a Doc that is valid but for `bad`, and validates it. */
static int check(enum bad bad, struct nx_capnp_invalid *why)
{
	nx_capnp_builder b;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	nx_capnp_bstruct doc, it;
	nx_capnp_blist l, row;
	nx_capnp_bptr p;
	nx_capnp_struct root;
	int r;

	nx_capnp_builder_init(&b, NULL, 0, &nx_capnp_malloc_allocator);
	assert_int_equal(nx_capnp_builder_init_root(&b, 1, 7, &doc), 0);
	if (bad == NAME_EMPTY)
		set_text(&doc, 0, "", 0);
	else if (bad == NAME_LONG)
		set_text(&doc, 0, "123456789", 9);
	else if (bad == NAME_NUL)
		set_text(&doc, 0, "a\0b", 3);
	else if (bad != NAME_MISSING)
		set_text(&doc, 0, "12345678", 8);
	p = nx_capnp_bstruct_ptr(&doc, 1);
	assert_int_equal(nx_capnp_bptr_set_data(&p, "xyz", bad == BLOB_LONG ? 3 : 2), 0);
	p = nx_capnp_bstruct_ptr(&doc, 2);
	if (bad == ITEMS_NOT_A_LIST) {
		assert_int_equal(nx_capnp_bptr_init_struct(&p, 1, 0, &it), 0);
	} else {
		assert_int_equal(
		        nx_capnp_bptr_init_struct_list(&p, 0, 1, bad == ITEMS_MANY ? 3 : 2, &l), 0);
		nx_capnp_blist_get_struct(&l, 1, &it);
		set_text(&it, 0, "abcde", bad == ITEM_LABEL_LONG ? 5 : 4);
	}
	p = nx_capnp_bstruct_ptr(&doc, 3);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 1, &l), 0);
	p = nx_capnp_blist_ptr(&l, 0);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 2, &row), 0);
	p = nx_capnp_blist_ptr(&row, 1);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "abcd", bad == TAG_LONG ? 4 : 3), 0);
	/* level: default 1, XOR-encoded; 1 ^ 3 = 2 is past the two enumerants */
	nx_capnp_bstruct_set_u16(&doc, 0, bad == LEVEL_UNKNOWN ? 2 : 0, 1);
	if (bad == B_LABEL_LONG || bad == B_ACTIVE_A_IGNORED) {
		nx_capnp_bstruct_set_u16(&doc, 1, 1, 0);
		p = nx_capnp_bstruct_ptr(&doc, 4);
		assert_int_equal(nx_capnp_bptr_init_struct(&p, 0, 1, &it), 0);
		set_text(&it, 0, "abcde", bad == B_LABEL_LONG ? 5 : 0);
	} else {
		set_text(&doc, 4, "a", bad == A_EMPTY ? 0 : 1);
	}
	set_text(&doc, 5, "nn", bad == NOTE_LONG ? 2 : 1);
	p = nx_capnp_bstruct_ptr(&doc, 6);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_2BYTES, 2, &l), 0);
	nx_capnp_blist_set_u16(&l, 1, bad == LEVELS_UNKNOWN ? 2 : 1);
	assert_int_equal(b.error, 0);

	nx_capnp_builder_as_reader(&b, segs, &rd);
	assert_int_equal(nx_capnp_reader_root_struct(&rd, &root), 0);
	r = nx_capnp_validate(&root, &doc_desc, why);
	nx_capnp_builder_done(&b);
	return r;
}

static void test_table(void **state)
{
	static const struct {
		enum bad bad;
		int want;
		const char *why;
	} cases[] = {
	        {GOOD, 0, NULL},
	        {NAME_EMPTY, -EINVAL, "name: empty"},
	        {NAME_MISSING, -EINVAL, "name: empty"},
	        {NAME_LONG, -EMSGSIZE, "name: longer than 8 bytes"},
	        {NAME_NUL, -EINVAL, "name: contains NUL"},
	        {BLOB_LONG, -EMSGSIZE, "blob: longer than 2 bytes"},
	        {ITEMS_MANY, -EMSGSIZE, "items: more than 2 elements"},
	        {ITEM_LABEL_LONG, -EMSGSIZE, "items[1].label: longer than 4 bytes"},
	        {TAG_LONG, -EMSGSIZE, "tags[0][1]: longer than 3 bytes"},
	        {LEVEL_UNKNOWN, -EINVAL, "level: unknown enumerant"},
	        {A_EMPTY, -EINVAL, "a: empty"},
	        {B_LABEL_LONG, -EMSGSIZE, "b.label: longer than 4 bytes"},
	        /* b is the active member: a's $nonEmpty does not apply to b's pointer. */
	        {B_ACTIVE_A_IGNORED, 0, NULL},
	        {NOTE_LONG, -EMSGSIZE, "g.note: longer than 1 bytes"},
	        {LEVELS_UNKNOWN, -EINVAL, "levels[1]: unknown enumerant"},
	        {ITEMS_NOT_A_LIST, -EBADMSG, "items: malformed"},
	};

	FD_BEGIN();
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nx_capnp_invalid why = {.rule = NX_CAPNP_RULE_NONE, .path = "untouched"};
		char text[NX_CAPNP_PATH_MAX + 64];
		int got = check(cases[i].bad, &why);

		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
		if (!cases[i].why) {
			assert_string_equal(why.path, "untouched"); /* untouched on success */
			continue;
		}
		assert_int_equal(nx_capnp_rule_errno(why.rule), got);
		(void)nx_capnp_invalid_describe(&why, text, sizeof(text));
		if (strcmp(text, cases[i].why) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, text, cases[i].why);
	}
	FD_END();
}

/* A pointer past the end of its segment: the walk names the field and says malformed. */
static void test_truncated(void **state)
{
	/* root -> Item (0 data words, 1 pointer); the label claims 5 bytes 1000 words away */
	const uint64_t w[] = {t_struct(0, 0, 1), t_list(1000, 2, 5)};
	struct nx_capnp_invalid why;
	struct nx_capnp_seg seg;
	nx_capnp_reader r;
	nx_capnp_struct s;
	char text[64];

	FD_BEGIN();
	(void)state;
	t_reader1(&r, &seg, w, 2);
	assert_int_equal(nx_capnp_reader_root_struct(&r, &s), 0);
	assert_int_equal(nx_capnp_validate(&s, &item_desc, &why), -EBADMSG);
	(void)nx_capnp_invalid_describe(&why, text, sizeof(text));
	assert_string_equal(text, "label: malformed");
	/* The reader's sticky error fails even a descriptor with nothing to check. */
	static const struct nx_capnp_desc nothing = {"Nothing", 0, 0, NULL};
	assert_int_equal(nx_capnp_validate(&s, &nothing, &why), -EBADMSG);
	assert_string_equal(why.path, "");
	FD_END();
}

static void test_describe_cuts(void **state)
{
	struct nx_capnp_invalid why = {.rule = NX_CAPNP_RULE_MAX_COUNT, .limit = 64};
	char small[12];

	(void)state;
	strcpy(why.path, "queries");
	assert_int_equal(nx_capnp_invalid_describe(&why, small, sizeof(small)),
	        strlen("queries: more than 64 elements"));
	assert_string_equal(small, "queries: mo");
	assert_int_equal(nx_capnp_invalid_describe(&why, NULL, 0), 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_describe_cuts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
