/* SPDX-License-Identifier: MIT */
/* The C interop peers' shared pieces: see interop-c.h. */
#include "interop-c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nx-abi/vmo.h"

/* "text: UTF-8 é, no NUL": é spelled as its two UTF-8 bytes so the source stays ASCII. */
static const char sample_text[] = "text: UTF-8 \xc3\xa9, no NUL";
static const uint8_t sample_data[] = {0x00, 0x01, 0x02, 0xfe, 0xff};
static const bool sample_bools[] = {true, false, true, true, false, false, false, false, true};
static const int8_t sample_i8[] = {-1, 2, -128, 127};
static const int16_t sample_i16[] = {-1, 2, -32768, 32767};
static const int32_t sample_i32[] = {-1, 2, INT32_MIN, INT32_MAX};
static const int64_t sample_i64[] = {-1, 2, INT64_MIN, INT64_MAX};
static const uint8_t sample_u8[] = {0, 1, 255};
static const uint16_t sample_u16[] = {0, 1, 65535};
static const uint32_t sample_u32[] = {0, 1, UINT32_MAX};
static const uint64_t sample_u64[] = {0, 1, UINT64_MAX};
static const float sample_f32[] = {0.0f, -1.5f, 3.25e10f};
static const double sample_f64[] = {0.0, -1.5, 6.02214076e23};
static const char *const sample_texts[] = {"one", "", "three"};
static const uint8_t sample_data1[] = {0x01}, sample_data3[] = {0x02, 0x03};
static const interop_color sample_enums[] = {
        INTEROP_COLOR_BLUE, INTEROP_COLOR_RED, INTEROP_COLOR_GREEN};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t f32_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static uint64_t f64_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static int build_inner(interop_inner_b in, uint32_t id, const char *name, bool leaf,
        uint32_t leaf_id, const char *label)
{
	interop_leaf_b l;
	int r = 0;

	interop_inner_set_id(in, id);
	if (name)
		r = interop_inner_set_name(in, name, strlen(name));
	if (r >= 0 && leaf) {
		r = interop_inner_init_leaf(in, &l);
		if (r >= 0) {
			interop_leaf_set_id(l, leaf_id);
			r = interop_leaf_set_label(l, label, strlen(label));
		}
	}
	return r;
}

