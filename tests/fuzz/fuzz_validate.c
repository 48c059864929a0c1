/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: generated validators (capnpc-c) over arbitrary frames. Each struct of the
 * golden schema is validated as the root; a validator must return 0 or a negative errno, never
 * read out of bounds, and on failure say why: a rule that gives the errno it returned, and a
 * field path that names the field whenever a rule of the schema was broken. A message that
 * validates as Limited is then read through the generated accessors, which must find every
 * limit the validator promised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "types.capnp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)            \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

typedef int (*validate_fn)(const nx_capnp_struct *s, struct nx_capnp_invalid *ret_why);

static const validate_fn validators[] = {
        types_inner_validate,
        types_everything_validate,
        types_defaults_validate,
        types_shape_validate,
        types_limited_validate,
        types_tree_validate,
};

static bool is_message_fault(enum nx_capnp_rule rule)
{
	return rule == NX_CAPNP_RULE_MALFORMED || rule == NX_CAPNP_RULE_TRAVERSAL;
}

static void check_why(int err, const struct nx_capnp_invalid *why)
{
	char text[NX_CAPNP_PATH_MAX + 64], cut[8];
	size_t path_len = strnlen(why->path, sizeof(why->path));
	size_t len;

	REQUIRE(why->rule != NX_CAPNP_RULE_NONE && nx_capnp_rule_errno(why->rule) == err);
	REQUIRE(path_len < sizeof(why->path));
	/* Only the message as a whole (the reader's sticky error) fails with an empty path. */
	REQUIRE(path_len > 0 || is_message_fault(why->rule));

	len = nx_capnp_invalid_describe(why, text, sizeof(text));
	REQUIRE(len < sizeof(text) && strlen(text) == len);
	REQUIRE(strncmp(text, why->path, path_len) == 0);
	/* Cut to a small buffer: the same length wanted, a NUL-terminated prefix written. */
	REQUIRE(nx_capnp_invalid_describe(why, cut, sizeof(cut)) == len);
	REQUIRE(strlen(cut) < sizeof(cut) && strncmp(cut, text, strlen(cut)) == 0);
}

static void require_text(const nx_capnp_ptr *p, size_t max_len)
{
	const char *t;
	size_t n;

	REQUIRE(nx_capnp_ptr_read_text(p, &t, &n) == 0);
	REQUIRE(n <= max_len && memchr(t, '\0', n) == NULL);
}

/* Reads a Limited that validated, through its own reader, against types.capnp's limits. */
static void read_limited(nx_capnp_reader *r)
{
	nx_capnp_list l, row;
	nx_capnp_ptr p;
	types_limited v;
	const uint8_t *d;
	const char *t;
	size_t n;

	REQUIRE(types_limited_read_root(r, &v) == 0);
	REQUIRE(types_limited_get_name(v, &t, &n) == 0 && n >= 1 && n <= 8);
	REQUIRE(memchr(t, '\0', n) == NULL);
	REQUIRE(types_limited_get_blob(v, &d, &n) == 0 && n <= 4);
	REQUIRE(types_limited_get_tags(v, &l) == 0 && l.count <= 3);
	for (uint32_t i = 0; i < l.count; i++) {
		p = nx_capnp_list_ptr(&l, i);
		require_text(&p, 5);
	}
	REQUIRE(types_limited_get_inners(v, &l) == 0 && l.count <= 2);
	for (uint32_t i = 0; i < l.count; i++) {
		REQUIRE(types_inner_get_label(types_inner_at(&l, i), &t, &n) == 0 && n <= 16);
		REQUIRE(memchr(t, '\0', n) == NULL);
	}
	/* Level is closed everywhere; Color only on the `color` field. */
	REQUIRE(types_limited_get_level(v) < TYPES_LEVEL_COUNT);
	REQUIRE(types_limited_get_color(v) < TYPES_COLOR_COUNT);
	REQUIRE(types_limited_get_levels(v, &l) == 0);
	for (uint32_t i = 0; i < l.count; i++)
		REQUIRE(nx_capnp_list_get_u16(&l, i) < TYPES_LEVEL_COUNT);
	REQUIRE(types_limited_get_matrix(v, &l) == 0);
	for (uint32_t i = 0; i < l.count; i++) {
		p = nx_capnp_list_ptr(&l, i);
		REQUIRE(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_POINTER, &row) == 0);
		for (uint32_t j = 0; j < row.count; j++) {
			p = nx_capnp_list_ptr(&row, j);
			require_text(&p, 3);
		}
	}
	REQUIRE(r->error == 0);
}

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
		struct nx_capnp_invalid why;
		nx_capnp_reader r;
		nx_capnp_struct root;
		int err;

		nx_capnp_reader_init(&r, segs, nsegs);
		if (nx_capnp_reader_root_struct(&r, &root) < 0)
			continue;
		err = validators[i](&root, &why);
		REQUIRE(err <= 0); /* validators return 0 or a negative errno, nothing else */
		if (err < 0) {
			check_why(err, &why);
		} else if (validators[i] == types_limited_validate) {
			/* A fresh reader: the validation walk spent this one's traversal budget. */
			nx_capnp_reader_init(&r, segs, nsegs);
			read_limited(&r);
		}
	}
	return 0;
}
