/* SPDX-License-Identifier: MIT */
/* journal rate limiting: token buckets per subject, drop counts and drop report records. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"

#define MS  1000000ull
#define SEC 1000000000ull

FDCHECK_GROUP("ratelimit tests")

static struct jrn *journal_limited(uint32_t rate, uint32_t burst)
{
	struct jrn_config cfg = {.capacity = 4u << 20, .rate_per_sec = rate, .burst = burst};
	struct jrn *j = NULL;
	assert_int_equal(jrn_new(&cfg, &j), 0);
	return j;
}

static int append_at(struct jrn *j, const char *subject, uint64_t t, uint64_t *ret_id)
{
	struct jrn_entry e = entry(JRN_LEVEL_INFO, "s", "hello");
	return jrn_append(j, subject, &e, t + 5 * SEC, t, ret_id);
}

static void assert_drop_report(const struct jrn_record *r, const char *subject, uint64_t n)
{
	char msg[400], num[24];
	snprintf(msg, sizeof(msg), "dropped %llu records from %s", (unsigned long long)n, subject);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	assert_string_equal(r->subject, JRN_SELF_SUBJECT);
	assert_string_equal(r->scope, JRN_SELF_SCOPE);
	assert_string_equal(r->message, msg);
	assert_int_equal(r->level, JRN_LEVEL_WARN);
	assert_int_equal(r->n_fields, 2);
	assert_string_equal(r->fields[0].key, "subject");
	assert_string_equal(r->fields[0].value, subject);
	assert_string_equal(r->fields[1].key, "dropped");
	assert_string_equal(r->fields[1].value, num);
}

static void test_drops_and_report(void **state)
{
	struct jrn *j = journal_limited(10, 5);
	struct jrn_stats st;
	struct jrn_record r;
	uint64_t id = 0;
	int ok = 0, dropped = 0;

	for (int i = 0; i < 20; i++) {
		int rc = append_at(j, "app:flood", 0, &id);
		if (rc == 0)
			ok++;
		else if (rc == -EAGAIN)
			dropped++;
		else
			fail_msg("rc %d", rc);
	}
	assert_int_equal(ok, 5);
	assert_int_equal(dropped, 15);
	assert_int_equal(id, 5);
	jrn_stats(j, &st);
	assert_int_equal(st.dropped, 15);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.n_top, 1);
	assert_string_equal(st.top[0].subject, "app:flood");
	assert_int_equal(st.top[0].dropped, 15);

	/* 100 ms later one token is back: the report comes first, then the record. */
	assert_int_equal(append_at(j, "app:flood", 100 * MS, &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(jrn_get(j, 6, &r), 0);
	assert_drop_report(&r, "app:flood", 15);
	assert_int_equal(r.monotonic_ns, 100 * MS);
	assert_int_equal(r.realtime_ns, 100 * MS + 5 * SEC);
	assert_int_equal(jrn_get(j, 7, &r), 0);
	assert_string_equal(r.subject, "app:flood");

	/* The bucket is empty again; a drop, reported only once the interval has passed. */
	assert_int_equal(append_at(j, "app:flood", 100 * MS, &id), -EAGAIN);
	assert_int_equal(append_at(j, "app:flood", 200 * MS, &id), 0);
	assert_int_equal(id, 8);
	assert_int_equal(
	        append_at(j, "app:flood", 100 * MS + JRN_DROP_REPORT_INTERVAL_NS - 1, &id), 0);
	assert_int_equal(id, 9);
	assert_int_equal(append_at(j, "app:flood", 100 * MS + JRN_DROP_REPORT_INTERVAL_NS, &id), 0);
	assert_int_equal(id, 11);
	assert_int_equal(jrn_get(j, 10, &r), 0);
	assert_drop_report(&r, "app:flood", 1);
	/* No drops pending: no report. */
	assert_int_equal(
	        append_at(j, "app:flood", 300 * MS + 3 * JRN_DROP_REPORT_INTERVAL_NS, &id), 0);
	assert_int_equal(id, 12);
	jrn_stats(j, &st);
	assert_int_equal(st.dropped, 16);
	assert_int_equal(st.top[0].dropped, 16);
	assert_int_equal(jrn_flush_drops(j, 0, 0), 0);
	jrn_free(j);
}

static void test_refill_rate_exact(void **state)
{
	/* 1000/s with burst 1: one record per millisecond passes, the one in between does not. */
	struct jrn *j = journal_limited(1000, 1);
	int ok = 0, dropped = 0;

	for (uint64_t t = 0; t < 1000 * MS; t += MS / 2) {
		int rc = append_at(j, "svc:tick", t, NULL);
		assert_true(rc == 0 || rc == -EAGAIN);
		rc == 0 ? ok++ : dropped++;
	}
	assert_int_equal(ok, 1000);
	assert_int_equal(dropped, 1000);
	/* Plus one report (at 1 ms): the rest wait for the report interval. */
	struct jrn_stats st;
	jrn_stats(j, &st);
	assert_int_equal(st.records, 1000 + 1);
	assert_int_equal(jrn_flush_drops(j, 0, 0), 1);
	/* Time going back refills nothing. */
	assert_int_equal(append_at(j, "svc:tick", 0, NULL), -EAGAIN);
	jrn_free(j);

	/* A partial refill: 10/s, burst 10, drained; 600 ms later exactly 6 pass. */
	j = journal_limited(10, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(append_at(j, "svc:part", 0, NULL), 0);
	assert_int_equal(append_at(j, "svc:part", 0, NULL), -EAGAIN);
	for (int i = 0; i < 6; i++)
		assert_int_equal(append_at(j, "svc:part", 600 * MS, NULL), 0);
	assert_int_equal(append_at(j, "svc:part", 600 * MS, NULL), -EAGAIN);
	/* Long idle: full burst, not more. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(append_at(j, "svc:part", 100 * SEC, NULL), 0);
	assert_int_equal(append_at(j, "svc:part", 100 * SEC, NULL), -EAGAIN);
	jrn_free(j);
}

static void test_flood_does_not_affect_others(void **state)
{
	struct jrn *j = journal_limited(JRN_RATE_DEFAULT, JRN_BURST_DEFAULT);
	struct jrn_record out[64];
	struct jrn_query_result res;
	uint64_t flood_ok = 0, flood_dropped = 0, calm = 0;

	/* Ten seconds: the flooder tries 100 records per millisecond, the calm subject sends one
	 * every 10 ms. */
	for (uint64_t t = 0; t < 10 * SEC; t += MS) {
		for (int k = 0; k < 100; k++) {
			int rc = append_at(j, "app:flood", t, NULL);
			rc == 0 ? flood_ok++ : flood_dropped++;
		}
		if (t % (10 * MS) == 0) {
			assert_int_equal(append_at(j, "app:calm", t, NULL), 0);
			calm++;
		}
	}
	/* The flooder got its burst plus its rate, no more. */
	assert_int_equal(flood_ok, JRN_BURST_DEFAULT + JRN_RATE_DEFAULT * 10 - 1);
	assert_int_equal(flood_dropped, 100 * 10000 - flood_ok);
	struct jrn_stats st;
	jrn_stats(j, &st);
	assert_int_equal(st.dropped, flood_dropped);
	assert_int_equal(st.n_top, 1);
	assert_string_equal(st.top[0].subject, "app:flood");

	/* At most one report per interval (the first at 1 ms), and the calm subject has none. */
	struct jrn_filter rf = {.subject = JRN_SELF_SUBJECT};
	assert_int_equal(jrn_query(j, &rf, out, 64, &res), 0);
	assert_int_equal(res.count, 10);
	for (size_t i = 0; i < res.count; i++)
		assert_string_equal(out[i].fields[0].value, "app:flood");

	/* Every calm record is in the journal. */
	struct jrn_filter f = {.subject = "app:calm"};
	uint64_t seen = 0;
	do {
		assert_int_equal(jrn_query(j, &f, out, 64, &res), 0);
		seen += res.count;
		f.since_id = res.next_cursor;
	} while (res.more);
	assert_int_equal(seen, calm);
	assert_int_equal(res.missed, 0);
	jrn_free(j);
}

static void test_flush_drops(void **state)
{
	struct jrn *j = journal_limited(1, 1);
	struct jrn_record out[8];
	struct jrn_query_result res;

	assert_int_equal(append_at(j, "app:a", 0, NULL), 0);
	assert_int_equal(append_at(j, "app:a", 0, NULL), -EAGAIN);
	assert_int_equal(append_at(j, "app:b", 0, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(append_at(j, "app:b", 0, NULL), -EAGAIN);
	assert_int_equal(append_at(j, "app:c", 0, NULL), 0);

	/* Both quiet subjects get their report from the periodic flush, oldest-used first. */
	assert_int_equal(jrn_flush_drops(j, 7, 2 * SEC), 2);
	struct jrn_filter f = {.subject = JRN_SELF_SUBJECT};
	assert_int_equal(jrn_query(j, &f, out, 8, &res), 0);
	assert_int_equal(res.count, 2);
	assert_drop_report(&out[0], "app:a", 1);
	assert_drop_report(&out[1], "app:b", 3);
	assert_int_equal(out[0].monotonic_ns, 2 * SEC);
	assert_int_equal(jrn_flush_drops(j, 8, 3 * SEC), 0);
	/* And the next allowed append does not repeat it. */
	assert_int_equal(append_at(j, "app:a", 4 * SEC, NULL), 0);
	assert_int_equal(jrn_query(j, &f, out, 8, &res), 0);
	assert_int_equal(res.count, 2);
	assert_int_equal(jrn_flush_drops(NULL, 0, 0), -EINVAL);
	jrn_free(j);
}

static void test_subject_table_limit(void **state)
{
	struct jrn *j = journal_limited(1, 1);
	struct jrn_stats st;
	char name[32];

	assert_int_equal(append_at(j, "app:first", 0, NULL), 0);
	assert_int_equal(append_at(j, "app:first", 0, NULL), -EAGAIN);
	assert_int_equal(append_at(j, "app:first", 0, NULL), -EAGAIN);
	/* Fill the table: app:first is now the least recently used. */
	for (unsigned i = 1; i < JRN_SUBJECTS_MAX; i++) {
		snprintf(name, sizeof(name), "uid:%u", i);
		assert_int_equal(append_at(j, name, 0, NULL), 0);
	}
	jrn_stats(j, &st);
	assert_int_equal(st.subjects_tracked, JRN_SUBJECTS_MAX);
	assert_int_equal(st.records, JRN_SUBJECTS_MAX);

	/* One more subject: app:first is forgotten, and its pending drops reported first. */
	assert_int_equal(append_at(j, "uid:overflow", 0, NULL), 0);
	jrn_stats(j, &st);
	assert_int_equal(st.subjects_tracked, JRN_SUBJECTS_MAX);
	assert_int_equal(st.records, JRN_SUBJECTS_MAX + 2);
	struct jrn_record r;
	assert_int_equal(jrn_get(j, st.newest_id - 1, &r), 0);
	assert_drop_report(&r, "app:first", 2);
	assert_int_equal(jrn_get(j, st.newest_id, &r), 0);
	assert_string_equal(r.subject, "uid:overflow");
	/* Totals survive the forgetting; the per-subject list no longer has it. */
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.n_top, 0);

	/* Touching uid:1 keeps it; the next newcomer evicts uid:2 (LRU), which had no drops:
	 * no report. */
	assert_int_equal(append_at(j, "uid:1", 2 * SEC, NULL), 0);
	assert_int_equal(append_at(j, "uid:newer", 2 * SEC, NULL), 0);
	jrn_stats(j, &st);
	assert_int_equal(st.records, JRN_SUBJECTS_MAX + 4);
	/* uid:1 is still tracked with an empty bucket at 2 s; a forgotten one starts full. */
	assert_int_equal(append_at(j, "uid:1", 2 * SEC, NULL), -EAGAIN);
	assert_int_equal(append_at(j, "uid:2", 0, NULL), 0);
	jrn_free(j);
}

static void test_stats_top(void **state)
{
	struct jrn *j = journal_limited(1, 1);
	struct jrn_stats st;
	char name[32];

	/* Subject k drops k records, for k = 1..12. */
	for (unsigned k = 1; k <= 12; k++) {
		snprintf(name, sizeof(name), "app:s%u", k);
		assert_int_equal(append_at(j, name, 0, NULL), 0);
		for (unsigned d = 0; d < k; d++)
			assert_int_equal(append_at(j, name, 0, NULL), -EAGAIN);
	}
	jrn_stats(j, &st);
	assert_int_equal(st.dropped, 78);
	assert_int_equal(st.n_top, JRN_STATS_TOP);
	for (unsigned i = 0; i < JRN_STATS_TOP; i++) {
		snprintf(name, sizeof(name), "app:s%u", 12 - i);
		assert_string_equal(st.top[i].subject, name);
		assert_int_equal(st.top[i].dropped, 12 - i);
	}
	jrn_free(j);
}

static void test_rate_zero_disables(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(append_at(j, "app:flood", 0, NULL), 0);
	struct jrn_stats st;
	jrn_stats(j, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.subjects_tracked, 0);
	jrn_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_drops_and_report),
	        cmocka_unit_test(test_refill_rate_exact),
	        cmocka_unit_test(test_flood_does_not_affect_others),
	        cmocka_unit_test(test_flush_drops),
	        cmocka_unit_test(test_subject_table_limit),
	        cmocka_unit_test(test_stats_top),
	        cmocka_unit_test(test_rate_zero_disables),
	};
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
