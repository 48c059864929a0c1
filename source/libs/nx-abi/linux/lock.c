/* SPDX-License-Identifier: MIT */
/* nx-abi lock files (lock.h) on flock(2). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/lock.h"

int nx_lock_take(const char *path, int *ret_fd)
{
	char pid[24];
	int fd, n, r;

	assert_return(path && *path && ret_fd, -EINVAL);
	/* No O_TRUNC: a refused taker must not wipe the holder's pid. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nx_neg_errno();
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EAGAIN : nx_neg_errno();
		close(fd);
		return r;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		r = nx_neg_errno();
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int nx_lock_holder(const char *path, int *ret_pid)
{
	char buf[24], *end;
	ssize_t n;
	long pid;
	int fd;

	assert_return(path && *path && ret_pid, -EINVAL);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nx_neg_errno();
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return nx_neg_errno();
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 0 || pid > INT32_MAX)
		return -EBADMSG;
	*ret_pid = (int)pid;
	return 0;
}
