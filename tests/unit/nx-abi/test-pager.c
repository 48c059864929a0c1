/* SPDX-License-Identifier: MIT */
/* nx-abi pager: what the program writes to stdout reaches the pager, which is waited for. */
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
#include "nx-abi/pager.h"

static void test_output_reaches_the_pager(void **state)
{
	char dir[] = "/tmp/nx-pager-XXXXXX", cmd[128], path[64], buf[64] = "";
	int before = fdcheck_count(), saved, pidfd = -1;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	/* The pager's exit is waited for: the file is complete once nx_pager_end returns. */
	snprintf(cmd, sizeof(cmd), "sleep 0.2; cat >%s", path);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(nx_pager_start(cmd, &pidfd), 0);
	assert_true(pidfd >= 0);
	assert_int_equal(write(STDOUT_FILENO, "paged\n", 6), 6);
	nx_pager_end(pidfd);
	assert_true(dup2(saved, STDOUT_FILENO) == STDOUT_FILENO);
	close(saved);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "paged\n");
	unlink(path);
	rmdir(dir);
	fdcheck_assert(before);
}

static void test_no_command(void **state)
{
	int pidfd = -1;

	assert_int_equal(nx_pager_start("", &pidfd), -EINVAL);
	assert_int_equal(nx_pager_start(NULL, &pidfd), -EINVAL);
	assert_int_equal(pidfd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_output_reaches_the_pager),
	        cmocka_unit_test(test_no_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
