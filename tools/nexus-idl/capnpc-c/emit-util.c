/* SPDX-License-Identifier: MIT */
/* Small helpers the emitters share: names, literals, element sizes, default encoding. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

void out(FILE *f, const char *fmt, ...)
{
	va_list ap;

	int r;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is right above */
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	(void)r;
}

void out_s(FILE *f, const char *s)
{
	(void)fputs(s, f);
}

void out_c(FILE *f, int c)
{
	(void)fputc(c, f);
}

void gen_field_name(const struct sc_field *f, char *out)
{
	model_snake(f->name, out, GEN_NAME_MAX);
}

void gen_upper_name(const char *cname, char *out)
{
	model_upper(cname, out, GEN_NAME_MAX);
}

const char *gen_prim_ctype(enum sc_kind k)
{
	switch (k) {
	case SC_BOOL:
		return "bool";
	case SC_INT8:
		return "int8_t";
	case SC_INT16:
		return "int16_t";
	case SC_INT32:
		return "int32_t";
	case SC_INT64:
		return "int64_t";
	case SC_UINT8:
		return "uint8_t";
	case SC_UINT16:
	case SC_ENUM:
		return "uint16_t";
	case SC_UINT32:
		return "uint32_t";
	case SC_UINT64:
		return "uint64_t";
	case SC_FLOAT32:
		return "float";
	case SC_FLOAT64:
		return "double";
	default:
		return NULL;
	}
}

const char *gen_prim_rt(enum sc_kind k)
{
	switch (k) {
	case SC_BOOL:
		return "bool";
	case SC_INT8:
	case SC_UINT8:
		return "u8";
	case SC_INT16:
	case SC_UINT16:
	case SC_ENUM:
		return "u16";
	case SC_INT32:
	case SC_UINT32:
		return "u32";
	case SC_INT64:
	case SC_UINT64:
		return "u64";
	case SC_FLOAT32:
		return "f32";
	case SC_FLOAT64:
		return "f64";
	default:
		return NULL;
	}
}

const char *gen_prim_raw(enum sc_kind k)
{
	switch (k) {
	case SC_INT8:
	case SC_UINT8:
		return "uint8_t";
	case SC_INT16:
	case SC_UINT16:
	case SC_ENUM:
		return "uint16_t";
	case SC_INT32:
	case SC_UINT32:
	case SC_FLOAT32:
		return "uint32_t";
	case SC_INT64:
	case SC_UINT64:
	case SC_FLOAT64:
		return "uint64_t";
	default:
		return NULL;
	}
}

void gen_default_bits(FILE *f, enum sc_kind k, uint64_t bits)
{
	switch (k) {
	case SC_BOOL:
		out_s(f, bits ? "true" : "false");
		break;
	case SC_INT64:
	case SC_UINT64:
	case SC_FLOAT64:
		out(f, "UINT64_C(0x%llx)", (unsigned long long)bits);
		break;
	default:
		out(f, "0x%llxu", (unsigned long long)bits);
		break;
	}
}

const char *gen_elem_size(const struct sc_type *t)
{
	switch (t->kind) {
	case SC_VOID:
		return "NX_CAPNP_ELEM_VOID";
	case SC_BOOL:
		return "NX_CAPNP_ELEM_BIT";
	case SC_INT8:
	case SC_UINT8:
		return "NX_CAPNP_ELEM_BYTE";
	case SC_INT16:
	case SC_UINT16:
	case SC_ENUM:
		return "NX_CAPNP_ELEM_2BYTES";
	case SC_INT32:
	case SC_UINT32:
	case SC_FLOAT32:
		return "NX_CAPNP_ELEM_4BYTES";
	case SC_INT64:
	case SC_UINT64:
	case SC_FLOAT64:
		return "NX_CAPNP_ELEM_8BYTES";
	case SC_STRUCT:
		return "NX_CAPNP_ELEM_COMPOSITE";
	default:
		return "NX_CAPNP_ELEM_POINTER";
	}
}

void gen_c_string(FILE *f, const char *s, size_t len)
{
	out_c(f, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Octal escapes take at most three digits, so the next byte can never be read
		 * as part of the escape (hex escapes would swallow following hex digits). */
		if (c == '"' || c == '\\')
			out(f, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f && c != '?')
			out_c(f, c);
		else
			out(f, "\\%03o", c);
	}
	out_c(f, '"');
}

const char *gen_cname(const struct gen *g, uint64_t id)
{
	const struct sc_node *n = sc_request_node(g->req, id);

	return n && n->cname ? n->cname : "?";
}

