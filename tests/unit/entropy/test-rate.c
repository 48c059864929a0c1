/* SPDX-License-Identifier: MIT */
/*
 * Per-subject byte-rate limit (userspace/entropy/rate.h) on an injected clock: the burst is
 * served, then requests wait for the refill (a request is taken whole or not at all); each
 * subject has its own bucket; a request over the burst can never pass; past
 * ENT_RATE_SUBJECTS_MAX subjects the least recently seen is forgotten; rate 0 is no limit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entropy/rate.h"
#include "fdcheck.h"

FDCHECK_GROUP("entropy rate tests")

#define SEC 1000000000ull

static struct ent_rate *new_rate(uint32_t rate, uint32_t burst)
{
	struct ent_rate *r = malloc(sizeof(*r));

	assert_non_null(r);
	ent_rate_init(r, rate, burst);
	return r;
}

static void burst_then_refill(void **state)
{
	struct ent_rate *r = new_rate(1000, 4000);

	(void)state;
	assert_int_equal(ent_rate_take(r, "app:a", 3000, 10 * SEC), 0);
	assert_int_equal(ent_rate_take(r, "app:a", 1001, 10 * SEC), -EDQUOT);
	assert_int_equal(ent_rate_take(r, "app:a", 1000, 10 * SEC), 0);
	assert_int_equal(ent_rate_take(r, "app:a", 1, 10 * SEC), -EDQUOT);
	/* Half a second refills 500 bytes; a refused request took nothing. */
	assert_int_equal(ent_rate_take(r, "app:a", 501, 10 * SEC + SEC / 2), -EDQUOT);
	assert_int_equal(ent_rate_take(r, "app:a", 500, 10 * SEC + SEC / 2), 0);
	/* A long pause fills the bucket up to the burst, no further. */
	assert_int_equal(ent_rate_take(r, "app:a", 4000, 1000 * SEC), 0);
	assert_int_equal(ent_rate_take(r, "app:a", 1, 1000 * SEC), -EDQUOT);
	/* Time going backwards refills nothing. */
	assert_int_equal(ent_rate_take(r, "app:a", 1, 999 * SEC), -EDQUOT);
	free(r);
}

static void subjects_are_apart_and_bounded(void **state)
{
	struct ent_rate *r = new_rate(1, 100);
	char name[32];

	(void)state;
	assert_int_equal(ent_rate_take(r, "uid:0", 100, 0), 0);
	assert_int_equal(ent_rate_take(r, "uid:0", 1, 0), -EDQUOT);
	assert_int_equal(ent_rate_take(r, "svc:keystored", 100, 0), 0);
	assert_int_equal(ent_rate_take(r, "uid:0", 101, 0), -E2BIG);
	/* Fill the table with newer subjects: uid:0, the least recently seen, is forgotten and
	 * comes back with a full bucket; svc:keystored, seen later, was forgotten next. */
	for (unsigned i = 0; i < ENT_RATE_SUBJECTS_MAX - 1; i++) {
		snprintf(name, sizeof(name), "app:%u", i);
		assert_int_equal(ent_rate_take(r, name, 1, 1 + i), 0);
	}
	assert_int_equal(r->used, ENT_RATE_SUBJECTS_MAX);
	assert_int_equal(ent_rate_take(r, "uid:0", 100, 1000), 0);
	assert_int_equal(r->used, ENT_RATE_SUBJECTS_MAX);
	free(r);
}

static void subject_names_are_checked(void **state)
{
	struct ent_rate *r = new_rate(1, 100);
	char longest[ENT_RATE_SUBJECT_MAX + 2];

	(void)state;
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_int_equal(ent_rate_take(r, longest, 1, 0), -EINVAL);
	longest[ENT_RATE_SUBJECT_MAX] = '\0';
	assert_int_equal(ent_rate_take(r, longest, 1, 0), 0);
	assert_int_equal(ent_rate_take(r, "", 1, 0), -EINVAL);
	assert_int_equal(ent_rate_take(r, NULL, 1, 0), -EINVAL);
	free(r);
}

static void rate_zero_is_no_limit(void **state)
{
	struct ent_rate *r = new_rate(0, 0);

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(ent_rate_take(r, "uid:0", 1u << 20, 0), 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(burst_then_refill),
	        cmocka_unit_test(subjects_are_apart_and_bounded),
	        cmocka_unit_test(subject_names_are_checked),
	        cmocka_unit_test(rate_zero_is_no_limit),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
