/* SPDX-License-Identifier: MIT */
/*
 * capnpc-c: the type model, read from a CodeGeneratorRequest (capnp/schema.capnp).
 *
 * Strings in the model (names, text defaults) point into the request's buffer, which must
 * outlive the model; arrays are allocated and released with sc_request_done().
 */
#ifndef CAPNPC_C_SCHEMA_H
#define CAPNPC_C_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nx-capnp/capnp.h"

/* Type.which, in schema.capnp's order. */
enum sc_kind {
	SC_VOID = 0,
	SC_BOOL,
	SC_INT8,
	SC_INT16,
	SC_INT32,
	SC_INT64,
	SC_UINT8,
	SC_UINT16,
	SC_UINT32,
	SC_UINT64,
	SC_FLOAT32,
	SC_FLOAT64,
	SC_TEXT,
	SC_DATA,
	SC_LIST,
	SC_ENUM,
	SC_STRUCT,
	SC_INTERFACE,
	SC_ANYPTR,
};

struct sc_type {
	enum sc_kind kind;
	uint64_t id;          /* enum, struct, interface */
	struct sc_type *elem; /* list */
	bool generic;         /* a type parameter, or a brand binding one */
};

/* A Value: numbers as raw little-endian bits, pointers as a view into the request. */
struct sc_value {
	enum sc_kind kind;
	uint64_t bits;
	const char *text; /* text / data bytes */
	size_t len;
	nx_capnp_ptr ptr; /* list, struct, anyPointer */
};

struct sc_annot {
	uint64_t id;
	struct sc_value value;
};

struct sc_annots {
	struct sc_annot *v;
	size_t n;
};

#define SC_NO_DISCRIMINANT 0xffffu

struct sc_field {
	const char *name;
	uint16_t code_order;
	uint16_t disc; /* SC_NO_DISCRIMINANT when not in a union */
	bool is_group;
	uint64_t group_id;
	uint32_t offset; /* slot: in units of the type's size (bits for Bool), or pointer index */
	struct sc_type type;
	struct sc_value def;
	bool had_default;
	struct sc_annots annots;
};

struct sc_enumerant {
	const char *name;
	struct sc_annots annots;
};

struct sc_method {
	const char *name;
	uint64_t param_id;
	uint64_t result_id;
	bool generic; /* branded param/result or implicit parameters */
	struct sc_annots annots;
};

enum sc_node_kind {
	SC_NODE_FILE = 0,
	SC_NODE_STRUCT,
	SC_NODE_ENUM,
	SC_NODE_INTERFACE,
	SC_NODE_CONST,
	SC_NODE_ANNOTATION,
};

struct sc_nested {
	const char *name;
	uint64_t id;
};

struct sc_node {
	uint64_t id;
	const char *display_name;
	const char *short_name; /* display_name after the prefix */
	uint64_t scope_id;
	enum sc_node_kind kind;
	bool is_generic;
	struct sc_nested *nested;
	size_t nnested;
	struct sc_annots annots;

	/* struct */
	uint16_t data_words;
	uint16_t ptrs;
	bool is_group;
	uint16_t disc_count;
	uint32_t disc_offset; /* in 16-bit units */
	struct sc_field *fields;
	size_t nfields;

	/* enum */
	struct sc_enumerant *enumerants;
	size_t nenumerants;

	/* interface */
	struct sc_method *methods;
	size_t nmethods;
	uint64_t *supers;
	size_t nsupers;
	bool supers_generic;

	/* const (and annotation's type) */
	struct sc_type type;
	struct sc_value value;

	/* derived by the model */
	char *cname;            /* C identifier: <prefix>_<snake scope path> (model.c) */
	char *cupper;           /* cname in upper case, for macros */
	char *prefix;           /* files: the prefix of every generated identifier */
	uint64_t file_id;       /* the file node this node lives in */
	struct sc_node *parent; /* scope, NULL for files */
	bool is_param_struct;   /* an implicit method $Params / $Results struct */
};

struct sc_import {
	uint64_t id;
	const char *name;
};

struct sc_file {
	uint64_t id;
	const char *filename;
	struct sc_import *imports;
	size_t nimports;
};

struct sc_request {
	struct sc_node *nodes; /* sorted by id */
	size_t nnodes;
	struct sc_file *files;
	size_t nfiles;
	uint16_t capnp_major;
	uint8_t capnp_minor;
	uint8_t capnp_micro;
};

/* Reads the request rooted at `root` into `req`. Returns 0, -ENOMEM, or -EBADMSG when the
 * request is malformed (the reader's error). On failure `req` holds what was read so far and
 * must still be released with sc_request_done(). */
int sc_request_read(const nx_capnp_struct *root, struct sc_request *req);
void sc_request_done(struct sc_request *req);

/* The node with `id`, or NULL. */
struct sc_node *sc_request_node(const struct sc_request *req, uint64_t id);

/* The annotation `id` among `a`, or NULL. */
const struct sc_annot *sc_annots_find(const struct sc_annots *a, uint64_t id);

#endif
