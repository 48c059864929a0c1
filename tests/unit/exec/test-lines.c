/* SPDX-License-Identifier: MIT */
/* exec lines: records from pipe bytes fed in pieces of every size; APP_LINE_MAX crossed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "exec/lines.h"

struct seen {
	char out[8192];
	size_t len;
	unsigned count;
	size_t longest;
};

/* Records joined with '|'. */
static void collect(const char *line, size_t len, void *userdata)
{
	struct seen *s = userdata;

	assert_true(len >= 1 && len <= APP_LINE_MAX);
	assert_true(s->len + len + 1 < sizeof(s->out));
	memcpy(s->out + s->len, line, len);
	s->len += len;
	s->out[s->len++] = '|';
	s->out[s->len] = '\0';
	s->count++;
	if (len > s->longest)
		s->longest = len;
}

/* The same bytes fed in chunks of 1, 2, ... 17 bytes give the same records. */
static void chunking_does_not_matter(void **state)
{
	static const char in[] = "first\nsecond\r\n\n\nthird line\nno newline at the end";

	for (size_t chunk = 1; chunk <= 17; chunk++) {
		struct app_lines l = {0};
		struct seen s = {0};

		for (size_t off = 0; off < sizeof(in) - 1; off += chunk) {
			size_t n = sizeof(in) - 1 - off < chunk ? sizeof(in) - 1 - off : chunk;

			app_lines_feed(&l, in + off, n, collect, &s);
		}
		assert_string_equal(s.out, "first|second|third line|");
		app_lines_flush(&l, collect, &s);
		assert_string_equal(s.out, "first|second|third line|no newline at the end|");
		app_lines_flush(&l, collect, &s); /* nothing left */
		assert_int_equal(s.count, 4);
	}
}

/* A line of exactly APP_LINE_MAX bytes is one record; APP_LINE_MAX + 1 is two. */
static void long_lines_are_cut(void **state)
{
	static char in[2 * APP_LINE_MAX + 2];
	struct app_lines l = {0};
	struct seen s = {0};

	memset(in, 'x', APP_LINE_MAX);
	in[APP_LINE_MAX] = '\n';
	app_lines_feed(&l, in, APP_LINE_MAX + 1, collect, &s);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.longest, APP_LINE_MAX);
	memset(in, 'y', APP_LINE_MAX + 1);
	in[APP_LINE_MAX + 1] = '\n';
	s = (struct seen){0};
	app_lines_feed(&l, in, APP_LINE_MAX + 2, collect, &s);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.len, APP_LINE_MAX + 1 + 2); /* the bytes and two '|' */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(chunking_does_not_matter),
	        cmocka_unit_test(long_lines_are_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
