/* SPDX-License-Identifier: MIT */
/*
 * vfs paging: one page of a directory listing. Pages are in byte order of the names
 * (strcmp), and the cursor is the last name the previous page returned: the next page is the
 * names after it. So a listing taken page by page while others add and remove entries never
 * repeats a name and never skips one that was there throughout; it needs no state in vfsd
 * between pages. Pure: no fds.
 */
#ifndef USERSPACE_VFS_PAGE_H
#define USERSPACE_VFS_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "nexus/limits.h" /* VFS_LIST_PAGE_MAX, VFS_LIST_PAGE_BYTES */

/* What one entry of a page costs on the wire (fs.capnp FsEntry in a list: its data and
 * pointer words, and its name padded to words), so a page can be cut to fit a message. */
size_t vfs_page_entry_bytes(size_t name_len);

/* Picks the page after `cursor` ("" or NULL: from the first name) from names[0..n) (a
 * directory's names, any order; the array is reordered): at most max_entries names (0 or
 * more than VFS_LIST_PAGE_MAX: VFS_LIST_PAGE_MAX) whose vfs_page_entry_bytes add up to at
 * most max_bytes (at least one name is always taken). On return names[0..*ret_count) is the
 * page in order and *ret_more says whether names follow it. */
void vfs_page_select(const char **names, size_t n, const char *cursor, size_t max_entries,
        size_t max_bytes, size_t *ret_count, bool *ret_more);

#endif
