/* SPDX-License-Identifier: MIT */
/* journal: creation, append, record views, eviction, limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"
#include "nx-util/macro.h"

FDCHECK_GROUP("journal tests")

static void test_level_names(void **state)
{
	for (int l = 0; l < JRN_LEVEL_COUNT; l++) {
		enum jrn_level back;
		const char *n = jrn_level_name((enum jrn_level)l);
		assert_non_null(n);
		assert_int_equal(jrn_level_parse(n, &back), 0);
		assert_int_equal(back, l);
	}
	assert_string_equal(jrn_level_name(JRN_LEVEL_WARN), "warn");
	assert_null(jrn_level_name(JRN_LEVEL_COUNT));
	enum jrn_level l = JRN_LEVEL_INFO;
	assert_int_equal(jrn_level_parse("WARN", &l), -EINVAL);
	assert_int_equal(jrn_level_parse("", &l), -EINVAL);
	assert_int_equal(l, JRN_LEVEL_INFO);
}

static void test_new_limits(void **state)
{
	struct jrn *j = NULL;
	struct jrn_config cfg;
	struct jrn_stats st;

	assert_int_equal(jrn_new(NULL, NULL), -EINVAL);
	assert_int_equal(jrn_new(NULL, &j), 0);
	jrn_stats(j, &st);
	assert_int_equal(st.capacity, JRN_CAPACITY_DEFAULT);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.oldest_id, 0);
	assert_int_equal(st.next_id, 1);
	j = jrn_free(j);
	assert_null(j);
	assert_null(jrn_free(NULL));

	jrn_config_default(&cfg);
	cfg.capacity = JRN_CAPACITY_MIN - 1;
	assert_int_equal(jrn_new(&cfg, &j), -ERANGE);
	cfg.capacity = JRN_CAPACITY_MIN;
	assert_int_equal(jrn_new(&cfg, &j), 0);
	j = jrn_free(j);
	cfg.capacity = (size_t)JRN_CAPACITY_MAX + 1;
	assert_int_equal(jrn_new(&cfg, &j), -ERANGE);
	assert_null(j);

	jrn_config_default(&cfg);
	cfg.rate_per_sec = JRN_RATE_MAX + 1;
	assert_int_equal(jrn_new(&cfg, &j), -ERANGE);
	cfg.rate_per_sec = JRN_RATE_MAX;
	cfg.burst = JRN_BURST_MAX + 1;
	assert_int_equal(jrn_new(&cfg, &j), -ERANGE);
	cfg.burst = 0;
	assert_int_equal(jrn_new(&cfg, &j), -ERANGE);
	cfg.burst = JRN_BURST_MAX;
	assert_int_equal(jrn_new(&cfg, &j), 0);
	j = jrn_free(j);
}

static void test_append_view_roundtrip(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	struct jrn_field f[3] = {{"pid", "42"}, {"unit.name", ""}, {"a-b_C", "x=y z"}};
	struct jrn_entry e = {.level = JRN_LEVEL_ERROR,
	        .scope = "net",
	        .message = "link down",
	        .fields = f,
	        .n_fields = 3};
	struct jrn_record r;
	uint64_t id = 0;

	assert_non_null(j);
	assert_int_equal(jrn_append(j, "app:com.example", &e, 1000, 77, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(jrn_get(j, 1, &r), 0);
	assert_int_equal(r.id, 1);
	assert_int_equal(r.realtime_ns, 1000);
	assert_int_equal(r.monotonic_ns, 77);
	assert_int_equal(r.level, JRN_LEVEL_ERROR);
	assert_string_equal(r.subject, "app:com.example");
	assert_int_equal(r.subject_len, strlen("app:com.example"));
	assert_string_equal(r.scope, "net");
	assert_string_equal(r.message, "link down");
	assert_int_equal(r.message_len, 9);
	assert_int_equal(r.n_fields, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(r.fields[i].key, f[i].key);
		assert_string_equal(r.fields[i].value, f[i].value);
	}

	/* A NULL scope is stored as empty (an empty message is refused: test_append_refusals);
	 * ret_id may be NULL. */
	struct jrn_entry bare = {.level = JRN_LEVEL_DEBUG, .message = "m"};
	assert_int_equal(jrn_append(j, "svc:x", &bare, 1, 1, NULL), 0);
	assert_int_equal(jrn_get(j, 2, &r), 0);
	assert_string_equal(r.scope, "");
	assert_string_equal(r.message, "m");
	assert_int_equal(r.n_fields, 0);
	/* The monotonic axis never goes back: an older time is raised to the newest. */
	assert_int_equal(r.monotonic_ns, 77);
	assert_int_equal(r.realtime_ns, 1);

	assert_int_equal(jrn_get(j, 0, &r), -ENOENT);
	assert_int_equal(jrn_get(j, 3, &r), -ENOENT);
	jrn_free(j);
}

