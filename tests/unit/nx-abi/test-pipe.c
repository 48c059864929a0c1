/* SPDX-License-Identifier: MIT */
/* nx-abi pipe: both ends close-on-exec, the read end non-blocking (-EAGAIN, then the bytes,
 * then end of file once the write end is closed), bad arguments refused, no fd leaked. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/pipe.h"

static void test_pipe_round_trip(void **state)
{
	int before = fdcheck_count(), fds[2];
	char buf[16];
	size_t n = 99;

	assert_int_equal(nx_pipe(fds), 0);
	assert_int_equal(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	assert_int_equal(fcntl(fds[1], F_GETFD), FD_CLOEXEC);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	assert_false(fcntl(fds[1], F_GETFL) & O_NONBLOCK);
	assert_int_equal(nx_pipe_read(fds[0], buf, sizeof(buf), &n), -EAGAIN);
	assert_int_equal(n, 99); /* untouched */
	assert_int_equal(write(fds[1], "hello", 5), 5);
	assert_int_equal(nx_pipe_read(fds[0], buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	close(fds[1]);
	assert_int_equal(nx_pipe_read(fds[0], buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nx_pipe_read(-1, buf, sizeof(buf), &n), -EINVAL);
	assert_int_equal(nx_pipe(NULL), -EINVAL);
	close(fds[0]);
	assert_int_equal(nx_pipe_read(fds[0], buf, sizeof(buf), &n), -EBADF);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pipe_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
