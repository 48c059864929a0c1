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

#ifdef __cplusplus
extern "C" {
#endif

/* Seal sets. FROZEN: no shrink, no grow, no write. PRODUCER: no shrink, no grow, no new
 * writable maps (the producer keeps its own writable map: a pool). */
#define NX_VMO_SEAL_FROZEN   (1u << 0)
#define NX_VMO_SEAL_PRODUCER (1u << 1)

struct nx_vmo_map {
	void *addr;
	size_t size;
};

/* A new VMO of `size` bytes (zeroed), close-on-exec, sealable. `name` shows in /proc. The
 * fd is the caller's. */
int nx_vmo_create(const char *name, size_t size, int *ret_fd);
/* Adds the seal sets in `seals` (FROZEN, PRODUCER or both). -EBUSY: FROZEN while a writable
 * map exists; -EPERM: already FROZEN (F_SEAL_SEAL); -EOPNOTSUPP: PRODUCER on a kernel
 * without F_SEAL_FUTURE_WRITE (< 5.1); -EBADF: not a sealable memfd. */
int nx_vmo_seal(int fd, unsigned seals);
/* The seals on fd as NX_VMO_SEAL_* bits, each only when its whole set is present (FROZEN:
 * no shrink, grow, write; PRODUCER: no shrink, grow, future write): a write seal without
 * the size seals guarantees nothing to a mapping. -EBADF if fd cannot carry seals. */
int nx_vmo_get_seals(int fd, unsigned *ret_seals);
/* -EBADF if fd is not a regular file. */
int nx_vmo_size(int fd, size_t *ret_size);

/* Maps the producer's writable view (before sealing, or kept with NX_VMO_SEAL_PRODUCER).
 * `populate` pre-faults the pages. -EPERM once sealed (no new writable maps). An empty VMO
 * gives an empty view ({ NULL, 0 }), which nx_vmo_unmap accepts. */
int nx_vmo_map_rw(int fd, bool populate, struct nx_vmo_map *ret);
/* Consumer's checked read-only map: fd must be a regular memfd of size <= max_size (and
 * <= NX_VMO_MAX_BYTES) sealed against shrink and grow and against writes (FROZEN or
 * PRODUCER). -EPERM if not sealed, -EMSGSIZE if too large, -EBADF if not a memfd (another
 * regular file, a pipe, a socket). The map cannot be made writable. fd stays the caller's
 * and may be closed while the map lives. */
int nx_vmo_map_ro(int fd, size_t max_size, bool populate, struct nx_vmo_map *ret);
/* Unmaps and clears *m; takes NULL and an empty or already unmapped view. */
void nx_vmo_unmap(struct nx_vmo_map *m);

/* Writes within [0, size) with pwrite: -ERANGE past the end (a VMO does not grow by
 * writing), -EPERM once sealed against writes. */
int nx_vmo_write(int fd, uint64_t offset, const void *buf, size_t len);
/* Copies out with pread; safe on an unsealed VMO. -ERANGE past the end, including when an
 * unsealed VMO shrank under the read. */
int nx_vmo_read(int fd, uint64_t offset, void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
