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

#ifdef __cplusplus
extern "C" {
#endif

/* A connected pair, both ends close-on-exec and non-blocking. */
int nx_chan_pair(int ret_fds[2]);
/* Same, both ends blocking (for tools and benchmarks). */
int nx_chan_pair_blocking(int ret_fds[2]);

/* Sends up to `len` bytes (len > 0); `fds` (at most NX_MSG_MAX_FDS) ride with the first byte.
 * Returns bytes sent (> 0), -EAGAIN if the socket is full and nothing was sent (fds still
 * the caller's), or another negative errno (fds closed): -EPIPE when the peer is gone (no
 * SIGPIPE), -EINVAL for bad arguments such as more than NX_MSG_MAX_FDS fds. On a partial
 * send the fds went with the first byte and are consumed. */
ssize_t nx_chan_send(int fd, const void *buf, size_t len, const int *fds, unsigned nfds);

/* Receives up to `cap` (> 0) bytes and at most `max_fds` (<= NX_MSG_MAX_FDS) fds (all
 * MSG_CMSG_CLOEXEC) into ret_fds, their count into *ret_nfds (both may be NULL when max_fds
 * is 0). Returns bytes read (0 = peer closed), -EAGAIN, or a negative errno. If the peer sent
 * more fds than `max_fds`, in one SCM_RIGHTS header or several, or the kernel truncated them
 * (MSG_CTRUNC), every fd received is closed and -EPROTO returned: the bytes of that read are
 * lost and the connection must be dropped. */
ssize_t nx_chan_recv(
        int fd, void *buf, size_t cap, int *ret_fds, unsigned max_fds, unsigned *ret_nfds);

/* The credentials the kernel recorded for the peer (SO_PEERCRED) at connect or socketpair
 * time. Each ret_* may be NULL. */
int nx_chan_peer_cred(int fd, uint32_t *ret_uid, uint32_t *ret_gid, int32_t *ret_pid);

/* The one listening socket type: AF_UNIX SOCK_STREAM at `path`, mode `mode` (applied as
 * given, not through the umask), non-blocking, close-on-exec. A socket file nobody listens on
 * (stale) is replaced; -EADDRINUSE if someone listens there, -ENOTSOCK if the path is not a
 * socket (left untouched), -ENAMETOOLONG if it does not fit sun_path. */
int nx_listen_unix(const char *path, unsigned mode, int *ret_fd);
/* Accepts one connection (non-blocking, close-on-exec); -EAGAIN when none is pending. */
int nx_accept(int listen_fd, int *ret_fd);
/* Connects to a listening socket at `path` (blocking connect, then non-blocking). */
int nx_connect_unix(const char *path, int *ret_fd);

int nx_fd_set_nonblock(int fd, int on);
/* A copy of fd (borrowed), close-on-exec, for the caller. -EBADF, -EMFILE. */
int nx_fd_dup(int fd, int *ret_fd);
/* Closes fd if >= 0; returns -1 so callers can write `fd = nx_fd_close(fd)`. */
int nx_fd_close(int fd);
/* Closes every fd from `first` up (a process start dropping what it inherited). 0, or a
 * negative errno (-EINVAL: first < 0). */
int nx_fd_close_from(int first);
/* How many fds this process has open (for leak checks in tests), or a negative errno. */
int nx_fd_count(void);

#ifdef __cplusplus
}
#endif

#endif
