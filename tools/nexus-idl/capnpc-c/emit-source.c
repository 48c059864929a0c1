/* SPDX-License-Identifier: MIT */
/*
 * The generated source: validators (recursive, driven by the nexus.capnp annotations) and
 * the static words behind struct and list defaults and constants.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static void indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		out_c(f, '\t');
}

static long annot_u32(const struct sc_field *f, uint64_t id)
{
	const struct sc_annot *a = f ? sc_annots_find(&f->annots, id) : NULL;

	return a ? (long)(uint32_t)a->value.bits : -1;
}

static bool annot_has(const struct sc_field *f, uint64_t id)
{
	return f && sc_annots_find(&f->annots, id) != NULL;
}

/*
 * Validates the object behind the nx_capnp_ptr named p<d>, of type `t`. `f` is the field the
 * annotations come from; `top` is false for list elements (where maxCount and nonEmpty do not
 * apply but maxLen does).
 */
static void emit_check_ptr(
        struct gen *g, const struct sc_type *t, const struct sc_field *f, bool top, int d, int in)
{
	FILE *c = g->c;
	long max_len = annot_u32(f, NX_ANNOT_MAX_LEN);
	long max_count = top ? annot_u32(f, NX_ANNOT_MAX_COUNT) : -1;
	bool non_empty = top && annot_has(f, NX_ANNOT_NON_EMPTY);

	switch (t->kind) {
	case SC_TEXT:
	case SC_DATA: {
		bool text = t->kind == SC_TEXT;

		indent(c, in);
		out(c, "{\n");
		indent(c, in + 1);
		out(c, "%s *v%d = NULL;\n", text ? "const char" : "const uint8_t", d);
		indent(c, in + 1);
		out(c, "size_t n%d = 0;\n\n", d);
		indent(c, in + 1);
		out(c, "r = nx_capnp_ptr_read_%s(&p%d, &v%d, &n%d);\n", text ? "text" : "data", d,
		        d, d);
		indent(c, in + 1);
		out(c, "if (r < 0)\n");
		indent(c, in + 2);
		out(c, "return nxg_err(r);\n");
		if (text) {
			indent(c, in + 1);
			out(c, "if (memchr(v%d, 0, n%d))\n", d, d);
			indent(c, in + 2);
			out(c, "return -EBADMSG; /* inner NUL */\n");
		}
		if (max_len >= 0) {
			indent(c, in + 1);
			out(c, "if (n%d > %ldu)\n", d, max_len);
			indent(c, in + 2);
			out(c, "return -EMSGSIZE;\n");
		}
		if (non_empty) {
			indent(c, in + 1);
			out(c, "if (n%d == 0)\n", d);
			indent(c, in + 2);
			out(c, "return -EBADMSG;\n");
		}
		if (!text || (max_len < 0 && !non_empty)) {
			indent(c, in + 1);
			out(c, "(void)v%d;\n", d);
			indent(c, in + 1);
			out(c, "(void)n%d;\n", d);
		}
		indent(c, in);
		out(c, "}\n");
		break;
	}
	case SC_STRUCT:
		indent(c, in);
		out(c, "{\n");
		indent(c, in + 1);
		out(c, "nx_capnp_struct s%d;\n\n", d);
		indent(c, in + 1);
		out(c, "r = nx_capnp_ptr_read_struct(&p%d, &s%d);\n", d, d);
		indent(c, in + 1);
		out(c, "if (r < 0)\n");
		indent(c, in + 2);
		out(c, "return nxg_err(r);\n");
		indent(c, in + 1);
		out(c, "r = %s_validate(&s%d);\n", gen_cname(g, t->id), d);
		indent(c, in + 1);
		out(c, "if (r < 0)\n");
		indent(c, in + 2);
		out(c, "return r;\n");
		indent(c, in);
		out(c, "}\n");
		break;
	case SC_LIST: {
		const struct sc_type *et = t->elem;
		bool closed = et->kind == SC_ENUM && model_enum_closed(g->req, f, et->id);
		bool walk = et->kind == SC_STRUCT || et->kind == SC_TEXT || et->kind == SC_DATA ||
		            et->kind == SC_LIST || closed;

		indent(c, in);
		out(c, "{\n");
		indent(c, in + 1);
		out(c, "nx_capnp_list l%d;\n\n", d);
		indent(c, in + 1);
		out(c, "r = nx_capnp_ptr_read_list(&p%d, %s, &l%d);\n", d, gen_elem_size(et), d);
		indent(c, in + 1);
		out(c, "if (r < 0)\n");
		indent(c, in + 2);
		out(c, "return nxg_err(r);\n");
		if (max_count >= 0) {
			indent(c, in + 1);
			out(c, "if (l%d.count > %ldu)\n", d, max_count);
			indent(c, in + 2);
			out(c, "return -EMSGSIZE;\n");
		}
		if (non_empty) {
			indent(c, in + 1);
			out(c, "if (l%d.count == 0)\n", d);
			indent(c, in + 2);
			out(c, "return -EBADMSG;\n");
		}
		if (walk) {
			indent(c, in + 1);
			out(c, "for (uint32_t i%d = 0; i%d < l%d.count; i%d++) {\n", d, d, d, d);
			if (et->kind == SC_STRUCT) {
				indent(c, in + 2);
				out(c, "nx_capnp_struct e%d;\n\n", d);
				indent(c, in + 2);
				out(c, "nx_capnp_list_get_struct(&l%d, i%d, &e%d);\n", d, d, d);
				indent(c, in + 2);
				out(c, "r = %s_validate(&e%d);\n", gen_cname(g, et->id), d);
				indent(c, in + 2);
				out(c, "if (r < 0)\n");
				indent(c, in + 3);
				out(c, "return r;\n");
			} else if (closed) {
				indent(c, in + 2);
				out(c, "if (!%s_is_valid(nx_capnp_list_get_u16(&l%d, i%d)))\n",
				        gen_cname(g, et->id), d, d);
				indent(c, in + 3);
				out(c, "return -EBADMSG;\n");
			} else {
				indent(c, in + 2);
				out(c, "nx_capnp_ptr p%d = nx_capnp_list_ptr(&l%d, i%d);\n\n",
				        d + 1, d, d);
				emit_check_ptr(g, et, f, false, d + 1, in + 2);
			}
			indent(c, in + 1);
			out(c, "}\n");
		}
		indent(c, in);
		out(c, "}\n");
		break;
	}
	default:
		break;
	}
}

