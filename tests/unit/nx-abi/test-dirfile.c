/* SPDX-License-Identifier: MIT */
/*
 * nx-abi files in an owned directory (dirfile.h): write-synced, rename, remove, list, and a
 * file copied into a sealed VMO; symlinks planted under a name are not followed, the size cap
 * is exact, only regular files become VMOs.
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
#include "nx-abi/dirfile.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"

struct dir {
	char root[64];
	int fd;
	int fds_before;
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	d->fds_before = fdcheck_count();
	snprintf(d->root, sizeof(d->root), "/tmp/nx-dirfile-XXXXXX");
	assert_non_null(mkdtemp(d->root));
	assert_int_equal(nx_dir_open_at(-1, d->root, false, &d->fd), 0);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	nx_fd_close(d->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fdcheck_leaked(d->fds_before, "dirfile"), 0);
	free(d);
	return 0;
}

static int count_names(void *userdata, const char *name)
{
	(*(int *)userdata)++;
	return strcmp(name, "stop") == 0 ? -ECANCELED : 0;
}

static void write_rename_list_remove(void **state)
{
	struct dir *d = *state;
	int sub = -1, n = 0;

	assert_int_equal(nx_dir_open_at(d->fd, "blobs", true, &sub), 0);
	assert_int_equal(nx_file_write(d->fd, "staged", "hello", 5, NX_FILE_WRITEBACK), 0);
	assert_int_equal(nx_fs_sync(d->fd), 0);
	assert_int_equal(nx_dir_sync(d->fd), 0);
	assert_int_equal(nx_file_rename(d->fd, "staged", sub, "final"), 0);
	assert_int_equal(nx_dir_sync(sub), 0);
	assert_int_equal(nx_dir_each(sub, count_names, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nx_file_remove(sub, "final"), 0);
	assert_int_equal(nx_file_remove(sub, "final"), -ENOENT);
	n = 0;
	assert_int_equal(nx_dir_each(sub, count_names, &n), 0);
	assert_int_equal(n, 0);
	/* The callback's error stops the walk and is returned. */
	assert_int_equal(nx_file_write(sub, "stop", "", 0, NX_FILE_SYNC), 0);
	assert_int_equal(nx_dir_each(sub, count_names, &n), -ECANCELED);
	/* Opening without create does not make it. */
	assert_int_equal(nx_dir_open_at(d->fd, "missing", false, &n), -ENOENT);
	nx_fd_close(sub);
}

static void vmo_from_file(void **state)
{
	struct dir *d = *state;
	char back[6] = {0};
	unsigned seals = 0;
	size_t size = 0;
	int vmo = -1;

	assert_int_equal(nx_file_write(d->fd, "blob", "hello", 5, NX_FILE_SYNC), 0);
	assert_int_equal(nx_vmo_from_file(d->fd, "blob", 5, &vmo, &size), 0);
	assert_int_equal(size, 5);
	assert_int_equal(nx_vmo_get_seals(vmo, &seals), 0);
	assert_true(seals & NX_VMO_SEAL_FROZEN);
	assert_int_equal(nx_vmo_read(vmo, 0, back, 5), 0);
	assert_string_equal(back, "hello");
	nx_fd_close(vmo);
	/* One byte over the cap, a directory, a symlink, nothing. */
	assert_int_equal(nx_vmo_from_file(d->fd, "blob", 4, &vmo, &size), -EMSGSIZE);
	assert_int_equal(mkdirat(d->fd, "dir", 0700), 0);
	assert_int_equal(nx_vmo_from_file(d->fd, "dir", 5, &vmo, &size), -EINVAL);
	assert_int_equal(symlinkat("/etc/passwd", d->fd, "link"), 0);
	assert_int_equal(nx_vmo_from_file(d->fd, "link", 1 << 20, &vmo, &size), -ELOOP);
	assert_int_equal(nx_file_write(d->fd, "link", "x", 1, NX_FILE_SYNC), -ELOOP);
	assert_int_equal(nx_vmo_from_file(d->fd, "none", 5, &vmo, &size), -ENOENT);
	/* An empty file is an empty VMO. */
	assert_int_equal(nx_file_write(d->fd, "empty", NULL, 0, NX_FILE_SYNC), 0);
	assert_int_equal(nx_vmo_from_file(d->fd, "empty", 5, &vmo, &size), 0);
	assert_int_equal(size, 0);
	nx_fd_close(vmo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(write_rename_list_remove, setup, teardown),
	        cmocka_unit_test_setup_teardown(vmo_from_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
