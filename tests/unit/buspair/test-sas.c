/* SPDX-License-Identifier: MIT */
/* buspair SAS: values computed independently (Python's hashlib.blake2b(digest_size=32) over
 * "nexus-bus-sas/1" || h, first 8 bytes big-endian mod 10^6), both sides agree, a different
 * hash gives a different string here, and the checks on lengths and digits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "buspair/sas.h"
#include "fdcheck.h"

static void known_values(void **state)
{
	uint8_t h[BUSPAIR_HASH_MAX + 1];
	char sas[BUSPAIR_SAS_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(h); i++)
		h[i] = (uint8_t)i;
	assert_int_equal(buspair_sas(h, BUSPAIR_HASH_MAX, sas), 0);
	assert_string_equal(sas, "853718");
	memset(h, 0, sizeof(h));
	assert_int_equal(buspair_sas(h, BUSPAIR_HASH_MAX, sas), 0);
	assert_string_equal(sas, "174808");
	h[0] = 0xff;
	assert_int_equal(buspair_sas(h, 1, sas), 0);
	assert_string_equal(sas, "644607");
	assert_int_equal(buspair_sas(h, BUSPAIR_HASH_MAX + 1, sas), -EINVAL);
	assert_int_equal(buspair_sas(h, 0, sas), -EINVAL);
}

static void checks(void **state)
{
	(void)state;
	assert_int_equal(buspair_sas_check("012345"), 0);
	assert_int_equal(buspair_sas_check("01234"), -EINVAL);
	assert_int_equal(buspair_sas_check("0123456"), -EINVAL);
	assert_int_equal(buspair_sas_check("01234a"), -EINVAL);
	assert_int_equal(buspair_sas_check(NULL), -EINVAL);
}

FDCHECK_GROUP("buspair sas tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(known_values),
	        cmocka_unit_test(checks),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
