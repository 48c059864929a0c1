/* SPDX-License-Identifier: MIT */
/*
 * nx-capnp: the Cap'n Proto serialization runtime.
 *
 * Freestanding: needs only <stddef.h>, <stdint.h>, <stdbool.h> and memcpy/memset/memcmp.
 * No allocation except through the allocator hook, no I/O, no globals.
 *
 * Readers are views into the caller's buffer: nothing is copied or allocated. Every pointer
 * is bounds-checked against its segment, every object followed is charged to a traversal
 * budget and a nesting limit (include/nexus/limits.h). The charge is the object's size in
 * words, at least 1; a list of zero-sized elements (Void, or structs of no words) is charged
 * one word per element, as the reference does, so a tiny message cannot make a walker visit
 * millions of empty elements. A malformed pointer reads as null /
 * default and the first error is kept in nx_capnp_reader.error (sticky), so generated
 * accessors can stay total and validators check the error once at the end.
 *
 * Offsets of primitive fields are in units of the field's own size, exactly as in
 * schema.capnp's `Field.slot.offset` (bools: in bits). Defaults are XOR-encoded: callers pass
 * the field's default and the runtime applies it on get and set.
 *
 * Errors are negative errno values: -EBADMSG malformed input, -EMSGSIZE a limit crossed,
 * -ELOOP traversal or nesting limit, -ENOMEM allocation failed, -ENOBUFS caller buffer too
 * small, -EINVAL programmer error, -EAGAIN more bytes needed (framing), -EOPNOTSUPP a message
 * holding a capability has no canonical form (the reference refuses it too; canonical forms
 * are what gets signed, and a cap index means nothing without its cap table).
 */
#ifndef NX_CAPNP_CAPNP_H
#define NX_CAPNP_CAPNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element sizes of a list pointer (the 3-bit C field of the encoding). */
enum nx_capnp_elem {
	NX_CAPNP_ELEM_VOID = 0,
	NX_CAPNP_ELEM_BIT = 1,
	NX_CAPNP_ELEM_BYTE = 2,
	NX_CAPNP_ELEM_2BYTES = 3,
	NX_CAPNP_ELEM_4BYTES = 4,
	NX_CAPNP_ELEM_8BYTES = 5,
	NX_CAPNP_ELEM_POINTER = 6,
	NX_CAPNP_ELEM_COMPOSITE = 7,
};

/* What a pointer points at, after following far pointers. */
enum nx_capnp_kind {
	NX_CAPNP_KIND_NULL = 0,
	NX_CAPNP_KIND_STRUCT,
	NX_CAPNP_KIND_LIST,
	NX_CAPNP_KIND_CAP,
	NX_CAPNP_KIND_INVALID, /* malformed: reader error set */
};

#define NX_CAPNP_NO_CAP UINT32_MAX

/* ---- Capability tables ------------------------------------------------------------------ */

/* The capability table of the message a reader or builder belongs to. The RPC layer (nx-rpc)
 * sets it so that generated typed accessors can turn a capability pointer into a capability
 * and back; nx-capnp only carries it (NULL: the message has no capabilities). */
struct nx_capnp_captable {
	/* A new reference to capability `index` in *ret; -ENOENT when there is none. */
	int (*get)(void *ctx, uint32_t index, void **ret);
	/* Adds `cap` (referenced, not taken) to the table; its index in *ret_index. */
	int (*add)(void *ctx, void *cap, uint32_t *ret_index);
	void *ctx;
};

/* ---- Reading ---------------------------------------------------------------------------- */

/* One segment of a received message: `words` must stay valid while readers use it. */
struct nx_capnp_seg {
	const uint64_t *words;
	uint32_t nwords;
};

/* A message being read. Set up with nx_capnp_reader_init(); all fields are read-only to users
 * except `ncaps`, which the RPC layer sets to the size of the message's cap table so capability
 * pointers past it read as invalid. */
