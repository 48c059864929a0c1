/* SPDX-License-Identifier: MIT */
/* The list of known capabilities (known.h): parsing, every pattern of a policy checked against
 * it with the nearest name on a miss, and the rules as written (pol_rule_at) it walks. */
#include "policy/known.h" /* first: the public header stands alone */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char list[] = "# comment\n"
                           "ipc.connect.*\n"
                           "  log.append   # trailing comment\n"
                           "\n"
                           "log.query\n"
                           "crypto.sign.*\n";

static pol_known *known(void)
{
	pol_known *k = NULL;
	pol_error err = {.text = ""};

	assert_int_equal(pol_known_parse("capabilities", list, strlen(list), &k, &err), 0);
	return k;
}

static pol_policy *policy(const char *text)
{
	pol_policy *p = NULL;
	pol_error err = {.text = ""};

	assert_int_equal(pol_parse("t.policy", text, strlen(text), NULL, NULL, &p, &err), 0);
	return p;
}

static void test_rules_as_written(void **state)
{
	pol_policy *p = policy("allow svc:a log.append log.query\n# c\ndeny app:* ipc.connect.x\n");
	pol_rule r;

	assert_int_equal(pol_rules_len(p), 3);
	assert_int_equal(pol_rule_at(p, 0, &r), 0);
	assert_int_equal(r.effect, POL_ALLOW);
	assert_string_equal(r.subject, "svc:a");
	assert_string_equal(r.cap, "log.append");
	assert_string_equal(r.file, "t.policy");
	assert_int_equal(r.line, 1);
	assert_int_equal(pol_rule_at(p, 2, &r), 0);
	assert_int_equal(r.effect, POL_DENY);
	assert_string_equal(r.cap, "ipc.connect.x");
	assert_int_equal(r.line, 3);
	assert_int_equal(pol_rule_at(p, 3, &r), -ERANGE);
	assert_true(pol_pattern_matches("app:*", "app:mail"));
	assert_false(pol_pattern_matches("app:*", "app:"));
	assert_true(pol_pattern_matches("*", "x"));
	assert_false(pol_pattern_matches("log.append", "log.appendx"));
	pol_free(p);
}

static void test_known_and_unknown(void **state)
{
	pol_known *k = known();
	pol_error err = {.text = ""};
	pol_policy *p;

	/* Exact names, members of a family, a family, a pattern covering known names, "*". */
	p = policy("allow uid:0 log.append ipc.connect.logd ipc.connect.* crypto.sign.dsoftbus\n"
	           "allow uid:0 log.* *\n");
	assert_int_equal(pol_known_check(k, p, &err), 0);
	pol_free(p);

	p = policy("allow uid:0 log.append\nallow uid:1 log.qeury\n");
	assert_int_equal(pol_known_check(k, p, &err), -EBADMSG);
	assert_string_equal(err.text, "t.policy:2: unknown capability 'log.qeury' (nearest known: "
	                              "'log.query')");
	assert_string_equal(err.file, "t.policy");
	assert_int_equal(err.line, 2);
	pol_free(p);

	p = policy("allow uid:1 BAD!!cap\n");
	assert_int_equal(pol_known_check(k, p, &err), -EBADMSG);
	assert_non_null(strstr(err.text, "t.policy:1: unknown capability 'BAD!!cap'"));
	pol_free(p);

	/* A pattern that covers nothing known is as unknown as a name. */
	p = policy("allow uid:1 net.*\n");
	assert_int_equal(pol_known_check(k, p, &err), -EBADMSG);
	pol_free(p);
	assert_string_equal(pol_known_nearest(k, "ipc.conect.x"), "ipc.connect.*");
	pol_known_free(k);
}

static void test_bad_lists(void **state)
{
	static char big[(POL_KNOWN_MAX + 1) * 8];
	pol_known *k = NULL;
	pol_error err = {.text = ""};
	size_t pos = 0;

	assert_int_equal(pol_known_parse("c", "a b\n", 4, &k, &err), -EBADMSG);
	assert_string_equal(err.text, "c:1: one capability per line");
	assert_int_equal(pol_known_parse("c", "ok\nlog.*x\n", 9, &k, &err), -EBADMSG);
	assert_string_equal(err.text, "c:2: 'log.*x' is not a capability pattern");
	assert_int_equal(pol_known_parse("c", "log*\n", 5, &k, &err), -EBADMSG);
	/* POL_KNOWN_MAX names are fine, one more is not. */
	for (unsigned i = 0; i < POL_KNOWN_MAX; i++)
		pos += (size_t)snprintf(big + pos, sizeof(big) - pos, "c%u\n", i);
	assert_int_equal(pol_known_parse("c", big, pos, &k, &err), 0);
	pol_known_free(k);
	pos += (size_t)snprintf(big + pos, sizeof(big) - pos, "one.more\n");
	assert_int_equal(pol_known_parse("c", big, pos, &k, &err), -EMSGSIZE);
	assert_non_null(strstr(err.text, "more than"));
	assert_null(pol_known_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rules_as_written),
	        cmocka_unit_test(test_known_and_unknown),
	        cmocka_unit_test(test_bad_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
