/* SPDX-License-Identifier: MIT */
/*
 * capnpc-c: names, scopes and checks over the type model, and the diagnostics that point
 * back into the schema source (`file:line: error: ...`).
 */
#ifndef CAPNPC_C_MODEL_H
#define CAPNPC_C_MODEL_H

#include <stdio.h>

#include "schema.h"

/* Annotation ids from tools/nexus-idl/schemas/nexus.capnp (fixed there with explicit ids). */
#define NX_ANNOT_MAX_LEN   UINT64_C(0xf39bd106e3fda09c)
#define NX_ANNOT_MAX_COUNT UINT64_C(0x8fac60daa67ae27c)
#define NX_ANNOT_NON_EMPTY UINT64_C(0xf12f6d2d858087ab)
#define NX_ANNOT_CLOSED    UINT64_C(0xaaeca944704a5f3c)
#define NX_ANNOT_PREFIX    UINT64_C(0xc8d95a7e3b1f4a62)

/* capnp/stream.capnp's StreamResult: a method returning it is a `-> stream` method. */
/* Longest name stem the collision check compares. */
#define GEN_STEM_MAX 512

#define SC_STREAM_RESULT_ID UINT64_C(0x995f9a3377c0b16e)

/* Fills every node's cname, parent, file_id and is_param_struct, and every file's prefix.
 * Names: a file's prefix is its $N.prefix annotation, else its base name in snake_case
 * ("nexus-types.capnp" -> "nexus_types"); a node's cname is "<prefix>_<scoped name in
 * snake_case>" ("Shape.Point" -> "types_shape_point", "Calc.add$Params" ->
 * "iface_calc_add_params"), without repeating the prefix when the scoped name already starts
 * with it as whole words ("LogRecord" with prefix "log" -> "log_record"). -ENOMEM. */
int model_build(struct sc_request *req);

/* Checks what the generator supports in the nodes of `file`; prints one `file:line: error:`
 * per problem. Returns the number of errors. */
int model_check(const struct sc_request *req, const struct sc_file *file);

/* Prints `file:line: error: <fmt>` for `node` (line found from the schema source when it
 * can be read, else `file: error: <node>: <fmt>`). */
void model_error(const struct sc_request *req, const struct sc_node *node, const char *what,
        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The nodes of `file` in emission order (depth first, declaration order; groups and
 * implicit method param/result structs follow their owner). Returns a malloc'd array of
 * *ret_n pointers, or NULL on -ENOMEM. */
struct sc_node **model_file_nodes(const struct sc_request *req, uint64_t file_id, size_t *ret_n);

/* camelCase -> snake_case / UPPER_SNAKE, written to `out` (NUL-terminated, cut at cap). */
void model_snake(const char *in, char *out, size_t cap);
void model_upper(const char *in, char *out, size_t cap);
/* Appends '_' to `s` when it fits in `cap` (keywords, names taken). */
void model_underscore(char *s, size_t cap);
/* model_snake, plus a trailing '_' for C/C++ keywords: for names used as struct members. */
void model_member(const char *in, char *out, size_t cap);

/* The C name of method `m` of interface `iface`: "<iface cname>_<m snake>". */
void model_method_name(
        const struct sc_node *iface, const struct sc_method *m, char *out, size_t cap);

/* Whether validators reject unknown values of this enum (field or enum carries $closed). */
bool model_enum_closed(const struct sc_request *req, const struct sc_field *f, uint64_t enum_id);

#endif
