/* SPDX-License-Identifier: MIT */
/* nx-abi files in a directory a service owns (dirfile.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/dirfile.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

int nx_dir_open_at(int dirfd, const char *name, bool create, int *ret_dirfd)
{
	int at = dirfd < 0 ? AT_FDCWD : dirfd, fd;

	assert_return(name && *name && ret_dirfd, -EINVAL);
	if (create && mkdirat(at, name, 0700) < 0 && errno != EEXIST)
		return nx_neg_errno();
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nx_neg_errno();
	*ret_dirfd = fd;
	return 0;
}

int nx_dir_sync(int dirfd)
{
	return fsync(dirfd) < 0 ? nx_neg_errno() : 0;
}

int nx_fs_sync(int fd)
{
	return syncfs(fd) < 0 ? nx_neg_errno() : 0;
}

int nx_file_write(int dirfd, const char *name, const void *buf, size_t len, unsigned flags)
{
	const char *p = buf;
	int fd, r = 0;

	assert_return(name && *name && (buf || len == 0), -EINVAL);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nx_neg_errno();
	while (r == 0 && len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? nx_neg_errno() : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r == 0 && (flags & NX_FILE_SYNC) && fsync(fd) < 0)
		r = nx_neg_errno();
	/* Only a hint: a failure leaves the data to the next sync. */
	if (r == 0 && (flags & NX_FILE_WRITEBACK))
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	nx_fd_close(fd);
	return r;
}

int nx_file_rename(int from_dirfd, const char *from, int to_dirfd, const char *to)
{
	assert_return(from && *from && to && *to, -EINVAL);
	return renameat(from_dirfd, from, to_dirfd, to) < 0 ? nx_neg_errno() : 0;
}

int nx_file_remove(int dirfd, const char *name)
{
	assert_return(name && *name, -EINVAL);
	return unlinkat(dirfd, name, 0) < 0 ? nx_neg_errno() : 0;
}

int nx_dir_each(int dirfd, int (*fn)(void *userdata, const char *name), void *userdata)
{
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	assert_return(fn, -EINVAL);
	/* fdopendir owns the fd it is given: a duplicate, rewound, leaves dirfd as it was. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	d = fdopendir(fd);
	if (!d) {
		r = nx_neg_errno();
		nx_fd_close(fd);
		return r;
	}
	while (r >= 0 && (errno = 0, e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			r = fn(userdata, e->d_name);
	if (r >= 0 && errno != 0)
		r = nx_neg_errno();
	closedir(d);
	return r < 0 ? r : 0;
}

/* Reads exactly len bytes at the start of fd into dst. */
static int read_exactly(int fd, void *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)dst + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_neg_errno();
		if (n == 0)
			return -ERANGE; /* shrank under us */
		done += (size_t)n;
	}
	return 0;
}

int nx_vmo_from_file(int dirfd, const char *name, size_t max, int *ret_fd, size_t *ret_size)
{
	struct nx_vmo_map map = {0};
	struct stat st;
	int fd, vmo = -1, r;

	assert_return(name && *name && ret_fd && ret_size, -EINVAL);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return nx_neg_errno();
	if (fstat(fd, &st) < 0)
		r = nx_neg_errno();
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		r = -EMSGSIZE;
	else
		r = nx_vmo_create(name, (size_t)st.st_size, &vmo);
	if (r >= 0)
		r = nx_vmo_map_rw(vmo, true, &map);
	if (r >= 0)
		r = read_exactly(fd, map.addr, map.size);
	nx_vmo_unmap(&map);
	if (r >= 0)
		r = nx_vmo_seal(vmo, NX_VMO_SEAL_FROZEN);
	nx_fd_close(fd);
	if (r < 0) {
		nx_fd_close(vmo);
		return r;
	}
	*ret_fd = vmo;
	*ret_size = (size_t)st.st_size;
	return 0;
}
