/* SPDX-License-Identifier: MIT */
/*
 * vfs paging: pages in name order after the cursor, cut by count and by bytes; a listing of
 * 10,000 names taken page by page while names are added and removed is complete for those
 * there throughout, with no name twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vfs/page.h"

static void test_page_order_and_cut(void **state)
{
	const char *names[] = {"c", "a", "e", "b", "d"};
	size_t count;
	bool more;

	vfs_page_select(names, 5, NULL, 2, VFS_LIST_PAGE_BYTES, &count, &more);
	assert_int_equal(count, 2);
	assert_true(more);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	vfs_page_select(names, 5, "b", 2, VFS_LIST_PAGE_BYTES, &count, &more);
	assert_int_equal(count, 2);
	assert_string_equal(names[0], "c");
	assert_string_equal(names[1], "d");
	assert_true(more);
	vfs_page_select(names, 5, "d", 2, VFS_LIST_PAGE_BYTES, &count, &more);
	assert_int_equal(count, 1);
	assert_string_equal(names[0], "e");
	assert_false(more);
	vfs_page_select(names, 5, "e", 0, VFS_LIST_PAGE_BYTES, &count, &more);
	assert_int_equal(count, 0);
	assert_false(more);
	/* A cursor that is no longer there ("bb") still means "after it". */
	vfs_page_select(names, 5, "bb", 0, VFS_LIST_PAGE_BYTES, &count, &more);
	assert_int_equal(count, 3);
	assert_string_equal(names[0], "c");
	/* Bytes: each one-letter name costs vfs_page_entry_bytes(1); two fit, not three. At
	 * least one is taken however small the budget. */
	vfs_page_select(names, 5, "", 0, 2 * vfs_page_entry_bytes(1), &count, &more);
	assert_int_equal(count, 2);
	vfs_page_select(names, 5, "", 0, 1, &count, &more);
	assert_int_equal(count, 1);
	assert_int_equal(vfs_page_entry_bytes(7), 40);
	assert_int_equal(vfs_page_entry_bytes(8), 48);
}

/* VFS_LIST_PAGE_MAX names at most, whatever max_entries asks. */
static void test_page_max(void **state)
{
	static char store[VFS_LIST_PAGE_MAX + 10][8];
	const char *names[VFS_LIST_PAGE_MAX + 10];
	size_t count;
	bool more;

	for (size_t i = 0; i < VFS_LIST_PAGE_MAX + 10; i++) {
		snprintf(store[i], sizeof(store[i]), "%05zu", i);
		names[i] = store[i];
	}
	vfs_page_select(names, VFS_LIST_PAGE_MAX + 10, NULL, 100000, SIZE_MAX, &count, &more);
	assert_int_equal(count, VFS_LIST_PAGE_MAX);
	assert_true(more);
	vfs_page_select(names, VFS_LIST_PAGE_MAX + 10, NULL, 0, SIZE_MAX, &count, &more);
	assert_int_equal(count, VFS_LIST_PAGE_MAX);
}

#define N 10000

/* A directory of N names listed page by page; between pages one name already listed is
 * removed and one new name added. */
static void test_stable_listing(void **state)
{
	static char store[N + N][16];
	static const char *dir[N + N], *scratch[N + N];
	static unsigned char seen[N + N];
	size_t n = 0, count, total = 0, pages = 0, added = 0;
	char cursor[16] = "";
	bool more = true;

	for (size_t i = 0; i < N; i++) {
		snprintf(store[i], sizeof(store[i]), "f%07zu", (i * 7919) % N); /* unordered */
		dir[n++] = store[i];
	}
	while (more) {
		memcpy(scratch, dir, n * sizeof(*dir));
		vfs_page_select(scratch, n, cursor, 0, VFS_LIST_PAGE_BYTES, &count, &more);
		assert_true(count > 0);
		for (size_t i = 0; i < count; i++) {
			unsigned idx = (unsigned)strtoul(scratch[i] + 1, NULL, 10);

			assert_true(i == 0 ? strcmp(scratch[i], cursor) > 0
			                   : strcmp(scratch[i], scratch[i - 1]) > 0);
			assert_int_equal(seen[idx], 0); /* never twice */
			seen[idx] = 1;
		}
		snprintf(cursor, sizeof(cursor), "%s", scratch[count - 1]);
		total += count;
		pages++;
		/* Churn: drop the first name of the directory that was listed already, add one
		 * that sorts before the cursor (must not appear) and one after (may). */
		for (size_t i = 0; i < n; i++)
			if (strcmp(dir[i], cursor) <= 0 && dir[i][0] == 'f') {
				dir[i] = dir[--n];
				break;
			}
		snprintf(store[N + added], sizeof(store[0]), "a%07zu", added);
		dir[n++] = store[N + added++];
	}
	for (size_t i = 0; i < N; i++)
		assert_int_equal(seen[i], 1); /* complete */
	assert_int_equal(total, N);           /* the "a..." names sort first: never listed */
	assert_true(pages > N / VFS_LIST_PAGE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_page_order_and_cut),
	        cmocka_unit_test(test_page_max),
	        cmocka_unit_test(test_stable_listing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
