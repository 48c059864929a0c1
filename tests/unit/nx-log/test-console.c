/* SPDX-License-Identifier: MIT */
/* nx-log console: the line format, the ready marker, the level filter, truncation to the
 * journal's limits and the field limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"
#include "nx-util/macro.h"

static void test_format_basic(void **state)
{
	int before = fdcheck_count();
	struct cap c;

	cap_open(&c, "samgrd", NX_LOG_DEBUG);
	nx_log(NX_LOG_INFO, "boot", "hello %d", 42);
	nx_log(NX_LOG_WARN, NULL, "no scope");
	nx_log(NX_LOG_DEBUG, "", "empty scope: %s", "x");
	assert_string_equal(cap_read(&c), "samgrd: info boot: hello 42\n"
	                                  "samgrd: warn no scope\n"
	                                  "samgrd: debug empty scope: x\n");
	cap_close(&c);
	fdcheck_assert(before);
}

static void test_format_fields(void **state)
{
	int before = fdcheck_count();
	struct cap c;
	const struct nx_log_field f[] = {
	        {"a", "1"},
	        {"b", "x y"},
	        {"c", ""},
	        {"d", "q\"uote"},
	        {"e", "back\\slash"},
	        {"f", "k=v"},
	        {"bad key!", "tab\there"},
	        {NULL, NULL},
	        {"", "v"},
	        {"ok.key-9_", "caf\xc3\xa9"},
	};

	cap_open(&c, "logd", NX_LOG_INFO);
	nx_log_fields(NX_LOG_ERROR, "rpc", "line1\nline2", f, ELEMENTSOF(f));
	assert_string_equal(cap_read(&c),
	        "logd: error rpc: line1\\x0aline2 a=1 b=\"x y\" c=\"\" d=\"q\\\"uote\" "
	        "e=\"back\\\\slash\" f=\"k=v\" bad_key_=\"tab\\x09here\" _=\"\" _=v "
	        "ok.key-9_=caf\xc3\xa9\n");
	cap_close(&c);
	fdcheck_assert(before);
}

static void test_ready_marker(void **state)
{
	int before = fdcheck_count();
	struct nx_log_stats st;
	struct fake *fk = fake_new();
	struct cap c;

	/* The marker ignores the level filter: the boot harness needs it whatever the config. */
	cap_open(&c, "samgrd", NX_LOG_EMERG);
	nx_log(NX_LOG_ERROR, "x", "filtered");
	nx_log_ready();
	nx_log_marker("up %s", "echod");
	assert_string_equal(cap_read(&c), "samgrd: ready\nsamgrd: up echod\n");
	nx_log_stats(&st);
	assert_int_equal(st.queued, 2);
	/* And logd gets it as a notice record. */
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, 2);
	assert_int_equal(fk->recs[0].r.level, NX_LOG_NOTICE);
	assert_string_equal(fk->recs[0].r.scope, NX_LOG_MARKER_SCOPE);
	assert_string_equal(fk->recs[0].r.message, "ready");
	assert_string_equal(fk->recs[1].r.message, "up echod");
	assert_int_equal(fk->jrn_errors, 0);
	cap_close(&c);
	fake_free(fk);
	fdcheck_assert(before);
}

static void test_level_filter(void **state)
{
	int before = fdcheck_count();
	struct nx_log_stats st;
	struct cap c;

	cap_open(&c, "x", NX_LOG_WARN);
	assert_int_equal(nx_log_get_level(), NX_LOG_WARN);
	nx_log(NX_LOG_INFO, "s", "below");
	nx_log_fields(NX_LOG_NOTICE, "s", "below", NULL, 0);
	nx_log(NX_LOG_WARN, "s", "at");
	nx_log(NX_LOG_EMERG, "s", "above");
	/* Out of range is logged as error, not lost. */
	nx_log((enum nx_log_level)99, "s", "bad level");
	assert_string_equal(
	        cap_read(&c), "x: warn s: at\nx: emerg s: above\nx: error s: bad level\n");
	nx_log_stats(&st);
	assert_int_equal(st.logged, 3);
	assert_int_equal(st.queued, 3);

	assert_int_equal(nx_log_set_level((enum nx_log_level)NX_LOG_LEVEL_COUNT), -EINVAL);
	assert_int_equal(nx_log_get_level(), NX_LOG_WARN);
	assert_int_equal(nx_log_set_level(NX_LOG_DEBUG), 0);
	nx_log(NX_LOG_DEBUG, "s", "now shown");
	assert_string_equal(cap_read(&c) + strlen("x: warn s: at\nx: emerg s: above\n"
	                                          "x: error s: bad level\n"),
	        "x: debug s: now shown\n");
	cap_close(&c);
	fdcheck_assert(before);
}

