/* SPDX-License-Identifier: MIT */
/*
 * Generated code against the reference implementation: messages built with generated
 * builders are decoded by `capnp convert binary:text` and compared with the text the
 * reference itself produced from the data/ inputs; the reference's `text:binary` output is read
 * back with generated readers and every value checked. Also: schema defaults, constants, and
 * the generated validators at and across every limit of golden/types.capnp.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "types.capnp.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		fprintf(stderr, "%s is not set (run through meson test)\n", name);
		abort();
	}
	return v;
}

static uint8_t *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

/* Runs `capnp convert <how> types.capnp <type>` on `in`; returns the output (8-byte aligned,
 * NUL-terminated) and its length. */
static uint8_t *convert(
        const char *how, const char *type, const void *in, size_t len, size_t *ret_len)
{
	char tmpl[] = "/tmp/capnpc-c-test-XXXXXX";
	char cmd[4096];
	size_t cap = 1 << 16, n = 0;
	uint8_t *out = malloc(cap);
	FILE *p;
	int fd = mkostemp(tmpl, O_CLOEXEC);

	assert_non_null(out);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, in, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' convert %s -I'%s' '%s/types.capnp' %s < '%s'",
	        env("CAPNP"), how, env("CAPNPC_C_SCHEMAS"), env("CAPNPC_C_GOLDEN"), type, tmpl);
	p = popen(cmd, "re");
	assert_non_null(p);
	for (;;) {
		size_t got;

		if (cap - n < 2) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		got = fread(out + n, 1, cap - n - 1, p);
		if (got == 0)
			break;
		n += got;
	}
	assert_int_equal(pclose(p), 0);
	unlink(tmpl);
	out[n] = '\0';
	*ret_len = n;
	return out;
}

static char *data_path(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", env("CAPNPC_C_DATA"), name);
	return path;
}

/* A builder with a small first segment so bigger messages also cross into more segments. */
struct msg {
	uint64_t first[64];
	nx_capnp_builder b;
	uint8_t *frame;
	size_t frame_len;
};

static void msg_init(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	nx_capnp_builder_init(&m->b, m->first, sizeof(m->first), &nx_capnp_malloc_allocator);
}

static void msg_frame(struct msg *m)
{
	size_t need = nx_capnp_frame_bytes(&m->b);

	assert_int_equal(m->b.error, 0);
	m->frame = malloc(need);
	assert_non_null(m->frame);
	assert_int_equal(nx_capnp_frame_write(&m->b, m->frame, need, &m->frame_len), 0);
	assert_int_equal(m->frame_len, need);
}

static void msg_done(struct msg *m)
{
	free(m->frame);
	nx_capnp_builder_done(&m->b);
}

/* Reads a framed message (from the reference) into `segs`/`rd`. */
struct rmsg {
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	uint8_t *buf;
};

static void rmsg_parse(struct rmsg *m, uint8_t *buf, size_t len)
{
	uint32_t nsegs = 0;
	size_t used = 0;

	m->buf = buf;
	assert_int_equal(
	        nx_capnp_frame_parse(buf, len, len, m->segs, NX_CAPNP_MAX_SEGMENTS, &nsegs, &used),
	        0);
	assert_int_equal(used, len);
	nx_capnp_reader_init(&m->rd, m->segs, nsegs);
}

static void expect_text_file(const char *name, const uint8_t *got, size_t got_len)
{
	size_t len;
	uint8_t *want = read_file(data_path(name), &len);

	if (got_len != len || memcmp(got, want, len) != 0)
		fail_msg("capnp decoded our message as:\n%s\nexpected (%s):\n%s", got, name, want);
	free(want);
}

static uint32_t f32_bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

static uint64_t f64_bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

static void set_text_elem(const nx_capnp_blist *l, uint32_t i, const char *s)
{
	nx_capnp_bptr p = nx_capnp_blist_ptr(l, i);

	assert_int_equal(nx_capnp_bptr_set_text(&p, s, strlen(s)), 0);
}

/* Takes the view's address: arguments are evaluated in no fixed order, so the getter that
 * fills it (the first argument) may run after plain values would have been read. */
static void expect_text(int r, const char *const *ret, const size_t *ret_len, const char *want)
{
	const char *got = *ret;
	size_t got_len = *ret_len;

	assert_int_equal(r, 0);
	assert_int_equal(got_len, strlen(want));
	assert_memory_equal(got, want, got_len);
	assert_int_equal(got[got_len], '\0');
}

/* ---- types_everything: every field type and every list kind ------------------------------------ */

static const char everything_text[] = "hello\n\"w\" \t!";

