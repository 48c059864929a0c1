/* SPDX-License-Identifier: MIT */
/*
 * The generated source: the descriptor tables nx_capnp_validate() walks (from the schema and
 * its nexus.capnp annotations; no validation code is written out), and the static words
 * behind struct and list defaults and constants.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static uint32_t annot_u32(const struct sc_field *f, uint64_t id)
{
	const struct sc_annot *a = sc_annots_find(&f->annots, id);

	return a ? (uint32_t)a->value.bits : UINT32_MAX;
}

static void emit_limit(FILE *c, uint32_t v)
{
	if (v == UINT32_MAX)
		out_s(c, "NX_CAPNP_NO_LIMIT");
	else
		out(c, "%u", v);
}

/* Whether a value of type `t` (of field `f`) needs a check beyond reading its pointer. */
static bool type_checked(const struct gen *g, const struct sc_field *f, const struct sc_type *t)
{
	switch (t->kind) {
	case SC_TEXT:
	case SC_DATA:
	case SC_STRUCT:
	case SC_LIST:
		return true;
	case SC_ENUM:
		return model_enum_closed(g->req, f, t->id);
	default:
		return false;
	}
}

/* Writes the static nx_capnp_vtype for `t` (and first the ones it refers to); returns its
 * number (the descriptor is named nxg_t<number>). */
static unsigned emit_vtype(struct gen *g, const struct sc_field *f, const struct sc_type *t)
{
	FILE *c = g->c;
	unsigned elem = 0, self;
	bool has_elem = false;
	const struct sc_node *e;

	if (t->kind == SC_LIST && type_checked(g, f, t->elem)) {
		elem = emit_vtype(g, f, t->elem);
		has_elem = true;
	}
	self = g->nvtypes++;
	out(c, "static const struct nx_capnp_vtype nxg_t%u = {", self);
	switch (t->kind) {
	case SC_TEXT:
		out_s(c, ".kind = NX_CAPNP_V_TEXT");
		break;
	case SC_DATA:
		out_s(c, ".kind = NX_CAPNP_V_DATA");
		break;
	case SC_STRUCT:
		out(c, ".kind = NX_CAPNP_V_STRUCT, .desc = &%s_desc", gen_cname(g, t->id));
		break;
	case SC_ENUM:
		e = sc_request_node(g->req, t->id);
		out(c, ".kind = NX_CAPNP_V_ENUM, .enum_count = %zu", e ? e->nenumerants : 0);
		break;
	case SC_LIST:
		out(c, ".kind = NX_CAPNP_V_LIST, .elem = %s", gen_elem_size(t->elem));
		if (has_elem)
			out(c, ", .elem_type = &nxg_t%u", elem);
		break;
	default:
		break;
	}
	out_s(c, "};\n");
	return self;
}

/* The struct's descriptor: every field that needs a check (validate.h), in schema order. */
static void emit_desc(struct gen *g, const struct sc_node *n)
{
	FILE *c = g->c;
	unsigned *types = calloc(n->nfields ? n->nfields : 1, sizeof(*types));
	size_t count = 0;

	if (!types) {
		g->errors++;
		return;
	}
	for (size_t i = 0; i < n->nfields; i++) {
		const struct sc_field *f = &n->fields[i];

		if (f->is_group) {
			types[i] = g->nvtypes++;
			out(c,
			        "static const struct nx_capnp_vtype nxg_t%u = {.kind = "
			        "NX_CAPNP_V_GROUP, .desc = &%s_desc};\n",
			        types[i], gen_cname(g, f->group_id));
		} else if (type_checked(g, f, &f->type)) {
			types[i] = emit_vtype(g, f, &f->type);
		} else {
			continue;
		}
		count++;
	}
	if (count) {
		out(c, "static const struct nx_capnp_vfield nxg_%s_fields[] = {\n", n->cname);
		for (size_t i = 0; i < n->nfields; i++) {
			const struct sc_field *f = &n->fields[i];
			bool is_enum = !f->is_group && f->type.kind == SC_ENUM;

			if (!f->is_group && !type_checked(g, f, &f->type))
				continue;
			out(c, "\t{\"%s\", &nxg_t%u, %u, ", f->name, types[i],
			        f->is_group ? 0 : f->offset);
			if (f->disc == SC_NO_DISCRIMINANT)
				out_s(c, "NX_CAPNP_NO_DISC, ");
			else
				out(c, "%u, ", f->disc);
			out(c, "%llu, ", is_enum ? (unsigned long long)f->def.bits : 0ull);
			emit_limit(c, annot_u32(f, NX_ANNOT_MAX_LEN));
			out_s(c, ", ");
			emit_limit(c, annot_u32(f, NX_ANNOT_MAX_COUNT));
			out(c, ", %s},\n",
			        sc_annots_find(&f->annots, NX_ANNOT_NON_EMPTY) ? "true" : "false");
		}
		out_s(c, "};\n");
	}
	out(c, "const struct nx_capnp_desc %s_desc = {\"%s\", %u, %zu, ", n->cname, n->short_name,
	        n->disc_count ? n->disc_offset : 0, count);
	if (count)
		out(c, "nxg_%s_fields};\n\n", n->cname);
	else
		out_s(c, "NULL};\n\n");
	free(types);
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
	char name[GEN_NAME_MAX + 16], proto[GEN_NAME_MAX * 3];

	if (n->type.kind != SC_STRUCT && n->type.kind != SC_LIST)
		return;
	(void)snprintf(name, sizeof(name), "%s_const", n->cname);
	emit_words(g, name, &n->value.ptr, n->short_name);
	if (n->type.kind == SC_STRUCT)
		(void)snprintf(proto, sizeof(proto), "int %s_get(%s *ret)", n->cname,
		        gen_cname(g, n->type.id));
	else
		(void)snprintf(proto, sizeof(proto), "int %s_get(nx_capnp_list *ret)", n->cname);
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
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct sc_node *n = g->nodes[i];

		if (n->kind == SC_NODE_STRUCT) {
			emit_defaults(g, n);
			emit_desc(g, n);
		} else if (n->kind == SC_NODE_CONST) {
			emit_const_words(g, n);
		}
	}
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_INTERFACE)
			emit_iface_source(g, g->nodes[i]);
	if (!g->has_iface)
		return;
	out(c, "const struct nx_capnp_iface_desc *const %s_interfaces[] = {\n", g->prefix);
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i]->kind == SC_NODE_INTERFACE)
			out(c, "\t&%s_desc,\n", g->nodes[i]->cname);
	out(c, "\tNULL,\n};\n");
}
