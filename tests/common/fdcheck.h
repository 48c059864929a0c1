/* SPDX-License-Identifier: MIT */
/*
 * fd-leak check for tests: count open fds before and after, fail if they differ.
 *   int before = fdcheck_count();  ...  fdcheck_assert(before);
 * tests/unit/common/test-fdcheck.c proves the check catches a leak.
 */
#ifndef TESTS_FDCHECK_H
#define TESTS_FDCHECK_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

static inline int fdcheck_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", "..", and the directory's own fd */
}

/* Returns 0 when the count matches `before`, else prints and returns -1. */
static inline int fdcheck_leaked(int before, const char *where)
{
	int now = fdcheck_count();

	if (now == before)
		return 0;
	fprintf(stderr, "fd leak at %s: %d fds open, %d before\n", where, now, before);
	return -1;
}

/* cmocka group fixtures failing the group when its tests leaked an fd, as a whole:
 *   FDCHECK_GROUP("journal tests")
 *   ... cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown); */
#define FDCHECK_GROUP(where)                                          \
	static int fdcheck_group_before;                              \
	static int fdcheck_group_setup(void **state)                  \
	{                                                             \
		(void)state;                                          \
		fdcheck_group_before = fdcheck_count();               \
		return 0;                                             \
	}                                                             \
	static int fdcheck_group_teardown(void **state)               \
	{                                                             \
		(void)state;                                          \
		return fdcheck_leaked(fdcheck_group_before, (where)); \
	}

#define fdcheck_assert(before)                                          \
	do {                                                            \
		if (fdcheck_leaked((before), __FILE__ ":"               \
		                                      "" #before) != 0) \
			abort();                                        \
	} while (0)

#endif
