/* SPDX-License-Identifier: MIT */
/* nx-abi processes: a process's memory and CPU time as the kernel counts them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/proc.h"

static void test_own_usage_grows(void **state)
{
	int before = fdcheck_count();
	struct nx_proc_usage a, b;
	volatile uint64_t spin = 0;
	size_t big = 32u << 20;
	char *mem;

	assert_int_equal(nx_proc_usage(getpid(), &a), 0);
	assert_true(a.rss_bytes > 0);
	/* Touch 32 MiB and burn CPU until the kernel's tick counts it: both must show. */
	mem = malloc(big);
	assert_non_null(mem);
	memset(mem, 1, big);
	do {
		for (int i = 0; i < 1000000; i++)
			spin += (uint64_t)i;
		assert_int_equal(nx_proc_usage(getpid(), &b), 0);
	} while (b.cpu_ns == a.cpu_ns);
	assert_true(b.cpu_ns > a.cpu_ns);
	assert_true(b.rss_bytes >= a.rss_bytes + big / 2);
	free(mem);
	fdcheck_assert(before);
}

/* Address space counts what is mapped, touched or not. */
static void test_own_address_space_grows(void **state)
{
	size_t size = 64u << 20;
	struct nx_proc_usage a, b;
	void *p;

	assert_int_equal(nx_proc_usage(getpid(), &a), 0);
	assert_true(a.vm_bytes >= a.rss_bytes);
	p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(nx_proc_usage(getpid(), &b), 0);
	assert_true(b.vm_bytes >= a.vm_bytes + size);
	munmap(p, size);
}

static void test_bad_pids(void **state)
{
	struct nx_proc_usage u;

	assert_int_equal(nx_proc_usage(0, &u), -EINVAL);
	assert_int_equal(nx_proc_usage(-1, &u), -EINVAL);
	/* Above the largest pid Linux hands out (4194304). */
	assert_int_equal(nx_proc_usage(4194305 + 7, &u), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_own_usage_grows),
	        cmocka_unit_test(test_own_address_space_grows),
	        cmocka_unit_test(test_bad_pids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
