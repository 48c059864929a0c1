/* SPDX-License-Identifier: MIT */
/*
 * vfs path grammar: a table of hostile paths, each refused with its own reason and code; the
 * normal form of good ones; every limit crossed by one byte or one component.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vfs/path.h"

static int norm(const char *path, size_t len, char *out, char *why)
{
	return vfs_path_normalise(path, len, out, VFS_PATH_MAX + 1, why, VFS_WHY_MAX);
}

static void test_hostile_refused(void **state)
{
	static const struct {
		const char *path;
		size_t len; /* 0: strlen */
		int err;
		const char *why;
	} table[] = {
	        {"..", 0, -EINVAL, "not absolute (must start with '/')"},
	        {"/..", 0, -EINVAL, "a '..' component"},
	        {"/../etc/passwd", 0, -EINVAL, "a '..' component"},
	        {"/data/../tmp", 0, -EINVAL, "a '..' component"},
	        {"/data/a/../../b", 0, -EINVAL, "a '..' component"},
	        {"/data/a/..", 0, -EINVAL, "a '..' component"},
	        {"/data/a/../", 0, -EINVAL, "a '..' component"},
	        {"data/x", 0, -EINVAL, "not absolute (must start with '/')"},
	        {"", 0, -EINVAL, "empty"},
	        {"//data", 0, -EINVAL, "an empty component ('//')"},
	        {"/data//x", 0, -EINVAL, "an empty component ('//')"},
	        {"/data/x//", 0, -EINVAL, "an empty component ('//')"},
	        {"/data/a\0b", 9, -EINVAL, "contains NUL"},
	        {"/data/\0", 7, -EINVAL, "contains NUL"},
	};
	char out[VFS_PATH_MAX + 1], why[VFS_WHY_MAX];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		size_t len = table[i].len ? table[i].len : strlen(table[i].path);

		why[0] = '\0';
		assert_int_equal(norm(table[i].path, len, out, why), table[i].err);
		assert_string_equal(why, table[i].why);
	}
	assert_int_equal(norm(NULL, 0, out, why), -EINVAL);
}

static void test_normal_form(void **state)
{
	static const char *const table[][2] = {
	        {"/", "/"},
	        {"/data", "/data"},
	        {"/data/", "/data"},
	        {"/data/./a", "/data/a"},
	        {"/./data/a/.", "/data/a"},
	        {"/data/.hidden/..x/x..", "/data/.hidden/..x/x.."},
	        {"/data/a b/ü", "/data/a b/ü"},
	        {"/.", "/"},
	};
	char out[VFS_PATH_MAX + 1], why[VFS_WHY_MAX];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(norm(table[i][0], strlen(table[i][0]), out, why), 0);
		assert_string_equal(out, table[i][1]);
	}
	/* A buffer too small for the normal form is refused, not cut. */
	assert_int_equal(vfs_path_normalise("/data/a", 7, out, 7, why, sizeof(why)), -ENOBUFS);
	assert_int_equal(vfs_path_normalise("/data/a", 7, out, 8, why, sizeof(why)), 0);
	assert_int_equal(vfs_path_normalise("/", 1, out, 1, why, sizeof(why)), -ENOBUFS);
}

static void test_limits(void **state)
{
	char path[4096], out[VFS_PATH_MAX + 1], why[VFS_WHY_MAX];
	size_t len;

	/* VFS_NAME_MAX: a component of exactly that many bytes, then one more (4 KiB too). */
	path[0] = '/';
	memset(path + 1, 'n', VFS_NAME_MAX);
	assert_int_equal(norm(path, 1 + VFS_NAME_MAX, out, why), 0);
	memset(path + 1, 'n', VFS_NAME_MAX + 1);
	assert_int_equal(norm(path, 2 + VFS_NAME_MAX, out, why), -EMSGSIZE);
	assert_string_equal(why, "a component longer than 255 bytes");
	/* VFS_PATH_MAX bytes exactly, then one more. */
	for (len = 0; len + 2 <= VFS_PATH_MAX; len += 2)
		memcpy(path + len, "/a", 2);
	assert_int_equal(len, VFS_PATH_MAX);
	/* 512 components: past VFS_DEPTH_MAX long before the byte limit. */
	assert_int_equal(norm(path, len, out, why), -EMSGSIZE);
	assert_string_equal(why, "more than 32 components");
	memset(path, 'x', VFS_PATH_MAX + 1);
	path[0] = '/';
	for (size_t i = 200; i < VFS_PATH_MAX; i += 200)
		path[i] = '/';
	assert_int_equal(norm(path, VFS_PATH_MAX, out, why), 0);
	assert_int_equal(strlen(out), VFS_PATH_MAX);
	assert_int_equal(norm(path, VFS_PATH_MAX + 1, out, why), -EMSGSIZE);
	assert_string_equal(why, "longer than 1024 bytes");
	/* VFS_DEPTH_MAX components exactly, then one more; "." does not count. */
	len = 0;
	for (unsigned i = 0; i < VFS_DEPTH_MAX; i++, len += 4)
		memcpy(path + len, "/d/.", 4);
	assert_int_equal(norm(path, len, out, why), 0);
	memcpy(path + len, "/d", 2);
	assert_int_equal(norm(path, len + 2, out, why), -EMSGSIZE);
	/* A 4 KiB name. */
	memset(path + 1, 'n', 4096 - 1);
	assert_int_equal(norm(path, 4096, out, why), -EMSGSIZE);
}

static void test_split_last(void **state)
{
	const char *name;
	size_t plen;

	vfs_path_split_last("a/b/c", &plen, &name);
	assert_int_equal(plen, 3);
	assert_string_equal(name, "c");
	vfs_path_split_last("c", &plen, &name);
	assert_int_equal(plen, 0);
	assert_string_equal(name, "c");
	vfs_path_split_last("", &plen, &name);
	assert_int_equal(plen, 0);
	assert_string_equal(name, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hostile_refused),
	        cmocka_unit_test(test_normal_form),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_split_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
