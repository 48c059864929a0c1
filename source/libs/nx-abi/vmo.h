/* SPDX-License-Identifier: MIT */
/*
 * nx-abi VMOs (DESIGN.md section 5): a memory object, hosted as a sealed memfd, whose fd
 * travels with a message as a capability.
 *
 * Producer: nx_vmo_create → write (nx_vmo_map_rw or nx_vmo_write) → nx_vmo_seal → send.
 * Consumer: nx_vmo_map_ro checks the fd (regular memfd, size within the interface's cap,
 * seals present) before mapping; an unsealed VMO is refused for mapping and can only be
 * copied out with nx_vmo_read (a peer could shrink it under a mapping).
 */
#ifndef NX_ABI_VMO_H
#define NX_ABI_VMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seal sets. */
#define NX_VMO_SEAL_FROZEN   (1u << 0) /* no shrink, no grow, no write */
#define NX_VMO_SEAL_PRODUCER (1u << 1) /* no shrink, no grow, no new writable maps (the
                                          producer keeps its own writable map: a pool) */

struct nx_vmo_map {
	void *addr;
	size_t size;
};

/* A new VMO of `size` bytes (zeroed), close-on-exec, sealable. `name` shows in /proc. */
int nx_vmo_create(const char *name, size_t size, int *ret_fd);
int nx_vmo_seal(int fd, unsigned seals);
/* The seals on fd as NX_VMO_SEAL_* bits (FROZEN if write-sealed, PRODUCER if future-write). */
int nx_vmo_get_seals(int fd, unsigned *ret_seals);
int nx_vmo_size(int fd, size_t *ret_size);

/* Maps the producer's writable view (before sealing, or kept with NX_VMO_SEAL_PRODUCER).
 * `populate` pre-faults the pages. */
int nx_vmo_map_rw(int fd, bool populate, struct nx_vmo_map *ret);
/* Consumer's checked read-only map: fd must be a regular memfd of size <= max_size sealed
 * against shrink and grow and against writes (FROZEN or PRODUCER). -EPERM if not sealed,
 * -EMSGSIZE if too large, -EBADF if not a memfd. */
int nx_vmo_map_ro(int fd, size_t max_size, bool populate, struct nx_vmo_map *ret);
void nx_vmo_unmap(struct nx_vmo_map *m);

int nx_vmo_write(int fd, uint64_t offset, const void *buf, size_t len);
/* Copies out with pread; safe on an unsealed VMO. */
int nx_vmo_read(int fd, uint64_t offset, void *buf, size_t len);

#endif