static void build_everything(nx_capnp_builder *b)
{
	types_everything_b e;
	types_inner_b in;
	nx_capnp_blist l, sub;
	nx_capnp_bptr p;
	static const bool bools[9] = {true, false, true, true, false, false, false, false, true};

	assert_int_equal(types_everything_init_root(b, &e), 0);
	types_everything_set_bool_field(e, true);
	types_everything_set_int8_field(e, INT8_MIN);
	types_everything_set_int16_field(e, INT16_MIN);
	types_everything_set_int32_field(e, INT32_MIN);
	types_everything_set_int64_field(e, INT64_MIN);
	types_everything_set_uint8_field(e, UINT8_MAX);
	types_everything_set_uint16_field(e, UINT16_MAX);
	types_everything_set_uint32_field(e, UINT32_MAX);
	types_everything_set_uint64_field(e, UINT64_MAX);
	types_everything_set_float32_field(e, -1.5f);
	types_everything_set_float64_field(e, 2.5e100);
	assert_int_equal(
	        types_everything_set_text_field(e, everything_text, strlen(everything_text)), 0);
	assert_int_equal(types_everything_set_data_field(e, "\0\1\376", 3), 0);
	assert_int_equal(types_everything_init_struct_field(e, &in), 0);
	types_inner_set_id(in, 99);
	assert_int_equal(types_inner_set_label(in, "inner", 5), 0);
	types_everything_set_enum_field(e, TYPES_COLOR_DARK_BLUE);

	assert_int_equal(types_everything_init_void_list(e, 3, &l), 0);
	assert_int_equal(types_everything_init_bool_list(e, 9, &l), 0);
	for (uint32_t i = 0; i < 9; i++)
		nx_capnp_blist_set_bool(&l, i, bools[i]);
	assert_int_equal(types_everything_init_int8_list(e, 2, &l), 0);
	nx_capnp_blist_set_u8(&l, 0, (uint8_t)-1);
	nx_capnp_blist_set_u8(&l, 1, 2);
	assert_int_equal(types_everything_init_int16_list(e, 2, &l), 0);
	nx_capnp_blist_set_u16(&l, 0, (uint16_t)-300);
	nx_capnp_blist_set_u16(&l, 1, 300);
	assert_int_equal(types_everything_init_int32_list(e, 2, &l), 0);
	nx_capnp_blist_set_u32(&l, 0, (uint32_t)-70000);
	nx_capnp_blist_set_u32(&l, 1, 70000);
	assert_int_equal(types_everything_init_int64_list(e, 2, &l), 0);
	nx_capnp_blist_set_u64(&l, 0, (uint64_t)INT64_C(-5000000000));
	nx_capnp_blist_set_u64(&l, 1, UINT64_C(5000000000));
	assert_int_equal(types_everything_init_uint8_list(e, 2, &l), 0);
	nx_capnp_blist_set_u8(&l, 0, 0);
	nx_capnp_blist_set_u8(&l, 1, 255);
	assert_int_equal(types_everything_init_uint16_list(e, 1, &l), 0);
	nx_capnp_blist_set_u16(&l, 0, 65535);
	assert_int_equal(types_everything_init_uint32_list(e, 2, &l), 0);
	nx_capnp_blist_set_u32(&l, 0, 1);
	nx_capnp_blist_set_u32(&l, 1, 4000000000u);
	assert_int_equal(types_everything_init_uint64_list(e, 1, &l), 0);
	nx_capnp_blist_set_u64(&l, 0, UINT64_C(18000000000000000000));
	assert_int_equal(types_everything_init_float32_list(e, 2, &l), 0);
	nx_capnp_blist_set_u32(&l, 0, f32_bits(0.25f));
	nx_capnp_blist_set_u32(&l, 1, f32_bits(-8.0f));
	assert_int_equal(types_everything_init_float64_list(e, 2, &l), 0);
	nx_capnp_blist_set_u64(&l, 0, f64_bits(3.5));
	nx_capnp_blist_set_u64(&l, 1, f64_bits(-0.125));
	assert_int_equal(types_everything_init_text_list(e, 3, &l), 0);
	set_text_elem(&l, 0, "one");
	set_text_elem(&l, 1, "");
	set_text_elem(&l, 2, "three");
	assert_int_equal(types_everything_init_data_list(e, 2, &l), 0);
	p = nx_capnp_blist_ptr(&l, 0);
	assert_int_equal(nx_capnp_bptr_set_data(&p, "\377", 1), 0);
	p = nx_capnp_blist_ptr(&l, 1);
	assert_int_equal(nx_capnp_bptr_set_data(&p, "\1\2", 2), 0);
	assert_int_equal(types_everything_init_struct_list(e, 3, &l), 0);
	types_inner_set_id(types_inner_b_at(&l, 0), 1);
	assert_int_equal(types_inner_set_label(types_inner_b_at(&l, 0), "a", 1), 0);
	types_inner_set_id(types_inner_b_at(&l, 1), 2);
	types_inner_set_id(types_inner_b_at(&l, 2), 3);
	assert_int_equal(types_inner_set_label(types_inner_b_at(&l, 2), "c", 1), 0);
	assert_int_equal(types_everything_init_enum_list(e, 3, &l), 0);
	nx_capnp_blist_set_u16(&l, 0, TYPES_COLOR_RED);
	nx_capnp_blist_set_u16(&l, 1, TYPES_COLOR_GREEN);
	nx_capnp_blist_set_u16(&l, 2, TYPES_COLOR_DARK_BLUE);
	assert_int_equal(types_everything_init_nested_list(e, 3, &l), 0);
	p = nx_capnp_blist_ptr(&l, 0);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 2, &sub), 0);
	nx_capnp_blist_set_u32(&sub, 0, 1);
	nx_capnp_blist_set_u32(&sub, 1, 2);
	p = nx_capnp_blist_ptr(&l, 1);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 0, &sub), 0);
	p = nx_capnp_blist_ptr(&l, 2);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 1, &sub), 0);
	nx_capnp_blist_set_u32(&sub, 0, (uint32_t)-3);
	assert_int_equal(b->error, 0);
}