int gen_encode_default(const nx_capnp_ptr *p, uint64_t **ret_words, size_t *ret_n)
{
	/* Defaults are small; one generous first segment keeps the result one segment. */
	const size_t first_words = 1u << 16;
	uint64_t *first = calloc(first_words, sizeof(uint64_t));
	nx_capnp_builder b;
	nx_capnp_bptr root;
	uint64_t *words;
	size_t n;
	int r;

	if (!first)
		return -ENOMEM;
	nx_capnp_builder_init(&b, first, first_words * sizeof(uint64_t), NULL);
	root = nx_capnp_builder_root(&b);
	r = nx_capnp_bptr_copy(&root, p);
	if (r < 0 || b.error < 0 || b.nsegs != 1) {
		r = r < 0 ? r : b.error < 0 ? b.error : -EMSGSIZE;
		nx_capnp_builder_done(&b);
		free(first);
		return r;
	}
	n = b.segs[0].used;
	words = malloc(n * sizeof(uint64_t));
	if (!words) {
		nx_capnp_builder_done(&b);
		free(first);
		return -ENOMEM;
	}
	memcpy(words, b.segs[0].words, n * sizeof(uint64_t));
	nx_capnp_builder_done(&b);
	free(first);
	*ret_words = words;
	*ret_n = n;
	return 0;
}

const char *gen_cupper(const struct gen *g, uint64_t id)
{
	const struct sc_node *n = sc_request_node(g->req, id);

	return n && n->cupper ? n->cupper : "?";
}

bool gen_fields_simple(const struct sc_node *n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *f = &n->fields[i];

		if (f->is_group || f->disc != SC_NO_DISCRIMINANT)
			return false;
		switch (f->type.kind) {
		case SC_STRUCT:
		case SC_LIST:
		case SC_ANYPTR:
			return false;
		default:
			break;
		}
	}
	return true;
}

/* Names the generated one-call functions use for their own parameters and locals. */
static const char *const taken_names[] = {
        "target",
        "cb",
        "userdata",
        "deadline_ns",
        "ret_call",
        "ret",
        "in",
        "call",
        "r",
        "b",
};

void gen_arg_name(const struct sc_field *f, char *out)
{
	model_member(f->name, out, GEN_NAME_MAX);
	for (size_t i = 0; i < sizeof(taken_names) / sizeof(taken_names[0]); i++) {
		if (strcmp(out, taken_names[i]) == 0) {
			model_underscore(out, GEN_NAME_MAX);
			return;
		}
	}
}

void gen_simple_args(FILE *f, const struct gen *g, const struct sc_node *n)
{
	char an[GEN_NAME_MAX];

	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *fd = &n->fields[i];

		gen_arg_name(fd, an);
		switch (fd->type.kind) {
		case SC_VOID:
			break;
		case SC_TEXT:
			out(f, ", const char *%s", an);
			break;
		case SC_DATA:
			out(f, ", const void *%s, size_t %s_len", an, an);
			break;
		case SC_INTERFACE:
			out(f, ", struct %s *%s", gen_cname(g, fd->type.id), an);
			break;
		case SC_ENUM:
			out(f, ", %s %s", gen_cname(g, fd->type.id), an);
			break;
		default:
			out(f, ", %s %s", gen_prim_ctype(fd->type.kind), an);
			break;
		}
	}
}

void gen_simple_names(FILE *f, const struct sc_node *n)
{
	char an[GEN_NAME_MAX];

	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *fd = &n->fields[i];

		gen_arg_name(fd, an);
		if (fd->type.kind == SC_DATA)
			out(f, ", %s, %s_len", an, an);
		else if (fd->type.kind != SC_VOID)
			out(f, ", %s", an);
	}
}

bool gen_simple_fill(FILE *f, const struct sc_node *n, const char *b)
{
	char an[GEN_NAME_MAX], fn[GEN_NAME_MAX];
	bool fallible = false;

	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *fd = &n->fields[i];

		gen_arg_name(fd, an);
		gen_field_name(fd, fn);
		switch (fd->type.kind) {
		case SC_VOID:
			break;
		case SC_TEXT:
			/* NULL stays a null pointer, which reads as "". */
			out(f, "\tif (r >= 0 && %s)\n\t\tr = %s_set_%s(%s, %s, strlen(%s));\n", an,
			        n->cname, fn, b, an, an);
			fallible = true;
			break;
		case SC_DATA:
			out(f, "\tif (r >= 0 && %s)\n\t\tr = %s_set_%s(%s, %s, %s_len);\n", an,
			        n->cname, fn, b, an, an);
			fallible = true;
			break;
		case SC_INTERFACE:
			out(f, "\tif (r >= 0)\n\t\tr = %s_set_%s(%s, %s);\n", n->cname, fn, b, an);
			fallible = true;
			break;
		default:
			out(f, "\t%s_set_%s(%s, %s);\n", n->cname, fn, b, an);
			break;
		}
	}
	return fallible;
}
