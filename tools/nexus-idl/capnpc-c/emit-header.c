/* SPDX-License-Identifier: MIT */
/*
 * The generated header: everything a user touches is a `static inline` accessor over the
 * nx-capnp runtime, so reading costs no call beyond the runtime's own bounds checks. Types
 * are emitted before any accessor so that declaration order in the schema never matters.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

#define STREAM_FILE_ID UINT64_C(0x86c366a91393f3f8)

static void mark_type_file(
        const struct gen *g, const struct sc_type *t, uint64_t *used, size_t *nused, size_t cap)
{
	const struct sc_node *n;

	if (t->kind == SC_LIST) {
		mark_type_file(g, t->elem, used, nused, cap);
		return;
	}
	if (t->kind != SC_STRUCT && t->kind != SC_ENUM && t->kind != SC_INTERFACE)
		return;
	n = sc_request_node(g->req, t->id);
	if (!n || n->file_id == g->file->id)
		return;
	for (size_t i = 0; i < *nused; i++)
		if (used[i] == n->file_id)
			return;
	if (*nused < cap)
		used[(*nused)++] = n->file_id;
}

static void mark_id_file(
        const struct gen *g, uint64_t id, uint64_t *used, size_t *nused, size_t cap)
{
	struct sc_type t = {.kind = SC_STRUCT, .id = id};
	const struct sc_node *n = sc_request_node(g->req, id);

	if (n && n->kind == SC_NODE_INTERFACE)
		t.kind = SC_INTERFACE;
	mark_type_file(g, &t, used, nused, cap);
}

/* Includes the generated header of every imported file whose types this file uses (so
 * annotation-only imports such as nexus.capnp or c++.capnp cost nothing). */
static void emit_imports(struct gen *g)
{
	uint64_t used[256];
	size_t nused = 0;

	for (size_t i = 0; i < g->nnodes; i++) {
		const struct sc_node *n = g->nodes[i];

		for (size_t j = 0; j < n->nfields; j++)
			if (!n->fields[j].is_group)
				mark_type_file(g, &n->fields[j].type, used, &nused, 256);
		for (size_t j = 0; j < n->nmethods; j++) {
			if (n->methods[j].result_id != SC_STREAM_RESULT_ID)
				mark_id_file(g, n->methods[j].result_id, used, &nused, 256);
			mark_id_file(g, n->methods[j].param_id, used, &nused, 256);
		}
		for (size_t j = 0; j < n->nsupers; j++)
			mark_id_file(g, n->supers[j], used, &nused, 256);
		if (n->kind == SC_NODE_CONST)
			mark_type_file(g, &n->type, used, &nused, 256);
	}
	for (size_t i = 0; i < g->file->nimports; i++) {
		const struct sc_import *im = &g->file->imports[i];
		const char *base = strrchr(im->name, '/');
		bool use = false;

		for (size_t j = 0; j < nused; j++)
			use |= used[j] == im->id;
		if (!use || im->id == STREAM_FILE_ID)
			continue;
		out(g->h, "#include \"%s.h\"\n", base ? base + 1 : im->name);
	}
}

static void emit_guard(const struct gen *g, char *out)
{
	size_t o = 0;

	o += (size_t)snprintf(out, GEN_NAME_MAX, "CAPNPC_C_");
	for (const char *c = g->base; *c && o + 4 < GEN_NAME_MAX; c++)
		out[o++] = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
	memcpy(out + o, "_H", 3);
}

/* ---- Enums --------------------------------------------------------------------------------- */

