/* SPDX-License-Identifier: MIT */
/*
 * nx-abi lock files: a second taker is refused while the first holds the lock (flock locks
 * belong to open files, so this holds within one process too), reads the holder's pid, leaves
 * it in the file, and gets the lock once the holder closed it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/lock.h"
#include "nx-abi/sock.h"

static void test_one_holder(void **state)
{
	char dir[] = "/tmp/nx-lock-XXXXXX", path[64];
	int before = fdcheck_count(), first = -1, second = -1, pid = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lock", dir);
	assert_int_equal(nx_lock_holder(path, &pid), -ENOENT);
	assert_int_equal(nx_lock_take(path, &first), 0);
	assert_true(first > 2);
	assert_int_equal(nx_lock_take(path, &second), -EAGAIN);
	assert_int_equal(second, -1);
	assert_int_equal(nx_lock_holder(path, &pid), 0);
	assert_int_equal(pid, getpid()); /* the refused taker did not wipe it */
	nx_fd_close(first);
	assert_int_equal(nx_lock_take(path, &second), 0);
	nx_fd_close(second);
	unlink(path);
	rmdir(dir);
	fdcheck_assert(before);
}

static void test_not_a_lock_file(void **state)
{
	char dir[] = "/tmp/nx-lock-XXXXXX", path[64];
	int pid = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lock", dir);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs("not a pid\n", f);
	fclose(f);
	assert_int_equal(nx_lock_holder(path, &pid), -EBADMSG);
	assert_int_equal(pid, 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_one_holder),
	        cmocka_unit_test(test_not_a_lock_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
