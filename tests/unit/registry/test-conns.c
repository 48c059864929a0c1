/* SPDX-License-Identifier: MIT */
/* conns: both connection limits crossed, releases, bad subjects. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nexus/limits.h"
#include "registry/conns.h"

FDCHECK_GROUP("conns tests")

static int setup(void **state)
{
	struct conns *c = NULL;

	assert_int_equal(conns_new(&c), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	assert_null(conns_free(*state));
	return 0;
}

static void test_new_free(void **state)
{
	(void)state;
	assert_int_equal(conns_new(NULL), -EINVAL);
	assert_null(conns_free(NULL));
}

static void test_per_subject_limit(void **state)
{
	struct conns *c = *state;

	for (unsigned i = 0; i < NX_CONN_MAX_PER_SUBJECT; i++)
		assert_int_equal(conns_acquire(c, "app:a"), 0);
	assert_int_equal(conns_acquire(c, "app:a"), -EDQUOT);
	assert_int_equal(conns_of(c, "app:a"), NX_CONN_MAX_PER_SUBJECT);
	/* Another subject is not held back by app:a. */
	assert_int_equal(conns_acquire(c, "app:b"), 0);
	assert_int_equal(conns_total(c), NX_CONN_MAX_PER_SUBJECT + 1);
	/* One ends, one more fits, and no more. */
	assert_int_equal(conns_release(c, "app:a"), 0);
	assert_int_equal(conns_acquire(c, "app:a"), 0);
	assert_int_equal(conns_acquire(c, "app:a"), -EDQUOT);
}

static void test_per_service_limit(void **state)
{
	struct conns *c = *state;
	char subject[32];
	unsigned s;

	/* Every subject below its own limit, so only the total can refuse. */
	for (s = 0; conns_total(c) < NX_CONN_MAX_PER_SERVICE; s++) {
		snprintf(subject, sizeof(subject), "uid:%u", s);
		for (unsigned i = 0; i < NX_CONN_MAX_PER_SUBJECT / 2; i++)
			assert_int_equal(conns_acquire(c, subject), 0);
	}
	assert_int_equal(conns_total(c), NX_CONN_MAX_PER_SERVICE);
	assert_int_equal(conns_acquire(c, "app:fresh"), -EDQUOT);
	assert_int_equal(conns_acquire(c, "uid:0"), -EDQUOT);
	assert_int_equal(conns_of(c, "app:fresh"), 0);
	assert_int_equal(conns_release(c, "uid:0"), 0);
	assert_int_equal(conns_acquire(c, "app:fresh"), 0);
	assert_int_equal(conns_acquire(c, "app:fresh"), -EDQUOT);
	assert_int_equal(conns_total(c), NX_CONN_MAX_PER_SERVICE);
}

static void test_release(void **state)
{
	struct conns *c = *state;

	assert_int_equal(conns_release(c, "app:a"), -ENOENT);
	assert_int_equal(conns_acquire(c, "app:a"), 0);
	assert_int_equal(conns_acquire(c, "app:b"), 0);
	assert_int_equal(conns_acquire(c, "app:a"), 0);
	assert_int_equal(conns_release(c, "app:a"), 0);
	assert_int_equal(conns_release(c, "app:a"), 0);
	/* A subject whose last connection ended holds nothing, and is forgotten. */
	assert_int_equal(conns_release(c, "app:a"), -ENOENT);
	assert_int_equal(conns_of(c, "app:a"), 0);
	assert_int_equal(conns_of(c, "app:b"), 1);
	assert_int_equal(conns_total(c), 1);
	assert_int_equal(conns_release(c, NULL), -EINVAL);
	assert_int_equal(conns_release(NULL, "app:b"), -EINVAL);
}

static void test_bad_subjects(void **state)
{
	struct conns *c = *state;
	char longest[REG_SUBJECT_MAX + 2];

	assert_int_equal(conns_acquire(c, NULL), -EINVAL);
	assert_int_equal(conns_acquire(c, ""), -EINVAL);
	assert_int_equal(conns_acquire(NULL, "app:a"), -EINVAL);
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_int_equal(conns_acquire(c, longest), -EMSGSIZE);
	longest[REG_SUBJECT_MAX] = '\0';
	assert_int_equal(conns_acquire(c, longest), 0);
	assert_int_equal(conns_total(c), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_new_free),
	        cmocka_unit_test_setup_teardown(test_per_subject_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_per_service_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_release, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_subjects, setup, teardown),
	};
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
