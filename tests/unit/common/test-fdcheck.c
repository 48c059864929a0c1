/* SPDX-License-Identifier: MIT */
/* Proves the fd-leak check used by every test catches a leak (STYLE.md 29). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"

static void test_no_leak_passes(void **state)
{
	int before = fdcheck_count();
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fdcheck_leaked(before, "no leak"), 0);
}

static void test_leak_is_caught(void **state)
{
	int before = fdcheck_count();
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fdcheck_leaked(before, "deliberate leak"), -1);
	close(fd);
	assert_int_equal(fdcheck_leaked(before, "after close"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_leak_passes),
	        cmocka_unit_test(test_leak_is_caught),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
