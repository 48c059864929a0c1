/* SPDX-License-Identifier: MIT */
/*
 * nx-abi files beneath a directory: reads inside work (also through a symlink that stays
 * inside); `..`, an absolute path and a symlink out are refused by the kernel; the size cap
 * is exact; only regular files are read; a file is created whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/file.h"
#include "nx-abi/sock.h"

struct tree {
	char root[64]; /* holds in/ (the directory read beneath) and secret.txt beside it */
	char in[96];
	int dirfd;
};

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char path[256];

	snprintf(t->root, sizeof(t->root), "/tmp/nx-file-XXXXXX");
	assert_non_null(mkdtemp(t->root));
	snprintf(t->in, sizeof(t->in), "%s/in", t->root);
	assert_int_equal(mkdir(t->in, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub", t->in);
	assert_int_equal(mkdir(path, 0700), 0);
	put(t->root, "secret.txt", "outside");
	put(t->in, "hello.txt", "hello");
	put(t->in, "sub/deep.txt", "deep");
	put(t->in, "empty.txt", "");
	snprintf(path, sizeof(path), "%s/link-in", t->in);
	assert_int_equal(symlink("sub/deep.txt", path), 0);
	snprintf(path, sizeof(path), "%s/link-up", t->in);
	assert_int_equal(symlink("../secret.txt", path), 0);
	snprintf(path, sizeof(path), "%s/link-abs", t->in);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	snprintf(path, sizeof(path), "%s/fifo", t->in);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(nx_dir_open(t->in, &t->dirfd), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	nx_fd_close(t->dirfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
	return 0;
}

static void test_reads_inside(void **state)
{
	struct tree *t = *state;
	int before = fdcheck_count();
	void *buf;
	size_t len;

	assert_int_equal(nx_file_read_beneath(t->dirfd, "hello.txt", 100, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello"); /* NUL-terminated */
	free(buf);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "sub/../sub/deep.txt", 100, &buf, &len), 0);
	assert_string_equal(buf, "deep");
	free(buf);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "link-in", 100, &buf, &len), 0);
	assert_string_equal(buf, "deep");
	free(buf);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "empty.txt", 100, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	fdcheck_assert(before);
}

static void test_escapes_refused(void **state)
{
	static const char *const escapes[] = {
	        "../secret.txt", "sub/../../secret.txt", "link-up", "link-abs", "/etc/hostname"};
	struct tree *t = *state;
	int before = fdcheck_count();
	void *buf = (void *)1;
	size_t len = 42;

	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		assert_int_equal(
		        nx_file_read_beneath(t->dirfd, escapes[i], 100, &buf, &len), -EXDEV);
		assert_ptr_equal(buf, (void *)1); /* untouched */
		assert_int_equal(len, 42);
	}
	fdcheck_assert(before);
}

/* A magic link (/proc/self/fd/N) is refused even from a directory where it is beneath. */
static void test_magic_link_refused(void **state)
{
	int before = fdcheck_count(), proc;
	char name[32];
	void *buf;
	size_t len;

	assert_int_equal(nx_dir_open("/proc/self", &proc), 0);
	snprintf(name, sizeof(name), "fd/%d", proc);
	assert_int_equal(nx_file_read_beneath(proc, name, 100, &buf, &len), -ELOOP);
	nx_fd_close(proc);
	fdcheck_assert(before);
}

static void test_size_cap(void **state)
{
	struct tree *t = *state;
	int before = fdcheck_count();
	void *buf;
	size_t len;

	assert_int_equal(nx_file_read_beneath(t->dirfd, "hello.txt", 5, &buf, &len), 0);
	assert_int_equal(len, 5);
	free(buf);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "hello.txt", 4, &buf, &len), -EMSGSIZE);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "hello.txt", 0, &buf, &len), -EMSGSIZE);
	fdcheck_assert(before);
}

/* A file that grows between fstat and read: the read itself enforces the cap. */
static void test_size_cap_while_growing(void **state)
{
	int before = fdcheck_count(), proc;
	void *buf;
	size_t len;

	/* /proc files report size 0 but have content: the stat-based guess is always wrong. */
	assert_int_equal(nx_dir_open("/proc/self", &proc), 0);
	assert_int_equal(nx_file_read_beneath(proc, "status", 1 << 20, &buf, &len), 0);
	assert_true(len > 100);
	assert_int_equal(strlen(buf), len);
	free(buf);
	assert_int_equal(nx_file_read_beneath(proc, "status", 10, &buf, &len), -EMSGSIZE);
	nx_fd_close(proc);
	fdcheck_assert(before);
}

static void test_not_regular(void **state)
{
	struct tree *t = *state;
	int before = fdcheck_count(), fd = -1;
	void *buf;
	size_t len;

	assert_int_equal(nx_file_read_beneath(t->dirfd, "sub", 100, &buf, &len), -EINVAL);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "fifo", 100, &buf, &len), -EINVAL);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "", 100, &buf, &len), -EINVAL);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "missing", 100, &buf, &len), -ENOENT);
	assert_int_equal(nx_dir_open("/etc/hostname", &fd), -ENOTDIR);
	assert_int_equal(fd, -1);
	fdcheck_assert(before);
}

/* Created whole with its mode, never over an existing file, a crash's leftover temporary
 * cleared, and one component only. */
static void test_create_atomic(void **state)
{
	struct tree *t = *state;
	int before = fdcheck_count();
	char path[256];
	struct stat st;
	void *buf;
	size_t len;

	assert_int_equal(nx_file_create_atomic(t->dirfd, "kek", "0123456789", 10, 0600), 0);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "kek", 100, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 10);
	free(buf);
	snprintf(path, sizeof(path), "%s/kek", t->in);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Never replaced: the first content stays. */
	assert_int_equal(nx_file_create_atomic(t->dirfd, "kek", "other", 5, 0600), -EEXIST);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "kek", 100, &buf, &len), 0);
	assert_int_equal(len, 10);
	free(buf);
	snprintf(path, sizeof(path), "%s/.kek.tmp", t->in);
	assert_int_equal(access(path, F_OK), -1); /* no temporary left behind */
	/* A temporary left by a crash before the rename does not stop the next try. */
	put(t->in, ".fresh.tmp", "torn");
	assert_int_equal(nx_file_create_atomic(t->dirfd, "fresh", "", 0, 0640), 0);
	assert_int_equal(nx_file_read_beneath(t->dirfd, "fresh", 100, &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(nx_file_create_atomic(t->dirfd, "sub/x", "x", 1, 0600), -EINVAL);
	assert_int_equal(nx_file_create_atomic(t->dirfd, "..", "x", 1, 0600), -EINVAL);
	assert_int_equal(nx_file_create_atomic(t->dirfd, "", "x", 1, 0600), -EINVAL);
	/* A symlink at the name is an existing name, not a way out. */
	assert_int_equal(nx_file_create_atomic(t->dirfd, "link-up", "x", 1, 0600), -EEXIST);
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_reads_inside, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_escapes_refused, setup, teardown),
	        cmocka_unit_test(test_magic_link_refused),
	        cmocka_unit_test_setup_teardown(test_size_cap, setup, teardown),
	        cmocka_unit_test(test_size_cap_while_growing),
	        cmocka_unit_test_setup_teardown(test_not_regular, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_create_atomic, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