static bool field_needs_check(const struct gen *g, const struct sc_field *f)
{
	if (f->is_group)
		return true;
	switch (f->type.kind) {
	case SC_TEXT:
	case SC_DATA:
	case SC_STRUCT:
	case SC_LIST:
		return true;
	case SC_ENUM:
		return model_enum_closed(g->req, f, f->type.id);
	default:
		return false;
	}
}

static void emit_validator(struct gen *g, const struct sc_node *n)
{
	FILE *c = g->c;
	bool any = false;

	for (size_t i = 0; i < n->nfields; i++)
		any |= field_needs_check(g, &n->fields[i]);
	out(c, "int %s_validate(const nx_capnp_struct *s)\n{\n", n->cname);
	if (any)
		out(c, "\tint r;\n");
	if (any && n->disc_count)
		out(c, "\tuint16_t which = nx_capnp_struct_get_u16(s, %u, 0);\n", n->disc_offset);
	if (any)
		out_c(c, '\n');
	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *f = &n->fields[i];
		int in = 1;

		if (!field_needs_check(g, f))
			continue;
		out(c, "\t/* %s */\n", f->name);
		if (f->disc != SC_NO_DISCRIMINANT) {
			out(c, "\tif (which == %u) {\n", f->disc);
			in = 2;
		} else {
			out(c, "\t{\n");
			in = 2;
		}
		if (f->is_group) {
			indent(c, in);
			out(c, "r = %s_validate(s);\n", gen_cname(g, f->group_id));
			indent(c, in);
			out(c, "if (r < 0)\n");
			indent(c, in + 1);
			out(c, "return r;\n");
		} else if (f->type.kind == SC_ENUM) {
			indent(c, in);
			out(c,
			        "r = %s_is_valid(nx_capnp_struct_get_u16(s, %u, 0x%llxu)) ? 0 : "
			        "-EBADMSG;\n",
			        gen_cname(g, f->type.id), f->offset,
			        (unsigned long long)f->def.bits);
			indent(c, in);
			out(c, "if (r < 0)\n");
			indent(c, in + 1);
			out(c, "return r;\n");
		} else {
			indent(c, in);
			out(c, "nx_capnp_ptr p0 = nx_capnp_struct_ptr(s, %u);\n\n", f->offset);
			emit_check_ptr(g, &f->type, f, true, 0, in);
		}
		out(c, "\t}\n");
	}
	out(c, "\treturn s->msg && s->msg->error ? nxg_err(s->msg->error) : 0;\n}\n\n");
}

