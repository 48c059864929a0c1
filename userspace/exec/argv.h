/* SPDX-License-Identifier: MIT */
/*
 * exec argv: the arguments and environment a caller hands Exec.spawn, checked against the
 * limits of nexus/limits-exec.h before anything is started. Pure.
 */
#ifndef EXEC_ARGV_H
#define EXEC_ARGV_H

#include <stddef.h>

#include "nexus/limits.h" /* APP_*: nexus/limits-exec.h */

/* A text as it arrived (Cap'n Proto Text: bytes and a length, NUL not counted). Borrowed. */
struct app_text {
	const char *s;
	size_t len;
};

/* Longest reason app_argv_check writes, NUL included. */
#define APP_WHY_MAX 128u

/* Checks `args` (after argv[0]) and `env` ("NAME=value", NAME of [A-Za-z_][A-Za-z0-9_]*, each
 * NAME once). On failure writes a reason naming the element ("args[3]: contains a NUL
 * byte") into `why` (APP_WHY_MAX bytes) and returns -EINVAL (a NUL, a malformed or repeated
 * env entry) or -EMSGSIZE (a count, an element or the total past its limit). 0: fine, `why`
 * untouched. */
int app_argv_check(const struct app_text *args, size_t nargs, const struct app_text *env,
        size_t nenv, char why[APP_WHY_MAX]);

#endif
