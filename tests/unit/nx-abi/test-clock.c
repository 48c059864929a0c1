/* SPDX-License-Identifier: MIT */
/* nx-abi clocks: the units are nanoseconds and the monotonic clock does not go back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/clock.h"

static void test_monotonic_never_goes_back(void **state)
{
	int before = fdcheck_count();
	uint64_t prev = nx_clock_monotonic_ns();
	int i;

	assert_true(prev > 0);
	for (i = 0; i < 1000; i++) {
		uint64_t now = nx_clock_monotonic_ns();

		assert_true(now >= prev);
		prev = now;
	}
	fdcheck_assert(before);
}

static void test_realtime_is_unix_ns(void **state)
{
	int before = fdcheck_count();
	time_t lo = time(NULL);
	uint64_t ns = nx_clock_realtime_ns();
	time_t hi = time(NULL);

	/* Same seconds as time(2), so the scale is nanoseconds since the epoch. */
	assert_true(ns / 1000000000u >= (uint64_t)lo);
	assert_true(ns / 1000000000u <= (uint64_t)hi);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_monotonic_never_goes_back),
	        cmocka_unit_test(test_realtime_is_unix_ns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
