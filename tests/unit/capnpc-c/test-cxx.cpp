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
	Shape_b sb;
	Shape s;
	nx_capnp_blist bl;
	nx_capnp_list l;
	const char *t = nullptr;
	size_t n = 0;
	Calc_add_Params_b pb;
	Calc_add_Params p;

	nx_capnp_builder_init(&b, first, sizeof(first), nullptr);
	CHECK(Shape_init_root(&b, &sb) == 0);
	CHECK(Shape_set_name(sb, "c++", 3) == 0);
	CHECK(Shape_init_points(sb, 1, &bl) == 0);
	Shape_Point_set_x(Shape_Point_b_at(&bl, 0), 11);
	Shape_style_set_color(Shape_build_style(sb), COLOR_DARK_BLUE);
	nx_capnp_builder_as_reader(&b, segs, &rd);
	CHECK(Shape_read_root(&rd, &s) == 0);
	CHECK(Shape_get_name(s, &t, &n) == 0 && n == 3 && std::strcmp(t, "c++") == 0);
	CHECK(Shape_which(s) == SHAPE_WHICH_POINTS);
	CHECK(Shape_get_points(s, &l) == 0 && l.count == 1);
	CHECK(Shape_Point_get_x(Shape_Point_at(&l, 0)) == 11);
	CHECK(Shape_style_get_color(Shape_get_style(s)) == COLOR_DARK_BLUE);
	CHECK(Shape_validate(&s.s) == 0);

	// Param structs of interface methods are ordinary structs too.
	nx_capnp_builder_init(&b, first, sizeof(first), nullptr);
	CHECK(Calc_add_Params_init_root(&b, &pb) == 0);
	Calc_add_Params_set_a(pb, -2);
	Calc_add_Params_set_b(pb, 40);
	nx_capnp_builder_as_reader(&b, segs, &rd);
	CHECK(Calc_add_Params_read_root(&rd, &p) == 0);
	CHECK(Calc_add_Params_get_a(p) + Calc_add_Params_get_b(p) == 38);
	CHECK(Calc_INTERFACE_ID != Base_INTERFACE_ID);
	CHECK(Calc_push_METHOD_ID == 2);
	if (fdcheck_leaked(before, "test-cxx") != 0)
		return 1;
	std::puts("ok");
	return 0;
}