static int build_lists(interop_all_types_b v, enum interop_shape shape)
{
	nx_capnp_blist l, sub;
	nx_capnp_bptr p;
	uint32_t i, nbools = shape == INTEROP_SHAPE_WIDE ? 131 : N(sample_bools);
	uint32_t nstructs = shape == INTEROP_SHAPE_WIDE ? 40 : 3;
	int r;

	r = interop_all_types_init_void_list(v, 3, &l);
	if (r >= 0)
		r = interop_all_types_init_bool_list(v, nbools, &l);
	for (i = 0; r >= 0 && i < nbools; i++)
		nx_capnp_blist_set_bool(
		        &l, i, shape == INTEROP_SHAPE_WIDE ? (i % 3) == 0 : sample_bools[i]);
	if (r >= 0)
		r = interop_all_types_init_int8_list(v, N(sample_i8), &l);
	for (i = 0; r >= 0 && i < N(sample_i8); i++)
		nx_capnp_blist_set_u8(&l, i, (uint8_t)sample_i8[i]);
	if (r >= 0)
		r = interop_all_types_init_int16_list(v, N(sample_i16), &l);
	for (i = 0; r >= 0 && i < N(sample_i16); i++)
		nx_capnp_blist_set_u16(&l, i, (uint16_t)sample_i16[i]);
	if (r >= 0)
		r = interop_all_types_init_int32_list(v, N(sample_i32), &l);
	for (i = 0; r >= 0 && i < N(sample_i32); i++)
		nx_capnp_blist_set_u32(&l, i, (uint32_t)sample_i32[i]);
	if (r >= 0)
		r = interop_all_types_init_int64_list(v, N(sample_i64), &l);
	for (i = 0; r >= 0 && i < N(sample_i64); i++)
		nx_capnp_blist_set_u64(&l, i, (uint64_t)sample_i64[i]);
	if (r >= 0)
		r = interop_all_types_init_uint8_list(v, N(sample_u8), &l);
	for (i = 0; r >= 0 && i < N(sample_u8); i++)
		nx_capnp_blist_set_u8(&l, i, sample_u8[i]);
	if (r >= 0)
		r = interop_all_types_init_uint16_list(v, N(sample_u16), &l);
	for (i = 0; r >= 0 && i < N(sample_u16); i++)
		nx_capnp_blist_set_u16(&l, i, sample_u16[i]);
	if (r >= 0)
		r = interop_all_types_init_uint32_list(v, N(sample_u32), &l);
	for (i = 0; r >= 0 && i < N(sample_u32); i++)
		nx_capnp_blist_set_u32(&l, i, sample_u32[i]);
	if (r >= 0)
		r = interop_all_types_init_uint64_list(v, N(sample_u64), &l);
	for (i = 0; r >= 0 && i < N(sample_u64); i++)
		nx_capnp_blist_set_u64(&l, i, sample_u64[i]);
	if (r >= 0)
		r = interop_all_types_init_float32_list(v, N(sample_f32), &l);
	for (i = 0; r >= 0 && i < N(sample_f32); i++)
		nx_capnp_blist_set_u32(&l, i, f32_bits(sample_f32[i]));
	if (r >= 0)
		r = interop_all_types_init_float64_list(v, N(sample_f64), &l);
	for (i = 0; r >= 0 && i < N(sample_f64); i++)
		nx_capnp_blist_set_u64(&l, i, f64_bits(sample_f64[i]));
	if (r >= 0)
		r = interop_all_types_init_text_list(v, N(sample_texts), &l);
	for (i = 0; r >= 0 && i < N(sample_texts); i++) {
		p = nx_capnp_blist_ptr(&l, i);
		r = nx_capnp_bptr_set_text(&p, sample_texts[i], strlen(sample_texts[i]));
	}
	if (r >= 0)
		r = interop_all_types_init_data_list(v, 3, &l);
	if (r >= 0) {
		p = nx_capnp_blist_ptr(&l, 0);
		r = nx_capnp_bptr_set_data(&p, sample_data1, sizeof(sample_data1));
	}
	if (r >= 0) {
		/* Empty, not null: the constant says "". */
		p = nx_capnp_blist_ptr(&l, 1);
		r = nx_capnp_bptr_set_data(&p, "", 0);
	}
	if (r >= 0) {
		p = nx_capnp_blist_ptr(&l, 2);
		r = nx_capnp_bptr_set_data(&p, sample_data3, sizeof(sample_data3));
	}
	if (r >= 0)
		r = interop_all_types_init_struct_list(v, nstructs, &l);
	if (r >= 0 && shape == INTEROP_SHAPE_WIDE) {
		for (i = 0; r >= 0 && i < nstructs; i++) {
			char name[16];
			int n = snprintf(name, sizeof(name), "n%u", (unsigned)i);

			interop_inner_set_id(interop_inner_b_at(&l, i), i);
			r = interop_inner_set_name(interop_inner_b_at(&l, i), name, (size_t)n);
		}
	} else if (r >= 0) {
		r = build_inner(interop_inner_b_at(&l, 0), 1, "a", false, 0, NULL);
		if (r >= 0)
			r = build_inner(interop_inner_b_at(&l, 1), 2, NULL, true, 3, "b");
		if (r >= 0)
			interop_inner_set_weight(interop_inner_b_at(&l, 2), -2.0);
	}
	if (r >= 0)
		r = interop_all_types_init_enum_list(v, N(sample_enums), &l);
	for (i = 0; r >= 0 && i < N(sample_enums); i++)
		nx_capnp_blist_set_u16(&l, i, sample_enums[i]);
	if (r >= 0)
		r = interop_all_types_init_list_list(v, 3, &l);
	if (r >= 0) {
		p = nx_capnp_blist_ptr(&l, 0);
		r = nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 2, &sub);
		if (r >= 0) {
			nx_capnp_blist_set_u32(&sub, 0, 1);
			nx_capnp_blist_set_u32(&sub, 1, 2);
		}
	}
	if (r >= 0) {
		p = nx_capnp_blist_ptr(&l, 1);
		r = nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 0, &sub);
	}
	if (r >= 0) {
		p = nx_capnp_blist_ptr(&l, 2);
		r = nx_capnp_bptr_init_list(&p, NX_CAPNP_ELEM_4BYTES, 1, &sub);
		if (r >= 0)
			nx_capnp_blist_set_u32(&sub, 0, 3);
	}
	return r;
}