typedef struct nx_capnp_reader {
	const struct nx_capnp_seg *segs;
	uint32_t nsegs;
	uint32_t ncaps;
	uint64_t traversal_left;              /* words */
	int error;                            /* first error seen, 0 if none */
	const struct nx_capnp_captable *caps; /* set by the RPC layer, NULL after init */
} nx_capnp_reader;

/* A struct inside a message. A null or invalid pointer reads as an empty struct (all
 * defaults): data_bytes == 0 and nptrs == 0. */
typedef struct nx_capnp_struct {
	nx_capnp_reader *msg;
	const uint8_t *data;
	const uint64_t *ptrs;
	uint32_t seg;
	uint32_t data_bytes;
	uint16_t nptrs;
	int nesting; /* remaining depth */
} nx_capnp_struct;

/* A list inside a message. Every element kind uses one layout description: each element is
 * `step_bits` apart, has `data_bits` of data followed by `nptrs` pointers. Primitive lists
 * have nptrs == 0; a list of structs (composite) has step = data + pointers. This is what
 * makes list-of-struct upgrades and downgrades work in both directions. */
typedef struct nx_capnp_list {
	nx_capnp_reader *msg;
	const uint8_t *start;
	uint32_t seg;
	uint32_t count;
	uint32_t step_bits;
	uint32_t data_bits;
	uint16_t nptrs;
	uint8_t elem; /* enum nx_capnp_elem as encoded */
	int nesting;
} nx_capnp_list;

/* A location holding a pointer (a struct's pointer field, a list element, the root, an
 * AnyPointer). Not yet followed. */
typedef struct nx_capnp_ptr {
	nx_capnp_reader *msg;
	const uint64_t *p; /* NULL: reads as a null pointer */
	uint32_t seg;
	int nesting;
} nx_capnp_ptr;

/* Sets up a reader over `nsegs` segments. The traversal budget is
 * NX_CAPNP_TRAVERSAL_FACTOR times the total size in words. Borrows `segs`. */
void nx_capnp_reader_init(nx_capnp_reader *r, const struct nx_capnp_seg *segs, uint32_t nsegs);

/* The root pointer (first word of segment 0). */
nx_capnp_ptr nx_capnp_reader_root(nx_capnp_reader *r);

/* Reads the root as a struct. Returns 0, or the reader's error if the root is malformed. */
int nx_capnp_reader_root_struct(nx_capnp_reader *r, nx_capnp_struct *ret);

/* Primitive getters: field outside the data section reads as the default. */
bool nx_capnp_struct_get_bool(const nx_capnp_struct *s, uint32_t bit_offset, bool def);
uint8_t nx_capnp_struct_get_u8(const nx_capnp_struct *s, uint32_t offset, uint8_t def);
uint16_t nx_capnp_struct_get_u16(const nx_capnp_struct *s, uint32_t offset, uint16_t def);
uint32_t nx_capnp_struct_get_u32(const nx_capnp_struct *s, uint32_t offset, uint32_t def);
uint64_t nx_capnp_struct_get_u64(const nx_capnp_struct *s, uint32_t offset, uint64_t def);
/* Floats are stored as their IEEE bits; the default is given as bits too. */
float nx_capnp_struct_get_f32(const nx_capnp_struct *s, uint32_t offset, uint32_t def_bits);
double nx_capnp_struct_get_f64(const nx_capnp_struct *s, uint32_t offset, uint64_t def_bits);

/* Pointer field `index`; past the pointer section it reads as null. */
nx_capnp_ptr nx_capnp_struct_ptr(const nx_capnp_struct *s, uint32_t index);

/* Following pointers. Each returns 0 and fills *ret (a null pointer gives an empty struct,
 * an empty list, an empty text "" / data, or NX_CAPNP_NO_CAP), or a negative errno
 * (-EBADMSG, -ELOOP) with *ret set to the empty value and the reader's error set. */
