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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens the directory `path` as a handle for nx_file_read_beneath (Linux: O_PATH, so it
 * grants no read of its own). *ret_dirfd is the caller's, close-on-exec. -ENOTDIR, -ENOENT,
 * -EACCES, ... as the kernel says. */
int nx_dir_open(const char *path, int *ret_dirfd);

/* Opens `path` read-only (close-on-exec, never as a controlling terminal) for a process
 * that hands it on: nexus-init opens the devices a service may read before the service
 * drops its privileges. *ret_fd is the caller's. -ENOENT, -EACCES, ... as the kernel says. */
int nx_file_open_read(const char *path, int *ret_fd);

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

/* ---- A file tree served to others (vfsd) ------------------------------------------------ *
 * Stricter than nx_file_read_beneath: no symlink is followed at all (RESOLVE_NO_SYMLINKS), so
 * a symlink planted inside the tree leads nowhere, even to a place inside it. Calls that
 * take a `name` act on one entry of a directory opened with nx_open_beneath: `name` is one
 * component (no '/', not "." or "..": else -EINVAL) and is never followed if it is a symlink. */

/* nx_open_beneath flags. */
#define NX_OPEN_READ   (1u << 0)
#define NX_OPEN_WRITE  (1u << 1)
#define NX_OPEN_CREATE (1u << 2) /* create a regular file (mode 0600) if missing */
#define NX_OPEN_EXCL   (1u << 3) /* with CREATE: -EEXIST if it exists */
#define NX_OPEN_TRUNC  (1u << 4)
#define NX_OPEN_DIR    (1u << 5) /* a directory handle for the *_at calls (alone) */

/* Opens `relpath` ("" = the directory itself) beneath dirfd (borrowed) as `flags` say: a
 * regular file (READ and/or WRITE, optionally CREATE, EXCL, TRUNC) or a directory handle
 * (DIR). *ret_fd is the caller's, close-on-exec. Errors, the kernel's where not said:
 *   -EXDEV    the path leads out (`..` above dirfd, absolute)
 *   -ELOOP    a symlink or magic link anywhere in the path
 *   -EISDIR   a directory where a file was asked; -ENOTDIR the converse
 *   -EINVAL   bad flags, or neither a regular file nor a directory (FIFO, device, socket)
 *   -ENOSYS   no openat2; -ENOENT, -EEXIST, -EACCES, -ENOSPC, ... */
int nx_open_beneath(int dirfd, const char *relpath, unsigned flags, int *ret_fd);

enum nx_file_type {
	NX_FILE_REGULAR,
	NX_FILE_DIR,
	NX_FILE_SYMLINK,
	NX_FILE_OTHER,
};

struct nx_file_stat {
	enum nx_file_type type;
	uint64_t size; /* bytes (regular files; what the kernel says otherwise) */
	uint64_t mtime_ns;
};

/* The entry `name` of dirfd, not following a symlink; name "" = dirfd itself. */
int nx_stat_at(int dirfd, const char *name, struct nx_file_stat *ret);
/* A new directory `name` (mode 0700) in dirfd. -EEXIST, -ENOENT, ... */
int nx_mkdir_at(int dirfd, const char *name);
/* Removes the entry `name` of dirfd: an empty directory when `dir`, else a file or symlink
 * (-EISDIR for a directory). -ENOTEMPTY, -ENOENT, -ENOTDIR, ... */
int nx_remove_at(int dirfd, const char *name, bool dir);
/* Renames old_dirfd/old_name to new_dirfd/new_name atomically (renameat2). With
 * `noreplace`, -EEXIST if the target exists; else an existing target is replaced as
 * rename(2) does (-EISDIR, -ENOTEMPTY, -ENOTDIR where it cannot be). */
int nx_rename_at(
        int old_dirfd, const char *old_name, int new_dirfd, const char *new_name, bool noreplace);

/* The names in the directory dirfd (borrowed; any handle, O_PATH too), "." and ".." left
 * out, in the kernel's order: *ret_names is one allocation (free() it) of *ret_n pointers
 * followed by the NUL-terminated names. -EMSGSIZE if it holds more than `max` entries. */
int nx_dir_names(int dirfd, size_t max, char ***ret_names, size_t *ret_n);

/* Counts what lies beneath dirfd, not following symlinks: every entry at any depth, and the
 * bytes of the regular files among them. -ELOOP deeper than 256 levels. */
int nx_tree_usage(int dirfd, uint64_t *ret_bytes, uint64_t *ret_entries);
/* Removes everything beneath dirfd (not dirfd itself), not following symlinks. -ELOOP deeper
 * than 256 levels (what was removed stays removed). */
int nx_tree_clear(int dirfd);

/* I/O on an open regular file. pread fills up to `len` bytes from `offset`, fewer only at the
 * end of the file: *ret_n says how many. pwrite writes all `len` bytes or fails. */
int nx_file_pread(int fd, uint64_t offset, void *buf, size_t len, size_t *ret_n);
int nx_file_pwrite(int fd, uint64_t offset, const void *buf, size_t len);
int nx_file_truncate(int fd, uint64_t size);
/* fdatasync: what was written is on the disk. */
int nx_file_sync(int fd);

#ifdef __cplusplus
}
#endif

#endif