static void emit_words(struct gen *g, const char *name, const nx_capnp_ptr *p, const char *node)
{
	uint64_t *w = NULL;
	size_t n = 0;
	int r = gen_encode_default(p, &w, &n);

	if (r < 0) {
		(void)fprintf(stderr, "%s: error: %s: cannot encode the default value (%s)\n",
		        g->file->filename, node, strerror(-r));
		g->errors++;
		n = 0;
	}
	out(g->c, "static const uint64_t %s_words[%zu] = {", name, n ? n : 1);
	for (size_t i = 0; i < n; i++)
		out(g->c, "\n\tUINT64_C(0x%016llx),", (unsigned long long)w[i]);
	if (!n)
		out(g->c, " 0,");
	out(g->c, "\n};\n");
	out(g->c, "static const struct nx_capnp_seg %s_seg = { %s_words, %zu };\n", name, name,
	        n ? n : 1);
	/* Views handed out keep a pointer to their reader; one per thread keeps the traversal
	 * budget ours alone. */
	out(g->c, "static _Thread_local nx_capnp_reader %s_msg;\n\n", name);
	free(w);
}

static void emit_default_fn(
        struct gen *g, const char *name, const struct sc_type *t, const char *proto)
{
	out(g->c, "%s\n{\n\tnx_capnp_ptr p;\n\n", proto);
	out(g->c, "\tnx_capnp_reader_init(&%s_msg, &%s_seg, 1);\n", name, name);
	out(g->c, "\tp = nx_capnp_reader_root(&%s_msg);\n", name);
	if (t->kind == SC_STRUCT)
		out(g->c, "\treturn nx_capnp_ptr_read_struct(&p, &ret->s);\n}\n\n");
	else
		out(g->c, "\treturn nx_capnp_ptr_read_list(&p, %s, ret);\n}\n\n",
		        gen_elem_size(t->elem));
}

static void emit_defaults(struct gen *g, const struct sc_node *n)
{
	char fn[GEN_NAME_MAX], name[GEN_NAME_MAX * 2 + 16], proto[GEN_NAME_MAX * 4];

	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *f = &n->fields[i];

		if (f->is_group || (f->type.kind != SC_STRUCT && f->type.kind != SC_LIST) ||
		        nx_capnp_ptr_is_null(&f->def.ptr))
			continue;
		gen_field_name(f, fn);
		(void)snprintf(name, sizeof(name), "%s_%s_default", n->cname, fn);
		emit_words(g, name, &f->def.ptr, n->short_name);
		if (f->type.kind == SC_STRUCT)
			(void)snprintf(proto, sizeof(proto), "int %s(%s *ret)", name,
			        gen_cname(g, f->type.id));
		else
			(void)snprintf(proto, sizeof(proto), "int %s(nx_capnp_list *ret)", name);
		emit_default_fn(g, name, &f->type, proto);
	}
}

static void emit_const_words(struct gen *g, const struct sc_node *n)
{
	char up[GEN_NAME_MAX], name[GEN_NAME_MAX + 16], proto[GEN_NAME_MAX * 3];

	if (n->type.kind != SC_STRUCT && n->type.kind != SC_LIST)
		return;
	gen_upper_name(n->cname, up);
	(void)snprintf(name, sizeof(name), "%s_const", up);
	emit_words(g, name, &n->value.ptr, n->short_name);
	if (n->type.kind == SC_STRUCT)
		(void)snprintf(
		        proto, sizeof(proto), "int %s_get(%s *ret)", up, gen_cname(g, n->type.id));
	else
		(void)snprintf(proto, sizeof(proto), "int %s_get(nx_capnp_list *ret)", up);
	emit_default_fn(g, name, &n->type, proto);
}

void emit_source(struct gen *g)
{
	FILE *c = g->c;

	out(c, "/* Generated by capnpc-c from %s. Do not edit. */\n", g->base);
	out(c, "#include <errno.h>\n#include <stdlib.h>\n#include <string.h>\n\n");
	out(c, "#include \"%s.h\"\n", g->base);
	if (g->has_iface)
		out(c, "#include \"nx-abi/sock.h\"\n");
	out(c, "\n");
	out(c, "/* Validators answer -EBADMSG or -EMSGSIZE: a reader limit (-ELOOP) is a size "
	       "limit too. */\n");
	out(c, "static inline int nxg_err(int r)\n{\n"
	       "\treturn r == -EMSGSIZE || r == -ELOOP ? -EMSGSIZE : -EBADMSG;\n}\n\n");
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct sc_node *n = g->nodes[i];

		if (n->kind == SC_NODE_STRUCT) {
			emit_defaults(g, n);
			emit_validator(g, n);
		} else if (n->kind == SC_NODE_CONST) {
			emit_const_words(g, n);
		}
	}
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_INTERFACE)
			emit_iface_source(g, g->nodes[i]);
}