static void emit_enum(struct gen *g, const struct sc_node *n)
{
	const char *up = n->cupper;
	char en[GEN_NAME_MAX];

	out(g->h,
	        "/* enum %s (0x%016llx). A uint16_t: peers may send values this schema does "
	        "not name. */\n",
	        n->short_name, (unsigned long long)n->id);
	out(g->h, "typedef uint16_t %s;\n", n->cname);
	out(g->h, "#define %s_TYPE_ID UINT64_C(0x%016llx)\n", up, (unsigned long long)n->id);
	for (size_t i = 0; i < n->nenumerants; i++) {
		gen_upper_name(n->enumerants[i].name, en);
		out(g->h, "#define %s_%s ((%s)%zu)\n", up, en, n->cname, i);
	}
	out(g->h, "#define %s_COUNT %zu\n\n", up, n->nenumerants);
	out(g->h, "static inline bool %s_is_valid(uint16_t v)\n{\n", n->cname);
	out(g->h, "\treturn v < %zu;\n}\n\n", n->nenumerants);
	out(g->h, "static inline const char *%s_name(uint16_t v)\n{\n", n->cname);
	out(g->h, "\tswitch (v) {\n");
	for (size_t i = 0; i < n->nenumerants; i++)
		out(g->h, "\tcase %zu:\n\t\treturn \"%s\";\n", i, n->enumerants[i].name);
	out(g->h, "\tdefault:\n\t\treturn NULL;\n\t}\n}\n\n");
}

/* ---- Struct types -------------------------------------------------------------------------- */

static void emit_struct_types(struct gen *g, const struct sc_node *n)
{
	const char *up = n->cupper;
	char fn[GEN_NAME_MAX];

	out(g->h, "/* %s %s (0x%016llx) */\n", n->is_group ? "group" : "struct", n->short_name,
	        (unsigned long long)n->id);
	out(g->h, "typedef struct %s {\n\tnx_capnp_struct s;\n} %s;\n", n->cname, n->cname);
	out(g->h, "typedef struct %s_b {\n\tnx_capnp_bstruct s;\n} %s_b;\n", n->cname, n->cname);
	out(g->h, "#define %s_TYPE_ID UINT64_C(0x%016llx)\n", up, (unsigned long long)n->id);
	if (!n->is_group) {
		out(g->h, "#define %s_DATA_WORDS %u\n", up, n->data_words);
		out(g->h, "#define %s_PTRS %u\n", up, n->ptrs);
	}
	if (n->disc_count) {
		for (size_t i = 0; i < n->nfields; i++) {
			const struct sc_field *f = &n->fields[i];

			if (f->disc == SC_NO_DISCRIMINANT)
				continue;
			model_upper(f->name, fn, sizeof(fn));
			out(g->h, "#define %s_WHICH_%s %u\n", up, fn, f->disc);
		}
	}
	out_c(g->h, '\n');
}

static bool ptr_has_default(const struct sc_field *f)
{
	return (f->type.kind == SC_STRUCT || f->type.kind == SC_LIST) &&
	       !nx_capnp_ptr_is_null(&f->def.ptr);
}

static void emit_struct_protos(struct gen *g, const struct sc_node *n)
{
	char fn[GEN_NAME_MAX];

	out(g->h, "extern const struct nx_capnp_desc %s_desc;\n", n->cname);
	out(g->h,
	        "static inline int %s_validate(const nx_capnp_struct *s, struct nx_capnp_invalid "
	        "*ret_why)\n{\n\treturn nx_capnp_validate(s, &%s_desc, ret_why);\n}\n",
	        n->cname, n->cname);
	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *f = &n->fields[i];

		if (f->is_group || !ptr_has_default(f))
			continue;
		gen_field_name(f, fn);
		if (f->type.kind == SC_STRUCT)
			out(g->h, "int %s_%s_default(%s *ret);\n", n->cname, fn,
			        gen_cname(g, f->type.id));
		else
			out(g->h, "int %s_%s_default(nx_capnp_list *ret);\n", n->cname, fn);
	}
}

/* ---- Constants ----------------------------------------------------------------------------- */