enum nx_capnp_kind nx_capnp_ptr_kind(const nx_capnp_ptr *p);
bool nx_capnp_ptr_is_null(const nx_capnp_ptr *p);
int nx_capnp_ptr_read_struct(const nx_capnp_ptr *p, nx_capnp_struct *ret);
/* `expected` is the element size the schema declares; incompatible encodings are rejected
 * except the upgrades the spec allows (struct list read as primitive list and back). */
int nx_capnp_ptr_read_list(const nx_capnp_ptr *p, enum nx_capnp_elem expected, nx_capnp_list *ret);
/* Text: a byte list ending in NUL. *ret points into the message, NUL-terminated;
 * *ret_len excludes the NUL. */
int nx_capnp_ptr_read_text(const nx_capnp_ptr *p, const char **ret, size_t *ret_len);
int nx_capnp_ptr_read_data(const nx_capnp_ptr *p, const uint8_t **ret, size_t *ret_len);
/* Capability pointer: index into the message's cap table (checked against reader->ncaps). */
int nx_capnp_ptr_read_cap(const nx_capnp_ptr *p, uint32_t *ret_index);

/* List elements. Out-of-range indexes read as defaults (and are programmer errors). */
bool nx_capnp_list_get_bool(const nx_capnp_list *l, uint32_t i);
uint8_t nx_capnp_list_get_u8(const nx_capnp_list *l, uint32_t i);
uint16_t nx_capnp_list_get_u16(const nx_capnp_list *l, uint32_t i);
uint32_t nx_capnp_list_get_u32(const nx_capnp_list *l, uint32_t i);
uint64_t nx_capnp_list_get_u64(const nx_capnp_list *l, uint32_t i);
void nx_capnp_list_get_struct(const nx_capnp_list *l, uint32_t i, nx_capnp_struct *ret);
nx_capnp_ptr nx_capnp_list_ptr(const nx_capnp_list *l, uint32_t i);

/* ---- Building --------------------------------------------------------------------------- */

/* Allocator hook for segments after the first. alloc returns zeroed, 8-byte aligned memory
 * or NULL. A NULL allocator means the builder lives in the caller's first segment only. */
struct nx_capnp_allocator {
	void *(*alloc)(void *ctx, size_t bytes);
	void (*free)(void *ctx, void *p, size_t bytes);
	void *ctx;
};

#define NX_CAPNP_BUILDER_MAX_SEGS NX_CAPNP_MAX_SEGMENTS

struct nx_capnp_bseg {
	uint64_t *words;
	uint32_t used;
	uint32_t cap;
	bool owned; /* allocated through the hook, freed by nx_capnp_builder_done() */
};

typedef struct nx_capnp_builder {
	struct nx_capnp_bseg segs[NX_CAPNP_BUILDER_MAX_SEGS];
	uint32_t nsegs;
	const struct nx_capnp_allocator *alloc;
	int error; /* first error (-ENOMEM, -EMSGSIZE), sticky: later operations do nothing */
	const struct nx_capnp_captable *caps; /* set by the RPC layer, NULL after init */
} nx_capnp_builder;

typedef struct nx_capnp_bstruct {
	nx_capnp_builder *b;
	uint64_t *data; /* NULL when building failed */
	uint64_t *ptrs;
	uint32_t seg;
	uint16_t data_words;
	uint16_t nptrs;
} nx_capnp_bstruct;

typedef struct nx_capnp_blist {
	nx_capnp_builder *b;
	uint8_t *start;
	uint32_t seg;
	uint32_t count;
	uint32_t step_bits;
	uint16_t data_words; /* composite only */
	uint16_t nptrs;      /* composite: per element; pointer list: 1 */
	uint8_t elem;
} nx_capnp_blist;

typedef struct nx_capnp_bptr {
	nx_capnp_builder *b;
	uint64_t *p;
	uint32_t seg;
} nx_capnp_bptr;

/* Starts a message in `first` (8-byte aligned, `bytes` rounded down to words; may be NULL when
 * an allocator is given). The root pointer takes the first word. Borrows both. */
