/* SPDX-License-Identifier: MIT */
/*
 * nx-abi files beneath a directory: a service reads files by a path relative to a directory
 * it holds open, and the kernel makes sure the path stays beneath it (Linux: openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS). No `..` above the directory, no absolute path, no
 * symlink that leads out, no /proc magic link: refused while resolving, never checked by
 * string compare afterwards (a check a concurrent rename could race).
 *
 * No fallback: a kernel without openat2 (before 5.6), or a seccomp filter that hides it,
 * gives -ENOSYS and nothing is read. Emulating RESOLVE_BENEATH with a walk of O_NOFOLLOW
 * opens is possible but is exactly the kind of code that gets `..` after a rename wrong; the
 * caller fails closed instead.
 */
#ifndef NX_ABI_FILE_H
#define NX_ABI_FILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens the directory `path` as a handle for nx_file_read_beneath (Linux: O_PATH, so it
 * grants no read of its own). *ret_dirfd is the caller's, close-on-exec. -ENOTDIR, -ENOENT,
 * -EACCES, ... as the kernel says. */
int nx_dir_open(const char *path, int *ret_dirfd);

/* Reads the whole regular file `relpath` beneath dirfd (borrowed), at most `max` bytes.
 * On success *ret_buf (the caller's, free()) holds *ret_len bytes followed by a NUL not
 * counted in *ret_len. On failure both are untouched and:
 *   -EXDEV    the path leads out of the directory (`..`, absolute, a symlink out)
 *   -ELOOP    a magic link (/proc/self/fd/...) or too many symlinks
 *   -EMSGSIZE the file is (or grew while read to) more than max bytes
 *   -EINVAL   not a regular file, or an empty path
 *   -ENOSYS   no openat2 (see above); -ENOENT, -EACCES, -ENOMEM, ... */
int nx_file_read_beneath(
        int dirfd, const char *relpath, size_t max, void **ret_buf, size_t *ret_len);

/* Creates the file `name` (one path component, no '/') in dirfd (borrowed; an nx_dir_open
 * handle will do) holding exactly buf[0..len) with permissions `mode`, atomically: a crash at
 * any point leaves either no `name` or the whole file, durable (written to a temporary
 * ".<name>.tmp", fsync'ed, renamed without replacing, the directory fsync'ed). A leftover
 * temporary of an earlier crash is removed first. Never replaces an existing file: -EEXIST,
 * nothing changed. -EINVAL for an empty name, one with '/', or "."/"..". */
int nx_file_create_atomic(int dirfd, const char *name, const void *buf, size_t len, unsigned mode);

#ifdef __cplusplus
}
#endif

#endif
