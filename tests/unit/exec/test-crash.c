/* SPDX-License-Identifier: MIT */
/* exec crash: report contents in both forms, the largest report within APP_REPORT_MAX, bounds
 * refused, file names round-tripped and foreign names refused, eviction of the oldest. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/crash.h"

static const struct app_mech mechs[] = {{"no_new_privs", "applied"}, {"cgroup", "unavailable"}};
static const struct app_record recs[] = {
        {1764772800000000000ull, "info", "starting"},
        {1764772800500000000ull, "error", "about to \"crash\"\n\x01"},
};

static struct app_crash sample(void)
{
	struct app_crash c = {
	        .summary = {.id = 7,
	                .pid = 4242,
	                .signal = 11,
	                .time_ns = 1764772801000000000ull,
	                .version = 3,
	                .bundle = "org.nexus.crasher"},
	        .process = 2,
	        .restarts = 1,
	        .next = "restart in 200 ms",
	        .sandbox = mechs,
	        .nsandbox = 2,
	        .records = recs,
	        .nrecords = 2,
	};
	return c;
}

static void text_form(void **state)
{
	struct app_crash c = sample();
	char buf[4096];
	size_t len = 0;

	assert_int_equal(app_crash_format(&c, false, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, strlen(buf));
	assert_non_null(strstr(buf, "crash report 7\n"));
	assert_non_null(strstr(buf, "bundle:    org.nexus.crasher version 3\n"));
	assert_non_null(strstr(buf, "process:   2 (pid 4242), 1 restarts before\n"));
	assert_non_null(strstr(buf, "ended:     signal 11 (SIGSEGV)\n"));
	assert_non_null(strstr(buf, "time:      2025-12-03T14:40:01.000Z\n"));
	assert_non_null(strstr(buf, "next:      restart in 200 ms\n"));
	assert_non_null(strstr(buf, " no_new_privs=applied cgroup=unavailable\n"));
	assert_non_null(strstr(buf, "stack:     not collected: "));
	assert_non_null(strstr(buf, "journal:   the last 2 records of app:org.nexus.crasher\n"));
	assert_non_null(strstr(buf, "  2025-12-03T14:40:00.500Z error   about to \"crash\""));
	c.summary.signal = 0;
	c.summary.code = 3;
	assert_int_equal(app_crash_format(&c, false, buf, sizeof(buf), &len), 0);
	assert_non_null(strstr(buf, "ended:     exit code 3\n"));
}

static void json_form(void **state)
{
	struct app_crash c = sample();
	char buf[4096];
	size_t len = 0;

	assert_int_equal(app_crash_format(&c, true, buf, sizeof(buf), &len), 0);
	assert_non_null(strstr(buf, "{\"id\":7,\"process\":2,\"bundle\":\"org.nexus.crasher\","
	                            "\"version\":3,\"pid\":4242,\"code\":0,\"signal\":11,"
	                            "\"signal_name\":\"SIGSEGV\",\"time_ns\":1764772801000000000,"
	                            "\"restarts\":1,\"next\":\"restart in 200 ms\","
	                            "\"sandbox\":{\"no_new_privs\":\"applied\","
	                            "\"cgroup\":\"unavailable\"},\"stack\":null,"));
	assert_non_null(strstr(buf, "{\"realtime_ns\":1764772800500000000,\"level\":\"error\","
	                            "\"message\":\"about to \\\"crash\\\"\\n\\u0001\"}]}\n"));
}

/* Every bound at its maximum and every message byte escaped six-fold: still within
 * APP_REPORT_MAX. One record or mechanism more is refused; a small buffer is -ENOBUFS. */
