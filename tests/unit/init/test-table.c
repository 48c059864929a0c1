/* SPDX-License-Identifier: MIT */
/* nexus-init's service table parser: good tables, and each bad line reported, nothing kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "table.h"

/* Writes `text` to a temp file and parses it. */
static int load(const char *text, struct init_entry *ret)
{
	char path[] = "/tmp/test-table-XXXXXX";
	int fd = mkstemp(path), r;
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	r = init_table_load(path, "/bin", ret);
	unlink(path);
	return r;
}

static void good(void **state)
{
	struct init_entry e[INIT_MAX_SERVICES];
	int before = fdcheck_count();

	assert_int_equal(load("# comment\n\nsamgrd services/samgrd/samgrd never\n"
	                      "  echod\t/abs/echod   always # trailing\n"
	                      "x.y-z_1 rel on-failure",
	                         e),
	        3);
	assert_string_equal(e[0].name, "samgrd");
	assert_string_equal(e[0].binary, "/bin/services/samgrd/samgrd");
	assert_int_equal(e[0].restart, SUP_RESTART_NEVER);
	assert_string_equal(e[1].binary, "/abs/echod");
	assert_int_equal(e[1].restart, SUP_RESTART_ALWAYS);
	assert_string_equal(e[2].name, "x.y-z_1");
	assert_int_equal(e[2].restart, SUP_RESTART_ON_FAILURE);
	fdcheck_assert(before);
}

static void sandbox_profiles(void **state)
{
	struct init_entry e[INIT_MAX_SERVICES];
	int before = fdcheck_count();

	assert_int_equal(load("samgrd s never\n"
	                      "a b always sandbox=default\n"
	                      "c d always sandbox=policy\n"
	                      "f g always sandbox=none\n"
	                      "h i always sandbox=net\n",
	                         e),
	        5);
	assert_int_equal(e[0].sandbox, INIT_SANDBOX_DEFAULT); /* when not said */
	assert_int_equal(e[1].sandbox, INIT_SANDBOX_DEFAULT);
	assert_int_equal(e[2].sandbox, INIT_SANDBOX_POLICY);
	assert_int_equal(e[3].sandbox, INIT_SANDBOX_NONE);
	assert_int_equal(e[4].sandbox, INIT_SANDBOX_NET);
	/* The device comes as an open= fd now: no profile opens it. */
	assert_int_equal(load("samgrd s never sandbox=hwrng\n", e), -EINVAL);
	fdcheck_assert(before);
}

/* uid=, caps= (with its reason), nofile=, nproc=, open= (repeatable), sandbox= in any order. */
static void options(void **state)
{
	struct init_entry e[INIT_MAX_SERVICES];
	int before = fdcheck_count();

	assert_int_equal(load("samgrd s always nofile=8192 uid=5000 sandbox=none\n"
	                      "rngd r always open=/dev/hwrng open=/dev/null nproc=16\n"
	                      "execd x always caps=CAP_SETUID,sys_admin # builds sandboxes\n",
	                         e),
	        3);
	assert_int_equal(e[0].uid, 5000);
	assert_int_equal(e[0].nofile, 8192);
	assert_int_equal(e[0].nproc, 0);
	assert_int_equal(e[0].sandbox, INIT_SANDBOX_NONE);
	assert_int_equal(e[0].keep_caps, 0);
	assert_int_equal(e[1].uid, 0); /* allocated by init */
	assert_int_equal(e[1].nproc, 16);
	assert_int_equal(e[1].nopen, 2);
	assert_string_equal(e[1].open[0], "/dev/hwrng");
	assert_string_equal(e[1].open[1], "/dev/null");
	assert_int_equal(e[1].sandbox, INIT_SANDBOX_DEFAULT);
	assert_int_equal(
	        e[2].keep_caps, (1ull << 7) | (1ull << 21)); /* CAP_SETUID, CAP_SYS_ADMIN */
	fdcheck_assert(before);
}

