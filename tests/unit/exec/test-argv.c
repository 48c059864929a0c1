/* SPDX-License-Identifier: MIT */
/* exec argv: every bound of spawn()'s args and env crossed by one, and each malformed entry. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/argv.h"

#define MAXN 64

static struct app_text v[MAXN];

/* n texts of `len` bytes each ('a'), or NAME=aaa env entries when `env` (distinct names). */
static struct app_text *texts(size_t n, size_t len, bool env)
{
	static char store[MAXN][1100];

	assert_true(n <= MAXN && len < sizeof(store[0]));
	for (size_t i = 0; i < n; i++) {
		memset(store[i], 'a', len);
		if (env && len >= 4) {
			store[i][0] = 'N';
			store[i][1] = (char)('A' + i / 26);
			store[i][2] = (char)('A' + i % 26);
			store[i][3] = '=';
		}
		v[i] = (struct app_text){store[i], len};
	}
	return v;
}

static int check(
        const struct app_text *a, size_t na, const struct app_text *e, size_t ne, char *why)
{
	strcpy(why, "untouched");
	return app_argv_check(a, na, e, ne, why);
}

static void empty_is_fine(void **state)
{
	char why[APP_WHY_MAX];

	assert_int_equal(check(NULL, 0, NULL, 0, why), 0);
	assert_string_equal(why, "untouched");
}

static void args_bounds(void **state)
{
	char why[APP_WHY_MAX];

	/* APP_ARGS_MAX arguments of a size that keeps the total in bounds; one more is too many. */
	assert_int_equal(check(texts(APP_ARGS_MAX, APP_ARGS_BYTES_MAX / APP_ARGS_MAX, false),
	                         APP_ARGS_MAX, NULL, 0, why),
	        0);
	assert_int_equal(check(texts(APP_ARGS_MAX + 1, 1, false), APP_ARGS_MAX + 1, NULL, 0, why),
	        -EMSGSIZE);
	assert_string_equal(why, "args: more than 32 entries");
	/* One argument of APP_ARG_MAX bytes; one byte more. */
	assert_int_equal(check(texts(1, APP_ARG_MAX, false), 1, NULL, 0, why), 0);
	assert_int_equal(check(texts(2, APP_ARG_MAX + 1, false), 2, NULL, 0, why), -EMSGSIZE);
	assert_string_equal(why, "args[0]: longer than 512 bytes");
	/* The total: APP_ARGS_BYTES_MAX exactly, then one byte over. */
	texts(APP_ARGS_BYTES_MAX / APP_ARG_MAX + 1, APP_ARG_MAX, false);
	assert_int_equal(check(v, APP_ARGS_BYTES_MAX / APP_ARG_MAX, NULL, 0, why), 0);
	v[APP_ARGS_BYTES_MAX / APP_ARG_MAX].len = 1;
	assert_int_equal(check(v, APP_ARGS_BYTES_MAX / APP_ARG_MAX + 1, NULL, 0, why), -EMSGSIZE);
	assert_string_equal(why, "args: more than 2048 bytes in all");
}

static void args_nul(void **state)
{
	struct app_text a[2] = {{"ok", 2}, {"b\0d", 3}};
	char why[APP_WHY_MAX];

	assert_int_equal(check(a, 2, NULL, 0, why), -EINVAL);
	assert_string_equal(why, "args[1]: contains a NUL byte");
}

static void env_bounds(void **state)
{
	char why[APP_WHY_MAX];

	assert_int_equal(check(NULL, 0, texts(APP_ENV_MAX, 8, true), APP_ENV_MAX, why), 0);
	assert_int_equal(
	        check(NULL, 0, texts(APP_ENV_MAX + 1, 8, true), APP_ENV_MAX + 1, why), -EMSGSIZE);
	assert_string_equal(why, "env: more than 16 entries");
	assert_int_equal(check(NULL, 0, texts(1, APP_ENV_ENTRY_MAX, true), 1, why), 0);
	assert_int_equal(check(NULL, 0, texts(1, APP_ENV_ENTRY_MAX + 1, true), 1, why), -EMSGSIZE);
	assert_string_equal(why, "env[0]: longer than 512 bytes");
	texts(APP_ENV_BYTES_MAX / APP_ENV_ENTRY_MAX + 1, APP_ENV_ENTRY_MAX, true);
	assert_int_equal(check(NULL, 0, v, APP_ENV_BYTES_MAX / APP_ENV_ENTRY_MAX, why), 0);
	v[APP_ENV_BYTES_MAX / APP_ENV_ENTRY_MAX].len = 5;
	assert_int_equal(
	        check(NULL, 0, v, APP_ENV_BYTES_MAX / APP_ENV_ENTRY_MAX + 1, why), -EMSGSIZE);
	assert_string_equal(why, "env: more than 1024 bytes in all");
}

static void env_shape(void **state)
{
	static const char *const bad[] = {"NOEQUALS", "=value", "1X=y", "A-B=c", "A B=c", ""};
	struct app_text e[2];
	char why[APP_WHY_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e[0] = (struct app_text){bad[i], strlen(bad[i])};
		assert_int_equal(check(NULL, 0, e, 1, why), -EINVAL);
		assert_non_null(strstr(why, "env[0]: not NAME=value"));
	}
	e[0] = (struct app_text){"_X1=", 4}; /* an empty value is a value */
	e[1] = (struct app_text){"HOME=/x", 7};
	assert_int_equal(check(NULL, 0, e, 2, why), 0);
	e[1] = (struct app_text){"_X1=again", 9};
	assert_int_equal(check(NULL, 0, e, 2, why), -EINVAL);
	assert_string_equal(why, "env[1]: repeats the name of env[0]");
	e[1] = (struct app_text){"_X12=other", 10}; /* a longer name is another name */
	assert_int_equal(check(NULL, 0, e, 2, why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(empty_is_fine),
	        cmocka_unit_test(args_bounds),
	        cmocka_unit_test(args_nul),
	        cmocka_unit_test(env_bounds),
	        cmocka_unit_test(env_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