static void emit_signed(FILE *f, uint64_t bits, unsigned width)
{
	int64_t v;

	if (width < 64 && (bits & (UINT64_C(1) << (width - 1))))
		bits |= ~UINT64_C(0) << width; /* sign-extend */
	memcpy(&v, &bits, sizeof(v));
	if (v == INT64_MIN)
		out_s(f, "(-INT64_C(9223372036854775807) - 1)");
	else if (width == 64)
		out(f, "INT64_C(%lld)", (long long)v);
	else if (v == -(INT64_C(1) << (width - 1)))
		out(f, "(-%lld - 1)", (long long)(-(v + 1)));
	else
		out(f, "(%lld)", (long long)v);
}

static void emit_float(FILE *f, uint64_t bits, bool is32)
{
	double d;

	if (is32) {
		uint32_t b32 = (uint32_t)bits;
		float x;

		memcpy(&x, &b32, sizeof(x));
		d = x;
	} else {
		memcpy(&d, &bits, sizeof(d));
	}
	if (isnan(d))
		out_s(f, is32 ? "__builtin_nanf(\"\")" : "__builtin_nan(\"\")");
	else if (isinf(d))
		out(f, "%s%s", d < 0 ? "-" : "", is32 ? "__builtin_inff()" : "__builtin_inf()");
	else {
		char buf[64];

		(void)snprintf(buf, sizeof(buf), "%.*g", is32 ? 9 : 17, d);
		/* "1" would be an int literal and "1f" no literal at all. */
		if (!strpbrk(buf, ".en"))
			memcpy(buf + strlen(buf), ".0", 3); /* %.17g is at most 24 bytes */
		out(f, "%s%s", buf, is32 ? "f" : "");
	}
}

static void emit_const(struct gen *g, const struct sc_node *n)
{
	char up[GEN_NAME_MAX];
	const struct sc_value *v = &n->value;

	gen_upper_name(n->cname, up);
	switch (n->type.kind) {
	case SC_VOID:
		return;
	case SC_BOOL:
		out(g->h, "#define %s %s\n", up, v->bits ? "true" : "false");
		break;
	case SC_INT8:
		out(g->h, "#define %s ((int8_t)", up);
		emit_signed(g->h, v->bits, 8);
		out_s(g->h, ")\n");
		break;
	case SC_INT16:
		out(g->h, "#define %s ((int16_t)", up);
		emit_signed(g->h, v->bits, 16);
		out_s(g->h, ")\n");
		break;
	case SC_INT32:
		out(g->h, "#define %s ((int32_t)", up);
		emit_signed(g->h, v->bits, 32);
		out_s(g->h, ")\n");
		break;
	case SC_INT64:
		out(g->h, "#define %s ", up);
		emit_signed(g->h, v->bits, 64);
		out_c(g->h, '\n');
		break;
	case SC_UINT8:
	case SC_UINT16:
		out(g->h, "#define %s ((%s)%lluu)\n", up, gen_prim_ctype(n->type.kind),
		        (unsigned long long)v->bits);
		break;
	case SC_UINT32:
		out(g->h, "#define %s UINT32_C(%llu)\n", up, (unsigned long long)v->bits);
		break;
	case SC_UINT64:
		out(g->h, "#define %s UINT64_C(%llu)\n", up, (unsigned long long)v->bits);
		break;
	case SC_FLOAT32:
	case SC_FLOAT64:
		out(g->h, "#define %s ", up);
		emit_float(g->h, v->bits, n->type.kind == SC_FLOAT32);
		out_c(g->h, '\n');
		break;
	case SC_ENUM:
		out(g->h, "#define %s ((%s)%llu)\n", up, gen_cname(g, n->type.id),
		        (unsigned long long)v->bits);
		break;
	case SC_TEXT:
		out(g->h, "#define %s ", up);
		gen_c_string(g->h, v->text ? v->text : "", v->text ? v->len : 0);
		out(g->h, "\n#define %s_LEN %zu\n", up, v->text ? v->len : 0);
		break;
	case SC_DATA:
		out(g->h, "#define %s ((const uint8_t *)", up);
		gen_c_string(g->h, v->text ? v->text : "", v->text ? v->len : 0);
		out(g->h, ")\n#define %s_LEN %zu\n", up, v->text ? v->len : 0);
		break;
	case SC_STRUCT:
		out(g->h, "/* The constant %s, read from static words. */\n", n->short_name);
		out(g->h, "int %s_get(%s *ret);\n", n->cname, gen_cname(g, n->type.id));
		break;
	case SC_LIST:
		out(g->h, "/* The constant %s (elements: %s), read from static words. */\n",
		        n->short_name, gen_elem_size(n->type.elem));
		out(g->h, "int %s_get(nx_capnp_list *ret);\n", n->cname);
		break;
	default:
		break;
	}
}

