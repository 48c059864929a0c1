/* SPDX-License-Identifier: MIT */
/* nx-abi random bytes: filled (two draws differ), bounded, an empty fill is fine. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nx-abi/random.h"

static void test_fill(void **state)
{
	uint8_t a[32] = {0}, b[32] = {0}, big[257];

	(void)state;
	assert_int_equal(nx_random_fill(a, sizeof(a)), 0);
	assert_int_equal(nx_random_fill(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a)); /* 2^-256 */
	assert_int_equal(nx_random_fill(a, 0), 0);
	assert_int_equal(nx_random_fill(big, sizeof(big)), -EINVAL);
	assert_int_equal(nx_random_fill(NULL, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_fill)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
