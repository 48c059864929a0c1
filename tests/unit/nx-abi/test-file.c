/* SPDX-License-Identifier: MIT */
/*
 * nx-abi files beneath a directory: reads inside work (also through a symlink that stays
 * inside); `..`, an absolute path and a symlink out are refused by the kernel; the size cap
 * is exact; only regular files are read; a file is created whole or not at all. The calls
 * for a served tree (vfsd): no symlink is followed at all, names are one component,
 * directory listings, tree usage and clearing, file I/O.
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

/* ---- A served tree ------------------------------------------------------------------------ */

static void test_open_beneath(void **state)
{
	struct tree *t = *state;
	int before = fdcheck_count(), fd = -1, dir = -1;
	struct nx_file_stat st;
	char buf[16];
	size_t n;

	assert_int_equal(nx_open_beneath(t->dirfd, "hello.txt", NX_OPEN_READ, &fd), 0);
	assert_int_equal(nx_file_pread(fd, 0, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	nx_fd_close(fd);
	/* Create, exclusive, truncate. */
	assert_int_equal(nx_open_beneath(t->dirfd, "new.txt",
	                         NX_OPEN_WRITE | NX_OPEN_CREATE | NX_OPEN_EXCL, &fd),
	        0);
	assert_int_equal(nx_file_pwrite(fd, 3, "abc", 3), 0);
	assert_int_equal(nx_stat_at(fd, "", &st), 0);
	assert_int_equal(st.type, NX_FILE_REGULAR);
	assert_int_equal(st.size, 6);
	assert_int_equal(nx_file_sync(fd), 0);
	assert_int_equal(nx_file_truncate(fd, 4), 0);
	nx_fd_close(fd);
	assert_int_equal(nx_open_beneath(t->dirfd, "new.txt",
	                         NX_OPEN_WRITE | NX_OPEN_CREATE | NX_OPEN_EXCL, &fd),
	        -EEXIST);
	assert_int_equal(nx_open_beneath(t->dirfd, "new.txt", NX_OPEN_READ, &fd), 0);
	assert_int_equal(nx_file_pread(fd, 0, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "\0\0\0a", 4);
	assert_int_equal(nx_file_pread(fd, 100, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	nx_fd_close(fd);
	assert_int_equal(
	        nx_open_beneath(t->dirfd, "new.txt", NX_OPEN_WRITE | NX_OPEN_TRUNC, &fd), 0);
	assert_int_equal(nx_stat_at(fd, "", &st), 0);
	assert_int_equal(st.size, 0);
	nx_fd_close(fd);
	fd = -1;
	/* Escapes, symlinks (even one staying inside), not-files, bad flags: fd untouched. */
	assert_int_equal(nx_open_beneath(t->dirfd, "../secret.txt", NX_OPEN_READ, &fd), -EXDEV);
	assert_int_equal(nx_open_beneath(t->dirfd, "/etc/hostname", NX_OPEN_READ, &fd), -EXDEV);
	assert_int_equal(nx_open_beneath(t->dirfd, "link-up", NX_OPEN_READ, &fd), -ELOOP);
	assert_int_equal(nx_open_beneath(t->dirfd, "link-abs", NX_OPEN_READ, &fd), -ELOOP);
	assert_int_equal(nx_open_beneath(t->dirfd, "link-in", NX_OPEN_READ, &fd), -ELOOP);
	assert_int_equal(
	        nx_open_beneath(t->dirfd, "link-up", NX_OPEN_WRITE | NX_OPEN_CREATE, &fd), -ELOOP);
	assert_int_equal(nx_open_beneath(t->dirfd, "fifo", NX_OPEN_READ, &fd), -EINVAL);
	assert_int_equal(nx_open_beneath(t->dirfd, "sub", NX_OPEN_READ, &fd), -EISDIR);
	assert_int_equal(nx_open_beneath(t->dirfd, "hello.txt", NX_OPEN_DIR, &fd), -ENOTDIR);
	assert_int_equal(nx_open_beneath(t->dirfd, "hello.txt", 0, &fd), -EINVAL);
	assert_int_equal(
	        nx_open_beneath(t->dirfd, "hello.txt", NX_OPEN_READ | NX_OPEN_TRUNC, &fd), -EINVAL);
	assert_int_equal(
	        nx_open_beneath(t->dirfd, "x", NX_OPEN_WRITE | NX_OPEN_EXCL, &fd), -EINVAL);
	assert_int_equal(
	        nx_open_beneath(t->dirfd, "sub", NX_OPEN_DIR | NX_OPEN_READ, &fd), -EINVAL);
	assert_int_equal(nx_open_beneath(t->dirfd, "x", 1u << 9, &fd), -EINVAL);
	assert_int_equal(fd, -1);
	/* A directory handle, and "" for the directory itself. */
	assert_int_equal(nx_open_beneath(t->dirfd, "sub", NX_OPEN_DIR, &dir), 0);
	assert_int_equal(nx_open_beneath(dir, "deep.txt", NX_OPEN_READ, &fd), 0);
	nx_fd_close(fd);
	assert_int_equal(nx_open_beneath(dir, "../hello.txt", NX_OPEN_READ, &fd), -EXDEV);
	nx_fd_close(dir);
	assert_int_equal(nx_open_beneath(t->dirfd, "", NX_OPEN_DIR, &dir), 0);
	assert_int_equal(nx_stat_at(dir, "", &st), 0);
	assert_int_equal(st.type, NX_FILE_DIR);
	nx_fd_close(dir);
	fdcheck_assert(before);
}

static void test_entries_at(void **state)
{
	struct tree *t = *state;
	int before = fdcheck_count(), sub;
	struct nx_file_stat st;

	assert_int_equal(nx_stat_at(t->dirfd, "link-up", &st), 0); /* the link, not its target */
	assert_int_equal(st.type, NX_FILE_SYMLINK);
	assert_int_equal(nx_stat_at(t->dirfd, "fifo", &st), 0);
	assert_int_equal(st.type, NX_FILE_OTHER);
	assert_int_equal(nx_stat_at(t->dirfd, "hello.txt", &st), 0);
	assert_int_equal(st.size, 5);
	assert_true(st.mtime_ns > 0);
	assert_int_equal(nx_mkdir_at(t->dirfd, "made"), 0);
	assert_int_equal(nx_mkdir_at(t->dirfd, "made"), -EEXIST);
	assert_int_equal(nx_open_beneath(t->dirfd, "made", NX_OPEN_DIR, &sub), 0);
	assert_int_equal(nx_rename_at(t->dirfd, "hello.txt", sub, "moved.txt", true), 0);
	assert_int_equal(nx_rename_at(t->dirfd, "empty.txt", sub, "moved.txt", true), -EEXIST);
	assert_int_equal(nx_rename_at(t->dirfd, "empty.txt", sub, "moved.txt", false), 0);
	assert_int_equal(nx_stat_at(sub, "moved.txt", &st), 0);
	assert_int_equal(st.size, 0); /* replaced */
	assert_int_equal(nx_remove_at(t->dirfd, "made", true), -ENOTEMPTY);
	assert_int_equal(nx_remove_at(t->dirfd, "made", false), -EISDIR);
	assert_int_equal(nx_remove_at(sub, "moved.txt", false), 0);
	nx_fd_close(sub);
	assert_int_equal(nx_remove_at(t->dirfd, "made", true), 0);
	assert_int_equal(nx_remove_at(t->dirfd, "link-up", false), 0); /* the link only */
	/* Names are one component. */
	static const char *const bad[] = {"", ".", "..", "a/b", "../secret.txt", "/etc"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nx_mkdir_at(t->dirfd, bad[i]), -EINVAL);
		assert_int_equal(nx_remove_at(t->dirfd, bad[i], false), -EINVAL);
		assert_int_equal(nx_rename_at(t->dirfd, bad[i], t->dirfd, "x", false), -EINVAL);
		assert_int_equal(nx_rename_at(t->dirfd, "sub", t->dirfd, bad[i], false), -EINVAL);
		if (*bad[i])
			assert_int_equal(nx_stat_at(t->dirfd, bad[i], &st), -EINVAL);
	}
	fdcheck_assert(before);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_dir_names_usage_clear(void **state)
{
	static const char *const want[] = {
	        "empty.txt", "fifo", "hello.txt", "link-abs", "link-in", "link-up", "sub"};
	struct tree *t = *state;
	int before = fdcheck_count(), sub;
	uint64_t bytes, entries;
	char **names = NULL;
	size_t n = 0;

	assert_int_equal(nx_dir_names(t->dirfd, 7, &names, &n), 0);
	assert_int_equal(n, 7);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	free(names);
	names = NULL;
	assert_int_equal(nx_dir_names(t->dirfd, 6, &names, &n), -EMSGSIZE);
	assert_null(names);
	/* 7 entries + sub/deep.txt; bytes of the regular files only: hello + deep. */
	assert_int_equal(nx_tree_usage(t->dirfd, &bytes, &entries), 0);
	assert_int_equal(entries, 8);
	assert_int_equal(bytes, 5 + 4);
	assert_int_equal(nx_open_beneath(t->dirfd, "sub", NX_OPEN_DIR, &sub), 0);
	assert_int_equal(nx_tree_clear(sub), 0);
	assert_int_equal(nx_tree_usage(t->dirfd, &bytes, &entries), 0);
	assert_int_equal(entries, 7);
	assert_int_equal(nx_tree_clear(t->dirfd), 0);
	assert_int_equal(nx_tree_usage(t->dirfd, &bytes, &entries), 0);
	assert_int_equal(entries, 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(nx_dir_names(t->dirfd, 0, &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);
	/* The link's target outside was not followed into. */
	assert_int_equal(access(t->root, F_OK), 0);
	char path[160];
	snprintf(path, sizeof(path), "%s/secret.txt", t->root);
	assert_int_equal(access(path, F_OK), 0);
	nx_fd_close(sub);
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

/* nx_file_open_read: read-only, close-on-exec; the kernel's errors as they are. */
static void test_open_read(void **state)
{
	int before = fdcheck_count(), fd = -1;
	char c;

	assert_int_equal(nx_file_open_read("/dev/null", &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(read(fd, &c, 1), 0);
	assert_int_equal(write(fd, "x", 1), -1);
	close(fd);
	fd = -7;
	assert_int_equal(nx_file_open_read("/nonexistent/file", &fd), -ENOENT);
	assert_int_equal(fd, -7); /* untouched on failure */
	assert_int_equal(nx_file_open_read(NULL, &fd), -EINVAL);
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
	        cmocka_unit_test_setup_teardown(test_open_beneath, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_entries_at, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dir_names_usage_clear, setup, teardown),
	        cmocka_unit_test(test_open_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
