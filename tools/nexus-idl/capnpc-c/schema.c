/* SPDX-License-Identifier: MIT */
/*
 * Reading the CodeGeneratorRequest with nx-capnp. The generator cannot generate its own
 * accessors yet, so the schema.capnp fields it needs are read by hand here; every offset is a
 * named constant copied from `capnp compile -ocapnp schema.capnp` (which prints each field's
 * bit range), converted to the units nx-capnp takes (the field's own size, bits for Bool).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* Node (40 bytes, 6 ptrs) */
enum {
	NODE_ID_U64 = 0,
	NODE_PREFIX_LEN_U32 = 2,
	NODE_SCOPE_ID_U64 = 2,
	NODE_WHICH_U16 = 6,
	NODE_IS_GENERIC_BIT = 288,
	NODE_DISPLAY_NAME_PTR = 0,
	NODE_NESTED_PTR = 1,
	NODE_ANNOTATIONS_PTR = 2,
	NODE_PARAMETERS_PTR = 5,
	/* struct group */
	NODE_STRUCT_DATA_WORDS_U16 = 7,
	NODE_STRUCT_PTRS_U16 = 12,
	NODE_STRUCT_IS_GROUP_BIT = 224,
	NODE_STRUCT_DISC_COUNT_U16 = 15,
	NODE_STRUCT_DISC_OFFSET_U32 = 8,
	NODE_STRUCT_FIELDS_PTR = 3,
	/* enum group */
	NODE_ENUM_ENUMERANTS_PTR = 3,
	/* interface group */
	NODE_IFACE_METHODS_PTR = 3,
	NODE_IFACE_SUPERS_PTR = 4,
	/* const group */
	NODE_CONST_TYPE_PTR = 3,
	NODE_CONST_VALUE_PTR = 4,
	/* annotation group */
	NODE_ANNOT_TYPE_PTR = 3,
};

/* Node.NestedNode (8 bytes, 1 ptr) */
enum { NESTED_ID_U64 = 0, NESTED_NAME_PTR = 0 };

/* Field (24 bytes, 4 ptrs) */
enum {
	FIELD_CODE_ORDER_U16 = 0,
	FIELD_DISC_U16 = 1, /* default 0xffff */
	FIELD_WHICH_U16 = 4,
	FIELD_SLOT_OFFSET_U32 = 1,
	FIELD_SLOT_EXPLICIT_DEFAULT_BIT = 128,
	FIELD_GROUP_TYPE_ID_U64 = 2,
	FIELD_NAME_PTR = 0,
	FIELD_ANNOTATIONS_PTR = 1,
	FIELD_SLOT_TYPE_PTR = 2,
	FIELD_SLOT_DEFAULT_PTR = 3,
	FIELD_WHICH_SLOT = 0,
	FIELD_WHICH_GROUP = 1,
};

/* Enumerant (8 bytes, 2 ptrs) */
enum { ENUMERANT_NAME_PTR = 0, ENUMERANT_ANNOTATIONS_PTR = 1 };

/* Superclass (8 bytes, 1 ptr) */
enum { SUPER_ID_U64 = 0, SUPER_BRAND_PTR = 0 };

/* Method (24 bytes, 5 ptrs) */
enum {
	METHOD_PARAM_ID_U64 = 1,
	METHOD_RESULT_ID_U64 = 2,
	METHOD_NAME_PTR = 0,
	METHOD_ANNOTATIONS_PTR = 1,
	METHOD_PARAM_BRAND_PTR = 2,
	METHOD_RESULT_BRAND_PTR = 3,
	METHOD_IMPLICIT_PARAMS_PTR = 4,
};

/* Type (24 bytes, 1 ptr) */
enum {
	TYPE_WHICH_U16 = 0,
	TYPE_ID_U64 = 1,
	TYPE_ANYPTR_WHICH_U16 = 4,
	TYPE_LIST_ELEM_PTR = 0,
	TYPE_BRAND_PTR = 0,
	TYPE_ANYPTR_UNCONSTRAINED = 0,
};

/* Brand (0 bytes, 1 ptr), Brand.Scope (16 bytes, 1 ptr) */
enum { BRAND_SCOPES_PTR = 0, SCOPE_WHICH_U16 = 4, SCOPE_WHICH_BIND = 0 };