static void test_level_names_are_the_journals(void **state)
{
	int before = fdcheck_count();
	enum nx_log_level l;
	int i;

	for (i = 0; i < NX_LOG_LEVEL_COUNT; i++) {
		assert_string_equal(
		        nx_log_level_name((enum nx_log_level)i), jrn_level_name((enum jrn_level)i));
		assert_int_equal(nx_log_level_parse(jrn_level_name((enum jrn_level)i), &l), 0);
		assert_int_equal(l, i);
	}
	assert_null(nx_log_level_name(NX_LOG_LEVEL_COUNT));
	assert_int_equal(nx_log_level_parse("WARN", &l), -EINVAL);
	assert_int_equal(nx_log_level_parse("warning", &l), -EINVAL);
	assert_int_equal(nx_log_level_parse(NULL, &l), -EINVAL);
	fdcheck_assert(before);
}

static void test_level_from_env(void **state)
{
	int before = fdcheck_count();
	struct nx_log_stats st;
	struct fake *fk = fake_new();
	int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	/* nx_log_init writes to stdout: send it to /dev/null for the test. */
	assert_true(saved >= 0 && devnull >= 0);
	assert_int_equal(dup2(devnull, STDOUT_FILENO), STDOUT_FILENO);

	assert_int_equal(setenv(NX_LOG_LEVEL_ENV, "error", 1), 0);
	nx_log_init("envtest");
	assert_int_equal(nx_log_get_level(), NX_LOG_ERROR);
	nx_log_stats(&st);
	assert_int_equal(st.queued, 0);

	assert_int_equal(setenv(NX_LOG_LEVEL_ENV, "loud", 1), 0);
	nx_log_init("envtest");
	assert_int_equal(nx_log_get_level(), NX_LOG_LEVEL_DEFAULT);
	/* The bad value is reported once, as a warning naming it. */
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, 1);
	assert_int_equal(fk->recs[0].r.level, NX_LOG_WARN);
	assert_string_equal(fk->recs[0].r.fields[0].key, NX_LOG_LEVEL_ENV);
	assert_string_equal(fk->recs[0].r.fields[0].value, "loud");

	assert_int_equal(unsetenv(NX_LOG_LEVEL_ENV), 0);
	nx_log_init("envtest");
	assert_int_equal(nx_log_get_level(), NX_LOG_LEVEL_DEFAULT);
	nx_log_done();

	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(devnull);
	fake_free(fk);
	fdcheck_assert(before);
}

static void fill(char *buf, size_t n, char ch)
{
	memset(buf, ch, n);
	buf[n] = '\0';
}

/* Every text at, and one past, its limit: at is kept whole; past is cut to exactly the limit
 * with the marker, and the journal accepts the result. */
