/* SPDX-License-Identifier: MIT */
/*
 * nx-abi pipe: a one-way byte stream, for a child's stdout and stderr read by its supervisor
 * (execd reads apps' output into the journal) and for a stdin that is at end of file at once.
 */
#ifndef NX_ABI_PIPE_H
#define NX_ABI_PIPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ret_fds[0] the read end (non-blocking), ret_fds[1] the write end (blocking); both
 * close-on-exec and the caller's. 0 or pipe2's negative errno. */
int nx_pipe(int ret_fds[2]);

/* Reads up to `len` bytes from `fd` (borrowed): 0 with *ret_n > 0 bytes read, 0 with *ret_n = 0
 * at end of file, -EAGAIN when nothing is there yet, or read's negative errno. EINTR is
 * retried. */
int nx_pipe_read(int fd, void *buf, size_t len, size_t *ret_n);

#ifdef __cplusplus
}
#endif

#endif
