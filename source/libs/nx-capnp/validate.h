/* SPDX-License-Identifier: MIT */
/*
 * nx-capnp: the one audited validation routine. Generated code (capnpc-c) describes each
 * struct with `static const` tables built from the schema and its nexus.capnp annotations
 * ($maxLen, $maxCount, $nonEmpty, $closed); nx_capnp_validate() walks them. No per-field
 * validation code is written out anywhere.
 *
 * What is checked, for every field a descriptor lists (only the active member of a union):
 *   - every pointer reads without error (bounds, traversal and nesting limits);
 *   - Text holds no NUL before its terminator;
 *   - max_len: bytes of a Text (without the NUL) or Data, and of every Text/Data element of
 *     a list of them at any depth;
 *   - max_count: elements of a list (the field's own list, not nested ones);
 *   - non_empty: the Text, Data or list is present and not empty;
 *   - enum_count (closed enums): a value the schema does not name.
 * Structs and lists of structs are validated with their own descriptors, recursively; the
 * reader's nesting limit bounds the recursion.
 */
#ifndef NX_CAPNP_VALIDATE_H
#define NX_CAPNP_VALIDATE_H

#include "nx-capnp/capnp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a value is, as far as validation cares. */
enum nx_capnp_vkind {
	NX_CAPNP_V_TEXT = 1,
	NX_CAPNP_V_DATA,
	NX_CAPNP_V_STRUCT,
	NX_CAPNP_V_LIST,
	NX_CAPNP_V_ENUM,  /* closed: a u16 below enum_count */
	NX_CAPNP_V_GROUP, /* a field only: the group's fields live in the same struct */
	NX_CAPNP_V_PTR,   /* a capability or AnyPointer: only read, to catch malformed pointers */
};

struct nx_capnp_desc;

/* The type of a field or of a list's elements. */
struct nx_capnp_vtype {
	uint8_t kind;                           /* enum nx_capnp_vkind */
	uint8_t elem;                           /* LIST: enum nx_capnp_elem the schema declares */
	uint16_t enum_count;                    /* ENUM: enumerants the schema names */
	const struct nx_capnp_desc *desc;       /* STRUCT, GROUP */
	const struct nx_capnp_vtype *elem_type; /* LIST: NULL when elements need no check */
};

#define NX_CAPNP_NO_LIMIT UINT32_MAX
#define NX_CAPNP_NO_DISC  0xffffu

struct nx_capnp_vfield {
	const char *name; /* as in the schema: it names the field in diagnostics */
	const struct nx_capnp_vtype *type;
	uint32_t offset;       /* pointer index; ENUM: offset in u16 units of the data section */
	uint16_t disc;         /* a union member: checked only when the discriminant equals it */
	uint16_t enum_default; /* ENUM: the field's default (values are XOR-encoded with it) */
	uint32_t max_len;      /* or NX_CAPNP_NO_LIMIT */
	uint32_t max_count;    /* or NX_CAPNP_NO_LIMIT */
	bool non_empty;
};

/* A struct (or group): the fields that need a check, nothing else. */
struct nx_capnp_desc {
	const char *name;     /* the schema's scoped name */
	uint32_t disc_offset; /* u16 units; read when a field has a discriminant */
	uint32_t nfields;
	const struct nx_capnp_vfield *fields;
};

/* A method, and an interface's methods by ordinal: what a test needs to sweep every method
 * of a schema (capnpc-c writes `<prefix>_interfaces[]`, NULL-terminated, per schema file). */
struct nx_capnp_method_desc {
	const char *name;
	bool stream; /* a `-> stream` method: results is NULL */
	const struct nx_capnp_desc *params;
	const struct nx_capnp_desc *results;
};

struct nx_capnp_iface_desc {
	const char *name;
	uint64_t id;
	uint32_t nmethods;
	const struct nx_capnp_method_desc *methods;
};

/* The rule a value broke. */
enum nx_capnp_rule {
	NX_CAPNP_RULE_NONE = 0,
	NX_CAPNP_RULE_MALFORMED, /* a pointer that does not read: -EBADMSG */
	NX_CAPNP_RULE_TRAVERSAL, /* the reader's traversal or nesting limit: -EMSGSIZE */
	NX_CAPNP_RULE_EMPTY,     /* non_empty: -EINVAL */
	NX_CAPNP_RULE_NUL,       /* a NUL inside a Text: -EINVAL */
	NX_CAPNP_RULE_ENUM,      /* a closed enum's unknown value: -EINVAL */
	NX_CAPNP_RULE_MAX_LEN,   /* -EMSGSIZE, limit = max_len */
	NX_CAPNP_RULE_MAX_COUNT, /* -EMSGSIZE, limit = max_count */
};

#define NX_CAPNP_PATH_MAX 128u

/* Why a message failed: the field path ("queries[3].subject", "" for the message itself;
 * cut to fit), the rule and its limit. */
struct nx_capnp_invalid {
	enum nx_capnp_rule rule;
	uint32_t limit;
	char path[NX_CAPNP_PATH_MAX];
};

/* Validates `s` against `desc`. Returns 0, or -EINVAL (a rule: empty, NUL, unknown
 * enumerant), -EMSGSIZE (max_len, max_count, or a reader limit) or -EBADMSG (malformed) with
 * *ret_why filled (may be NULL). The reader's sticky error, if any, fails it at the end. */
int nx_capnp_validate(const nx_capnp_struct *s, const struct nx_capnp_desc *desc,
        struct nx_capnp_invalid *ret_why);

/* The errno nx_capnp_validate() returns for `rule` (0 for NX_CAPNP_RULE_NONE). */
int nx_capnp_rule_errno(enum nx_capnp_rule rule);

/* Writes "<path>: <rule>" ("name: empty", "text: longer than 256 bytes", "queries: more than
 * 64 elements"; just "<rule>" when the path is empty) to `buf`, NUL-terminated and cut to
 * `cap`. Returns the length it wanted (as snprintf). */
size_t nx_capnp_invalid_describe(const struct nx_capnp_invalid *why, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