static void test_truncation(void **state)
{
	int before = fdcheck_count();
	static char scope[NX_LOG_SCOPE_MAX + 2], msg[NX_LOG_MESSAGE_MAX + 2];
	static char key[NX_LOG_KEY_MAX + 2], val[NX_LOG_VALUE_MAX + 2];
	struct nx_log_field f[2];
	struct nx_log_stats st;
	struct fake *fk = fake_new();
	const struct nx_log_record *r;
	size_t mlen = strlen(NX_LOG_TRUNC_MARKER);
	int pass;

	nx_log_init_fd("t", -1, NX_LOG_DEBUG);
	for (pass = 0; pass < 2; pass++) {
		size_t extra = (size_t)pass;

		fill(scope, NX_LOG_SCOPE_MAX + extra, 's');
		fill(msg, NX_LOG_MESSAGE_MAX + extra, 'm');
		fill(key, NX_LOG_KEY_MAX + extra, 'k');
		fill(val, NX_LOG_VALUE_MAX + extra, 'v');
		f[0].key = key;
		f[0].value = val;
		nx_log_fields(NX_LOG_INFO, scope, msg, f, 1);
	}
	nx_log_stats(&st);
	assert_int_equal(st.truncated, 3); /* scope, message, value; keys are cut silently */
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	assert_int_equal(fk->n, 2);
	assert_int_equal(fk->jrn_errors, 0);

	r = &fk->recs[0].r;
	assert_int_equal(strlen(r->scope), NX_LOG_SCOPE_MAX);
	assert_int_equal(strlen(r->message), NX_LOG_MESSAGE_MAX);
	assert_int_equal(strlen(r->fields[0].key), NX_LOG_KEY_MAX);
	assert_int_equal(strlen(r->fields[0].value), NX_LOG_VALUE_MAX);
	assert_null(strstr(r->message, NX_LOG_TRUNC_MARKER));

	r = &fk->recs[1].r;
	assert_int_equal(strlen(r->scope), NX_LOG_SCOPE_MAX);
	assert_int_equal(strlen(r->message), NX_LOG_MESSAGE_MAX);
	assert_int_equal(strlen(r->fields[0].key), NX_LOG_KEY_MAX);
	assert_int_equal(strlen(r->fields[0].value), NX_LOG_VALUE_MAX);
	assert_string_equal(r->scope + NX_LOG_SCOPE_MAX - mlen, NX_LOG_TRUNC_MARKER);
	assert_string_equal(r->message + NX_LOG_MESSAGE_MAX - mlen, NX_LOG_TRUNC_MARKER);
	assert_string_equal(r->fields[0].value + NX_LOG_VALUE_MAX - mlen, NX_LOG_TRUNC_MARKER);
	assert_int_equal(r->message[NX_LOG_MESSAGE_MAX - mlen - 1], 'm');
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

/* printf formatting past the limit is cut the same way, and never inside a UTF-8 character. */
static void test_truncation_printf_utf8(void **state)
{
	int before = fdcheck_count();
	static char big[2 * NX_LOG_MESSAGE_MAX + 1];
	struct fake *fk = fake_new();
	const char *m;
	size_t i, len, cut;

	for (i = 0; i < NX_LOG_MESSAGE_MAX; i++) {
		big[2 * i] = (char)0xc3; /* U+00E9, two bytes each */
		big[2 * i + 1] = (char)0xa9;
	}
	big[2 * NX_LOG_MESSAGE_MAX] = '\0';
	nx_log_init_fd("t", -1, NX_LOG_DEBUG);
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	nx_log(NX_LOG_INFO, "u", "%s", big);
	nx_log(NX_LOG_INFO, "u", "x%s", big);
	assert_int_equal(fk->n, 2);
	assert_int_equal(fk->jrn_errors, 0);

	/* Cut at limit - marker is even: on a character boundary. */
	m = fk->recs[0].r.message;
	cut = NX_LOG_MESSAGE_MAX - strlen(NX_LOG_TRUNC_MARKER);
	len = strlen(m);
	assert_true(len <= NX_LOG_MESSAGE_MAX);
	assert_string_equal(m + len - strlen(NX_LOG_TRUNC_MARKER), NX_LOG_TRUNC_MARKER);
	assert_int_equal(len - strlen(NX_LOG_TRUNC_MARKER), cut % 2 == 0 ? cut : cut - 1);
	/* Shifted by one byte the raw limit already falls between characters: the text ends with a
	 * whole character (its last byte a continuation byte), nothing backed off. */
	m = fk->recs[1].r.message;
	len = strlen(m) - strlen(NX_LOG_TRUNC_MARKER);
	assert_int_equal((len - 1) % 2, 0);
	assert_true(len <= cut);
	assert_true(((unsigned char)m[len - 1] & 0xc0) == 0x80);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

static void test_too_many_fields(void **state)
{
	int before = fdcheck_count();
	struct nx_log_field f[NX_LOG_FIELDS_MAX + 4];
	char keys[NX_LOG_FIELDS_MAX + 4][8];
	struct nx_log_stats st;
	struct fake *fk = fake_new();
	const struct nx_log_record *r;
	size_t i;

	for (i = 0; i < NX_LOG_FIELDS_MAX + 4; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		f[i].key = keys[i];
		f[i].value = "v";
	}
	nx_log_init_fd("t", -1, NX_LOG_DEBUG);
	assert_int_equal(nx_log_set_sink(&fake_ops, fk), 0);
	/* Exactly at the limit: all kept. */
	nx_log_fields(NX_LOG_INFO, "f", "at", f, NX_LOG_FIELDS_MAX);
	/* Over it: the first max - 1 kept, the last slot says how many were dropped. */
	nx_log_fields(NX_LOG_INFO, "f", "over", f, NX_LOG_FIELDS_MAX + 4);
	assert_int_equal(fk->n, 2);
	assert_int_equal(fk->jrn_errors, 0);
	r = &fk->recs[0].r;
	assert_int_equal(r->n_fields, NX_LOG_FIELDS_MAX);
	assert_string_equal(r->fields[NX_LOG_FIELDS_MAX - 1].key, keys[NX_LOG_FIELDS_MAX - 1]);
	r = &fk->recs[1].r;
	assert_int_equal(r->n_fields, NX_LOG_FIELDS_MAX);
	assert_string_equal(r->fields[NX_LOG_FIELDS_MAX - 2].key, keys[NX_LOG_FIELDS_MAX - 2]);
	assert_string_equal(r->fields[NX_LOG_FIELDS_MAX - 1].key, NX_LOG_DROPPED_FIELDS_KEY);
	assert_string_equal(r->fields[NX_LOG_FIELDS_MAX - 1].value, "5");
	nx_log_stats(&st);
	assert_int_equal(st.fields_dropped, 5);
	nx_log_done();
	fake_free(fk);
	fdcheck_assert(before);
}

static void test_name_limit(void **state)
{
	int before = fdcheck_count();
	char name[NX_LOG_NAME_MAX + 2], want[NX_LOG_NAME_MAX + 16];
	struct cap c;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[0] = '\n';
	cap_open(&c, name, NX_LOG_INFO);
	nx_log_ready();
	snprintf(want, sizeof(want), "_%.*s: ready\n", (int)NX_LOG_NAME_MAX - 1, name + 1);
	assert_string_equal(cap_read(&c), want);
	cap_close(&c);

	cap_open(&c, NULL, NX_LOG_INFO);
	nx_log_marker("a\nb");
	assert_string_equal(cap_read(&c), "?: a\\x0ab\n");
	cap_close(&c);
	fdcheck_assert(before);
}

/* Every text at its limit and every byte escaped: the line comes out whole, in one piece. */
static void test_worst_line_whole(void **state)
{
	int before = fdcheck_count();
	static char scope[NX_LOG_SCOPE_MAX + 1], msg[NX_LOG_MESSAGE_MAX + 1];
	static char val[NX_LOG_VALUE_MAX + 1], key[NX_LOG_KEY_MAX + 1];
	struct nx_log_field f[NX_LOG_FIELDS_MAX];
	struct cap c;
	const char *out;
	size_t i, want;

	memset(scope, 1, NX_LOG_SCOPE_MAX);
	memset(msg, 1, NX_LOG_MESSAGE_MAX);
	memset(val, 1, NX_LOG_VALUE_MAX);
	memset(key, 'k', NX_LOG_KEY_MAX);
	for (i = 0; i < NX_LOG_FIELDS_MAX; i++) {
		f[i].key = key;
		f[i].value = val;
	}
	cap_open(&c, "w", NX_LOG_DEBUG);
	nx_log_fields(NX_LOG_NOTICE, scope, msg, f, NX_LOG_FIELDS_MAX);
	out = cap_read(&c);
	want = strlen("w: notice ") + 4 * NX_LOG_SCOPE_MAX + 2 + 4 * NX_LOG_MESSAGE_MAX +
	       NX_LOG_FIELDS_MAX * (1 + NX_LOG_KEY_MAX + 1 + 2 + 4 * NX_LOG_VALUE_MAX) + 1;
	assert_int_equal(strlen(out), want);
	assert_int_equal(out[want - 1], '\n');
	assert_int_equal(out[want - 2], '"');
	assert_null(memchr(out, '\n', want - 1));
	cap_close(&c);
	fdcheck_assert(before);
}

/* The console's escaping as other programs get it (nx log): the same bytes the console writes,
 * any byte (NUL too) accepted, cut safely, the needed length returned as snprintf does. */
static void test_escape_for_others(void **state)
{
	char buf[64];

	assert_int_equal(nx_log_escape_text(buf, sizeof(buf), "a\nb\x1b[31m", 8), 14);
	assert_string_equal(buf, "a\\x0ab\\x1b[31m");
	assert_int_equal(nx_log_escape_text(buf, sizeof(buf), "a\0b", 3), 6);
	assert_string_equal(buf, "a\\x00b");
	assert_int_equal(nx_log_escape_value(buf, sizeof(buf), "plain", 5), 5);
	assert_string_equal(buf, "plain");
	assert_int_equal(nx_log_escape_value(buf, sizeof(buf), "a b", 3), 5);
	assert_string_equal(buf, "\"a b\"");
	assert_int_equal(nx_log_escape_value(buf, sizeof(buf), "", 0), 2);
	assert_string_equal(buf, "\"\"");
	assert_int_equal(nx_log_escape_value(buf, sizeof(buf), "say \"hi\"\t", 9), 16);
	assert_string_equal(buf, "\"say \\\"hi\\\"\\x09\"");
	/* Too small: cut, NUL-terminated, the whole length still reported. */
	assert_int_equal(nx_log_escape_text(buf, 4, "\n\n", 2), 8);
	assert_string_equal(buf, "\\x0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_format_basic),
	        cmocka_unit_test(test_format_fields),
	        cmocka_unit_test(test_ready_marker),
	        cmocka_unit_test(test_level_filter),
	        cmocka_unit_test(test_level_names_are_the_journals),
	        cmocka_unit_test(test_level_from_env),
	        cmocka_unit_test(test_truncation),
	        cmocka_unit_test(test_truncation_printf_utf8),
	        cmocka_unit_test(test_too_many_fields),
	        cmocka_unit_test(test_name_limit),
	        cmocka_unit_test(test_worst_line_whole),
	        cmocka_unit_test(test_escape_for_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
