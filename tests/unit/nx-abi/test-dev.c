/* SPDX-License-Identifier: MIT */
/*
 * nx-abi devices (dev.h): a read with a deadline gets exactly n bytes across several writes,
 * times out on a silent source, reports the end of a file or a closed FIFO; the kernel's
 * random source fills buffers that differ.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/dev.h"

FDCHECK_GROUP("nx-abi dev tests")

static void make_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
}

static void read_gets_exactly_n_bytes_from_several_writes(void **state)
{
	uint8_t buf[6];
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(write(p[1], "abc", 3), 3);
	assert_int_equal(write(p[1], "defgh", 5), 5);
	assert_int_equal(nx_dev_read_timeout(p[0], buf, sizeof(buf), 1000), 0);
	assert_memory_equal(buf, "abcdef", 6);
	/* The rest stays in the pipe for the next read. */
	assert_int_equal(nx_dev_read_timeout(p[0], buf, 2, 1000), 0);
	assert_memory_equal(buf, "gh", 2);
	close(p[0]);
	close(p[1]);
}

static void silent_source_times_out(void **state)
{
	uint8_t buf[4];
	int p[2];

	(void)state;
	make_pipe(p);
	assert_int_equal(nx_dev_read_timeout(p[0], buf, sizeof(buf), 20), -ETIMEDOUT);
	/* Part of it is not enough either. */
	assert_int_equal(write(p[1], "ab", 2), 2);
	assert_int_equal(nx_dev_read_timeout(p[0], buf, sizeof(buf), 20), -ETIMEDOUT);
	close(p[0]);
	close(p[1]);
}

static void end_of_source_is_nodata(void **state)
{
	char path[] = "/tmp/nx-dev-XXXXXX";
	uint8_t buf[16], zeros[16] = {0};
	int p[2], fd, tmp;

	(void)state;
	make_pipe(p);
	assert_int_equal(write(p[1], "ab", 2), 2);
	close(p[1]);
	assert_int_equal(nx_dev_read_timeout(p[0], buf, sizeof(buf), 1000), -ENODATA);
	close(p[0]);

	tmp = mkostemp(path, O_CLOEXEC);
	assert_true(tmp >= 0);
	assert_int_equal(write(tmp, zeros, 10), 10);
	close(tmp);
	assert_int_equal(nx_dev_open_read(path, &fd), 0);
	assert_int_equal(nx_dev_read_timeout(fd, buf, 8, 1000), 0);
	assert_memory_equal(buf, zeros, 8);
	assert_int_equal(nx_dev_read_timeout(fd, buf, 8, 1000), -ENODATA);
	close(fd);
	unlink(path);
}

static void open_reports_the_kernel_error(void **state)
{
	int fd = -1;

	(void)state;
	assert_int_equal(nx_dev_open_read("/nonexistent/hwrng", &fd), -ENOENT);
	assert_int_equal(fd, -1);
	assert_int_equal(nx_dev_open_read("", &fd), -EINVAL);
	assert_int_equal(nx_dev_open_read("/dev/null", &fd), 0);
	assert_int_equal(nx_dev_read_timeout(fd, &fd, 1, 1000), -ENODATA);
	close(fd);
}

static void kernel_random_fills_distinct_buffers(void **state)
{
	uint8_t a[64] = {0}, b[64] = {0}, zeros[64] = {0};

	(void)state;
	assert_int_equal(nx_random_kernel(a, sizeof(a)), 0);
	assert_int_equal(nx_random_kernel(b, sizeof(b)), 0);
	assert_memory_not_equal(a, zeros, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(nx_random_kernel(NULL, 0), 0);
	assert_int_equal(nx_random_kernel(NULL, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(read_gets_exactly_n_bytes_from_several_writes),
	        cmocka_unit_test(silent_source_times_out),
	        cmocka_unit_test(end_of_source_is_nodata),
	        cmocka_unit_test(open_reports_the_kernel_error),
	        cmocka_unit_test(kernel_random_fills_distinct_buffers),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