/* ---- Struct accessors ---------------------------------------------------------------------- */

static void emit_set_disc(struct gen *g, const struct sc_node *n, const struct sc_field *f)
{
	if (f->disc == SC_NO_DISCRIMINANT)
		return;
	out(g->h, "\tnx_capnp_bstruct_set_u16(&b.s, %u, %u, 0);\n", n->disc_offset, f->disc);
}

static void emit_prim_field(
        struct gen *g, const struct sc_node *n, const struct sc_field *f, const char *fn)
{
	enum sc_kind k = f->type.kind;
	const char *ct = k == SC_ENUM ? gen_cname(g, f->type.id) : gen_prim_ctype(k);
	const char *rt = gen_prim_rt(k);
	const char *raw = gen_prim_raw(k);
	bool is_float = k == SC_FLOAT32 || k == SC_FLOAT64;

	out(g->h, "static inline %s %s_get_%s(%s r)\n{\n\treturn ", ct, n->cname, fn, n->cname);
	if (k != SC_BOOL && !is_float)
		out(g->h, "(%s)", ct);
	out(g->h, "nx_capnp_struct_get_%s(&r.s, %u, ", rt, f->offset);
	gen_default_bits(g->h, k, f->def.bits);
	out_s(g->h, ");\n}\n\n");

	out(g->h, "static inline void %s_set_%s(%s_b b, %s v)\n{\n", n->cname, fn, n->cname, ct);
	emit_set_disc(g, n, f);
	out(g->h, "\tnx_capnp_bstruct_set_%s(&b.s, %u, ", rt, f->offset);
	if (k == SC_BOOL || is_float)
		out_s(g->h, "v, ");
	else
		out(g->h, "(%s)v, ", raw);
	gen_default_bits(g->h, k, f->def.bits);
	out_s(g->h, ");\n}\n\n");
}

static void emit_blob_field(
        struct gen *g, const struct sc_node *n, const struct sc_field *f, const char *fn)
{
	bool text = f->type.kind == SC_TEXT;
	const char *vt = text ? "const char" : "const uint8_t";
	bool has_def = f->def.text && f->def.len > 0;

	out(g->h,
	        "/* A view into the message (%s); 0, or -EBADMSG / -ELOOP with an empty "
	        "view. */\n",
	        text ? "NUL-terminated, *ret_len without the NUL" : "bytes");
	out(g->h, "static inline int %s_get_%s(%s r, %s **ret, size_t *ret_len)\n{\n", n->cname, fn,
	        n->cname, vt);
	out(g->h, "\tnx_capnp_ptr p = nx_capnp_struct_ptr(&r.s, %u);\n\n", f->offset);
	if (has_def) {
		out(g->h, "\tif (nx_capnp_ptr_is_null(&p)) {\n\t\t*ret = (%s *)", vt);
		gen_c_string(g->h, f->def.text, f->def.len);
		out(g->h, ";\n\t\t*ret_len = %zu;\n\t\treturn 0;\n\t}\n", f->def.len);
	}
	out(g->h, "\treturn nx_capnp_ptr_read_%s(&p, ret, ret_len);\n}\n\n",
	        text ? "text" : "data");

