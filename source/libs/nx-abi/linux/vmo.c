/* SPDX-License-Identifier: MIT */
/* nx-abi VMOs as sealed memfds (DESIGN.md section 5). */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nexus/limits.h"
#include "nx-abi/vmo.h"
#include "abi-internal.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010 /* Linux 5.1; older headers lack it */
#endif

#define SEALS_SIZE     (F_SEAL_SHRINK | F_SEAL_GROW)
#define SEALS_FROZEN   (SEALS_SIZE | F_SEAL_WRITE | F_SEAL_SEAL)
#define SEALS_PRODUCER (SEALS_SIZE | F_SEAL_FUTURE_WRITE)

int nx_vmo_create(const char *name, size_t size, int *ret_fd)
{
	int fd, r;

	assert_return(name && ret_fd, -EINVAL);
	/* off_t is signed: larger sizes would wrap in ftruncate. */
	assert_return(size <= (size_t)INT64_MAX, -EINVAL);

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return nx_neg_errno();
	if (ftruncate(fd, (off_t)size) < 0) {
		r = nx_neg_errno();
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int nx_vmo_seal(int fd, unsigned seals)
{
	int add = 0;

	assert_return(fd >= 0, -EINVAL);
	assert_return(
	        seals && (seals & ~(NX_VMO_SEAL_FROZEN | NX_VMO_SEAL_PRODUCER)) == 0, -EINVAL);

	if (seals & NX_VMO_SEAL_PRODUCER)
		add |= SEALS_PRODUCER;
	if (seals & NX_VMO_SEAL_FROZEN)
		add |= SEALS_FROZEN;
	if (fcntl(fd, F_ADD_SEALS, add) < 0) {
		int r = nx_neg_errno();

		/* EINVAL is both "not a sealable file" and "unknown seal bit" (a kernel before
		 * 5.1 and F_SEAL_FUTURE_WRITE). Tell them apart by whether seals are readable. */
		if (r == -EINVAL)
			return fcntl(fd, F_GET_SEALS) < 0 ? -EBADF : -EOPNOTSUPP;
		/* EBUSY: FROZEN while a writable shared map exists. EPERM: already F_SEAL_SEAL. */
		return r;
	}
	return 0;
}

int nx_vmo_get_seals(int fd, unsigned *ret_seals)
{
	unsigned out = 0;
	int s;

	assert_return(fd >= 0 && ret_seals, -EINVAL);
	s = fcntl(fd, F_GET_SEALS);
	if (s < 0)
		return errno == EINVAL ? -EBADF : nx_neg_errno();
	/* A set is reported only whole: write-sealed but shrinkable is not a safe map. */
	if ((s & (SEALS_SIZE | F_SEAL_WRITE)) == (SEALS_SIZE | F_SEAL_WRITE))
		out |= NX_VMO_SEAL_FROZEN;
	if ((s & SEALS_PRODUCER) == SEALS_PRODUCER)
		out |= NX_VMO_SEAL_PRODUCER;
	*ret_seals = out;
	return 0;
}

static int vmo_stat_size(int fd, size_t *ret_size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return nx_neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if (st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX)
		return -EMSGSIZE;
	*ret_size = (size_t)st.st_size;
	return 0;
}

int nx_vmo_size(int fd, size_t *ret_size)
{
	assert_return(fd >= 0 && ret_size, -EINVAL);
	return vmo_stat_size(fd, ret_size);
}

static int vmo_map(int fd, size_t size, int prot, bool populate, struct nx_vmo_map *ret)
{
	void *p;

	/* mmap refuses length 0; an empty VMO is a valid, empty view. */
	if (size == 0) {
		ret->addr = NULL;
		ret->size = 0;
		return 0;
	}
	p = mmap(NULL, size, prot, MAP_SHARED | (populate ? MAP_POPULATE : 0), fd, 0);
	if (p == MAP_FAILED)
		return nx_neg_errno();
	ret->addr = p;
	ret->size = size;
	return 0;
}

int nx_vmo_map_rw(int fd, bool populate, struct nx_vmo_map *ret)
{
	size_t size = 0;
	int r;

	assert_return(fd >= 0 && ret, -EINVAL);
	r = vmo_stat_size(fd, &size);
	if (r < 0)
		return r;
	/* EPERM from mmap: write-sealed, or future-write-sealed and this is a new map. */
	return vmo_map(fd, size, PROT_READ | PROT_WRITE, populate, ret);
}

int nx_vmo_map_ro(int fd, size_t max_size, bool populate, struct nx_vmo_map *ret)
{
	size_t size = 0;
	int seals, r;

	assert_return(fd >= 0 && ret, -EINVAL);

	/* Seals first: only shmem (memfd) files have them, so this is also the "is it a memfd"
	 * test, and once size seals are in place the size read below cannot change. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return errno == EINVAL ? -EBADF : nx_neg_errno();
	if ((seals & SEALS_SIZE) != SEALS_SIZE ||
	        (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) == 0)
		return -EPERM;
	r = vmo_stat_size(fd, &size);
	if (r < 0)
		return r;
	if (size > max_size || size > NX_VMO_MAX_BYTES)
		return -EMSGSIZE;
	return vmo_map(fd, size, PROT_READ, populate, ret);
}

void nx_vmo_unmap(struct nx_vmo_map *m)
{
	if (!m || !m->addr)
		return;
	(void)munmap(m->addr, m->size);
	m->addr = NULL;
	m->size = 0;
}

/* [offset, offset + len) must lie within `size`, compared without overflow (STYLE.md 17). */
static int vmo_range(int fd, uint64_t offset, size_t len)
{
	size_t size = 0;
	int r;

	r = vmo_stat_size(fd, &size);
	if (r < 0)
		return r;
	if (offset > size || len > size - offset)
		return -ERANGE;
	return 0;
}

int nx_vmo_write(int fd, uint64_t offset, const void *buf, size_t len)
{
	const char *p = buf;
	int r;

	assert_return(fd >= 0 && (buf || len == 0), -EINVAL);
	/* Writes stay inside the VMO: growing it is not a write, it is a different object. */
	r = vmo_range(fd, offset, len);
	if (r < 0)
		return r;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)offset);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nx_neg_errno(); /* EPERM: write-sealed */
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}

int nx_vmo_read(int fd, uint64_t offset, void *buf, size_t len)
{
	char *p = buf;
	int r;

	assert_return(fd >= 0 && (buf || len == 0), -EINVAL);
	r = vmo_range(fd, offset, len);
	if (r < 0)
		return r;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)offset);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return nx_neg_errno();
		}
		/* An unsealed VMO can shrink under us between the size check and here. */
		if (n == 0)
			return -ERANGE;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return 0;
}
