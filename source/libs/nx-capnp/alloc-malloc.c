/* SPDX-License-Identifier: MIT */
/*
 * The one hosted piece of nx-capnp: segments from calloc. Kept apart so a libc-free build
 * leaves this file out and supplies its own allocator.
 */
#include <stdlib.h>

#include "layout.h"

static void *malloc_alloc(void *ctx, size_t bytes)
{
	/* calloc zeroes and aligns for uint64_t, as the hook requires. */
	return calloc(1, bytes);
}

static void malloc_free(void *ctx, void *p, size_t bytes)
{
	free(p);
}

NXC_EXPORT const struct nx_capnp_allocator nx_capnp_malloc_allocator = {
        .alloc = malloc_alloc,
        .free = malloc_free,
        .ctx = NULL,
};
