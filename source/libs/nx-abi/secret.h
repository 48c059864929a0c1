/* SPDX-License-Identifier: MIT */
/*
 * nx-abi secrets of a local user: a password typed without echo, and a small file only its
 * owner may read (a session token), for tools such as `nx login`.
 */
#ifndef NX_ABI_SECRET_H
#define NX_ABI_SECRET_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads one line from fd (borrowed) into buf (size bytes, NUL-terminated, the newline not
 * kept): with echo off while reading when fd is a terminal (restored after, also on failure),
 * as it comes otherwise. *ret_len is the length. -EMSGSIZE if the line does not fit in
 * size - 1 bytes (the rest of it is read and dropped), -ENODATA on end of input before any
 * byte, -EINVAL for a NUL in the line (dropped whole too), or the error of read(2). The caller wipes buf. */
int nx_secret_read_line(int fd, char *buf, size_t size, size_t *ret_len);

/* Writes `len` bytes to `path` readable and writable by its owner only (0600), replacing it
 * atomically (a temp file beside it, renamed); makes the parent directory (0700) if missing,
 * not its parents. Errors as the kernel says. */
int nx_secret_file_write(const char *path, const void *data, size_t len);

/* Reads `path`, at most size bytes, into buf; *ret_len its length. -EPERM if the file is
 * accessible to anyone but its owner or is not owned by the caller's uid (someone else's
 * token is not ours to present), -EMSGSIZE if larger than size, -EINVAL if not a regular
 * file, -ENOENT, ... */
int nx_secret_file_read(const char *path, void *buf, size_t size, size_t *ret_len);

/* Removes `path`; -ENOENT if absent. */
int nx_secret_file_remove(const char *path);

#ifdef __cplusplus
}
#endif

#endif