static void check_everything(types_everything e)
{
	const char *t;
	const uint8_t *d;
	size_t n;
	nx_capnp_list l, sub;
	nx_capnp_ptr p;
	types_inner in;
	float f;
	double x;
	static const bool bools[9] = {true, false, true, true, false, false, false, false, true};

	assert_true(types_everything_get_bool_field(e));
	assert_int_equal(types_everything_get_int8_field(e), INT8_MIN);
	assert_int_equal(types_everything_get_int16_field(e), INT16_MIN);
	assert_int_equal(types_everything_get_int32_field(e), INT32_MIN);
	assert_true(types_everything_get_int64_field(e) == INT64_MIN);
	assert_int_equal(types_everything_get_uint8_field(e), UINT8_MAX);
	assert_int_equal(types_everything_get_uint16_field(e), UINT16_MAX);
	assert_int_equal(types_everything_get_uint32_field(e), UINT32_MAX);
	assert_true(types_everything_get_uint64_field(e) == UINT64_MAX);
	assert_true(types_everything_get_float32_field(e) == -1.5f);
	assert_true(types_everything_get_float64_field(e) == 2.5e100);
	expect_text(types_everything_get_text_field(e, &t, &n), &t, &n, everything_text);
	assert_int_equal(types_everything_get_data_field(e, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "\0\1\376", 3);
	assert_true(types_everything_has_struct_field(e));
	in = types_everything_get_struct_field(e);
	assert_int_equal(types_inner_get_id(in), 99);
	expect_text(types_inner_get_label(in, &t, &n), &t, &n, "inner");
	assert_int_equal(types_everything_get_enum_field(e), TYPES_COLOR_DARK_BLUE);
	assert_false(types_everything_has_any_field(e));
	p = types_everything_get_any_field(e);
	assert_true(nx_capnp_ptr_is_null(&p));

	assert_int_equal(types_everything_get_void_list(e, &l), 0);
	assert_int_equal(l.count, 3);
	assert_int_equal(types_everything_get_bool_list(e, &l), 0);
	assert_int_equal(l.count, 9);
	for (uint32_t i = 0; i < 9; i++)
		assert_int_equal(nx_capnp_list_get_bool(&l, i), bools[i]);
	assert_int_equal(types_everything_get_int8_list(e, &l), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal((int8_t)nx_capnp_list_get_u8(&l, 0), -1);
	assert_int_equal((int8_t)nx_capnp_list_get_u8(&l, 1), 2);
	assert_int_equal(types_everything_get_int16_list(e, &l), 0);
	assert_int_equal((int16_t)nx_capnp_list_get_u16(&l, 0), -300);
	assert_int_equal((int16_t)nx_capnp_list_get_u16(&l, 1), 300);
	assert_int_equal(types_everything_get_int32_list(e, &l), 0);
	assert_int_equal((int32_t)nx_capnp_list_get_u32(&l, 0), -70000);
	assert_int_equal((int32_t)nx_capnp_list_get_u32(&l, 1), 70000);
	assert_int_equal(types_everything_get_int64_list(e, &l), 0);
	assert_true((int64_t)nx_capnp_list_get_u64(&l, 0) == INT64_C(-5000000000));
	assert_true(nx_capnp_list_get_u64(&l, 1) == UINT64_C(5000000000));
	assert_int_equal(types_everything_get_uint8_list(e, &l), 0);
	assert_int_equal(nx_capnp_list_get_u8(&l, 1), 255);
	assert_int_equal(types_everything_get_uint16_list(e, &l), 0);
	assert_int_equal(l.count, 1);
	assert_int_equal(nx_capnp_list_get_u16(&l, 0), 65535);
	assert_int_equal(types_everything_get_uint32_list(e, &l), 0);
	assert_int_equal(nx_capnp_list_get_u32(&l, 1), 4000000000u);
	assert_int_equal(types_everything_get_uint64_list(e, &l), 0);
	assert_true(nx_capnp_list_get_u64(&l, 0) == UINT64_C(18000000000000000000));
	assert_int_equal(types_everything_get_float32_list(e, &l), 0);
	assert_int_equal(l.count, 2);
	{
		uint32_t b0 = nx_capnp_list_get_u32(&l, 0), b1 = nx_capnp_list_get_u32(&l, 1);

		memcpy(&f, &b0, sizeof(f));
		assert_true(f == 0.25f);
		memcpy(&f, &b1, sizeof(f));
		assert_true(f == -8.0f);
	}
	assert_int_equal(types_everything_get_float64_list(e, &l), 0);
	{
		uint64_t b0 = nx_capnp_list_get_u64(&l, 0), b1 = nx_capnp_list_get_u64(&l, 1);

		memcpy(&x, &b0, sizeof(x));
		assert_true(x == 3.5);
		memcpy(&x, &b1, sizeof(x));
		assert_true(x == -0.125);
	}
	assert_int_equal(types_everything_get_text_list(e, &l), 0);
	assert_int_equal(l.count, 3);
	{
		static const char *const want[3] = {"one", "", "three"};

		for (uint32_t i = 0; i < 3; i++) {
			p = nx_capnp_list_ptr(&l, i);
			expect_text(nx_capnp_ptr_read_text(&p, &t, &n), &t, &n, want[i]);
		}
	}
	assert_int_equal(types_everything_get_data_list(e, &l), 0);
	assert_int_equal(l.count, 2);
	p = nx_capnp_list_ptr(&l, 1);
	assert_int_equal(nx_capnp_ptr_read_data(&p, &d, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(d, "\1\2", 2);
	assert_int_equal(types_everything_get_struct_list(e, &l), 0);
	assert_int_equal(l.count, 3);
	assert_int_equal(types_inner_get_id(types_inner_at(&l, 0)), 1);
	expect_text(types_inner_get_label(types_inner_at(&l, 0), &t, &n), &t, &n, "a");
	assert_int_equal(types_inner_get_id(types_inner_at(&l, 1)), 2);
	assert_false(types_inner_has_label(types_inner_at(&l, 1)));
	expect_text(types_inner_get_label(types_inner_at(&l, 2), &t, &n), &t, &n, "c");
	assert_int_equal(types_everything_get_enum_list(e, &l), 0);
	assert_int_equal(nx_capnp_list_get_u16(&l, 2), TYPES_COLOR_DARK_BLUE);
	assert_int_equal(types_everything_get_nested_list(e, &l), 0);
	assert_int_equal(l.count, 3);
	p = nx_capnp_list_ptr(&l, 0);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &sub), 0);
	assert_int_equal(sub.count, 2);
	assert_int_equal(nx_capnp_list_get_u32(&sub, 1), 2);
	p = nx_capnp_list_ptr(&l, 1);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &sub), 0);
	assert_int_equal(sub.count, 0);
	p = nx_capnp_list_ptr(&l, 2);
	assert_int_equal(nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &sub), 0);
	assert_int_equal((int32_t)nx_capnp_list_get_u32(&sub, 0), -3);
	assert_int_equal(types_everything_validate(&e.s, NULL), 0);
	assert_int_equal(e.s.msg->error, 0);
}

