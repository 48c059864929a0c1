/* SPDX-License-Identifier: MIT */
/*
 * nx-abi devices and the kernel's random source: what rngd reads entropy from.
 *
 * A device such as /dev/hwrng may block forever when its backend stalls (a virtio-rng whose
 * host stopped answering), so it is opened non-blocking and read with a deadline: the reader
 * gives up and tries another source instead of hanging its event loop.
 */
#ifndef NX_ABI_DEV_H
#define NX_ABI_DEV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens `path` read-only, non-blocking, close-on-exec, not as a controlling terminal. The fd
 * is the caller's. -ENOENT, -EACCES, ... as the kernel says. */
int nx_dev_open_read(const char *path, int *ret_fd);

/* Reads exactly `n` bytes from fd (borrowed; blocking or not) into buf, waiting at most
 * timeout_ms in total for it to become readable. Returns 0 with buf filled, or:
 *   -ETIMEDOUT  fewer than n bytes arrived in time (buf holds garbage)
 *   -ENODATA    the fd reached its end (a file or a closed FIFO) before n bytes
 *   -EIO, ...   the read failed as the kernel says */
int nx_dev_read_timeout(int fd, void *buf, size_t n, int timeout_ms);

/* Fills buf with n bytes from the kernel's CSPRNG (getrandom(2), blocking only until the
 * kernel's pool was first initialised). 0, or -ENOSYS (no getrandom), -EFAULT, ... */
int nx_random_kernel(void *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