	out(g->h, "/* Copies `len` bytes%s. 0 or the builder's error. */\n",
	        text ? " (the NUL is added)" : "");
	out(g->h, "static inline int %s_set_%s(%s_b b, %s *v, size_t len)\n{\n", n->cname, fn,
	        n->cname, text ? "const char" : "const void");
	out(g->h, "\tnx_capnp_bptr p = nx_capnp_bstruct_ptr(&b.s, %u);\n\n", f->offset);
	emit_set_disc(g, n, f);
	out(g->h, "\treturn nx_capnp_bptr_set_%s(&p, v, len);\n}\n\n", text ? "text" : "data");
}

static void emit_list_field(
        struct gen *g, const struct sc_node *n, const struct sc_field *f, const char *fn)
{
	const struct sc_type *et = f->type.elem;

	out(g->h, "/* Elements: %s. 0, or -EBADMSG / -ELOOP with an empty list. */\n",
	        et->kind == SC_STRUCT ? gen_cname(g, et->id) : gen_elem_size(et));
	out(g->h, "static inline int %s_get_%s(%s r, nx_capnp_list *ret)\n{\n", n->cname, fn,
	        n->cname);
	out(g->h, "\tnx_capnp_ptr p = nx_capnp_struct_ptr(&r.s, %u);\n\n", f->offset);
	if (ptr_has_default(f))
		out(g->h, "\tif (nx_capnp_ptr_is_null(&p))\n\t\treturn %s_%s_default(ret);\n",
		        n->cname, fn);
	out(g->h, "\treturn nx_capnp_ptr_read_list(&p, %s, ret);\n}\n\n", gen_elem_size(et));

	out(g->h, "static inline int %s_init_%s(%s_b b, uint32_t n, nx_capnp_blist *ret)\n{\n",
	        n->cname, fn, n->cname);
	out(g->h, "\tnx_capnp_bptr p = nx_capnp_bstruct_ptr(&b.s, %u);\n\n", f->offset);
	emit_set_disc(g, n, f);
	if (et->kind == SC_STRUCT) {
		const char *en = gen_cupper(g, et->id);

		out(g->h,
		        "\treturn nx_capnp_bptr_init_struct_list(&p, %s_DATA_WORDS, %s_PTRS, n, "
		        "ret);\n}\n\n",
		        en, en);
	} else {
		out(g->h, "\treturn nx_capnp_bptr_init_list(&p, %s, n, ret);\n}\n\n",
		        gen_elem_size(et));
	}
}

static void emit_struct_field(
        struct gen *g, const struct sc_node *n, const struct sc_field *f, const char *fn)
{
	const char *tn = gen_cname(g, f->type.id), *tu = gen_cupper(g, f->type.id);

	out(g->h, "/* Null or malformed reads as the default (errors stay in the reader). */\n");
	out(g->h, "static inline %s %s_get_%s(%s r)\n{\n", tn, n->cname, fn, n->cname);
	out(g->h, "\tnx_capnp_ptr p = nx_capnp_struct_ptr(&r.s, %u);\n\t%s v;\n\n", f->offset, tn);
	if (ptr_has_default(f))
		out(g->h,
		        "\tif (nx_capnp_ptr_is_null(&p)) {\n\t\t(void)%s_%s_default(&v);\n"
		        "\t\treturn v;\n\t}\n",
		        n->cname, fn);
	out(g->h, "\t(void)nx_capnp_ptr_read_struct(&p, &v.s);\n\treturn v;\n}\n\n");

	out(g->h, "static inline int %s_init_%s(%s_b b, %s_b *ret)\n{\n", n->cname, fn, n->cname,
	        tn);
	out(g->h, "\tnx_capnp_bptr p = nx_capnp_bstruct_ptr(&b.s, %u);\n\n", f->offset);
	emit_set_disc(g, n, f);
	out(g->h,
	        "\treturn nx_capnp_bptr_init_struct(&p, %s_DATA_WORDS, %s_PTRS, &ret->s);\n"
	        "}\n\n",
	        tu, tu);
}