static void test_everything_to_reference(void **state)
{
	int before = fdcheck_count();
	struct msg m;
	uint8_t *text;
	size_t len;

	(void)state;
	msg_init(&m);
	build_everything(&m.b);
	assert_true(m.b.nsegs > 1); /* the small first segment forced far pointers */
	msg_frame(&m);
	text = convert("binary:text", "Everything", m.frame, m.frame_len, &len);
	expect_text_file("everything.txt", text, len);
	free(text);
	msg_done(&m);
	fdcheck_assert(before);
}

static void test_everything_from_reference(void **state)
{
	int before = fdcheck_count();
	size_t in_len, len;
	uint8_t *in = read_file(data_path("everything.txt"), &in_len);
	uint8_t *bin = convert("text:binary", "Everything", in, in_len, &len);
	struct rmsg m;
	types_everything e;

	(void)state;
	rmsg_parse(&m, bin, len);
	assert_int_equal(types_everything_read_root(&m.rd, &e), 0);
	check_everything(e);
	free(bin);
	free(in);
	fdcheck_assert(before);
}

static void test_everything_own_round_trip(void **state)
{
	int before = fdcheck_count();
	struct msg m;
	struct rmsg r;
	types_everything e;

	(void)state;
	msg_init(&m);
	build_everything(&m.b);
	msg_frame(&m);
	rmsg_parse(&r, m.frame, m.frame_len);
	assert_int_equal(types_everything_read_root(&r.rd, &e), 0);
	check_everything(e);
	msg_done(&m);
	fdcheck_assert(before);
}

/* ---- types_defaults ----------------------------------------------------------------------------- */