/* Value (16 bytes, 1 ptr) */
enum {
	VALUE_WHICH_U16 = 0,
	VALUE_BOOL_BIT = 16,
	VALUE_U8 = 2,
	VALUE_U16 = 1,
	VALUE_U32 = 1,
	VALUE_U64 = 1,
	VALUE_PTR = 0,
	VALUE_WHICH_ENUM = 15,
	VALUE_WHICH_STRUCT = 16,
	VALUE_WHICH_INTERFACE = 17,
	VALUE_WHICH_ANYPTR = 18,
};

/* Annotation (8 bytes, 2 ptrs) */
enum { ANNOT_ID_U64 = 0, ANNOT_VALUE_PTR = 0 };

/* CodeGeneratorRequest (0 bytes, 4 ptrs) and its parts */
enum {
	REQ_NODES_PTR = 0,
	REQ_FILES_PTR = 1,
	REQ_VERSION_PTR = 2,
	VERSION_MAJOR_U16 = 0,
	VERSION_MINOR_U8 = 2,
	VERSION_MICRO_U8 = 3,
	FILE_ID_U64 = 0,
	FILE_NAME_PTR = 0,
	FILE_IMPORTS_PTR = 1,
	IMPORT_ID_U64 = 0,
	IMPORT_NAME_PTR = 0,
};

static nx_capnp_ptr ptr_of(const nx_capnp_struct *s, uint32_t i)
{
	return nx_capnp_struct_ptr(s, i);
}

static const char *text_of(const nx_capnp_struct *s, uint32_t i)
{
	nx_capnp_ptr p = ptr_of(s, i);
	const char *t = "";
	size_t len = 0;

	if (nx_capnp_ptr_read_text(&p, &t, &len) < 0)
		return "";
	return t;
}

static int struct_of(const nx_capnp_struct *s, uint32_t i, nx_capnp_struct *ret)
{
	nx_capnp_ptr p = ptr_of(s, i);

	return nx_capnp_ptr_read_struct(&p, ret);
}

static int list_of(const nx_capnp_struct *s, uint32_t i, nx_capnp_list *ret)
{
	nx_capnp_ptr p = ptr_of(s, i);

	return nx_capnp_ptr_read_list(&p, NX_CAPNP_ELEM_COMPOSITE, ret);
}