static void emit_field(struct gen *g, const struct sc_node *n, const struct sc_field *f)
{
	char fn[GEN_NAME_MAX];

	gen_field_name(f, fn);
	if (f->is_group) {
		const char *gn = gen_cname(g, f->group_id);

		out(g->h,
		        "static inline %s %s_get_%s(%s r)\n{\n\t%s v;\n\n\tv.s = r.s;\n"
		        "\treturn v;\n}\n\n",
		        gn, n->cname, fn, n->cname, gn);
		out(g->h, "static inline %s_b %s_build_%s(%s_b b)\n{\n\t%s_b v;\n\n", gn, n->cname,
		        fn, n->cname, gn);
		emit_set_disc(g, n, f);
		out(g->h, "\tv.s = b.s;\n\treturn v;\n}\n\n");
		return;
	}
	switch (f->type.kind) {
	case SC_VOID:
		if (f->disc != SC_NO_DISCRIMINANT) {
			out(g->h, "static inline void %s_set_%s(%s_b b)\n{\n", n->cname, fn,
			        n->cname);
			emit_set_disc(g, n, f);
			out_s(g->h, "}\n\n");
		}
		break;
	case SC_TEXT:
	case SC_DATA:
		emit_blob_field(g, n, f, fn);
		break;
	case SC_LIST:
		emit_list_field(g, n, f, fn);
		break;
	case SC_STRUCT:
		emit_struct_field(g, n, f, fn);
		break;
	case SC_INTERFACE: {
		const char *in = gen_cname(g, f->type.id);

		out(g->h,
		        "/* A new reference to the capability (nx_rpc_cap_unref(%s_cap(*ret))); "
		        "-ENOENT when null\n * or outside an RPC message. */\n",
		        in);
		out(g->h,
		        "static inline int %s_get_%s(%s r, struct %s **ret)\n{\n"
		        "\tnx_capnp_ptr p = nx_capnp_struct_ptr(&r.s, %u);\n\tnx_rpc_cap *cap;\n"
		        "\tint e = nx_rpc_ptr_read_cap(&p, &cap);\n\n"
		        "\tif (e == 0)\n\t\t*ret = %s_from_cap(cap);\n\treturn e;\n}\n\n",
		        n->cname, fn, n->cname, in, f->offset, in);
		out(g->h, "/* `v` is referenced, not taken (NULL: a null pointer). */\n");
		out(g->h,
		        "static inline int %s_set_%s(%s_b b, struct %s *v)\n{\n"
		        "\tnx_capnp_bptr p = nx_capnp_bstruct_ptr(&b.s, %u);\n\n",
		        n->cname, fn, n->cname, in, f->offset);
		emit_set_disc(g, n, f);
		out(g->h, "\treturn nx_rpc_bptr_set_cap(&p, %s_cap(v));\n}\n\n", in);
		break;
	}
	case SC_ANYPTR:
		out(g->h,
		        "static inline nx_capnp_ptr %s_get_%s(%s r)\n{\n"
		        "\treturn nx_capnp_struct_ptr(&r.s, %u);\n}\n\n",
		        n->cname, fn, n->cname, f->offset);
		out(g->h, "static inline nx_capnp_bptr %s_build_%s(%s_b b)\n{\n", n->cname, fn,
		        n->cname);
		emit_set_disc(g, n, f);
		out(g->h, "\treturn nx_capnp_bstruct_ptr(&b.s, %u);\n}\n\n", f->offset);
		break;
	default:
		emit_prim_field(g, n, f, fn);
		break;
	}
	if (f->type.kind >= SC_TEXT && f->type.kind != SC_ENUM)
		out(g->h,
		        "static inline bool %s_has_%s(%s r)\n{\n"
		        "\tnx_capnp_ptr p = nx_capnp_struct_ptr(&r.s, %u);\n\n"
		        "\treturn !nx_capnp_ptr_is_null(&p);\n}\n\n",
		        n->cname, fn, n->cname, f->offset);
}

