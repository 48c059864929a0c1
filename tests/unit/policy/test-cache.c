/* SPDX-License-Identifier: MIT */
/* userspace/policy's decision cache (cache.c) and interim rule (interim.c). */
#include "policy/cache.h" /* first: the public headers stand alone */
#include "policy/interim.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CONN_A ((uintptr_t)0x1000)
#define CONN_B ((uintptr_t)0x2000)

static void lookup_insert(void **state)
{
	struct pol_cache *c = NULL;
	uint64_t gen;
	bool allowed = true;

	assert_int_equal(pol_cache_new(&c), 0);
	gen = pol_cache_generation(c);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.query", &allowed), -ENOENT);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.query", false), 0);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.append", true), 0);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.query", &allowed), 0);
	assert_false(allowed);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.append", &allowed), 0);
	assert_true(allowed);
	/* The key is the connection, the subject and the capability together. */
	assert_int_equal(pol_cache_lookup(c, CONN_B, "uid:0", "log.append", &allowed), -ENOENT);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:1", "log.append", &allowed), -ENOENT);
	/* The same key again replaces its decision, not a second entry. */
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.query", true), 0);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.query", &allowed), 0);
	assert_true(allowed);
	assert_int_equal(pol_cache_count(c), 2);
	pol_cache_free(c);
}

static void bad_arguments(void **state)
{
	char subject[POL_CACHE_SUBJECT_MAX + 2], cap[POL_CACHE_CAP_MAX + 2];
	struct pol_cache *c = NULL;
	uint64_t gen;
	bool allowed;

	assert_int_equal(pol_cache_new(NULL), -EINVAL);
	assert_int_equal(pol_cache_new(&c), 0);
	gen = pol_cache_generation(c);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "", "log.query", true), -EINVAL);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", NULL, true), -EINVAL);
	assert_int_equal(pol_cache_insert(NULL, gen, CONN_A, "uid:0", "x", true), -EINVAL);
	/* The longest subject and capability are kept; one byte more is refused. */
	memset(subject, 's', sizeof(subject));
	subject[POL_CACHE_SUBJECT_MAX] = '\0';
	memset(cap, 'c', sizeof(cap));
	cap[POL_CACHE_CAP_MAX] = '\0';
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, subject, cap, true), 0);
	assert_int_equal(pol_cache_lookup(c, CONN_A, subject, cap, &allowed), 0);
	subject[POL_CACHE_SUBJECT_MAX] = 's';
	subject[POL_CACHE_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, subject, "x", true), -EMSGSIZE);
	cap[POL_CACHE_CAP_MAX] = 'c';
	cap[POL_CACHE_CAP_MAX + 1] = '\0';
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", cap, true), -EMSGSIZE);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", cap, &allowed), -ENOENT);
	assert_int_equal(pol_cache_count(c), 1);
	assert_null(pol_cache_free(NULL));
	pol_cache_free(c);
}

/* Crossing POL_CACHE_MAX replaces the oldest decision, one at a time. */
static void bound_replaces_oldest(void **state)
{
	struct pol_cache *c = NULL;
	char cap[32];
	uint64_t gen;
	bool allowed;

	assert_int_equal(pol_cache_new(&c), 0);
	gen = pol_cache_generation(c);
	for (unsigned i = 0; i < POL_CACHE_MAX; i++) {
		snprintf(cap, sizeof(cap), "cap.%u", i);
		assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", cap, true), 0);
	}
	assert_int_equal(pol_cache_count(c), POL_CACHE_MAX);
	/* Refreshing cap.0 makes cap.1 the oldest. */
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "cap.0", false), 0);
	assert_int_equal(pol_cache_insert(c, gen, CONN_B, "uid:0", "one.more", true), 0);
	assert_int_equal(pol_cache_count(c), POL_CACHE_MAX);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "cap.1", &allowed), -ENOENT);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "cap.0", &allowed), 0);
	assert_false(allowed);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "cap.2", &allowed), 0);
	assert_int_equal(pol_cache_lookup(c, CONN_B, "uid:0", "one.more", &allowed), 0);
	assert_int_equal(pol_cache_insert(c, gen, CONN_B, "uid:0", "two.more", true), 0);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "cap.2", &allowed), -ENOENT);
	pol_cache_free(c);
}

static void invalidation_and_generations(void **state)
{
	struct pol_cache *c = NULL;
	uint64_t asked;
	bool allowed;

	assert_int_equal(pol_cache_new(&c), 0);
	assert_string_equal(pol_cache_version(c), "");
	assert_int_equal(pol_cache_set_version(c, "abc", 3), 1);
	asked = pol_cache_generation(c);
	assert_int_equal(pol_cache_insert(c, asked, CONN_A, "uid:0", "log.query", true), 0);
	/* The same version again keeps everything. */
	assert_int_equal(pol_cache_set_version(c, "abcdef", 3), 0);
	assert_int_equal(pol_cache_generation(c), asked);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.query", &allowed), 0);
	/* A new version drops every decision, and an answer asked before it is not kept. */
	assert_int_equal(pol_cache_set_version(c, "abd", 3), 1);
	assert_string_equal(pol_cache_version(c), "abd");
	assert_int_equal(pol_cache_count(c), 0);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.query", &allowed), -ENOENT);
	assert_int_equal(pol_cache_insert(c, asked, CONN_A, "uid:0", "log.query", true), -ESTALE);
	assert_int_equal(pol_cache_count(c), 0);
	/* invalidate (policyd came or went) bumps the generation and forgets the version. */
	asked = pol_cache_generation(c);
	pol_cache_invalidate(c);
	assert_true(pol_cache_generation(c) > asked);
	assert_string_equal(pol_cache_version(c), "");
	assert_int_equal(pol_cache_set_version(NULL, "x", 1), -EINVAL);
	pol_cache_free(c);
}