static void test_append_refusals(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	char big[JRN_MESSAGE_MAX + 2];
	struct jrn_entry e = entry(JRN_LEVEL_INFO, "s", "m");
	struct jrn_field f[JRN_FIELDS_MAX + 1];
	uint64_t id = 99;

	for (size_t i = 0; i <= JRN_FIELDS_MAX; i++)
		f[i] = (struct jrn_field){"k", "v"};

	/* Subject: NULL, empty, at and over its limit. */
	assert_int_equal(jrn_append(j, NULL, &e, 0, 0, &id), -EINVAL);
	assert_int_equal(jrn_append(j, "", &e, 0, 0, &id), -EINVAL);
	memset(big, 'a', sizeof(big));
	big[JRN_SUBJECT_MAX] = '\0';
	assert_int_equal(jrn_append(j, big, &e, 0, 0, &id), 0);
	big[JRN_SUBJECT_MAX] = 'a';
	big[JRN_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(jrn_append(j, big, &e, 0, 0, &id), -EMSGSIZE);

	/* Scope. */
	memset(big, 'b', sizeof(big));
	big[JRN_SCOPE_MAX] = '\0';
	e.scope = big;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), 0);
	big[JRN_SCOPE_MAX] = 'b';
	big[JRN_SCOPE_MAX + 1] = '\0';
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EMSGSIZE);
	e.scope = "s";

	/* Message. */
	memset(big, 'c', sizeof(big));
	big[JRN_MESSAGE_MAX] = '\0';
	e.message = big;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), 0);
	big[JRN_MESSAGE_MAX] = 'c';
	big[JRN_MESSAGE_MAX + 1] = '\0';
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EMSGSIZE);
	/* A record says something: an empty or missing message is refused. */
	e.message = "";
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -ENODATA);
	e.message = NULL;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -ENODATA);
	e.message = "m";

	/* Fields: count, key, value. */
	e.fields = f;
	e.n_fields = JRN_FIELDS_MAX;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), 0);
	e.n_fields = JRN_FIELDS_MAX + 1;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -E2BIG);
	e.n_fields = 1;
	memset(big, 'k', sizeof(big));
	big[JRN_KEY_MAX] = '\0';
	f[0].key = big;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), 0);
	big[JRN_KEY_MAX] = 'k';
	big[JRN_KEY_MAX + 1] = '\0';
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EMSGSIZE);
	f[0].key = "k";
	memset(big, 'v', sizeof(big));
	big[JRN_VALUE_MAX] = '\0';
	f[0].value = big;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), 0);
	big[JRN_VALUE_MAX] = 'v';
	big[JRN_VALUE_MAX + 1] = '\0';
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EMSGSIZE);
	f[0].value = "v";

	/* Malformed: empty key, bad key characters, NULL key/value, NULL fields, bad level. */
	const char *bad_keys[] = {"", "a b", "a=b", "k\n", "caf\xc3\xa9"};
	for (size_t i = 0; i < ELEMENTSOF(bad_keys); i++) {
		f[0].key = bad_keys[i];
		assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EINVAL);
	}
	f[0].key = NULL;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EINVAL);
	f[0].key = "k";
	f[0].value = NULL;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EINVAL);
	f[0].value = "v";
	e.fields = NULL;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EINVAL);
	e.fields = f;
	e.level = JRN_LEVEL_COUNT;
	assert_int_equal(jrn_append(j, "svc:a", &e, 0, 0, &id), -EINVAL);
	assert_int_equal(jrn_append(j, "svc:a", NULL, 0, 0, &id), -EINVAL);
	assert_int_equal(jrn_append(NULL, "svc:a", &e, 0, 0, &id), -EINVAL);

	/* Refusals leave no trace: six records stored, ids 1..6, *ret_id untouched on failure. */
	struct jrn_stats st;
	jrn_stats(j, &st);
	assert_int_equal(st.records, 6);
	assert_int_equal(st.newest_id, 6);
	assert_int_equal(id, 6);
	jrn_free(j);
}

