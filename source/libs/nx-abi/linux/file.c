/* SPDX-License-Identifier: MIT */
/* nx-abi files beneath a directory (file.h) on openat2. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/file.h"

int nx_dir_open(const char *path, int *ret_dirfd)
{
	int fd;

	assert_return(path && *path && ret_dirfd, -EINVAL);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nx_neg_errno();
	*ret_dirfd = fd;
	return 0;
}

static int open_beneath(int dirfd, const char *relpath)
{
	/* O_NONBLOCK: opening a FIFO must not hang; fstat rejects it right after. */
	struct open_how how = {
	        .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));

	return fd < 0 ? nx_neg_errno() : (int)fd;
}

/* Reads fd to its end into a buffer sized from fstat, growing if the file grew, failing once
 * it holds more than max bytes. */
static int read_all(int fd, size_t max, size_t hint, char **ret_buf, size_t *ret_len)
{
	size_t cap = (hint < max ? hint : max) + 1, len = 0; /* +1: room to see growth */
	char *buf = malloc(cap + 1), *bigger;                /* +1: the NUL */
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(buf);
				return -EMSGSIZE;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger) {
				free(buf);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = nx_neg_errno();
			free(buf);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int nx_file_read_beneath(
        int dirfd, const char *relpath, size_t max, void **ret_buf, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	assert_return(dirfd >= 0 && relpath && ret_buf && ret_len && max < SIZE_MAX - 1, -EINVAL);
	if (!*relpath)
		return -EINVAL;
	fd = open_beneath(dirfd, relpath);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		r = nx_neg_errno();
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size > max)
		r = -EMSGSIZE;
	else
		r = read_all(fd, max, (size_t)st.st_size, &buf, &len);
	close(fd);
	if (r < 0)
		return r;
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nx_neg_errno();
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(int dirfd)
{
	/* dirfd may be O_PATH, which cannot be synced: open the directory itself. */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return nx_neg_errno();
	if (fsync(fd) < 0)
		r = nx_neg_errno();
	close(fd);
	return r;
}

int nx_file_create_atomic(int dirfd, const char *name, const void *buf, size_t len, unsigned mode)
{
	char tmp[NAME_MAX + 1];
	int fd, r;

	assert_return(dirfd >= 0 && name && (buf || len == 0), -EINVAL);
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	        (size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp))
		return -EINVAL;
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
		return nx_neg_errno();
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return nx_neg_errno();
	r = fchmod(fd, mode) < 0 ? nx_neg_errno() : 0; /* the umask does not decide */
	if (r >= 0)
		r = write_all(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = nx_neg_errno();
	close(fd);
	if (r >= 0 && renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0)
		r = nx_neg_errno();
	if (r < 0) {
		(void)unlinkat(dirfd, tmp, 0);
		return r;
	}
	return fsync_dir(dirfd);
}