/* calloc for `n` elements; never NULL for n == 0 so "no elements" and "no memory" differ. */
static void *alloc_n(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* A brand binds type parameters when any of its scopes is a `bind`. */
static bool brand_binds(const nx_capnp_struct *owner, uint32_t ptr_index)
{
	nx_capnp_struct brand;
	nx_capnp_list scopes;

	if (struct_of(owner, ptr_index, &brand) < 0)
		return false;
	if (list_of(&brand, BRAND_SCOPES_PTR, &scopes) < 0)
		return false;
	for (uint32_t i = 0; i < scopes.count; i++) {
		nx_capnp_struct sc;

		nx_capnp_list_get_struct(&scopes, i, &sc);
		if (nx_capnp_struct_get_u16(&sc, SCOPE_WHICH_U16, 0) == SCOPE_WHICH_BIND)
			return true;
	}
	return false;
}

static int read_type(const nx_capnp_struct *t, struct sc_type *ret)
{
	uint16_t which = nx_capnp_struct_get_u16(t, TYPE_WHICH_U16, 0);

	memset(ret, 0, sizeof(*ret));
	if (which > SC_ANYPTR)
		return -EBADMSG;
	ret->kind = (enum sc_kind)which;
	switch (ret->kind) {
	case SC_LIST: {
		nx_capnp_struct et;
		int r;

		ret->elem = calloc(1, sizeof(*ret->elem));
		if (!ret->elem)
			return -ENOMEM;
		if (struct_of(t, TYPE_LIST_ELEM_PTR, &et) < 0)
			return -EBADMSG;
		r = read_type(&et, ret->elem);
		if (r < 0)
			return r;
		ret->generic = ret->elem->generic;
		break;
	}
	case SC_ENUM:
	case SC_STRUCT:
	case SC_INTERFACE:
		ret->id = nx_capnp_struct_get_u64(t, TYPE_ID_U64, 0);
		ret->generic = brand_binds(t, TYPE_BRAND_PTR);
		break;
	case SC_ANYPTR:
		ret->generic = nx_capnp_struct_get_u16(t, TYPE_ANYPTR_WHICH_U16, 0) !=
		               TYPE_ANYPTR_UNCONSTRAINED;
		break;
	default:
		break;
	}
	return 0;
}

static void free_type(struct sc_type *t)
{
	if (!t)
		return;
	if (t->elem) {
		free_type(t->elem);
		free(t->elem);
		t->elem = NULL;
	}
}

static int read_value(const nx_capnp_struct *v, struct sc_value *ret)
{
	uint16_t which = nx_capnp_struct_get_u16(v, VALUE_WHICH_U16, 0);
	nx_capnp_ptr p = ptr_of(v, VALUE_PTR);

	memset(ret, 0, sizeof(*ret));
	ret->ptr = p;
	switch (which) {
	case SC_VOID:
		ret->kind = SC_VOID;
		break;
	case SC_BOOL:
		ret->kind = SC_BOOL;
		ret->bits = nx_capnp_struct_get_bool(v, VALUE_BOOL_BIT, false);
		break;
	case SC_INT8:
	case SC_UINT8:
		ret->kind = (enum sc_kind)which;
		ret->bits = nx_capnp_struct_get_u8(v, VALUE_U8, 0);
		break;
	case SC_INT16:
	case SC_UINT16:
		ret->kind = (enum sc_kind)which;
		ret->bits = nx_capnp_struct_get_u16(v, VALUE_U16, 0);
		break;
	case SC_INT32:
	case SC_UINT32:
	case SC_FLOAT32:
		ret->kind = (enum sc_kind)which;
		ret->bits = nx_capnp_struct_get_u32(v, VALUE_U32, 0);
		break;
	case SC_INT64:
	case SC_UINT64:
	case SC_FLOAT64:
		ret->kind = (enum sc_kind)which;
		ret->bits = nx_capnp_struct_get_u64(v, VALUE_U64, 0);
		break;
	case SC_TEXT:
		ret->kind = SC_TEXT;
		if (nx_capnp_ptr_read_text(&p, &ret->text, &ret->len) < 0)
			return -EBADMSG;
		break;
	case SC_DATA: {
		const uint8_t *d = NULL;

		ret->kind = SC_DATA;
		if (nx_capnp_ptr_read_data(&p, &d, &ret->len) < 0)
			return -EBADMSG;
		ret->text = (const char *)d;
		break;
	}
	case SC_LIST:
		ret->kind = SC_LIST;
		break;
	case VALUE_WHICH_ENUM:
		ret->kind = SC_ENUM;
		ret->bits = nx_capnp_struct_get_u16(v, VALUE_U16, 0);
		break;
	case VALUE_WHICH_STRUCT:
		ret->kind = SC_STRUCT;
		break;
	case VALUE_WHICH_INTERFACE:
		ret->kind = SC_INTERFACE;
		break;
	case VALUE_WHICH_ANYPTR:
		ret->kind = SC_ANYPTR;
		break;
	default:
		return -EBADMSG;
	}
	return 0;
}

static int read_annots(const nx_capnp_struct *owner, uint32_t ptr_index, struct sc_annots *ret)
{
	nx_capnp_list l;

	ret->v = NULL;
	ret->n = 0;
	if (list_of(owner, ptr_index, &l) < 0)
		return -EBADMSG;
	ret->v = alloc_n(l.count, sizeof(*ret->v));
	if (!ret->v)
		return -ENOMEM;
	ret->n = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct a, v;

		nx_capnp_list_get_struct(&l, i, &a);
		ret->v[i].id = nx_capnp_struct_get_u64(&a, ANNOT_ID_U64, 0);
		if (struct_of(&a, ANNOT_VALUE_PTR, &v) < 0 || read_value(&v, &ret->v[i].value) < 0)
			return -EBADMSG;
	}
	return 0;
}