/* POL_VERSION_LEN digits are kept; one more is refused and still drops the decisions. */
static void version_length_cap(void **state)
{
	char v[POL_VERSION_LEN + 1];
	struct pol_cache *c = NULL;
	uint64_t gen;

	memset(v, 'a', sizeof(v));
	assert_int_equal(pol_cache_new(&c), 0);
	assert_int_equal(pol_cache_set_version(c, v, POL_VERSION_LEN), 1);
	assert_int_equal(strlen(pol_cache_version(c)), POL_VERSION_LEN);
	gen = pol_cache_generation(c);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.query", true), 0);
	assert_int_equal(pol_cache_set_version(c, v, POL_VERSION_LEN + 1), -EMSGSIZE);
	assert_int_equal(pol_cache_count(c), 0);
	assert_true(pol_cache_generation(c) > gen);
	assert_string_equal(pol_cache_version(c), "");
	pol_cache_free(c);
}

static void drop_one_connection(void **state)
{
	struct pol_cache *c = NULL;
	uint64_t gen;
	bool allowed;

	assert_int_equal(pol_cache_new(&c), 0);
	gen = pol_cache_generation(c);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.query", true), 0);
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.append", true), 0);
	assert_int_equal(pol_cache_insert(c, gen, CONN_B, "uid:0", "log.query", false), 0);
	pol_cache_drop_conn(c, CONN_A);
	assert_int_equal(pol_cache_count(c), 1);
	assert_int_equal(pol_cache_generation(c), gen);
	assert_int_equal(pol_cache_lookup(c, CONN_A, "uid:0", "log.query", &allowed), -ENOENT);
	assert_int_equal(pol_cache_lookup(c, CONN_B, "uid:0", "log.query", &allowed), 0);
	assert_false(allowed);
	/* The slots freed are reused before anything older is replaced. */
	assert_int_equal(pol_cache_insert(c, gen, CONN_A, "uid:0", "log.follow", true), 0);
	assert_int_equal(pol_cache_count(c), 2);
	pol_cache_free(c);
}

/* logd's interim rule as logd states it: only svc: subjects may append. */
static void interim_logd(void **state)
{
	static const struct pol_grant logd_rule[] = {{"svc:*", "log.append"}};
	const size_t n = sizeof(logd_rule) / sizeof(logd_rule[0]);

	assert_true(pol_interim_allowed(logd_rule, n, "svc:echod", "log.append"));
	assert_false(pol_interim_allowed(logd_rule, n, "svc:echod", "log.query"));
	assert_false(pol_interim_allowed(logd_rule, n, "svc:echod", "log.appendx"));
	assert_false(pol_interim_allowed(logd_rule, n, "svc:", "log.append"));
	assert_false(pol_interim_allowed(logd_rule, n, "uid:0", "log.append"));
	assert_false(pol_interim_allowed(logd_rule, n, "peer:d/svc:echod", "log.append"));
	assert_false(pol_interim_allowed(logd_rule, n, "", "log.append"));
	assert_false(pol_interim_allowed(logd_rule, n, NULL, "log.append"));
	assert_false(pol_interim_allowed(logd_rule, n, "svc:echod", NULL));
	assert_false(pol_interim_allowed(NULL, 0, "svc:echod", "log.append"));
	assert_false(pol_interim_allowed(logd_rule, 0, "svc:echod", "log.append"));
}

/* samgrd's interim rule (source/services/samgrd/policyd.c) as a table, run as a uid 1000. */
static void interim_samgrd(void **state)
{
	static const struct pol_grant rule[] = {
	        {"svc:*", "ipc.register." POL_GRANT_NAME},
	        {"svc:*", "ipc.connect.*"},
	        {"uid:1000", "samgr.list"},
	        {"uid:1000", "ipc.connect.*"},
	};
	const size_t n = sizeof(rule) / sizeof(rule[0]);

	assert_true(pol_interim_allowed(rule, n, "svc:echod", "ipc.register.echod"));
	assert_false(pol_interim_allowed(rule, n, "svc:echod", "ipc.register.logd"));
	assert_false(pol_interim_allowed(rule, n, "svc:echod", "ipc.register.echod2"));
	assert_false(pol_interim_allowed(rule, n, "svc:echo", "ipc.register.echod"));
	assert_false(pol_interim_allowed(rule, n, "svc:", "ipc.register."));
	assert_true(pol_interim_allowed(rule, n, "svc:echod", "ipc.connect.logd"));
	assert_false(pol_interim_allowed(rule, n, "svc:echod", "samgr.list"));
	assert_true(pol_interim_allowed(rule, n, "uid:1000", "samgr.list"));
	assert_true(pol_interim_allowed(rule, n, "uid:1000", "ipc.connect.echod"));
	assert_false(pol_interim_allowed(rule, n, "uid:1000", "ipc.register.echod"));
	assert_false(pol_interim_allowed(rule, n, "uid:10000", "samgr.list"));
	assert_false(pol_interim_allowed(rule, n, "uid:100", "samgr.list"));
	assert_false(pol_interim_allowed(rule, n, "app:com.example", "ipc.connect.echod"));
	assert_false(pol_interim_allowed(rule, n, "SVC:echod", "ipc.register.echod"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(lookup_insert),
	        cmocka_unit_test(bad_arguments),
	        cmocka_unit_test(bound_replaces_oldest),
	        cmocka_unit_test(invalidation_and_generations),
	        cmocka_unit_test(version_length_cap),
	        cmocka_unit_test(drop_one_connection),
	        cmocka_unit_test(interim_logd),
	        cmocka_unit_test(interim_samgrd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
