/* SPDX-License-Identifier: MIT */
/* nx-abi devices (dev.h): open, poll + read with a deadline, getrandom. */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/random.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/clock.h"
#include "nx-abi/dev.h"

#define NS_PER_MS 1000000ull

int nx_dev_open_read(const char *path, int *ret_fd)
{
	int fd;

	assert_return(path && *path && ret_fd, -EINVAL);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return nx_neg_errno();
	*ret_fd = fd;
	return 0;
}

/* Waits until fd is readable or the deadline passed: 0, -ETIMEDOUT or the poll error. */
static int wait_readable(int fd, uint64_t deadline_ns)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t now = nx_clock_monotonic_ns();
	int r;

	if (now >= deadline_ns)
		return -ETIMEDOUT;
	/* Rounded up so a sub-millisecond remainder still waits instead of spinning. */
	r = poll(&p, 1, (int)((deadline_ns - now + NS_PER_MS - 1) / NS_PER_MS));
	if (r < 0)
		return errno == EINTR ? 0 : nx_neg_errno();
	return r == 0 ? -ETIMEDOUT : 0;
}

int nx_dev_read_timeout(int fd, void *buf, size_t n, int timeout_ms)
{
	uint64_t deadline = nx_clock_monotonic_ns() + (uint64_t)timeout_ms * NS_PER_MS;
	uint8_t *p = buf;
	size_t got = 0;
	int r;

	assert_return(fd >= 0 && (buf || n == 0) && timeout_ms >= 0, -EINVAL);
	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);

		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (k == 0)
			return -ENODATA;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return nx_neg_errno();
		r = wait_readable(fd, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int nx_random_kernel(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;

	assert_return(buf || n == 0, -EINVAL);
	while (got < n) {
		ssize_t k = getrandom(p + got, n - got, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return nx_neg_errno();
		}
		got += (size_t)k;
	}
	return 0;
}