int interop_sample_value_build(interop_all_types_b v, enum interop_shape shape)
{
	interop_all_types_choice_b choice = interop_all_types_build_choice(v);
	interop_all_types_point_b point = interop_all_types_build_point(v);
	interop_inner_b inner;
	int r;

	interop_all_types_set_bool_field(v, true);
	interop_all_types_set_int8_field(v, -123);
	interop_all_types_set_int16_field(v, -12345);
	interop_all_types_set_int32_field(v, -1234567890);
	interop_all_types_set_int64_field(v, -1234567890123456789ll);
	interop_all_types_set_uint8_field(v, 234);
	interop_all_types_set_uint16_field(v, 45678);
	interop_all_types_set_uint32_field(v, 3456789012u);
	interop_all_types_set_uint64_field(v, 12345678901234567890ull);
	interop_all_types_set_float32_field(v, 1234.5f);
	interop_all_types_set_float64_field(v, -1.25e-10);
	r = interop_all_types_set_text_field(v, sample_text, strlen(sample_text));
	if (r >= 0)
		r = interop_all_types_set_data_field(v, sample_data, sizeof(sample_data));
	if (r >= 0)
		r = interop_all_types_init_struct_field(v, &inner);
	if (r >= 0)
		r = build_inner(inner, 7, "inner", true, 8, "leaf");
	if (r >= 0)
		interop_inner_set_weight(inner, 0.0); /* zero against a default of 1.5 */
	interop_all_types_set_enum_field(v, INTEROP_COLOR_GREEN);
	if (r >= 0)
		r = build_lists(v, shape);

	interop_all_types_set_default_bool(v, false);
	interop_all_types_set_default_int32(v, 0);
	interop_all_types_set_default_uint64(v, 1);
	interop_all_types_set_default_float32(v, 0.0f);
	interop_all_types_set_default_enum(v, INTEROP_COLOR_RED);
	if (r >= 0)
		r = interop_all_types_set_default_text(v, "set", 3);

	if (r >= 0 && shape == INTEROP_SHAPE_WIDE) {
		r = interop_all_types_choice_init_inner(choice, &inner);
		if (r >= 0)
			r = interop_inner_set_name(inner, "in union", 8);
	} else if (r >= 0) {
		r = interop_all_types_choice_set_word(choice, "union text", 10);
	}
	interop_all_types_point_set_x(point, 0);
	interop_all_types_point_set_y(point, 11);
	if (r >= 0)
		r = interop_all_types_point_set_name(point, "pt", 2);
	return r;
}

/* ---- Field-by-field check ---- */

