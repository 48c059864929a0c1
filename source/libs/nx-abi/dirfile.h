/* SPDX-License-Identifier: MIT */
/*
 * nx-abi files a service keeps in a directory it owns (its state dir): written whole and
 * synced, renamed into place, removed, listed, and handed out as sealed VMOs. Names are single
 * path components (no '/'): the service picks them (a content hash, a temp name), and a
 * symlink planted under such a name is never followed (O_NOFOLLOW).
 *
 * Crash safety is the caller's sequence: write to a staging name (nx_file_write, then
 * nx_fs_sync), nx_dir_sync, nx_file_rename into place, nx_dir_sync again.
 */
#ifndef NX_ABI_DIRFILE_H
#define NX_ABI_DIRFILE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens the directory `name` beneath dirfd (or the path `name` when dirfd is -1), creating it
 * (mode 0700) first when `create` and missing. *ret_dirfd (the caller's, close-on-exec) can
 * be synced and listed. -ENOTDIR, -ENOENT, -EACCES, ... */
int nx_dir_open_at(int dirfd, const char *name, bool create, int *ret_dirfd);

/* Flushes the directory's entries (after creating, renaming or removing in it). */
int nx_dir_sync(int dirfd);

/* nx_file_write's flags. SYNC: fsync before returning. WRITEBACK: start writing the file to
 * disk now, without waiting (many files written one after the other are then mostly on disk
 * when one nx_fs_sync makes them all durable). */
#define NX_FILE_SYNC      (1u << 0)
#define NX_FILE_WRITEBACK (1u << 1)

/* Writes len bytes as the file `name` in dirfd (created mode 0600 or truncated; never through
 * a symlink), as `flags` say. -ENOSPC, -EDQUOT, -EIO, ... (a partial file may stay under
 * `name`: write to a staging name). */
int nx_file_write(int dirfd, const char *name, const void *buf, size_t len, unsigned flags);

/* Makes everything written on the filesystem holding fd durable (syncfs). */
int nx_fs_sync(int fd);

/* Renames from_dirfd/from to to_dirfd/to, replacing `to`. */
int nx_file_rename(int from_dirfd, const char *from, int to_dirfd, const char *to);

/* Removes the file `name`: 0, or -ENOENT when there was none. */
int nx_file_remove(int dirfd, const char *name);

/* Calls fn(userdata, name) for each entry of dirfd but "." and "..", in no particular order;
 * stops at the first negative return and returns it. Entries added or removed meanwhile may
 * or may not be seen. */
int nx_dir_each(int dirfd, int (*fn)(void *userdata, const char *name), void *userdata);

/* Copies the regular file `name` in dirfd (at most max bytes) into a new VMO sealed
 * FROZEN: *ret_fd (the caller's) of *ret_size bytes. -EMSGSIZE over max, -EINVAL not a
 * regular file, -ELOOP a symlink, -ENOENT, -ENOMEM, ... */
int nx_vmo_from_file(int dirfd, const char *name, size_t max, int *ret_fd, size_t *ret_size);

#ifdef __cplusplus
}
#endif

#endif
