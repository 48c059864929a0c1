/* SPDX-License-Identifier: MIT */
/*
 * What both ends of the interop test compute the same way: the blob byte pattern and the
 * hash reported for blobs and streams. Plain C (also compiled as C++) so the Nexus C peer
 * uses the very same definitions as the reference C++ peer.
 */
#ifndef TESTS_INTEROP_UTIL_H
#define TESTS_INTEROP_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Largest blob either peer creates or accepts in these tests. */
#define INTEROP_BLOB_MAX_BYTES (64u << 20)
/* Bytes of a consumed blob echoed back in consumeBlob's `head`. */
#define INTEROP_BLOB_HEAD_BYTES 64u
/* Most callbacks one callBack request may ask for. */
#define INTEROP_CALLBACK_MAX 1000u
/* Exit status of the server for Interop.die. */
#define INTEROP_DIE_STATUS 42

#define INTEROP_FNV_INIT 0xcbf29ce484222325ull

/* Interface ids of interop.capnp (Call.interfaceId); method ids are the @N ordinals there. */
#define INTEROP_ID_INTEROP  0x835c6db04c819f98ull
#define INTEROP_ID_CALLBACK 0xdf12ea29265da4d4ull
#define INTEROP_ID_COUNTER  0xb8c7936e6fcc3af6ull
#define INTEROP_ID_BLOB     0xd5c77840b8a6152aull
#define INTEROP_ID_SINK     0x8b55e388b0e36301ull

/* Byte `i` of the blob pattern for `seed`. The `i >> 9` term keeps the pattern from
 * repeating every 256 bytes, so a misplaced page is caught. */
static inline uint8_t interop_pattern(uint32_t seed, uint64_t i)
{
	return (uint8_t)(i * 131u + seed + (i >> 9));
}

static inline void interop_pattern_fill(uint32_t seed, uint64_t offset, uint8_t *buf, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		buf[k] = interop_pattern(seed, offset + k);
}

/* FNV-1a 64, continued from `h` (start with INTEROP_FNV_INIT). */
static inline uint64_t interop_fnv1a64(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)buf;
	size_t k;

	for (k = 0; k < len; k++) {
		h ^= p[k];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif
