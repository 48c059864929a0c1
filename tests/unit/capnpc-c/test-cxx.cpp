// SPDX-License-Identifier: MIT
// The generated headers compile as C++ (STYLE.md 25), and their inline accessors work there:
// build a message through them and read it back.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fdcheck.h"
#include "iface.capnp.h"
#include "types.capnp.h"

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                       \
		}                                                                       \
	} while (0)

int main()
{
	int before = fdcheck_count();
	static uint64_t first[256];
	nx_capnp_builder b;
	nx_capnp_reader rd;
	struct nx_capnp_seg segs[NX_CAPNP_MAX_SEGMENTS];
	types_shape_b sb;
	types_shape s;
	nx_capnp_blist bl;
	nx_capnp_list l;
	const char *t = nullptr;
	size_t n = 0;
	iface_calc_add_params_b pb;
	iface_calc_add_params p;

	nx_capnp_builder_init(&b, first, sizeof(first), nullptr);
	CHECK(types_shape_init_root(&b, &sb) == 0);
	CHECK(types_shape_set_name(sb, "c++", 3) == 0);
	CHECK(types_shape_init_points(sb, 1, &bl) == 0);
	types_shape_point_set_x(types_shape_point_b_at(&bl, 0), 11);
	types_shape_style_set_color(types_shape_build_style(sb), TYPES_COLOR_DARK_BLUE);
	nx_capnp_builder_as_reader(&b, segs, &rd);
	CHECK(types_shape_read_root(&rd, &s) == 0);
	CHECK(types_shape_get_name(s, &t, &n) == 0 && n == 3 && std::strcmp(t, "c++") == 0);
	CHECK(types_shape_which(s) == TYPES_SHAPE_WHICH_POINTS);
	CHECK(types_shape_get_points(s, &l) == 0 && l.count == 1);
	CHECK(types_shape_point_get_x(types_shape_point_at(&l, 0)) == 11);
	CHECK(types_shape_style_get_color(types_shape_get_style(s)) == TYPES_COLOR_DARK_BLUE);
	CHECK(types_shape_validate(&s.s, nullptr) == 0);

	// Param structs of interface methods are ordinary structs too.
	nx_capnp_builder_init(&b, first, sizeof(first), nullptr);
	CHECK(iface_calc_add_params_init_root(&b, &pb) == 0);
	iface_calc_add_params_set_a(pb, -2);
	iface_calc_add_params_set_b(pb, 40);
	nx_capnp_builder_as_reader(&b, segs, &rd);
	CHECK(iface_calc_add_params_read_root(&rd, &p) == 0);
	CHECK(iface_calc_add_params_get_a(p) + iface_calc_add_params_get_b(p) == 38);
	CHECK(IFACE_CALC_INTERFACE_ID != IFACE_BASE_INTERFACE_ID);
	CHECK(IFACE_CALC_PUSH_METHOD_ID == 2);
	if (fdcheck_leaked(before, "test-cxx") != 0)
		return 1;
	std::puts("ok");
	return 0;
}
