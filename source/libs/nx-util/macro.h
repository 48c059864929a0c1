/* SPDX-License-Identifier: MIT */
/*
 * Private to Nexus: the tiny helpers every library and userspace library shares, defined once.
 * Header-only and freestanding (no libc I/O, no syscalls), so pure code may include it.
 */
#ifndef NX_UTIL_MACRO_H
#define NX_UTIL_MACRO_H

/* Programmer errors at public entry points (STYLE.md 7): refuse with `r`, never abort, never
 * log. Peer data is checked with real code, never with this. */
#define assert_return(expr, r)      \
	do {                        \
		if (!(expr))        \
			return (r); \
	} while (0)

/* Elements of an array (not a pointer: the array's own size is taken). */
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