void nx_capnp_builder_init(
        nx_capnp_builder *b, void *first, size_t bytes, const struct nx_capnp_allocator *alloc);
/* Frees segments allocated through the hook. Takes NULL. */
void nx_capnp_builder_done(nx_capnp_builder *b);
/* A malloc-backed allocator for hosted code. */
extern const struct nx_capnp_allocator nx_capnp_malloc_allocator;

nx_capnp_bptr nx_capnp_builder_root(nx_capnp_builder *b);
int nx_capnp_builder_init_root(
        nx_capnp_builder *b, uint16_t data_words, uint16_t nptrs, nx_capnp_bstruct *ret);
/* Total words in use across segments. */
size_t nx_capnp_builder_words(const nx_capnp_builder *b);

void nx_capnp_bstruct_set_bool(const nx_capnp_bstruct *s, uint32_t bit_offset, bool v, bool def);
void nx_capnp_bstruct_set_u8(const nx_capnp_bstruct *s, uint32_t offset, uint8_t v, uint8_t def);
void nx_capnp_bstruct_set_u16(const nx_capnp_bstruct *s, uint32_t offset, uint16_t v, uint16_t def);
void nx_capnp_bstruct_set_u32(const nx_capnp_bstruct *s, uint32_t offset, uint32_t v, uint32_t def);
void nx_capnp_bstruct_set_u64(const nx_capnp_bstruct *s, uint32_t offset, uint64_t v, uint64_t def);
void nx_capnp_bstruct_set_f32(
        const nx_capnp_bstruct *s, uint32_t offset, float v, uint32_t def_bits);
void nx_capnp_bstruct_set_f64(
        const nx_capnp_bstruct *s, uint32_t offset, double v, uint64_t def_bits);
/* Reading back what was built (same rules as the reader getters). */
uint32_t nx_capnp_bstruct_get_u32(const nx_capnp_bstruct *s, uint32_t offset, uint32_t def);
uint16_t nx_capnp_bstruct_get_u16(const nx_capnp_bstruct *s, uint32_t offset, uint16_t def);
nx_capnp_bptr nx_capnp_bstruct_ptr(const nx_capnp_bstruct *s, uint32_t index);

/* Pointer setters. Each allocates in the pointer's segment when it fits, otherwise in another
 * segment through a far pointer (double-far when no landing pad fits beside the object).
 * Return 0 or a negative errno; on failure the builder's error is set. */
int nx_capnp_bptr_init_struct(
        const nx_capnp_bptr *p, uint16_t data_words, uint16_t nptrs, nx_capnp_bstruct *ret);
int nx_capnp_bptr_init_list(
        const nx_capnp_bptr *p, enum nx_capnp_elem elem, uint32_t count, nx_capnp_blist *ret);
int nx_capnp_bptr_init_struct_list(const nx_capnp_bptr *p, uint16_t data_words, uint16_t nptrs,
        uint32_t count, nx_capnp_blist *ret);
/* Copies `len` bytes and appends the NUL. `s` need not be NUL-terminated. */
int nx_capnp_bptr_set_text(const nx_capnp_bptr *p, const char *s, size_t len);
int nx_capnp_bptr_set_data(const nx_capnp_bptr *p, const void *data, size_t len);
/* -EINVAL for NX_CAPNP_NO_CAP: no cap table holds it, so no reader would read it back. */
int nx_capnp_bptr_set_cap(const nx_capnp_bptr *p, uint32_t cap_index);
void nx_capnp_bptr_set_null(const nx_capnp_bptr *p);
/* Deep-copies whatever `src` points at (struct, list, text, data, cap index) into this
 * message. Capability indexes are copied as they are (not checked against src->msg->ncaps, so
 * a message read without its cap table can be echoed), except NX_CAPNP_NO_CAP, which no cap
 * table holds: it is -EBADMSG, so a copy never holds a pointer no reader accepts.
 * The source is read through the reader, so its traversal and nesting limits bound the copy.
 * On a source error (-EBADMSG, -ELOOP) the part already copied stays and the builder stays
 * usable; on -ENOMEM / -EMSGSIZE the builder's error is set. */