static int mismatch(char *why, size_t why_len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int mismatch(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -1;
}

#define EXPECT(cond, ...)                                           \
	do {                                                        \
		if (!(cond))                                        \
			return mismatch(why, why_len, __VA_ARGS__); \
	} while (0)

static bool text_is(int r, const char *got, size_t got_len, const char *want)
{
	return r == 0 && got_len == strlen(want) && memcmp(got, want, got_len) == 0;
}

static bool data_is(int r, const uint8_t *got, size_t got_len, const uint8_t *want, size_t len)
{
	return r == 0 && got_len == len && (len == 0 || memcmp(got, want, len) == 0);
}

static int check_inner(interop_inner in, uint32_t id, const char *name, bool leaf, uint32_t leaf_id,
        const char *label, double weight, const char *what, char *why, size_t why_len)
{
	const char *t;
	size_t n;
	int r;

	EXPECT(interop_inner_get_id(in) == id, "%s.id is %u", what, interop_inner_get_id(in));
	r = interop_inner_get_name(in, &t, &n);
	if (name)
		EXPECT(text_is(r, t, n, name), "%s.name differs", what);
	else
		EXPECT(!interop_inner_has_name(in), "%s.name is set", what);
	EXPECT(interop_inner_has_leaf(in) == leaf, "%s.leaf presence differs", what);
	if (leaf) {
		interop_leaf l = interop_inner_get_leaf(in);

		EXPECT(interop_leaf_get_id(l) == leaf_id, "%s.leaf.id is %u", what,
		        interop_leaf_get_id(l));
		r = interop_leaf_get_label(l, &t, &n);
		EXPECT(text_is(r, t, n, label), "%s.leaf.label differs", what);
	}
	EXPECT(interop_inner_get_weight(in) == weight, "%s.weight is %g", what,
	        interop_inner_get_weight(in));
	return 0;
}

static int check_lists(interop_all_types v, char *why, size_t why_len)
{
	nx_capnp_list l, sub;
	nx_capnp_ptr p;
	const char *t;
	const uint8_t *d;
	size_t n;
	uint32_t i;
	int r;

	r = interop_all_types_get_void_list(v, &l);
	EXPECT(r == 0 && l.count == 3, "voidList has %u elements", l.count);
#define CHECK_PRIM(getter, arr, get, type, name)                                       \
	r = getter(v, &l);                                                             \
	EXPECT(r == 0 && l.count == N(arr), name " has %u elements (%d)", l.count, r); \
	for (i = 0; i < N(arr); i++)                                                   \
		EXPECT((type)get(&l, i) == arr[i], name "[%u] differs", i);
	CHECK_PRIM(interop_all_types_get_bool_list, sample_bools, nx_capnp_list_get_bool, bool,
	        "boolList")
	CHECK_PRIM(interop_all_types_get_int8_list, sample_i8, nx_capnp_list_get_u8, int8_t,
	        "int8List")
	CHECK_PRIM(interop_all_types_get_int16_list, sample_i16, nx_capnp_list_get_u16, int16_t,
	        "int16List")
	CHECK_PRIM(interop_all_types_get_int32_list, sample_i32, nx_capnp_list_get_u32, int32_t,
	        "int32List")
	CHECK_PRIM(interop_all_types_get_int64_list, sample_i64, nx_capnp_list_get_u64, int64_t,
	        "int64List")
	CHECK_PRIM(interop_all_types_get_uint8_list, sample_u8, nx_capnp_list_get_u8, uint8_t,
	        "uint8List")
	CHECK_PRIM(interop_all_types_get_uint16_list, sample_u16, nx_capnp_list_get_u16, uint16_t,
	        "uint16List")
	CHECK_PRIM(interop_all_types_get_uint32_list, sample_u32, nx_capnp_list_get_u32, uint32_t,
	        "uint32List")
	CHECK_PRIM(interop_all_types_get_uint64_list, sample_u64, nx_capnp_list_get_u64, uint64_t,
	        "uint64List")
	CHECK_PRIM(interop_all_types_get_enum_list, sample_enums, nx_capnp_list_get_u16,
	        interop_color, "enumList")
#undef CHECK_PRIM
	r = interop_all_types_get_float32_list(v, &l);
	EXPECT(r == 0 && l.count == N(sample_f32), "float32List has %u elements", l.count);
	for (i = 0; i < N(sample_f32); i++)
		EXPECT(nx_capnp_list_get_u32(&l, i) == f32_bits(sample_f32[i]),
		        "float32List[%u] differs", i);
	r = interop_all_types_get_float64_list(v, &l);
	EXPECT(r == 0 && l.count == N(sample_f64), "float64List has %u elements", l.count);
	for (i = 0; i < N(sample_f64); i++)
		EXPECT(nx_capnp_list_get_u64(&l, i) == f64_bits(sample_f64[i]),
		        "float64List[%u] differs", i);

	r = interop_all_types_get_text_list(v, &l);
	EXPECT(r == 0 && l.count == N(sample_texts), "textList has %u elements", l.count);
	for (i = 0; i < N(sample_texts); i++) {
		p = nx_capnp_list_ptr(&l, i);
		/* "" must arrive as an empty text, not as null. */
		EXPECT(!nx_capnp_ptr_is_null(&p), "textList[%u] is null", i);
		r = nx_capnp_ptr_read_text(&p, &t, &n);
		EXPECT(text_is(r, t, n, sample_texts[i]), "textList[%u] differs", i);
	}
	r = interop_all_types_get_data_list(v, &l);
	EXPECT(r == 0 && l.count == 3, "dataList has %u elements", l.count);
	p = nx_capnp_list_ptr(&l, 0);
	r = nx_capnp_ptr_read_data(&p, &d, &n);
	EXPECT(data_is(r, d, n, sample_data1, sizeof(sample_data1)), "dataList[0] differs");
	p = nx_capnp_list_ptr(&l, 1);
	EXPECT(!nx_capnp_ptr_is_null(&p), "dataList[1] is null, not empty");
	r = nx_capnp_ptr_read_data(&p, &d, &n);
	EXPECT(r == 0 && n == 0, "dataList[1] is not empty");
	p = nx_capnp_list_ptr(&l, 2);
	r = nx_capnp_ptr_read_data(&p, &d, &n);
	EXPECT(data_is(r, d, n, sample_data3, sizeof(sample_data3)), "dataList[2] differs");

	r = interop_all_types_get_struct_list(v, &l);
	EXPECT(r == 0 && l.count == 3, "structList has %u elements", l.count);
	r = check_inner(interop_inner_at(&l, 0), 1, "a", false, 0, NULL, 1.5, "structList[0]", why,
	        why_len);
	if (r == 0)
		r = check_inner(interop_inner_at(&l, 1), 2, NULL, true, 3, "b", 1.5,
		        "structList[1]", why, why_len);
	if (r == 0)
		r = check_inner(interop_inner_at(&l, 2), 0, NULL, false, 0, NULL, -2.0,
		        "structList[2]", why, why_len);
	if (r != 0)
		return r;

	r = interop_all_types_get_list_list(v, &l);
	EXPECT(r == 0 && l.count == 3, "listList has %u elements", l.count);
	{
		static const uint32_t counts[] = {2, 0, 1};
		static const int32_t values[] = {1, 2, 3};
		uint32_t k = 0, j;

		for (i = 0; i < 3; i++) {
			p = nx_capnp_list_ptr(&l, i);
			r = nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_4BYTES, &sub);
			EXPECT(r == 0 && sub.count == counts[i], "listList[%u] has %u elements", i,
			        sub.count);
			for (j = 0; j < sub.count; j++, k++)
				EXPECT((int32_t)nx_capnp_list_get_u32(&sub, j) == values[k],
				        "listList[%u][%u] differs", i, j);
		}
	}
	return 0;
}

