/* SPDX-License-Identifier: MIT */
/*
 * nx-abi channels: connected AF_UNIX SOCK_STREAM sockets that carry bytes and file
 * descriptors (SCM_RIGHTS). This is the only place that knows they are sockets.
 *
 * Ownership (STYLE.md 12, 13): sending consumes the fds handed in, on success and on failure,
 * once any byte was sent (if nothing was sent, -EAGAIN leaves them with the caller to retry).
 * Received fds belong to the caller.
 */
#ifndef NX_ABI_SOCK_H
#define NX_ABI_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A connected pair, both ends close-on-exec and non-blocking. */
int nx_chan_pair(int ret_fds[2]);
/* Same, both ends blocking (for tools and benchmarks). */
int nx_chan_pair_blocking(int ret_fds[2]);

/* Sends up to `len` bytes; `fds` (at most NX_MSG_MAX_FDS) ride with the first byte.
 * Returns bytes sent (> 0), -EAGAIN if the socket is full and nothing was sent (fds still
 * the caller's), or another negative errno (fds closed). On a partial send the fds went with
 * the first byte and are consumed. */
ssize_t nx_chan_send(int fd, const void *buf, size_t len, const int *fds, unsigned nfds);

/* Receives up to `cap` bytes and at most `max_fds` fds (all MSG_CMSG_CLOEXEC). Returns bytes
 * read (0 = peer closed), -EAGAIN, or a negative errno. If the peer sent more fds than
 * `max_fds`, or the kernel truncated them (MSG_CTRUNC), every fd received is closed and
 * -EPROTO returned: the connection must be dropped. */
ssize_t nx_chan_recv(int fd, void *buf, size_t cap, int *ret_fds, unsigned max_fds,
	unsigned *ret_nfds);

/* The credentials the kernel recorded for the peer (SO_PEERCRED). */
int nx_chan_peer_cred(int fd, uint32_t *ret_uid, uint32_t *ret_gid, int32_t *ret_pid);

/* The one listening socket type: AF_UNIX SOCK_STREAM at `path` (replaced if stale), mode
 * `mode`, non-blocking, close-on-exec. */
int nx_listen_unix(const char *path, unsigned mode, int *ret_fd);
/* Accepts one connection (non-blocking, close-on-exec); -EAGAIN when none is pending. */
int nx_accept(int listen_fd, int *ret_fd);
/* Connects to a listening socket at `path` (blocking connect, then non-blocking). */
int nx_connect_unix(const char *path, int *ret_fd);

int nx_fd_set_nonblock(int fd, int on);
/* Closes fd if >= 0; returns -1 so callers can write `fd = nx_fd_close(fd)`. */
int nx_fd_close(int fd);
/* How many fds this process has open (for leak checks in tests). */
int nx_fd_count(void);

#endif
