/* SPDX-License-Identifier: MIT */
/* logd's interim policy rule and its environment knobs (config.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "logd.h"

static bool fallback(const char *subject, const char *cap)
{
	return pol_interim_allowed(logd_interim_rule, logd_interim_rule_len, subject, cap);
}

static void fallback_rule(void **state)
{
	int before = fdcheck_count();

	/* Only svc: subjects' log.append while policyd cannot be asked. */
	assert_true(fallback("svc:echod", "log.append"));
	assert_true(fallback("svc:policyd", "log.append"));
	assert_false(fallback("svc:echod", "log.query"));
	assert_false(fallback("svc:echod", "log.follow"));
	assert_false(fallback("uid:0", "log.append"));
	assert_false(fallback("uid:0", "log.query"));
	assert_false(fallback("svc:echod", "log.appendx"));
	assert_false(fallback("app:com.example", "log.append"));
	assert_false(fallback("peer:dev1/svc:echod", "log.append"));
	assert_false(fallback("svc:", "log.append"));
	assert_false(fallback("", "log.append"));
	assert_false(fallback(NULL, "log.append"));
	assert_false(fallback("svc:echod", NULL));
	fdcheck_assert(before);
}

static void capacity(void **state)
{
	static const struct {
		const char *text;
		int r;
		size_t value;
	} cases[] = {
	        {"16777216", 0, 16u << 20},
	        {"16M", 0, 16u << 20},
	        {"512k", 0, 512u << 10},
	        {"128K", 0, JRN_CAPACITY_MIN},
	        {"1G", 0, JRN_CAPACITY_MAX},
	        {"131071", -ERANGE, 0},                  /* one under the minimum */
	        {"1025M", -ERANGE, 0},                   /* over the maximum */
	        {"18446744073709551615G", -ERANGE, 0},   /* overflow when scaled */
	        {"99999999999999999999999", -ERANGE, 0}, /* overflow when parsed */
	        {"", -EINVAL, 0},
	        {"-1", -EINVAL, 0},
	        {" 16M", -EINVAL, 0},
	        {"16MB", -EINVAL, 0},
	        {"16T", -EINVAL, 0},
	        {"0x100000", -EINVAL, 0},
	};
	int before = fdcheck_count();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t v = 7;

		assert_int_equal(logd_parse_capacity(cases[i].text, &v), cases[i].r);
		assert_int_equal(
		        v, cases[i].r == 0 ? cases[i].value : 7); /* untouched on failure */
	}
	assert_int_equal(logd_parse_capacity(NULL, NULL), -EINVAL);
	fdcheck_assert(before);
}

static void u32_knobs(void **state)
{
	uint32_t v = 7;

	assert_int_equal(logd_parse_u32("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(logd_parse_u32("10", 10, &v), 0);
	assert_int_equal(v, 10);
	v = 7;
	assert_int_equal(logd_parse_u32("11", 10, &v), -ERANGE); /* one over the maximum */
	assert_int_equal(logd_parse_u32("99999999999999999999", UINT32_MAX, &v), -ERANGE);
	assert_int_equal(logd_parse_u32("", 10, &v), -EINVAL);
	assert_int_equal(logd_parse_u32("-1", 10, &v), -EINVAL);
	assert_int_equal(logd_parse_u32("5x", 10, &v), -EINVAL);
	assert_int_equal(logd_parse_u32(NULL, 10, &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fallback_rule),
	        cmocka_unit_test(capacity),
	        cmocka_unit_test(u32_knobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
