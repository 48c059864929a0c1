/* SPDX-License-Identifier: MIT */
/* nx-abi pipe (pipe.h) on Linux: pipe2 and read. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/pipe.h"
#include "nx-abi/sock.h"

int nx_pipe(int ret_fds[2])
{
	int fds[2], r;

	assert_return(ret_fds, -EINVAL);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return nx_neg_errno();
	r = nx_fd_set_nonblock(fds[0], 1);
	if (r < 0) {
		nx_fd_close(fds[0]);
		nx_fd_close(fds[1]);
		return r;
	}
	ret_fds[0] = fds[0];
	ret_fds[1] = fds[1];
	return 0;
}

int nx_pipe_read(int fd, void *buf, size_t len, size_t *ret_n)
{
	ssize_t n;

	assert_return(fd >= 0 && buf && ret_n, -EINVAL);
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : nx_neg_errno();
	*ret_n = (size_t)n;
	return 0;
}
