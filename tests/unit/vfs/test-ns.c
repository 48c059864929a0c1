/* SPDX-License-Identifier: MIT */
/*
 * vfs namespace: each root maps to its tree with the rest as a relative path, other top-level
 * names are not found, only what lies beneath /data and /tmp is writable; subject directory
 * names are one safe component, injective, and bounded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vfs/ns.h"

static void test_map(void **state)
{
	struct vfs_target t;

	assert_int_equal(vfs_ns_map("/", &t), 0);
	assert_int_equal(t.root, VFS_ROOT_TOP);
	assert_false(vfs_ns_writable(&t));
	assert_int_equal(vfs_ns_map("/data", &t), 0);
	assert_int_equal(t.root, VFS_ROOT_DATA);
	assert_string_equal(t.rel, "");
	assert_false(vfs_ns_writable(&t));
	assert_int_equal(vfs_ns_map("/data/a/b", &t), 0);
	assert_int_equal(t.root, VFS_ROOT_DATA);
	assert_string_equal(t.rel, "a/b");
	assert_true(vfs_ns_writable(&t));
	assert_string_equal(vfs_ns_tree_dir(t.root), "data");
	assert_int_equal(vfs_ns_map("/tmp/x", &t), 0);
	assert_int_equal(t.root, VFS_ROOT_TMP);
	assert_string_equal(t.rel, "x");
	assert_true(vfs_ns_writable(&t));
	assert_string_equal(vfs_ns_tree_dir(t.root), "tmp");
	assert_int_equal(vfs_ns_map("/pkg/org.example.app/bin/run", &t), 0);
	assert_int_equal(t.root, VFS_ROOT_PKG);
	assert_int_equal(t.bundle_len, strlen("org.example.app"));
	assert_memory_equal(t.bundle, "org.example.app", t.bundle_len);
	assert_string_equal(t.rel, "bin/run");
	assert_false(vfs_ns_writable(&t));
	assert_null(vfs_ns_tree_dir(t.root));
	assert_int_equal(vfs_ns_map("/pkg/b", &t), 0);
	assert_int_equal(t.bundle_len, 1);
	assert_string_equal(t.rel, "");
	assert_int_equal(vfs_ns_map("/pkg", &t), 0);
	assert_int_equal(t.bundle_len, 0);
	for (size_t i = 0; i < 3; i++) {
		char path[16] = "/";

		strcat(path, vfs_ns_top[i]);
		assert_int_equal(vfs_ns_map(path, &t), 0);
		assert_true(i == 0 || strcmp(vfs_ns_top[i - 1], vfs_ns_top[i]) < 0); /* sorted */
	}
}

static void test_unknown_roots(void **state)
{
	static const char *const table[] = {
	        "/etc", "/etc/passwd", "/datax", "/dat", "/tmpfoo/a", "/pkgs", "/DATA"};
	struct vfs_target t = {.rel = "untouched"};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_int_equal(vfs_ns_map(table[i], &t), -ENOENT);
	assert_string_equal(t.rel, "untouched");
}

static void test_subject_dirname(void **state)
{
	static const char *const table[][2] = {
	        {"uid:0", "uid:0"},
	        {"app:org.example.app", "app:org.example.app"},
	        {"peer:dev1/uid:0", "peer:dev1%2Fuid:0"},
	        {".", "%2E"},
	        {"..", "%2E."},
	        {"a%2F", "a%252F"}, /* '%' itself is escaped: injective */
	        {"user:a b", "user:a%20b"},
	        {"x\n", "x%0A"},
	};
	char out[VFS_NAME_MAX + 1], subject[VFS_SUBJECT_MAX + 2];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(vfs_subject_dirname(table[i][0], out, sizeof(out)),
		        (int)strlen(table[i][1]));
		assert_string_equal(out, table[i][1]);
	}
	assert_int_equal(vfs_subject_dirname("", out, sizeof(out)), -EINVAL);
	assert_int_equal(vfs_subject_dirname(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(vfs_subject_dirname("uid:0", out, 5), -ENOBUFS);
	assert_int_equal(vfs_subject_dirname("uid:0", out, 6), 5);
	/* VFS_SUBJECT_MAX bytes exactly, then one more. */
	memset(subject, 's', VFS_SUBJECT_MAX);
	subject[VFS_SUBJECT_MAX] = '\0';
	assert_int_equal(vfs_subject_dirname(subject, out, sizeof(out)), (int)VFS_SUBJECT_MAX);
	subject[VFS_SUBJECT_MAX] = 's';
	subject[VFS_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(vfs_subject_dirname(subject, out, sizeof(out)), -EMSGSIZE);
	/* A subject whose escaped form would pass VFS_NAME_MAX. */
	memset(subject, '/', 85);
	subject[85] = '\0';
	assert_int_equal(vfs_subject_dirname(subject, out, sizeof(out)), 255);
	subject[85] = '/';
	subject[86] = '\0';
	assert_int_equal(vfs_subject_dirname(subject, out, sizeof(out)), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_map),
	        cmocka_unit_test(test_unknown_roots),
	        cmocka_unit_test(test_subject_dirname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