static void bad(void **state)
{
	static const char *const tables[] = {
	        "",                                       /* no services */
	        "# only a comment\n",                     /* no services */
	        "echod echod always\n",                   /* samgrd not first */
	        "samgrd samgrd\n",                        /* missing field */
	        "samgrd samgrd never extra\n",            /* extra field */
	        "samgrd samgrd sometimes\n",              /* bad restart */
	        "samgrd samgrd never\nEchod e always\n",  /* bad name */
	        "samgrd samgrd never\nsamgrd s always\n", /* twice */
	        "samgrd samgrd never\n"
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa e always\n",
	        "samgrd s never sandbox=strict\n",      /* unknown profile */
	        "samgrd s never bogus=1\n",             /* unknown option */
	        "samgrd s never uid=0\n",               /* root is never allocated */
	        "samgrd s never uid=12x\n",             /* not a number */
	        "samgrd s never caps=CAP_CHOWN\n",      /* no reason given */
	        "samgrd s never caps=CAP_NOPE # why\n", /* unknown capability */
	        "samgrd s never nofile=0\n",            /* below 1 */
	        "samgrd s never nproc=1048577\n",       /* over NX_INIT_RLIMIT_MAX */
	        "samgrd s never open=dev/hwrng\n",      /* not absolute */
	        "samgrd s never open=/a open=/b open=/c open=/d open=/e\n", /* > NX_INIT_OPEN_MAX */
	};
	struct init_entry e[INIT_MAX_SERVICES];
	int before = fdcheck_count();

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		e[0].name[0] = '\0';
		assert_int_equal(load(tables[i], e), -EINVAL);
		assert_string_equal(e[0].name, ""); /* untouched on failure */
	}
	fdcheck_assert(before);
}

static void limits(void **state)
{
	struct init_entry e[INIT_MAX_SERVICES];
	char text[4096], *p = text;
	int before = fdcheck_count();

	/* Exactly INIT_MAX_SERVICES is fine; one more is refused. */
	p += sprintf(p, "samgrd s never\n");
	for (unsigned i = 1; i < INIT_MAX_SERVICES; i++)
		p += sprintf(p, "s%u b always\n", i);
	assert_int_equal(load(text, e), (int)INIT_MAX_SERVICES);
	sprintf(p, "one-more b always\n");
	assert_int_equal(load(text, e), -EINVAL);

	/* A line longer than the parser's buffer is an error, not two lines. */
	memset(text, 'x', 2000);
	memcpy(text, "samgrd ", 7);
	strcpy(text + 2000, " never\n");
	assert_int_equal(load(text, e), -EINVAL);
	assert_int_equal(init_table_load("/nonexistent/table", "/bin", e), -ENOENT);

	/* open=PATH of exactly NX_INIT_OPEN_PATH_MAX bytes is fine, one more is refused. */
	p = text + sprintf(text, "samgrd s never open=/");
	memset(p, 'a', NX_INIT_OPEN_PATH_MAX - 1);
	strcpy(p + NX_INIT_OPEN_PATH_MAX - 1, "\n");
	assert_int_equal(load(text, e), 1);
	assert_int_equal(strlen(e[0].open[0]), NX_INIT_OPEN_PATH_MAX);
	strcpy(p + NX_INIT_OPEN_PATH_MAX - 1, "a\n");
	assert_int_equal(load(text, e), -EINVAL);
	/* nofile up to NX_INIT_RLIMIT_MAX. */
	sprintf(text, "samgrd s never nofile=%u\n", NX_INIT_RLIMIT_MAX);
	assert_int_equal(load(text, e), 1);
	assert_int_equal(e[0].nofile, NX_INIT_RLIMIT_MAX);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(good),
	        cmocka_unit_test(sandbox_profiles),
	        cmocka_unit_test(options),
	        cmocka_unit_test(bad),
	        cmocka_unit_test(limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