int interop_sample_value_check(interop_all_types v, char *why, size_t why_len)
{
	interop_all_types_choice choice = interop_all_types_get_choice(v);
	interop_all_types_point point = interop_all_types_get_point(v);
	const char *t;
	const uint8_t *d;
	size_t n;
	int r;

	why[0] = '\0';
	EXPECT(interop_all_types_get_bool_field(v) == true, "boolField is false");
	EXPECT(interop_all_types_get_int8_field(v) == -123, "int8Field is %d",
	        interop_all_types_get_int8_field(v));
	EXPECT(interop_all_types_get_int16_field(v) == -12345, "int16Field is %d",
	        interop_all_types_get_int16_field(v));
	EXPECT(interop_all_types_get_int32_field(v) == -1234567890, "int32Field is %d",
	        interop_all_types_get_int32_field(v));
	EXPECT(interop_all_types_get_int64_field(v) == -1234567890123456789ll, "int64Field is %lld",
	        (long long)interop_all_types_get_int64_field(v));
	EXPECT(interop_all_types_get_uint8_field(v) == 234, "uint8Field is %u",
	        interop_all_types_get_uint8_field(v));
	EXPECT(interop_all_types_get_uint16_field(v) == 45678, "uint16Field is %u",
	        interop_all_types_get_uint16_field(v));
	EXPECT(interop_all_types_get_uint32_field(v) == 3456789012u, "uint32Field is %u",
	        interop_all_types_get_uint32_field(v));
	EXPECT(interop_all_types_get_uint64_field(v) == 12345678901234567890ull,
	        "uint64Field is %llu", (unsigned long long)interop_all_types_get_uint64_field(v));
	EXPECT(interop_all_types_get_float32_field(v) == 1234.5f, "float32Field is %g",
	        (double)interop_all_types_get_float32_field(v));
	EXPECT(interop_all_types_get_float64_field(v) == -1.25e-10, "float64Field is %g",
	        interop_all_types_get_float64_field(v));
	r = interop_all_types_get_text_field(v, &t, &n);
	EXPECT(text_is(r, t, n, sample_text), "textField differs");
	r = interop_all_types_get_data_field(v, &d, &n);
	EXPECT(data_is(r, d, n, sample_data, sizeof(sample_data)), "dataField differs");
	r = check_inner(interop_all_types_get_struct_field(v), 7, "inner", true, 8, "leaf", 0.0,
	        "structField", why, why_len);
	if (r != 0)
		return r;
	EXPECT(interop_all_types_get_enum_field(v) == INTEROP_COLOR_GREEN, "enumField is %u",
	        interop_all_types_get_enum_field(v));
	r = check_lists(v, why, why_len);
	if (r != 0)
		return r;

	EXPECT(interop_all_types_get_default_bool(v) == false, "defaultBool is true");
	EXPECT(interop_all_types_get_default_int32(v) == 0, "defaultInt32 is %d",
	        interop_all_types_get_default_int32(v));
	EXPECT(interop_all_types_get_default_uint64(v) == 1, "defaultUInt64 is %llu",
	        (unsigned long long)interop_all_types_get_default_uint64(v));
	EXPECT(interop_all_types_get_default_float32(v) == 0.0f, "defaultFloat32 is %g",
	        (double)interop_all_types_get_default_float32(v));
	EXPECT(interop_all_types_get_default_float64(v) == -7.25, "defaultFloat64 is %g",
	        interop_all_types_get_default_float64(v));
	EXPECT(interop_all_types_get_default_enum(v) == INTEROP_COLOR_RED, "defaultEnum is %u",
	        interop_all_types_get_default_enum(v));
	r = interop_all_types_get_default_text(v, &t, &n);
	EXPECT(text_is(r, t, n, "set"), "defaultText differs");
	r = interop_all_types_get_default_data(v, &d, &n);
	EXPECT(data_is(r, d, n, (const uint8_t *)"\xde\xad\xbe\xef", 4), "defaultData differs");
	{
		interop_leaf l = interop_all_types_get_default_struct(v);

		EXPECT(interop_leaf_get_id(l) == 99, "defaultStruct.id is %u",
		        interop_leaf_get_id(l));
		r = interop_leaf_get_label(l, &t, &n);
		EXPECT(text_is(r, t, n, "default leaf"), "defaultStruct.label differs");
	}
	{
		nx_capnp_list l;

		r = interop_all_types_get_default_list(v, &l);
		EXPECT(r == 0 && l.count == 3 && (int16_t)nx_capnp_list_get_u16(&l, 1) == -2,
		        "defaultList differs");
	}

	EXPECT(interop_all_types_choice_which(choice) == INTEROP_ALL_TYPES_CHOICE_WHICH_WORD,
	        "choice is member %u", interop_all_types_choice_which(choice));
	r = interop_all_types_choice_get_word(choice, &t, &n);
	EXPECT(text_is(r, t, n, "union text"), "choice.word differs");
	EXPECT(interop_all_types_point_get_x(point) == 0, "point.x is %d",
	        interop_all_types_point_get_x(point));
	EXPECT(interop_all_types_point_get_y(point) == 11, "point.y is %d",
	        interop_all_types_point_get_y(point));
	r = interop_all_types_point_get_name(point, &t, &n);
	EXPECT(text_is(r, t, n, "pt"), "point.name differs");
	return 0;
}

