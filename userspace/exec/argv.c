/* SPDX-License-Identifier: MIT */
/* exec argv (argv.h): bounds and shape of spawn()'s args and env. */
#include "argv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool name_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* The length of NAME in "NAME=value", or 0 when the entry has no valid NAME before a '='. */
static size_t env_name_len(const struct app_text *t)
{
	size_t i;

	for (i = 0; i < t->len && t->s[i] != '='; i++)
		if (!name_char(t->s[i], i == 0))
			return 0;
	return i < t->len ? i : 0;
}

/* One list: count, each element's length, NULs, the total. */
static int check_list(const char *what, const struct app_text *v, size_t n, size_t count_max,
        size_t elem_max, size_t total_max, char why[APP_WHY_MAX])
{
	size_t total = 0;

	if (n > count_max) {
		(void)snprintf(why, APP_WHY_MAX, "%s: more than %zu entries", what, count_max);
		return -EMSGSIZE;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].len > elem_max) {
			(void)snprintf(why, APP_WHY_MAX, "%s[%zu]: longer than %zu bytes", what, i,
			        elem_max);
			return -EMSGSIZE;
		}
		if (memchr(v[i].s, '\0', v[i].len)) {
			(void)snprintf(why, APP_WHY_MAX, "%s[%zu]: contains a NUL byte", what, i);
			return -EINVAL;
		}
		total += v[i].len;
	}
	if (total > total_max) {
		(void)snprintf(why, APP_WHY_MAX, "%s: more than %zu bytes in all", what, total_max);
		return -EMSGSIZE;
	}
	return 0;
}

static int check_env_names(const struct app_text *env, size_t n, char why[APP_WHY_MAX])
{
	for (size_t i = 0; i < n; i++) {
		size_t len = env_name_len(&env[i]);

		if (len == 0) {
			(void)snprintf(why, APP_WHY_MAX,
			        "env[%zu]: not NAME=value (NAME of [A-Za-z0-9_], "
			        "not starting with a digit)",
			        i);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (env_name_len(&env[j]) == len &&
			        memcmp(env[j].s, env[i].s, len + 1) == 0) {
				(void)snprintf(why, APP_WHY_MAX,
				        "env[%zu]: repeats the name of env[%zu]", i, j);
				return -EINVAL;
			}
	}
	return 0;
}

int app_argv_check(const struct app_text *args, size_t nargs, const struct app_text *env,
        size_t nenv, char why[APP_WHY_MAX])
{
	char tmp[APP_WHY_MAX];
	int r;

	if ((nargs && !args) || (nenv && !env) || !why)
		return -EINVAL;
	r = check_list("args", args, nargs, APP_ARGS_MAX, APP_ARG_MAX, APP_ARGS_BYTES_MAX, tmp);
	if (r == 0)
		r = check_list(
		        "env", env, nenv, APP_ENV_MAX, APP_ENV_ENTRY_MAX, APP_ENV_BYTES_MAX, tmp);
	if (r == 0)
		r = check_env_names(env, nenv, tmp);
	if (r < 0)
		memcpy(why, tmp, sizeof(tmp));
	return r;
}
