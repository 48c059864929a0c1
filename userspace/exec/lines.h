/* SPDX-License-Identifier: MIT */
/*
 * exec lines: an app's stdout and stderr, as read from its pipe in pieces of any size, cut
 * into journal records: one per line (the '\n' and a '\r' before it dropped, empty lines
 * skipped), and a line longer than APP_LINE_MAX cut into records of that size. Pure.
 */
#ifndef EXEC_LINES_H
#define EXEC_LINES_H

#include <stddef.h>

#include "nexus/limits.h"

/* Zero-initialised: empty. */
struct app_lines {
	char buf[APP_LINE_MAX];
	size_t len;
};

/* Called once per record: `line` (not NUL-terminated, 1..APP_LINE_MAX bytes) is borrowed for
 * the call. */
typedef void app_line_fn(const char *line, size_t len, void *userdata);

/* Adds the bytes read; emits every record completed by them. */
void app_lines_feed(
        struct app_lines *l, const char *data, size_t len, app_line_fn *emit, void *userdata);

/* At end of file: emits a last line that had no '\n'. */
void app_lines_flush(struct app_lines *l, app_line_fn *emit, void *userdata);

#endif