int interop_canonical(const nx_capnp_struct *s, void **ret_buf, size_t *ret_len)
{
	size_t need = 0, len = 0;
	void *buf;
	int r;

	r = nx_capnp_canonicalize(s, NULL, 0, &need);
	if (r != -ENOBUFS && r < 0)
		return r;
	buf = malloc(need ? need : 1);
	if (!buf)
		return -ENOMEM;
	r = nx_capnp_canonicalize(s, buf, need, &len);
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

/* ---- Pattern memfds ---- */

#define IO_CHUNK 65536u

int interop_memfd_make(uint64_t size, uint32_t seed, int *ret_fd)
{
	uint8_t *buf;
	uint64_t off;
	int fd, r;

	if (size > INTEROP_BLOB_MAX_BYTES)
		return -EMSGSIZE;
	buf = malloc(IO_CHUNK);
	if (!buf)
		return -ENOMEM;
	r = nx_vmo_create("interop-blob", (size_t)size, &fd);
	if (r < 0)
		goto out;
	for (off = 0; off < size && r >= 0; off += IO_CHUNK) {
		size_t n = size - off < IO_CHUNK ? (size_t)(size - off) : IO_CHUNK;

		interop_pattern_fill(seed, off, buf, n);
		r = nx_vmo_write(fd, off, buf, n);
	}
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r < 0)
		close(fd);
	else
		*ret_fd = fd;
out:
	free(buf);
	return r < 0 ? r : 0;
}