/* The brief's volume test: a million appends into the smallest journal. */
static void test_million_appends_bounded(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	struct jrn_field f[2] = {{"n", "0"}, {"k", "some value"}};
	struct jrn_entry e = {
	        .level = JRN_LEVEL_INFO, .scope = "bench", .fields = f, .n_fields = 2};
	struct jrn_stats st;
	char msg[64];
	uint64_t prev = 0, id, prev_evicted = 0, evictions = 0;
	const uint64_t n = 1000000;

	assert_non_null(j);
	for (uint64_t i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "record %llu", (unsigned long long)i);
		e.message = msg;
		assert_int_equal(jrn_append(j, "svc:bench", &e, i, i, &id), 0);
		if (id <= prev)
			fail_msg("id %llu after %llu", (unsigned long long)id,
			        (unsigned long long)prev);
		prev = id;
		if ((i & 1023) == 0) {
			jrn_stats(j, &st);
			assert_true(st.bytes_used <= st.capacity);
			assert_true(st.capacity <= JRN_CAPACITY_MIN);
			assert_int_equal(st.records + st.evicted, i + 1);
			assert_int_equal(st.newest_id - st.oldest_id + 1, st.records);
			if (st.evicted != prev_evicted)
				evictions++;
			prev_evicted = st.evicted;
		}
	}
	jrn_stats(j, &st);
	assert_int_equal(st.appended, n);
	assert_int_equal(st.newest_id, n);
	assert_int_equal(st.records + st.evicted, n);
	assert_true(st.evicted > n - 10000);
	assert_true(evictions > 100);
	/* What remains is the newest suffix, intact. */
	struct jrn_record r;
	assert_int_equal(jrn_get(j, st.oldest_id - 1, &r), -ENOENT);
	assert_int_equal(jrn_get(j, st.oldest_id, &r), 0);
	assert_int_equal(jrn_get(j, n, &r), 0);
	assert_string_equal(r.message, "record 999999");
	assert_int_equal(r.id, n);
	jrn_free(j);
}

static void test_evict_oldest(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	struct jrn_entry e = entry(JRN_LEVEL_INFO, "s", "0123456789012345678901234567890123456789");
	struct jrn_stats st;

	assert_int_equal(jrn_evict_oldest(j), 0);
	/* Fill a bit over two chunks. */
	uint64_t i = 0;
	do {
		assert_int_equal(jrn_append(j, "svc:a", &e, i, i, NULL), 0);
		i++;
		jrn_stats(j, &st);
	} while (st.bytes_used < 2 * JRN_CHUNK_MIN + 100);
	int64_t n1 = jrn_evict_oldest(j);
	assert_true(n1 > 0);
	jrn_stats(j, &st);
	assert_int_equal(st.evicted, n1);
	assert_int_equal(st.oldest_id, (uint64_t)n1 + 1);
	while (st.records > 0) {
		assert_true(jrn_evict_oldest(j) > 0);
		jrn_stats(j, &st);
	}
	assert_int_equal(st.evicted, i);
	assert_int_equal(st.oldest_id, 0);
	assert_int_equal(st.bytes_used, 0);
	assert_int_equal(jrn_evict_oldest(j), 0);
	/* Ids are never reused after the journal empties. */
	uint64_t id;
	assert_int_equal(jrn_append(j, "svc:a", &e, i, i, &id), 0);
	assert_int_equal(id, i + 1);
	jrn_stats(j, &st);
	assert_int_equal(st.oldest_id, i + 1);
	assert_int_equal(st.records, 1);
	jrn_free(j);
}

static void test_largest_records_fill_ring(void **state)
{
	/* Records of the largest size still fit a chunk and cycle the ring cleanly. */
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	static char msg[JRN_MESSAGE_MAX + 1], val[JRN_VALUE_MAX + 1], key[JRN_FIELDS_MAX][8];
	static char scope[JRN_SCOPE_MAX + 1], subj[JRN_SUBJECT_MAX + 1];
	struct jrn_field f[JRN_FIELDS_MAX];
	struct jrn_stats st;

	memset(msg, 'm', JRN_MESSAGE_MAX);
	memset(val, 'v', JRN_VALUE_MAX);
	memset(scope, 's', JRN_SCOPE_MAX);
	memset(subj, 'u', JRN_SUBJECT_MAX);
	for (size_t i = 0; i < JRN_FIELDS_MAX; i++) {
		snprintf(key[i], sizeof(key[i]), "k%zu", i);
		f[i] = (struct jrn_field){key[i], val};
	}
	struct jrn_entry e = {.level = JRN_LEVEL_CRIT,
	        .scope = scope,
	        .message = msg,
	        .fields = f,
	        .n_fields = JRN_FIELDS_MAX};
	for (uint64_t i = 0; i < 500; i++) {
		assert_int_equal(jrn_append(j, subj, &e, i, i, NULL), 0);
		jrn_stats(j, &st);
		assert_true(st.bytes_used <= st.capacity);
	}
	assert_true(st.evicted > 0);
	struct jrn_record r;
	assert_int_equal(jrn_get(j, 500, &r), 0);
	assert_int_equal(r.message_len, JRN_MESSAGE_MAX);
	assert_int_equal(strlen(r.fields[15].value), JRN_VALUE_MAX);
	assert_string_equal(r.fields[15].key, "k15");
	jrn_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_level_names),
	        cmocka_unit_test(test_new_limits),
	        cmocka_unit_test(test_append_view_roundtrip),
	        cmocka_unit_test(test_append_refusals),
	        cmocka_unit_test(test_million_appends_bounded),
	        cmocka_unit_test(test_evict_oldest),
	        cmocka_unit_test(test_largest_records_fill_ring),
	};
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