static void test_defaults_read(void **state)
{
	int before = fdcheck_count();
	struct msg m;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	types_defaults_b db;
	types_defaults d;
	const char *t;
	const uint8_t *bytes;
	size_t n;
	nx_capnp_list l;
	nx_capnp_ptr p;
	types_inner in;

	(void)state;
	msg_init(&m);
	assert_int_equal(types_defaults_init_root(&m.b, &db), 0);
	nx_capnp_builder_as_reader(&m.b, segs, &rd);
	assert_int_equal(types_defaults_read_root(&rd, &d), 0);
	/* Every value below is the schema's default (golden/types.capnp, struct types_defaults). */
	assert_true(types_defaults_get_bool_field(d));
	assert_int_equal(types_defaults_get_int8_field(d), -123);
	assert_int_equal(types_defaults_get_int16_field(d), -12345);
	assert_int_equal(types_defaults_get_int32_field(d), -12345678);
	assert_true(types_defaults_get_int64_field(d) == INT64_C(-123456789012345));
	assert_int_equal(types_defaults_get_uint8_field(d), 234);
	assert_int_equal(types_defaults_get_uint16_field(d), 45678);
	assert_int_equal(types_defaults_get_uint32_field(d), 3456789012u);
	assert_true(types_defaults_get_uint64_field(d) == UINT64_C(12345678901234567890));
	assert_true(types_defaults_get_float32_field(d) == 1234.5f);
	assert_true(types_defaults_get_float64_field(d) == -1.25e-10);
	expect_text(types_defaults_get_text_field(d, &t, &n), &t, &n, "foo\"bar\n");
	assert_int_equal(types_defaults_get_data_field(d, &bytes, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(bytes, "\0\1\377", 3);
	in = types_defaults_get_struct_field(d);
	assert_int_equal(types_inner_get_id(in), 7);
	expect_text(types_inner_get_label(in, &t, &n), &t, &n, "seven");
	assert_int_equal(types_defaults_get_enum_field(d), TYPES_COLOR_DARK_BLUE);
	assert_int_equal(types_defaults_get_int32_list(d, &l), 0);
	assert_int_equal(l.count, 3);
	assert_int_equal((int32_t)nx_capnp_list_get_u32(&l, 1), -2);
	assert_int_equal(types_defaults_get_text_list(d, &l), 0);
	assert_int_equal(l.count, 2);
	p = nx_capnp_list_ptr(&l, 1);
	expect_text(nx_capnp_ptr_read_text(&p, &t, &n), &t, &n, "bc");
	assert_int_equal(types_defaults_get_struct_list(d, &l), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(types_inner_get_id(types_inner_at(&l, 1)), 2);
	expect_text(types_inner_get_label(types_inner_at(&l, 1), &t, &n), &t, &n, "two");
	assert_int_equal(types_defaults_validate(&d.s, NULL), 0);

	/* Setting a field to its default stores zero bits (XOR encoding) and reads it back. */
	types_defaults_set_int32_field(db, -12345678);
	/* int32Field sits at bits [32, 64) (`capnp compile -ocapnp`): u32 offset 1. */
	assert_int_equal(nx_capnp_struct_get_u32(&d.s, 1, 0), 0);
	types_defaults_set_int32_field(db, 5);
	assert_int_equal(types_defaults_get_int32_field(d), 5);
	msg_done(&m);
	fdcheck_assert(before);
}

static void test_defaults_to_reference(void **state)
{
	int before = fdcheck_count();
	struct msg m;
	types_defaults_b d;
	types_inner_b in;
	nx_capnp_blist l;
	uint8_t *text;
	size_t len;

	(void)state;
	msg_init(&m);
	assert_int_equal(types_defaults_init_root(&m.b, &d), 0);
	/* The values of data/defaults.in.txt, most of them away from the schema defaults. */
	types_defaults_set_bool_field(d, false);
	types_defaults_set_int8_field(d, 5);
	types_defaults_set_int16_field(d, 0);
	types_defaults_set_int32_field(d, 7);
	types_defaults_set_int64_field(d, -1);
	types_defaults_set_uint8_field(d, 0);
	types_defaults_set_uint16_field(d, 1);
	types_defaults_set_uint32_field(d, 2);
	types_defaults_set_uint64_field(d, 3);
	types_defaults_set_float32_field(d, 0.0f);
	types_defaults_set_float64_field(d, 1.5);
	assert_int_equal(types_defaults_set_text_field(d, "", 0), 0);
	assert_int_equal(types_defaults_set_data_field(d, "\252", 1), 0);
	assert_int_equal(types_defaults_init_struct_field(d, &in), 0);
	types_inner_set_id(in, 8);
	types_defaults_set_enum_field(d, TYPES_COLOR_RED);
	assert_int_equal(types_defaults_init_int32_list(d, 0, &l), 0);
	assert_int_equal(types_defaults_init_text_list(d, 1, &l), 0);
	set_text_elem(&l, 0, "z");
	assert_int_equal(types_defaults_init_struct_list(d, 0, &l), 0);
	msg_frame(&m);
	text = convert("binary:text", "Defaults", m.frame, m.frame_len, &len);
	expect_text_file("defaults.txt", text, len);
	free(text);
	msg_done(&m);
	fdcheck_assert(before);
}

static void test_defaults_from_reference(void **state)
{
	int before = fdcheck_count();
	size_t in_len, len, n;
	uint8_t *in = read_file(data_path("defaults.txt"), &in_len);
	uint8_t *bin = convert("text:binary", "Defaults", in, in_len, &len);
	struct rmsg m;
	types_defaults d;
	const char *t;
	const uint8_t *bytes;
	nx_capnp_list l;

	(void)state;
	rmsg_parse(&m, bin, len);
	assert_int_equal(types_defaults_read_root(&m.rd, &d), 0);
	assert_false(types_defaults_get_bool_field(d));
	assert_int_equal(types_defaults_get_int8_field(d), 5);
	assert_int_equal(types_defaults_get_int16_field(d), 0);
	assert_int_equal(types_defaults_get_int32_field(d), 7);
	assert_true(types_defaults_get_int64_field(d) == -1);
	assert_int_equal(types_defaults_get_uint8_field(d), 0);
	assert_int_equal(types_defaults_get_uint16_field(d), 1);
	assert_int_equal(types_defaults_get_uint32_field(d), 2);
	assert_true(types_defaults_get_uint64_field(d) == 3);
	assert_true(types_defaults_get_float32_field(d) == 0.0f);
	assert_true(types_defaults_get_float64_field(d) == 1.5);
	/* Present but empty is not absent: no default. */
	expect_text(types_defaults_get_text_field(d, &t, &n), &t, &n, "");
	assert_int_equal(types_defaults_get_data_field(d, &bytes, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(bytes[0], 0xaa);
	assert_int_equal(types_inner_get_id(types_defaults_get_struct_field(d)), 8);
	assert_false(types_inner_has_label(types_defaults_get_struct_field(d)));
	assert_int_equal(types_defaults_get_enum_field(d), TYPES_COLOR_RED);
	assert_int_equal(types_defaults_get_int32_list(d, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(types_defaults_get_text_list(d, &l), 0);
	assert_int_equal(l.count, 1);
	assert_int_equal(types_defaults_get_struct_list(d, &l), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(types_defaults_validate(&d.s, NULL), 0);
	free(bin);
	free(in);
	fdcheck_assert(before);
}

/* ---- Unions and groups -------------------------------------------------------------------- */

static void test_shape_to_reference(void **state)
{
	int before = fdcheck_count();
	struct msg m;
	types_shape_b s;
	types_shape_square_b sq;
	types_shape_style_b st;
	uint8_t *text;
	size_t len;

	(void)state;
	msg_init(&m);
	assert_int_equal(types_shape_init_root(&m.b, &s), 0);
	assert_int_equal(types_shape_set_name(s, "sq", 2), 0);
	types_shape_set_circle(s, 9.0); /* replaced below: the union keeps the last member set */
	sq = types_shape_build_square(s);
	types_shape_square_set_side(sq, 2.5);
	assert_int_equal(types_shape_square_set_label(sq, "big", 3), 0);
	st = types_shape_build_style(s);
	types_shape_style_set_color(st, TYPES_COLOR_GREEN);
	types_shape_style_set_dashed(st, 3);
	msg_frame(&m);
	text = convert("binary:text", "Shape", m.frame, m.frame_len, &len);
	expect_text_file("shape.txt", text, len);
	free(text);
	msg_done(&m);
	fdcheck_assert(before);
}

static void test_shape_from_reference(void **state)
{
	int before = fdcheck_count();
	size_t in_len, len, n;
	uint8_t *in = read_file(data_path("shape.txt"), &in_len);
	uint8_t *bin = convert("text:binary", "Shape", in, in_len, &len);
	struct rmsg m;
	types_shape s;
	types_shape_square sq;
	types_shape_style st;
	const char *t;

	(void)state;
	rmsg_parse(&m, bin, len);
	assert_int_equal(types_shape_read_root(&m.rd, &s), 0);
	expect_text(types_shape_get_name(s, &t, &n), &t, &n, "sq");
	assert_int_equal(types_shape_which(s), TYPES_SHAPE_WHICH_SQUARE);
	sq = types_shape_get_square(s);
	assert_true(types_shape_square_get_side(sq) == 2.5);
	expect_text(types_shape_square_get_label(sq, &t, &n), &t, &n, "big");
	st = types_shape_get_style(s);
	assert_int_equal(types_shape_style_get_color(st), TYPES_COLOR_GREEN);
	assert_int_equal(types_shape_style_which(st), TYPES_SHAPE_STYLE_WHICH_DASHED);
	assert_int_equal(types_shape_style_get_dashed(st), 3);
	assert_int_equal(types_shape_validate(&s.s, NULL), 0);
	free(bin);
	free(in);
	fdcheck_assert(before);
}

static void test_shape_points(void **state)
{
	int before = fdcheck_count();
	struct msg m;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	types_shape_b s;
	types_shape r;
	nx_capnp_blist bl;
	nx_capnp_list l;

	(void)state;
	msg_init(&m);
	assert_int_equal(types_shape_init_root(&m.b, &s), 0);
	assert_int_equal(types_shape_init_points(s, 2, &bl), 0);
	types_shape_point_set_x(types_shape_point_b_at(&bl, 0), -4);
	types_shape_point_set_y(types_shape_point_b_at(&bl, 1), 6);
	types_shape_style_set_solid(types_shape_build_style(s));
	nx_capnp_builder_as_reader(&m.b, segs, &rd);
	assert_int_equal(types_shape_read_root(&rd, &r), 0);
	assert_int_equal(types_shape_which(r), TYPES_SHAPE_WHICH_POINTS);
	assert_int_equal(
	        types_shape_style_which(types_shape_get_style(r)), TYPES_SHAPE_STYLE_WHICH_SOLID);
	assert_int_equal(types_shape_get_points(r, &l), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(types_shape_point_get_x(types_shape_point_at(&l, 0)), -4);
	assert_int_equal(types_shape_point_get_y(types_shape_point_at(&l, 1)), 6);
	types_shape_set_empty(s);
	assert_int_equal(types_shape_which(r), TYPES_SHAPE_WHICH_EMPTY);
	msg_done(&m);
	fdcheck_assert(before);
}

/* ---- Constants ---------------------------------------------------------------------------- */

static void test_constants(void **state)
{
	int before = fdcheck_count();
	types_shape_point o;
	nx_capnp_list l;

	(void)state;
	assert_int_equal(TYPES_ANSWER, 42);
	assert_true(TYPES_MIN_INT == INT64_MIN);
	assert_int_equal(TYPES_GREETING_LEN, 5);
	assert_string_equal(TYPES_GREETING, "hello");
	assert_int_equal(TYPES_BLOB_LEN, 4);
	assert_memory_equal(TYPES_BLOB, "\xde\xad\xbe\xef", 4);
	assert_true(TYPES_PI == 3.14159);
	assert_true(TYPES_RATIO == 0.5f);
	assert_true(TYPES_FLAG);
	assert_int_equal(TYPES_FAVORITE, TYPES_COLOR_GREEN);
	assert_true(TYPES_BIG_U == UINT64_MAX);
	assert_true(TYPES_SHAPE_UNIT == 1.0);
	assert_int_equal(types_origin_get(&o), 0);
	assert_int_equal(types_shape_point_get_x(o), 1);
	assert_int_equal(types_shape_point_get_y(o), -1);
	assert_int_equal(types_primes_get(&l), 0);
	assert_int_equal(l.count, 4);
	assert_int_equal(nx_capnp_list_get_u16(&l, 3), 7);
	assert_true(types_color_is_valid(TYPES_COLOR_DARK_BLUE));
	assert_false(types_color_is_valid(TYPES_COLOR_COUNT));
	assert_string_equal(types_color_name(TYPES_COLOR_DARK_BLUE), "darkBlue");
	assert_null(types_color_name(9));
	fdcheck_assert(before);
}

/* ---- Validators --------------------------------------------------------------------------- */

enum limited_bad {
	OK,
	NAME_TOO_LONG,
	NAME_EMPTY,
	NAME_MISSING,
	NAME_INNER_NUL,
	BLOB_TOO_LONG,
	TAGS_TOO_MANY,
	TAG_TOO_LONG,
	TAG_INNER_NUL,
	INNERS_TOO_MANY,
	INNER_LABEL_TOO_LONG,
	LEVEL_UNKNOWN,
	COLOR_UNKNOWN,
	COLORS_UNKNOWN_OPEN,
	LEVELS_UNKNOWN,
	MATRIX_TOO_LONG,
	AT_LIMITS,
};

static int validate_limited(enum limited_bad bad, char *why, size_t why_cap)
{
	struct nx_capnp_invalid invalid;
	struct msg m;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	types_limited_b b;
	types_limited r;
	nx_capnp_blist l, row;
	nx_capnp_bptr p;
	uint32_t ntags = bad == TAGS_TOO_MANY ? 4 : 3;
	uint32_t ninners = bad == INNERS_TOO_MANY ? 3 : 2;
	int ret;

	msg_init(&m);
	assert_int_equal(types_limited_init_root(&m.b, &b), 0);
	switch (bad) {
	case NAME_TOO_LONG:
		assert_int_equal(types_limited_set_name(b, "123456789", 9), 0);
		break;
	case NAME_EMPTY:
		assert_int_equal(types_limited_set_name(b, "", 0), 0);
		break;
	case NAME_MISSING:
		break;
	case NAME_INNER_NUL:
		assert_int_equal(types_limited_set_name(b, "a\0b", 3), 0);
		break;
	case AT_LIMITS:
		assert_int_equal(types_limited_set_name(b, "12345678", 8), 0);
		break;
	default:
		assert_int_equal(types_limited_set_name(b, "ok", 2), 0);
		break;
	}
	assert_int_equal(types_limited_set_blob(b, "12345", bad == BLOB_TOO_LONG ? 5 : 4), 0);
	assert_int_equal(types_limited_init_tags(b, ntags, &l), 0);
	for (uint32_t i = 0; i < ntags; i++) {
		p = nx_capnp_blist_ptr(&l, i);
		if (i == 1 && bad == TAG_TOO_LONG)
			assert_int_equal(nx_capnp_bptr_set_text(&p, "123456", 6), 0);
		else if (i == 1 && bad == TAG_INNER_NUL)
			assert_int_equal(nx_capnp_bptr_set_text(&p, "a\0", 2), 0);
		else
			assert_int_equal(nx_capnp_bptr_set_text(&p, "12345", 5), 0);
	}
	assert_int_equal(types_limited_init_inners(b, ninners, &l), 0);
	assert_int_equal(types_inner_set_label(types_inner_b_at(&l, ninners - 1),
	                         "0123456789abcdefg", bad == INNER_LABEL_TOO_LONG ? 17 : 16),
	        0);
	types_limited_set_level(b, bad == LEVEL_UNKNOWN ? 2 : TYPES_LEVEL_HIGH);
	types_limited_set_color(b, bad == COLOR_UNKNOWN ? 5 : TYPES_COLOR_GREEN);
	assert_int_equal(types_limited_init_colors(b, 1, &l), 0);
	nx_capnp_blist_set_u16(&l, 0, bad == COLORS_UNKNOWN_OPEN ? 7 : TYPES_COLOR_RED);
	assert_int_equal(types_limited_init_levels(b, 2, &l), 0);
	nx_capnp_blist_set_u16(&l, 1, bad == LEVELS_UNKNOWN ? 9 : TYPES_LEVEL_LOW);
	assert_int_equal(types_limited_init_matrix(b, 2, &l), 0);
	p = nx_capnp_blist_ptr(&l, 1);
	assert_int_equal(nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_POINTER, 1, &row), 0);
	p = nx_capnp_blist_ptr(&row, 0);
	assert_int_equal(nx_capnp_bptr_set_text(&p, "abcd", bad == MATRIX_TOO_LONG ? 4 : 3), 0);
	assert_int_equal(m.b.error, 0);

	nx_capnp_builder_as_reader(&m.b, segs, &rd);
	assert_int_equal(types_limited_read_root(&rd, &r), 0);
	ret = types_limited_validate(&r.s, &invalid);
	why[0] = '\0';
	if (ret < 0)
		(void)nx_capnp_invalid_describe(&invalid, why, why_cap);
	msg_done(&m);
	return ret;
}

static void test_validators(void **state)
{
	static const struct {
		enum limited_bad bad;
		int want;
		const char *why; /* the path and rule the descriptor walk names */
	} cases[] = {
	        {OK, 0, ""},
	        {AT_LIMITS, 0, ""},
	        {NAME_TOO_LONG, -EMSGSIZE, "name: longer than 8 bytes"},
	        {NAME_EMPTY, -EINVAL, "name: empty"},
	        {NAME_MISSING, -EINVAL, "name: empty"},
	        {NAME_INNER_NUL, -EINVAL, "name: contains NUL"},
	        {BLOB_TOO_LONG, -EMSGSIZE, "blob: longer than 4 bytes"},
	        {TAGS_TOO_MANY, -EMSGSIZE, "tags: more than 3 elements"},
	        {TAG_TOO_LONG, -EMSGSIZE, "tags[1]: longer than 5 bytes"},
	        {TAG_INNER_NUL, -EINVAL, "tags[1]: contains NUL"},
	        {INNERS_TOO_MANY, -EMSGSIZE, "inners: more than 2 elements"},
	        {INNER_LABEL_TOO_LONG, -EMSGSIZE, "inners[1].label: longer than 16 bytes"},
	        {LEVEL_UNKNOWN, -EINVAL, "level: unknown enumerant"},
	        {COLOR_UNKNOWN, -EINVAL, "color: unknown enumerant"},
	        /* Color is open (no $closed): unknown values are legal capnp evolution. */
	        {COLORS_UNKNOWN_OPEN, 0, ""},
	        {LEVELS_UNKNOWN, -EINVAL, "levels[1]: unknown enumerant"},
	        {MATRIX_TOO_LONG, -EMSGSIZE, "matrix[1][0]: longer than 3 bytes"},
	};
	int before = fdcheck_count();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[NX_CAPNP_PATH_MAX + 64];
		int got = validate_limited(cases[i].bad, why, sizeof(why));

		if (got != cases[i].want || strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: validate returned %d \"%s\", want %d \"%s\"", i, got,
			        why, cases[i].want, cases[i].why);
	}
	fdcheck_assert(before);
}

/* A malformed pointer (past its segment) fails validation through the reader's error. */
static void test_validator_malformed(void **state)
{
	int before = fdcheck_count();
	/* root -> types_inner (1 data word, 1 pointer); the label pointer claims 5 bytes 1000 words
	 * away, far past the 4-word segment. */
	uint64_t words[4] = {
	        UINT64_C(0x0001000100000000),
	        42,
	        ((uint64_t)(2 | (5u << 3)) << 32) | (1000u << 2) | 1u,
	        0,
	};
	struct nx_capnp_seg seg = {words, 4};
	nx_capnp_reader rd;
	types_inner in;
	struct nx_capnp_invalid why;
	const char *t;
	size_t n;

	(void)state;
	nx_capnp_reader_init(&rd, &seg, 1);
	assert_int_equal(types_inner_read_root(&rd, &in), 0);
	assert_int_equal(types_inner_get_id(in), 42);
	assert_int_equal(types_inner_validate(&in.s, &why), -EBADMSG);
	assert_int_equal(why.rule, NX_CAPNP_RULE_MALFORMED);
	assert_string_equal(why.path, "label");
	/* Accessors stay total: the label reads as empty, the error stays sticky. */
	assert_true(types_inner_get_label(in, &t, &n) < 0);
	assert_int_equal(n, 0);
	assert_int_equal(types_inner_validate(&in.s, NULL), -EBADMSG);
	fdcheck_assert(before);
}

/* A chain deeper than NX_CAPNP_NESTING_LIMIT: recursion in the validator stops at the
 * reader's nesting limit and reports it as a size limit. */
static int validate_chain(int depth)
{
	struct msg m;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	nx_capnp_reader rd;
	types_tree_b b;
	types_tree r;
	nx_capnp_blist l;
	int ret;

	msg_init(&m);
	assert_int_equal(types_tree_init_root(&m.b, &b), 0);
	for (int i = 0; i < depth; i++) {
		types_tree_set_value(b, i);
		assert_int_equal(types_tree_init_children(b, 1, &l), 0);
		b = types_tree_b_at(&l, 0);
	}
	assert_int_equal(m.b.error, 0);
	nx_capnp_builder_as_reader(&m.b, segs, &rd);
	assert_int_equal(types_tree_read_root(&rd, &r), 0);
	ret = types_tree_validate(&r.s, NULL);
	msg_done(&m);
	return ret;
}

static void test_validator_recursion(void **state)
{
	int before = fdcheck_count();

	(void)state;
	assert_int_equal(validate_chain(10), 0);
	assert_int_equal(validate_chain(NX_CAPNP_NESTING_LIMIT + 8), -EMSGSIZE);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_everything_to_reference),
	        cmocka_unit_test(test_everything_from_reference),
	        cmocka_unit_test(test_everything_own_round_trip),
	        cmocka_unit_test(test_defaults_read),
	        cmocka_unit_test(test_defaults_to_reference),
	        cmocka_unit_test(test_defaults_from_reference),
	        cmocka_unit_test(test_shape_to_reference),
	        cmocka_unit_test(test_shape_from_reference),
	        cmocka_unit_test(test_shape_points),
	        cmocka_unit_test(test_constants),
	        cmocka_unit_test(test_validators),
	        cmocka_unit_test(test_validator_malformed),
	        cmocka_unit_test(test_validator_recursion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