static int read_field(const nx_capnp_struct *f, struct sc_field *ret)
{
	int r;

	ret->name = text_of(f, FIELD_NAME_PTR);
	ret->code_order = nx_capnp_struct_get_u16(f, FIELD_CODE_ORDER_U16, 0);
	ret->disc = nx_capnp_struct_get_u16(f, FIELD_DISC_U16, SC_NO_DISCRIMINANT);
	r = read_annots(f, FIELD_ANNOTATIONS_PTR, &ret->annots);
	if (r < 0)
		return r;
	switch (nx_capnp_struct_get_u16(f, FIELD_WHICH_U16, 0)) {
	case FIELD_WHICH_SLOT: {
		nx_capnp_struct t, v;

		ret->offset = nx_capnp_struct_get_u32(f, FIELD_SLOT_OFFSET_U32, 0);
		ret->had_default =
		        nx_capnp_struct_get_bool(f, FIELD_SLOT_EXPLICIT_DEFAULT_BIT, false);
		if (struct_of(f, FIELD_SLOT_TYPE_PTR, &t) < 0)
			return -EBADMSG;
		r = read_type(&t, &ret->type);
		if (r < 0)
			return r;
		if (struct_of(f, FIELD_SLOT_DEFAULT_PTR, &v) < 0)
			return -EBADMSG;
		return read_value(&v, &ret->def);
	}
	case FIELD_WHICH_GROUP:
		ret->is_group = true;
		ret->group_id = nx_capnp_struct_get_u64(f, FIELD_GROUP_TYPE_ID_U64, 0);
		return 0;
	default:
		return -EBADMSG;
	}
}

