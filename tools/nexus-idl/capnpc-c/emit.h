/* SPDX-License-Identifier: MIT */
/*
 * capnpc-c: the emitters. emit-header.c writes `<file>.capnp.h` (types, descriptors, inline
 * accessors), emit-source.c writes `<file>.capnp.c` (validators, pointer defaults),
 * emit-iface.c the interface parts of both (ids, client stubs, server vtable + dispatcher).
 */
#ifndef CAPNPC_C_EMIT_H
#define CAPNPC_C_EMIT_H

#include <stdio.h>

#include "model.h"

struct gen {
	const struct sc_request *req;
	const struct sc_file *file;
	struct sc_node **nodes; /* this file's nodes, emission order */
	size_t nnodes;
	const char *base;   /* the output name without directories: "foo.capnp" */
	const char *prefix; /* of every identifier in this file (model.h) */
	FILE *h;
	FILE *c;
	bool has_iface;   /* the file defines an interface */
	bool uses_caps;   /* ...or a field names one: typed capabilities need nx-rpc */
	unsigned nvtypes; /* nxg_t<n> descriptors written so far */
	int errors;
};

#define GEN_NAME_MAX 512

/* printf-style writers. Write errors are not checked per call: the stream's error flag is
 * checked once, when the output is closed (main.c). */
void out(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_s(FILE *f, const char *s);
void out_c(FILE *f, int c);

/* Names derived from a node or a field (written to caller buffers of GEN_NAME_MAX). */
void gen_field_name(const struct sc_field *f, char *out);
void gen_upper_name(const char *cname, char *out);

/* The C type of a primitive kind ("int32_t"), or NULL. */
const char *gen_prim_ctype(enum sc_kind k);
/* The nx-capnp accessor suffix for a primitive kind ("u32", "f64", "bool"), or NULL. */
const char *gen_prim_rt(enum sc_kind k);
/* The unsigned type the runtime takes for that kind ("uint32_t"), or NULL for bool. */
const char *gen_prim_raw(enum sc_kind k);
/* A field's default as the literal the runtime takes (raw bits). */
void gen_default_bits(FILE *f, enum sc_kind k, uint64_t bits);
/* The list element size for elements of type `t` ("NX_CAPNP_ELEM_4BYTES"). */
const char *gen_elem_size(const struct sc_type *t);
/* A C string literal of `len` bytes (escaped, safe for any byte). */
void gen_c_string(FILE *f, const char *s, size_t len);

/* The C name of the type with `id` (struct, enum, interface), or "?"; and in upper case. */
const char *gen_cname(const struct gen *g, uint64_t id);
const char *gen_cupper(const struct gen *g, uint64_t id);

/* Whether every field of struct `n` can be a C argument (primitive, enum, Text, Data,
 * capability; no groups, unions, structs, lists, AnyPointer): then the generator writes
 * one-call forms taking them (`echo_echo(target, text, cb, userdata)`). */
bool gen_fields_simple(const struct sc_node *n);
/* Writes `, <type> <name>...` for each field of a simple struct (Data: pointer and length). */
void gen_simple_args(FILE *f, const struct gen *g, const struct sc_node *n);
/* Writes `, <name>...` matching gen_simple_args (for calls). */
void gen_simple_names(FILE *f, const struct sc_node *n);
/* Writes statements setting each field of the simple struct `n` from the arguments of
 * gen_simple_args in the builder named `b`, accumulating errors in `int r`. True when a
 * setter that can fail (Text, Data, capability) was written. */
bool gen_simple_fill(FILE *f, const struct sc_node *n, const char *b);
/* The argument name for a field (a keyword or a name the generated function uses itself
 * gets a trailing '_'). */
void gen_arg_name(const struct sc_field *f, char *out);

/* Encodes the object `p` points at as a standalone message (root pointer first) for a
 * `static const` default. Returns 0 with a malloc'd array, or a negative errno. */
int gen_encode_default(const nx_capnp_ptr *p, uint64_t **ret_words, size_t *ret_n);

void emit_header(struct gen *g);
void emit_source(struct gen *g);
void emit_iface_type(struct gen *g, const struct sc_node *n);
void emit_iface_header(struct gen *g, const struct sc_node *n);
void emit_iface_source(struct gen *g, const struct sc_node *n);

#endif