int nx_capnp_bptr_copy(const nx_capnp_bptr *p, const nx_capnp_ptr *src);

void nx_capnp_blist_set_bool(const nx_capnp_blist *l, uint32_t i, bool v);
void nx_capnp_blist_set_u8(const nx_capnp_blist *l, uint32_t i, uint8_t v);
void nx_capnp_blist_set_u16(const nx_capnp_blist *l, uint32_t i, uint16_t v);
void nx_capnp_blist_set_u32(const nx_capnp_blist *l, uint32_t i, uint32_t v);
void nx_capnp_blist_set_u64(const nx_capnp_blist *l, uint32_t i, uint64_t v);
void nx_capnp_blist_get_struct(const nx_capnp_blist *l, uint32_t i, nx_capnp_bstruct *ret);
nx_capnp_bptr nx_capnp_blist_ptr(const nx_capnp_blist *l, uint32_t i);

/* A reader over what a builder holds (no copy), e.g. to read back or to canonicalize.
 * `segs` must have room for b->nsegs entries. */
void nx_capnp_builder_as_reader(
        const nx_capnp_builder *b, struct nx_capnp_seg *segs, nx_capnp_reader *ret);

/* ---- Stream framing (the standard segment table) --------------------------------------- */

/* How many bytes the frame at the front of `buf` occupies. -EAGAIN when the segment table is
 * not complete yet (need at least *ret_bytes bytes to know, when set); -EMSGSIZE when more than
 * `max_bytes` or NX_CAPNP_MAX_SEGMENTS; -EBADMSG when malformed. Decides before anything is
 * allocated. */
int nx_capnp_frame_size(const void *buf, size_t len, size_t max_bytes, size_t *ret_bytes);

/* Parses a complete frame at the front of buf (8-byte aligned, else -EINVAL) into segment
 * views that borrow buf. `segs` has room for `max_segs`; more segments: -EMSGSIZE. Returns 0
 * with the count and the frame's length in bytes, or nx_capnp_frame_size()'s errors (-EAGAIN
 * also when the table is complete but the segments are not). */
int nx_capnp_frame_parse(const void *buf, size_t len, size_t max_bytes, struct nx_capnp_seg *segs,
        uint32_t max_segs, uint32_t *ret_nsegs, size_t *ret_bytes);

/* Bytes needed to frame what the builder holds. */
size_t nx_capnp_frame_bytes(const nx_capnp_builder *b);
/* Writes the frame; -ENOBUFS if `cap` is too small; the builder's error if it has one. */
int nx_capnp_frame_write(const nx_capnp_builder *b, void *out, size_t cap, size_t *ret_len);

/* ---- Canonical form --------------------------------------------------------------------- */

/* Writes the canonical encoding of the struct `root` to `out`, byte-for-byte what
 * `capnp convert binary:canonical` (0.9.2, checked) produces: the root pointer then the
 * objects of one segment, with no segment table ("flat"); preorder (a struct's data, then the
 * targets of its pointers in order; a struct list's elements, then each element's targets);
 * data sections trimmed of trailing zero words and pointer sections of trailing nulls; struct
 * lists resized to their largest trimmed element; zero-sized structs encoded with offset -1;
 * empty lists pointing at the current end. -ENOBUFS with *ret_bytes = needed size when `cap`
 * is too small (out may be NULL then). A capability pointer anywhere is -EOPNOTSUPP, as in
 * the reference ("Cannot create a canonical message with a capability"): its index means
 * something only beside the cap table the message travelled with, which the canonical form
 * does not carry, so a signature over it would sign a reference to nothing. Reading the
 * message charges root->msg's traversal budget; its errors (-EBADMSG, -ELOOP) are returned. */
int nx_capnp_canonicalize(const nx_capnp_struct *root, void *out, size_t cap, size_t *ret_bytes);

#ifdef __cplusplus
}
#endif

#endif
