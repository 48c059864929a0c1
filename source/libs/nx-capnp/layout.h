/* SPDX-License-Identifier: MIT */
/*
 * Private to nx-capnp: the wire encoding of pointers and the little-endian loads and stores
 * every module shares. All loads go through memcpy so an unaligned or type-punned buffer is
 * never undefined behaviour.
 */
#ifndef NX_CAPNP_LAYOUT_H
#define NX_CAPNP_LAYOUT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capnp.h"
#include "nx-util/macro.h" /* assert_return */

#define NXC_EXPORT __attribute__((visibility("default")))

/* The low two bits of a pointer word. */
enum {
	NXC_PTR_STRUCT = 0,
	NXC_PTR_LIST = 1,
	NXC_PTR_FAR = 2,
	NXC_PTR_OTHER = 3,
};

/* A list pointer's element count and a composite list's word count are 29 bits. */
#define NXC_LIST_MAX_COUNT ((1u << 29) - 1)

static inline uint16_t nxc_load16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | (uint16_t)b[1] << 8);
}

static inline uint32_t nxc_load32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t nxc_load64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)nxc_load32(b) | (uint64_t)nxc_load32(b + 4) << 32;
}

static inline void nxc_store16(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void nxc_store32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void nxc_store64(void *p, uint64_t v)
{
	nxc_store32(p, (uint32_t)v);
	nxc_store32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

static inline unsigned nxc_ptr_kind(uint64_t w)
{
	return (unsigned)(w & 3);
}

/* The signed 30-bit word offset of a struct or list pointer, sign-extended without relying
 * on the implementation-defined right shift of a negative value. */
static inline int64_t nxc_ptr_offset(uint64_t w)
{
	uint32_t lo = (uint32_t)w;
	int64_t off = (int64_t)(lo >> 2);

	if (lo & 0x80000000u)
		off -= (int64_t)1 << 30;
	return off;
}

static inline uint64_t nxc_make_struct_ptr(int64_t off, uint16_t data_words, uint16_t nptrs)
{
	uint32_t lo = ((uint32_t)off << 2) | NXC_PTR_STRUCT;

	/* The analyzer cannot see that callers pass initialised sizes. */
	/* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
	uint64_t hi = ((uint64_t)nptrs << 16) | data_words;

	return hi << 32 | lo;
}

static inline uint64_t nxc_make_list_ptr(int64_t off, unsigned elem, uint32_t count)
{
	uint32_t lo = ((uint32_t)off << 2) | NXC_PTR_LIST;

	return (uint64_t)lo | (uint64_t)(((count << 3) | (elem & 7u))) << 32;
}

static inline uint64_t nxc_make_far_ptr(bool double_far, uint32_t pos, uint32_t seg)
{
	uint32_t lo = (pos << 3) | ((uint32_t)double_far << 2) | NXC_PTR_FAR;

	return (uint64_t)lo | (uint64_t)seg << 32;
}

static inline uint64_t nxc_make_cap_ptr(uint32_t index)
{
	return (uint64_t)NXC_PTR_OTHER | (uint64_t)index << 32;
}

/* Bits per element of a non-composite list, and pointers per element. */
static inline uint32_t nxc_elem_bits(unsigned elem)
{
	static const uint8_t bits[8] = {0, 1, 8, 16, 32, 64, 64, 0};

	return bits[elem & 7u];
}

/* Shared by reader.c and the modules that walk a message. Records the first error. */
int nxc_fail(nx_capnp_reader *r, int err);

#endif