uint64_t interop_pattern_hash(uint64_t size, uint32_t seed)
{
	uint8_t buf[4096];
	uint64_t h = INTEROP_FNV_INIT, off;

	for (off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		interop_pattern_fill(seed, off, buf, n);
		h = interop_fnv1a64(h, buf, n);
	}
	return h;
}

int interop_fd_read(int fd, struct interop_fd_contents *ret)
{
	struct interop_fd_contents c = {.hash = INTEROP_FNV_INIT};
	struct nx_vmo_map map;
	unsigned seals = 0;
	uint8_t *buf;
	size_t size;
	uint64_t off;
	int r;

	r = nx_vmo_size(fd, &size);
	if (r < 0)
		return r;
	if (size > INTEROP_BLOB_MAX_BYTES)
		return -EMSGSIZE;
	c.size = size;
	c.sealed = nx_vmo_get_seals(fd, &seals) == 0 && (seals & NX_VMO_SEAL_FROZEN);
	c.head_len = size < INTEROP_BLOB_HEAD_BYTES ? size : INTEROP_BLOB_HEAD_BYTES;

	if (c.sealed) {
		r = nx_vmo_map_ro(fd, INTEROP_BLOB_MAX_BYTES, false, &map);
		if (r < 0)
			return r;
		c.hash = interop_fnv1a64(c.hash, map.addr, map.size);
		if (c.head_len)
			memcpy(c.head, map.addr, c.head_len);
		nx_vmo_unmap(&map);
		*ret = c;
		return 0;
	}
	/* Unsealed: the peer could shrink it under a map, so copy it out. */
	buf = malloc(IO_CHUNK);
	if (!buf)
		return -ENOMEM;
	for (off = 0; off < size && r >= 0; off += IO_CHUNK) {
		size_t n = size - off < IO_CHUNK ? (size_t)(size - off) : IO_CHUNK;

		r = nx_vmo_read(fd, off, buf, n);
		if (r < 0)
			break;
		if (off < c.head_len)
			memcpy(c.head + off, buf, c.head_len - off < n ? c.head_len - off : n);
		c.hash = interop_fnv1a64(c.hash, buf, n);
	}
	free(buf);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}