static int read_struct_node(const nx_capnp_struct *n, struct sc_node *ret)
{
	nx_capnp_list l;

	ret->data_words = nx_capnp_struct_get_u16(n, NODE_STRUCT_DATA_WORDS_U16, 0);
	ret->ptrs = nx_capnp_struct_get_u16(n, NODE_STRUCT_PTRS_U16, 0);
	ret->is_group = nx_capnp_struct_get_bool(n, NODE_STRUCT_IS_GROUP_BIT, false);
	ret->disc_count = nx_capnp_struct_get_u16(n, NODE_STRUCT_DISC_COUNT_U16, 0);
	ret->disc_offset = nx_capnp_struct_get_u32(n, NODE_STRUCT_DISC_OFFSET_U32, 0);
	if (list_of(n, NODE_STRUCT_FIELDS_PTR, &l) < 0)
		return -EBADMSG;
	ret->fields = alloc_n(l.count, sizeof(*ret->fields));
	if (!ret->fields)
		return -ENOMEM;
	ret->nfields = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct f;
		int r;

		nx_capnp_list_get_struct(&l, i, &f);
		r = read_field(&f, &ret->fields[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_enum_node(const nx_capnp_struct *n, struct sc_node *ret)
{
	nx_capnp_list l;

	if (list_of(n, NODE_ENUM_ENUMERANTS_PTR, &l) < 0)
		return -EBADMSG;
	ret->enumerants = alloc_n(l.count, sizeof(*ret->enumerants));
	if (!ret->enumerants)
		return -ENOMEM;
	ret->nenumerants = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct e;
		int r;

		nx_capnp_list_get_struct(&l, i, &e);
		ret->enumerants[i].name = text_of(&e, ENUMERANT_NAME_PTR);
		r = read_annots(&e, ENUMERANT_ANNOTATIONS_PTR, &ret->enumerants[i].annots);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_iface_node(const nx_capnp_struct *n, struct sc_node *ret)
{
	nx_capnp_list l, s;

	if (list_of(n, NODE_IFACE_METHODS_PTR, &l) < 0 || list_of(n, NODE_IFACE_SUPERS_PTR, &s) < 0)
		return -EBADMSG;
	ret->methods = alloc_n(l.count, sizeof(*ret->methods));
	ret->supers = alloc_n(s.count, sizeof(*ret->supers));
	if (!ret->methods || !ret->supers)
		return -ENOMEM;
	ret->nmethods = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct m;
		nx_capnp_list implicit;
		struct sc_method *mm = &ret->methods[i];
		int r;

		nx_capnp_list_get_struct(&l, i, &m);
		mm->name = text_of(&m, METHOD_NAME_PTR);
		mm->param_id = nx_capnp_struct_get_u64(&m, METHOD_PARAM_ID_U64, 0);
		mm->result_id = nx_capnp_struct_get_u64(&m, METHOD_RESULT_ID_U64, 0);
		if (list_of(&m, METHOD_IMPLICIT_PARAMS_PTR, &implicit) < 0)
			return -EBADMSG;
		mm->generic = implicit.count > 0 || brand_binds(&m, METHOD_PARAM_BRAND_PTR) ||
		              brand_binds(&m, METHOD_RESULT_BRAND_PTR);
		r = read_annots(&m, METHOD_ANNOTATIONS_PTR, &mm->annots);
		if (r < 0)
			return r;
	}
	ret->nsupers = s.count;
	for (uint32_t i = 0; i < s.count; i++) {
		nx_capnp_struct sc;

		nx_capnp_list_get_struct(&s, i, &sc);
		ret->supers[i] = nx_capnp_struct_get_u64(&sc, SUPER_ID_U64, 0);
		if (brand_binds(&sc, SUPER_BRAND_PTR))
			ret->supers_generic = true;
	}
	return 0;
}

static int read_node(const nx_capnp_struct *n, struct sc_node *ret)
{
	nx_capnp_list l, params;
	uint32_t prefix;
	size_t dlen;
	int r;

	ret->id = nx_capnp_struct_get_u64(n, NODE_ID_U64, 0);
	ret->display_name = text_of(n, NODE_DISPLAY_NAME_PTR);
	/* displayNamePrefixLength cuts the whole scope off ("Shape.Kind" -> "Kind"); the C name
	 * wants the scope, so cut at the file's colon instead (names cannot hold a colon). */
	prefix = nx_capnp_struct_get_u32(n, NODE_PREFIX_LEN_U32, 0);
	dlen = strlen(ret->display_name);
	ret->short_name = strrchr(ret->display_name, ':');
	if (ret->short_name)
		ret->short_name++;
	else
		ret->short_name = ret->display_name + (prefix <= dlen ? prefix : dlen);
	ret->scope_id = nx_capnp_struct_get_u64(n, NODE_SCOPE_ID_U64, 0);
	if (list_of(n, NODE_PARAMETERS_PTR, &params) < 0)
		return -EBADMSG;
	ret->is_generic =
	        nx_capnp_struct_get_bool(n, NODE_IS_GENERIC_BIT, false) || params.count > 0;
	if (list_of(n, NODE_NESTED_PTR, &l) < 0)
		return -EBADMSG;
	ret->nested = alloc_n(l.count, sizeof(*ret->nested));
	if (!ret->nested)
		return -ENOMEM;
	ret->nnested = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct nn;

		nx_capnp_list_get_struct(&l, i, &nn);
		ret->nested[i].name = text_of(&nn, NESTED_NAME_PTR);
		ret->nested[i].id = nx_capnp_struct_get_u64(&nn, NESTED_ID_U64, 0);
	}
	r = read_annots(n, NODE_ANNOTATIONS_PTR, &ret->annots);
	if (r < 0)
		return r;

	switch (nx_capnp_struct_get_u16(n, NODE_WHICH_U16, 0)) {
	case SC_NODE_FILE:
		ret->kind = SC_NODE_FILE;
		return 0;
	case SC_NODE_STRUCT:
		ret->kind = SC_NODE_STRUCT;
		return read_struct_node(n, ret);
	case SC_NODE_ENUM:
		ret->kind = SC_NODE_ENUM;
		return read_enum_node(n, ret);
	case SC_NODE_INTERFACE:
		ret->kind = SC_NODE_INTERFACE;
		return read_iface_node(n, ret);
	case SC_NODE_CONST: {
		nx_capnp_struct t, v;

		ret->kind = SC_NODE_CONST;
		if (struct_of(n, NODE_CONST_TYPE_PTR, &t) < 0 ||
		        struct_of(n, NODE_CONST_VALUE_PTR, &v) < 0)
			return -EBADMSG;
		r = read_type(&t, &ret->type);
		if (r < 0)
			return r;
		return read_value(&v, &ret->value);
	}
	case SC_NODE_ANNOTATION: {
		nx_capnp_struct t;

		ret->kind = SC_NODE_ANNOTATION;
		if (struct_of(n, NODE_ANNOT_TYPE_PTR, &t) < 0)
			return -EBADMSG;
		return read_type(&t, &ret->type);
	}
	default:
		return -EBADMSG;
	}
}

static int cmp_node(const void *a, const void *b)
{
	const struct sc_node *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int read_files(const nx_capnp_struct *root, struct sc_request *req)
{
	nx_capnp_list l;

	if (list_of(root, REQ_FILES_PTR, &l) < 0)
		return -EBADMSG;
	req->files = alloc_n(l.count, sizeof(*req->files));
	if (!req->files)
		return -ENOMEM;
	req->nfiles = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct f;
		nx_capnp_list im;
		struct sc_file *sf = &req->files[i];

		nx_capnp_list_get_struct(&l, i, &f);
		sf->id = nx_capnp_struct_get_u64(&f, FILE_ID_U64, 0);
		sf->filename = text_of(&f, FILE_NAME_PTR);
		if (list_of(&f, FILE_IMPORTS_PTR, &im) < 0)
			return -EBADMSG;
		sf->imports = alloc_n(im.count, sizeof(*sf->imports));
		if (!sf->imports)
			return -ENOMEM;
		sf->nimports = im.count;
		for (uint32_t j = 0; j < im.count; j++) {
			nx_capnp_struct is;

			nx_capnp_list_get_struct(&im, j, &is);
			sf->imports[j].id = nx_capnp_struct_get_u64(&is, IMPORT_ID_U64, 0);
			sf->imports[j].name = text_of(&is, IMPORT_NAME_PTR);
		}
	}
	return 0;
}

int sc_request_read(const nx_capnp_struct *root, struct sc_request *req)
{
	nx_capnp_struct ver;
	nx_capnp_list l;
	int r;

	memset(req, 0, sizeof(*req));
	if (struct_of(root, REQ_VERSION_PTR, &ver) < 0)
		return -EBADMSG;
	req->capnp_major = nx_capnp_struct_get_u16(&ver, VERSION_MAJOR_U16, 0);
	req->capnp_minor = nx_capnp_struct_get_u8(&ver, VERSION_MINOR_U8, 0);
	req->capnp_micro = nx_capnp_struct_get_u8(&ver, VERSION_MICRO_U8, 0);

	if (list_of(root, REQ_NODES_PTR, &l) < 0)
		return -EBADMSG;
	req->nodes = alloc_n(l.count, sizeof(*req->nodes));
	if (!req->nodes)
		return -ENOMEM;
	req->nnodes = l.count;
	for (uint32_t i = 0; i < l.count; i++) {
		nx_capnp_struct n;

		nx_capnp_list_get_struct(&l, i, &n);
		r = read_node(&n, &req->nodes[i]);
		if (r < 0)
			return r;
	}
	qsort(req->nodes, req->nnodes, sizeof(*req->nodes), cmp_node);
	r = read_files(root, req);
	if (r < 0)
		return r;
	/* Accessors read malformed pointers as defaults; the sticky error says if any did. */
	return root->msg && root->msg->error ? -EBADMSG : 0;
}

static void free_annots(struct sc_annots *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

void sc_request_done(struct sc_request *req)
{
	if (!req)
		return;
	for (size_t i = 0; i < req->nnodes; i++) {
		struct sc_node *n = &req->nodes[i];

		free(n->nested);
		free_annots(&n->annots);
		for (size_t j = 0; j < n->nfields; j++) {
			free_type(&n->fields[j].type);
			free_annots(&n->fields[j].annots);
		}
		free(n->fields);
		for (size_t j = 0; j < n->nenumerants; j++)
			free_annots(&n->enumerants[j].annots);
		free(n->enumerants);
		for (size_t j = 0; j < n->nmethods; j++)
			free_annots(&n->methods[j].annots);
		free(n->methods);
		free(n->supers);
		free_type(&n->type);
		free(n->cname);
		free(n->prefix);
		free(n->cupper);
	}
	free(req->nodes);
	for (size_t i = 0; i < req->nfiles; i++)
		free(req->files[i].imports);
	free(req->files);
	memset(req, 0, sizeof(*req));
}

struct sc_node *sc_request_node(const struct sc_request *req, uint64_t id)
{
	struct sc_node key = {.id = id};

	if (!req->nodes)
		return NULL;
	return bsearch(&key, req->nodes, req->nnodes, sizeof(*req->nodes), cmp_node);
}

const struct sc_annot *sc_annots_find(const struct sc_annots *a, uint64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].id == id)
			return &a->v[i];
	return NULL;
}
