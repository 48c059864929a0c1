/* SPDX-License-Identifier: MIT */
/*
 * Shared by the nx-capnp tests: cmocka, the fd-leak check, and an encoder for hand-made
 * pointer words written independently of the library's own layout.h, so a bug there cannot
 * hide in both places.
 */
#ifndef NXC_TEST_H
#define NXC_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-capnp/capnp.h"

#define FD_BEGIN() int fd_before_ = fdcheck_count()
#define FD_END()   fdcheck_assert(fd_before_)

/* Macros, not functions, so tables of hostile messages can be static initializers. */
#define t_struct(off, dw, np)                                                       \
	((uint64_t)((uint32_t)(int32_t)(off)*4u) | (uint64_t)(uint16_t)(dw) << 32 | \
	        (uint64_t)(uint16_t)(np) << 48)
#define t_list(off, elem, count)                        \
	((uint64_t)((uint32_t)(int32_t)(off)*4u | 1u) | \
	        (uint64_t)((uint32_t)(count)*8u | (uint32_t)(elem)) << 32)
#define t_far(dbl, pos, seg) \
	((uint64_t)((uint32_t)(pos)*8u | ((dbl) ? 4u : 0u) | 2u) | (uint64_t)(uint32_t)(seg) << 32)
#define t_cap(index) (3u | (uint64_t)(uint32_t)(index) << 32)
/* Composite list tag: element count in the offset field. */
#define t_tag(count, dw, np) t_struct((int32_t)(count), dw, np)

/* A one-segment reader over `w`. */
static inline void t_reader1(
        nx_capnp_reader *r, struct nx_capnp_seg *seg, const uint64_t *w, uint32_t n)
{
	seg->words = w;
	seg->nwords = n;
	nx_capnp_reader_init(r, seg, 1);
}

#define T_WORDS(...) ((const uint64_t[]){__VA_ARGS__})
#define T_N(...)     (sizeof((const uint64_t[]){__VA_ARGS__}) / 8)

#endif
