/* SPDX-License-Identifier: MIT */
/* policyd's store (source/services/policyd/store.h): files beneath the directory only, regular
 * files within POL_FILE_MAX only, a reload parses everything or keeps the old policy. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "store.h"

struct fixture {
	char dir[64];    /* a temp dir */
	char policy[96]; /* dir/pol: the policy directory */
	int before;
};

static void put(const struct fixture *f, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->policy, name);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->before = fdcheck_count();
	strcpy(f->dir, "/tmp/policyd-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->policy, sizeof(f->policy), "%s/pol", f->dir);
	assert_int_equal(mkdir(f->policy, 0700), 0);
	put(f, POLD_ROOT_FILE, "allow app:* log.append\ninclude more.policy\n");
	put(f, "more.policy", "allow svc:logd ipc.register.logd\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	fdcheck_assert(f->before);
	free(f);
	return 0;
}

static void test_open_loads_includes(void **state)
{
	struct fixture *f = *state;
	pold_store *s = NULL;

	assert_int_equal(pold_store_open(f->policy, &s, NULL), 0);
	assert_int_equal(pol_check(pold_store_policy(s), "app:x", "log.append"), POL_ALLOW);
	assert_int_equal(
	        pol_check(pold_store_policy(s), "svc:logd", "ipc.register.logd"), POL_ALLOW);
	assert_int_equal(pol_check(pold_store_policy(s), "svc:logd", "policy.reload"), POL_DENY);
	assert_null(pold_store_free(s));
	assert_null(pold_store_free(NULL));
}

static void test_repo_default_policy(void **state)
{
	pold_store *s = NULL;

	assert_int_equal(pold_store_open(POLICIES_DIR, &s, NULL), 0);
	assert_int_equal(pol_check(pold_store_policy(s), "uid:0", "policy.reload"), POL_ALLOW);
	assert_int_equal(pol_check(pold_store_policy(s), "app:mail", "policy.reload"), POL_DENY);
	pold_store_free(s);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	pold_store *s = (pold_store *)0x1;
	pol_error err;
	char path[256];

	assert_int_equal(pold_store_open(NULL, &s, NULL), -EINVAL);
	assert_int_equal(pold_store_open("", &s, NULL), -EINVAL);
	snprintf(path, sizeof(path), "%s/nosuch", f->dir);
	assert_int_equal(pold_store_open(path, &s, NULL), -ENOENT);
	snprintf(path, sizeof(path), "%s/%s", f->policy, POLD_ROOT_FILE);
	assert_int_equal(pold_store_open(path, &s, NULL), -ENOTDIR);
	/* A directory without the root file. */
	assert_int_equal(pold_store_open(f->dir, &s, &err), -ENOENT);
	assert_non_null(strstr(err.text, POLD_ROOT_FILE));
	assert_ptr_equal(s, (pold_store *)0x1); /* untouched on failure */
}

/* A bad file: the error names file:line and the old policy stays in force. */
static void test_reload_broken_keeps_old(void **state)
{
	struct fixture *f = *state;
	char version[POL_VERSION_LEN + 1];
	pold_store *s = NULL;
	bool changed = true;
	pol_error err;

	assert_int_equal(pold_store_open(f->policy, &s, NULL), 0);
	strcpy(version, pol_version(pold_store_policy(s)));
	assert_int_equal(pold_store_reload(s, &changed, NULL), 0);
	assert_false(changed);
	put(f, "more.policy", "allow svc:logd ipc.register.logd\nallow svc:x a.b*\n");
	assert_int_equal(pold_store_reload(s, &changed, &err), -EBADMSG);
	assert_string_equal(err.file, "more.policy");
	assert_int_equal(err.line, 2);
	assert_memory_equal(err.text, "more.policy:2: ", strlen("more.policy:2: "));
	assert_string_equal(pol_version(pold_store_policy(s)), version);
	assert_int_equal(
	        pol_check(pold_store_policy(s), "svc:logd", "ipc.register.logd"), POL_ALLOW);
	/* Fixed: a new version, in force. */
	put(f, "more.policy", "allow svc:logd ipc.register.logd log.query\n");
	assert_int_equal(pold_store_reload(s, &changed, &err), 0);
	assert_true(changed);
	assert_string_not_equal(pol_version(pold_store_policy(s)), version);
	assert_int_equal(pol_check(pold_store_policy(s), "svc:logd", "log.query"), POL_ALLOW);
	assert_int_equal(pold_store_reload(NULL, NULL, NULL), -EINVAL);
	pold_store_free(s);
}

/* Includes never leave the directory: symlinks out (absolute or through ".."), and paths
 * with ".." are refused; so are files that are not regular, and files over POL_FILE_MAX. */
static void test_reload_refuses_outside(void **state)
{
	struct fixture *f = *state;
	char path[256], target[256];
	pold_store *s = NULL;
	pol_error err;

	assert_int_equal(pold_store_open(f->policy, &s, NULL), 0);
	snprintf(target, sizeof(target), "%s/outside.policy", f->dir);
	{
		FILE *fp = fopen(target, "we");

		assert_non_null(fp);
		fputs("allow * *\n", fp);
		fclose(fp);
	}
	snprintf(path, sizeof(path), "%s/more.policy", f->policy);
	/* Absolute symlink out. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(pold_store_reload(s, NULL, &err), -EXDEV);
	assert_non_null(strstr(err.text, "more.policy"));
	/* Relative symlink out. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("../outside.policy", path), 0);
	assert_int_equal(pold_store_reload(s, NULL, &err), -EXDEV);
	/* ".." in an include is refused before the loader runs. */
	assert_int_equal(unlink(path), 0);
	put(f, POLD_ROOT_FILE, "include ../outside.policy\n");
	assert_true(pold_store_reload(s, NULL, &err) < 0);
	assert_int_equal(pol_check(pold_store_policy(s), "app:x", "anything"), POL_DENY);
	/* Not a regular file. */
	assert_int_equal(mkdir(path, 0700), 0);
	put(f, POLD_ROOT_FILE, "include more.policy\n");
	assert_int_equal(pold_store_reload(s, NULL, &err), -EINVAL);
	assert_int_equal(rmdir(path), 0);
	/* One byte over POL_FILE_MAX. */
	{
		FILE *fp = fopen(path, "we");

		assert_non_null(fp);
		for (size_t i = 0; i < POL_FILE_MAX + 1; i++)
			fputc(i % 64 == 63 ? '\n' : '#', fp);
		fclose(fp);
	}
	assert_int_equal(pold_store_reload(s, NULL, &err), -EMSGSIZE);
	/* Exactly POL_FILE_MAX is read. */
	assert_int_equal(truncate(path, POL_FILE_MAX), 0);
	assert_int_equal(pold_store_reload(s, NULL, &err), 0);
	assert_int_equal(pol_check(pold_store_policy(s), "app:x", "anything"), POL_DENY);
	assert_int_equal(pol_check(pold_store_policy(s), "app:x", "log.append"), POL_DENY);
	pold_store_free(s);
}

/* A symlink to a file inside the directory is fine. */
static void test_symlink_inside(void **state)
{
	struct fixture *f = *state;
	char path[256];
	pold_store *s = NULL;

	put(f, "real.policy", "allow app:y y.z\n");
	snprintf(path, sizeof(path), "%s/more.policy", f->policy);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("real.policy", path), 0);
	assert_int_equal(pold_store_open(f->policy, &s, NULL), 0);
	assert_int_equal(pol_check(pold_store_policy(s), "app:y", "y.z"), POL_ALLOW);
	pold_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_open_loads_includes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_repo_default_policy, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reload_broken_keeps_old, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reload_refuses_outside, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_symlink_inside, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