static void emit_struct_accessors(struct gen *g, const struct sc_node *n)
{
	out(g->h, "/* ---- %s ---- */\n\n", n->short_name);
	if (!n->is_group) {
		out(g->h,
		        "static inline int %s_read_root(nx_capnp_reader *m, %s *ret)\n{\n"
		        "\treturn nx_capnp_reader_root_struct(m, &ret->s);\n}\n\n",
		        n->cname, n->cname);
		out(g->h,
		        "static inline int %s_init_root(nx_capnp_builder *m, %s_b *ret)\n{\n"
		        "\treturn nx_capnp_builder_init_root(m, %s_DATA_WORDS, %s_PTRS, &ret->s);\n}\n\n",
		        n->cname, n->cname, n->cupper, n->cupper);
	}
	/* A method's params and results are never list elements. */
	if (!n->is_group && !n->is_param_struct) {
		out(g->h,
		        "static inline %s %s_at(const nx_capnp_list *l, uint32_t i)\n{\n"
		        "\t%s v;\n\n\tnx_capnp_list_get_struct(l, i, &v.s);\n\treturn v;\n}\n\n",
		        n->cname, n->cname, n->cname);
		out(g->h,
		        "static inline %s_b %s_b_at(const nx_capnp_blist *l, uint32_t i)\n{\n"
		        "\t%s_b v;\n\n\tnx_capnp_blist_get_struct(l, i, &v.s);\n\treturn v;\n}\n\n",
		        n->cname, n->cname, n->cname);
	}
	if (n->disc_count)
		out(g->h,
		        "static inline uint16_t %s_which(%s r)\n{\n"
		        "\treturn nx_capnp_struct_get_u16(&r.s, %u, 0);\n}\n\n",
		        n->cname, n->cname, n->disc_offset);
	for (size_t i = 0; i < n->nfields; i++)
		emit_field(g, n, &n->fields[i]);
}

void emit_header(struct gen *g)
{
	char guard[GEN_NAME_MAX];

	emit_guard(g, guard);
	out(g->h, "/* Generated by capnpc-c from %s. Do not edit. */\n", g->base);
	out(g->h, "#ifndef %s\n#define %s\n\n", guard, guard);
	out(g->h, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n");
	out(g->h, "#include \"nx-capnp/capnp.h\"\n#include \"nx-capnp/validate.h\"\n");
	if (g->has_iface || g->uses_caps)
		out(g->h, "#include \"nx-rpc/typed.h\"\n");
	emit_imports(g);
	out(g->h, "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
	/* guard is "CAPNPC_C_<FILE>_H": the file id macro reuses <FILE>. */
	out(g->h, "#define CAPNPC_C_FILE_ID_%.*s UINT64_C(0x%016llx)\n\n",
	        (int)(strlen(guard) - 11), guard + 9, (unsigned long long)g->file->id);

	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_ENUM)
			emit_enum(g, g->nodes[i]);
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_STRUCT)
			emit_struct_types(g, g->nodes[i]);
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_INTERFACE)
			emit_iface_type(g, g->nodes[i]);
	out(g->h,
	        "/* Descriptors for nx_capnp_validate() (nx-capnp/validate.h): a validator returns "
	        "0, or\n * -EINVAL / -EMSGSIZE / -EBADMSG with *ret_why (may be NULL) naming the "
	        "field and the rule.\n * Pointer defaults: views of static words. */\n");
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_STRUCT)
			emit_struct_protos(g, g->nodes[i]);
	out_c(g->h, '\n');
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_CONST)
			emit_const(g, g->nodes[i]);
	out_c(g->h, '\n');
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_STRUCT)
			emit_struct_accessors(g, g->nodes[i]);
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_INTERFACE)
			emit_iface_header(g, g->nodes[i]);
	if (g->has_iface)
		out(g->h,
		        "/* Every interface of %s, NULL-terminated (e.g. to sweep every method's "
		        "params). */\nextern const struct nx_capnp_iface_desc *const "
		        "%s_interfaces[];\n\n",
		        g->base, g->prefix);
	out(g->h, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}