static void largest_report_fits(void **state)
{
	static struct app_record many[APP_REPORT_RECORDS + 1];
	static struct app_mech ms[APP_REPORT_MECHS + 1];
	static char msg[APP_LINE_MAX + 1];
	struct app_crash c = sample();
	char *buf = malloc(APP_REPORT_MAX);
	size_t len = 0;

	assert_non_null(buf);
	memset(msg, 1, APP_LINE_MAX);
	for (size_t i = 0; i <= APP_REPORT_RECORDS; i++)
		many[i] = (struct app_record){UINT64_MAX, "warning", msg};
	for (size_t i = 0; i <= APP_REPORT_MECHS; i++)
		ms[i] = (struct app_mech){"no_new_privs", "unavailable"};
	memset(c.summary.bundle, 'a', BND_ID_MAX);
	c.records = many;
	c.nrecords = APP_REPORT_RECORDS;
	c.sandbox = ms;
	c.nsandbox = APP_REPORT_MECHS;
	assert_int_equal(app_crash_format(&c, true, buf, APP_REPORT_MAX, &len), 0);
	assert_true(len > (size_t)APP_REPORT_RECORDS * APP_LINE_MAX * 6);
	assert_int_equal(app_crash_format(&c, false, buf, APP_REPORT_MAX, &len), 0);
	c.nrecords = APP_REPORT_RECORDS + 1;
	assert_int_equal(app_crash_format(&c, true, buf, APP_REPORT_MAX, &len), -EINVAL);
	c.nrecords = APP_REPORT_RECORDS;
	c.nsandbox = APP_REPORT_MECHS + 1;
	assert_int_equal(app_crash_format(&c, false, buf, APP_REPORT_MAX, &len), -EINVAL);
	c.nsandbox = 0;
	assert_int_equal(app_crash_format(&c, false, buf, 100, &len), -ENOBUFS);
	assert_int_equal(strlen(buf), 99);
	free(buf);
}

static void names_round_trip(void **state)
{
	struct app_crash c = sample();
	struct app_crash_summary got;
	char name[APP_CRASH_NAME_MAX];
	bool json = false;

	c.summary.code = -2;
	assert_int_equal(app_crash_name(&c.summary, true, name), 0);
	assert_string_equal(name, "7-4242--2-11-1764772801000000000-3-org.nexus.crasher.json");
	assert_int_equal(app_crash_parse_name(name, &got, &json), 0);
	assert_true(json);
	assert_memory_equal(&got, &c.summary, sizeof(got));
	assert_int_equal(app_crash_name(&c.summary, false, name), 0);
	assert_int_equal(app_crash_parse_name(name, &got, &json), 0);
	assert_false(json);
	/* The longest bundle id still names a file under APP_CRASH_NAME_MAX. */
	c.summary = (struct app_crash_summary){
	        UINT64_MAX, UINT32_MAX, INT32_MIN, UINT32_MAX, UINT64_MAX, UINT64_MAX, ""};
	memset(c.summary.bundle, 'z', BND_ID_MAX);
	assert_int_equal(app_crash_name(&c.summary, true, name), 0);
	assert_true(strlen(name) < APP_CRASH_NAME_MAX);
	assert_int_equal(app_crash_parse_name(name, &got, &json), 0);
	strcpy(c.summary.bundle, "Bad/Id");
	assert_int_equal(app_crash_name(&c.summary, true, name), -EINVAL);
}

static void foreign_names_refused(void **state)
{
	static const char *const bad[] = {".", "..", "tmp.json", "7-1-0-11-5-3-org.x",
	        "7-1-0-11-5-3-.json", "07-1-0-11-5-3-org.x.json", "7-1-+0-11-5-3-org.x.json",
	        "7-1-0-11-5-3-org/x.json", "7-1-0-11-5-3-org.x.json.tmp", " 7-1-0-11-5-3-a.txt"};
	struct app_crash_summary got;
	bool json;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(app_crash_parse_name(bad[i], &got, &json), -EINVAL);
	assert_int_equal(app_crash_parse_name("7-1-0-11-5-3-org.x.txt", &got, &json), 0);
}

/* Below APP_CRASHES_KEPT nothing goes; at it, the oldest one; past it (a lowered limit), the
 * excess too. */
static void eviction(void **state)
{
	assert_int_equal(app_crash_evict(0), 0);
	assert_int_equal(app_crash_evict(APP_CRASHES_KEPT - 1), 0);
	assert_int_equal(app_crash_evict(APP_CRASHES_KEPT), 1);
	assert_int_equal(app_crash_evict(APP_CRASHES_KEPT + 3), 4);
}

static void signal_names(void **state)
{
	char buf[12];

	assert_string_equal(app_signal_name(9, buf), "KILL");
	assert_string_equal(app_signal_name(6, buf), "ABRT");
	assert_string_equal(app_signal_name(200, buf), "200");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(text_form),
	        cmocka_unit_test(json_form),
	        cmocka_unit_test(largest_report_fits),
	        cmocka_unit_test(names_round_trip),
	        cmocka_unit_test(foreign_names_refused),
	        cmocka_unit_test(eviction),
	        cmocka_unit_test(signal_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
