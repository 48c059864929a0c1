/* SPDX-License-Identifier: MIT */
/* vfs listing pages (page.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"

/* An FsEntry element: a composite list element of 3 data words and 1 pointer word, and its
 * name as a Text of len + 1 bytes rounded up to words. */
#define ENTRY_FIXED_BYTES 32u

size_t vfs_page_entry_bytes(size_t name_len)
{
	return ENTRY_FIXED_BYTES + ((name_len + 1 + 7) & ~(size_t)7);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void vfs_page_select(const char **names, size_t n, const char *cursor, size_t max_entries,
        size_t max_bytes, size_t *ret_count, bool *ret_more)
{
	size_t after = 0, count = 0, bytes = 0;

	if (max_entries == 0 || max_entries > VFS_LIST_PAGE_MAX)
		max_entries = VFS_LIST_PAGE_MAX;
	/* Keep the names after the cursor at the front, then order them. */
	for (size_t i = 0; i < n; i++)
		if (!cursor || !*cursor || strcmp(names[i], cursor) > 0) {
			const char *t = names[after];

			names[after++] = names[i];
			names[i] = t;
		}
	qsort(names, after, sizeof(*names), by_name);
	while (count < after && count < max_entries) {
		size_t cost = vfs_page_entry_bytes(strlen(names[count]));

		if (count > 0 && bytes + cost > max_bytes)
			break;
		bytes += cost;
		count++;
	}
	*ret_count = count;
	*ret_more = count < after;
}
