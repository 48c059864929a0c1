/* SPDX-License-Identifier: MIT */
/*
 * vfs quota: growth up to each limit exactly, one more refused with its own code and nothing
 * changed, decreases stop at 0, usage over the limits refuses growth only, the table keeps
 * VFS_SUBJECTS_MAX subjects and forgets the least recently used.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vfs/quota.h"

static void test_limits_crossed(void **state)
{
	const struct vfs_usage limits = {.bytes = 1000, .entries = 3};
	struct vfs_quota *q = NULL;
	struct vfs_usage u, zero = {0};

	assert_int_equal(vfs_quota_new(&limits, &q), 0);
	assert_int_equal(vfs_quota_charge(q, "app:a", 1, 1), -ENOENT);
	assert_int_equal(vfs_quota_get(q, "app:a", &u), -ENOENT);
	assert_int_equal(vfs_quota_track(q, "app:a", &zero), 0);
	assert_int_equal(vfs_quota_charge(q, "app:a", 999, 2), 0);
	assert_int_equal(vfs_quota_charge(q, "app:a", 2, 0), -EFBIG);
	assert_int_equal(vfs_quota_charge(q, "app:a", 0, 2), -EMLINK);
	assert_int_equal(vfs_quota_charge(q, "app:a", 2, 2), -EFBIG);
	assert_int_equal(vfs_quota_charge(q, "app:a", INT64_MAX, 0), -EFBIG);
	assert_int_equal(vfs_quota_get(q, "app:a", &u), 0);
	assert_int_equal(u.bytes, 999); /* nothing changed by the refusals */
	assert_int_equal(u.entries, 2);
	assert_int_equal(vfs_quota_charge(q, "app:a", 1, 1), 0); /* exactly at both limits */
	assert_int_equal(vfs_quota_charge(q, "app:a", -5000, INT64_MIN), 0);
	assert_int_equal(vfs_quota_get(q, "app:a", &u), 0);
	assert_int_equal(u.bytes, 0);
	assert_int_equal(u.entries, 0);
	/* Another subject has its own count. */
	assert_int_equal(vfs_quota_track(q, "app:b", &zero), 0);
	assert_int_equal(vfs_quota_charge(q, "app:b", 1000, 3), 0);
	assert_int_equal(vfs_quota_charge(q, "app:a", 1000, 3), 0);
	/* Counted over the limits (files planted meanwhile): shrinking still works. */
	u = (struct vfs_usage){.bytes = 5000, .entries = 9};
	assert_int_equal(vfs_quota_track(q, "app:b", &u), 0);
	assert_int_equal(vfs_quota_charge(q, "app:b", 1, 0), -EFBIG);
	assert_int_equal(vfs_quota_charge(q, "app:b", 0, 1), -EMLINK);
	assert_int_equal(vfs_quota_charge(q, "app:b", -100, -1), 0);
	assert_int_equal(vfs_quota_charge(q, "app:b", 0, 0), 0);
	assert_int_equal(vfs_quota_limits(q).bytes, 1000);
	vfs_quota_free(q);
}

static void test_bad_arguments(void **state)
{
	struct vfs_usage limits = {.bytes = VFS_QUOTA_BYTES_MAX, .entries = VFS_QUOTA_ENTRIES_MAX};
	char subject[VFS_SUBJECT_MAX + 2];
	struct vfs_quota *q = NULL;
	struct vfs_usage zero = {0};

	assert_int_equal(vfs_quota_new(&limits, &q), 0);
	vfs_quota_free(q);
	limits.bytes = VFS_QUOTA_BYTES_MAX + 1;
	assert_int_equal(vfs_quota_new(&limits, &q), -ERANGE);
	limits.bytes = VFS_QUOTA_BYTES_DEFAULT;
	limits.entries = VFS_QUOTA_ENTRIES_MAX + 1;
	assert_int_equal(vfs_quota_new(&limits, &q), -ERANGE);
	limits.entries = 0;
	assert_int_equal(vfs_quota_new(&limits, &q), -ERANGE);
	limits.entries = VFS_QUOTA_ENTRIES_DEFAULT;
	assert_int_equal(vfs_quota_new(&limits, &q), 0);
	memset(subject, 's', sizeof(subject));
	subject[VFS_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(vfs_quota_track(q, subject, &zero), -EMSGSIZE);
	subject[VFS_SUBJECT_MAX] = '\0';
	assert_int_equal(vfs_quota_track(q, subject, &zero), 0);
	assert_int_equal(vfs_quota_track(q, "", &zero), -EINVAL);
	vfs_quota_free(q);
	assert_null(vfs_quota_free(NULL));
}

static void test_table_full(void **state)
{
	const struct vfs_usage limits = {.bytes = 10, .entries = 10};
	struct vfs_usage one = {.bytes = 1, .entries = 1}, u;
	struct vfs_quota *q = NULL;
	char subject[32];

	assert_int_equal(vfs_quota_new(&limits, &q), 0);
	for (unsigned i = 0; i < VFS_SUBJECTS_MAX; i++) {
		snprintf(subject, sizeof(subject), "app:s%u", i);
		assert_int_equal(vfs_quota_track(q, subject, &one), 0);
	}
	/* s0 used again: s1 is now the least recently used and goes for s-new. */
	assert_int_equal(vfs_quota_get(q, "app:s0", &u), 0);
	assert_int_equal(vfs_quota_track(q, "app:s-new", &one), 0);
	assert_int_equal(vfs_quota_get(q, "app:s1", &u), -ENOENT);
	assert_int_equal(vfs_quota_get(q, "app:s0", &u), 0);
	assert_int_equal(vfs_quota_get(q, "app:s-new", &u), 0);
	assert_int_equal(u.bytes, 1);
	vfs_quota_free(q);
}

static void test_parse_limit(void **state)
{
	uint64_t v = 7;

	assert_int_equal(vfs_quota_parse_limit("1048576", VFS_QUOTA_BYTES_MAX, &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(vfs_quota_parse_limit("1099511627776", VFS_QUOTA_BYTES_MAX, &v), 0);
	assert_int_equal(vfs_quota_parse_limit("1099511627777", VFS_QUOTA_BYTES_MAX, &v), -ERANGE);
	assert_int_equal(vfs_quota_parse_limit("99999999999999999999999", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(vfs_quota_parse_limit("0", VFS_QUOTA_ENTRIES_MAX, &v), -ERANGE);
	assert_int_equal(vfs_quota_parse_limit("", VFS_QUOTA_ENTRIES_MAX, &v), -EINVAL);
	assert_int_equal(vfs_quota_parse_limit("-1", VFS_QUOTA_ENTRIES_MAX, &v), -EINVAL);
	assert_int_equal(vfs_quota_parse_limit("10M", VFS_QUOTA_ENTRIES_MAX, &v), -EINVAL);
	assert_int_equal(vfs_quota_parse_limit(NULL, VFS_QUOTA_ENTRIES_MAX, &v), -EINVAL);
	assert_int_equal(v, 1099511627776ull); /* untouched by the failures */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_limits_crossed),
	        cmocka_unit_test(test_bad_arguments),
	        cmocka_unit_test(test_table_full),
	        cmocka_unit_test(test_parse_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
