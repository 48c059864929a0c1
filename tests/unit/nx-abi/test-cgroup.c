/* SPDX-License-Identifier: MIT */
/*
 * nx-abi cgroup. Two meson tests run this program:
 *   nx-abi-cgroup       the base is found exactly when the machine has one (an oracle read
 *                       from /proc/self/mounts: no cgroup2 mount, or its root without the
 *                       memory or pids controller, must give -ENODEV), names are checked,
 *                       a failed create leaves nothing, remove is idempotent, and against
 *                       a stand-in directory: limits written, a busy group refused, the
 *                       spawned child joining through the fd;
 *   nx-abi-cgroup-live  ("live") a group with limits on a machine where the controllers are
 *                       delegated: confine-probe joins it through nx_spawn and its fork loop
 *                       stops at pids.max; the group is removed after. Where there is no
 *                       usable base it exits 77: meson reports it skipped, not passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/cgroup.h"
#include "nx-abi/spawn.h"

#define LIVE_PIDS_MAX 8u

/* The cgroup2 mount's root lists both controllers (read independently of cgroup.c). */
static bool v2_root_has_controllers(void)
{
	char dev[256], dir[4096], type[64], path[4200], list[4096] = "";
	bool found = false;
	FILE *m = fopen("/proc/self/mounts", "re"), *c;

	assert_non_null(m);
	while (!found && fscanf(m, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		found = strcmp(type, "cgroup2") == 0;
	fclose(m);
	if (!found)
		return false;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	c = fopen(path, "re");
	if (!c)
		return false;
	if (!fgets(list, sizeof(list), c))
		list[0] = '\0';
	fclose(c);
	return strstr(list, "memory") && strstr(list, "pids");
}

static void test_base_matches_machine(void **state)
{
	int before = fdcheck_count(), fd = -1, r;

	r = nx_cgroup_base_open(&fd);
	if (!v2_root_has_controllers()) {
		assert_int_equal(r, -ENODEV); /* here: cgroup v1 and an empty unified hierarchy */
		assert_int_equal(fd, -1);
	} else if (r == 0) {
		close(fd);
	} else {
		assert_true(r == -ENODEV || r == -EBUSY); /* not delegated to us */
	}
	assert_int_equal(nx_cgroup_base_open(NULL), -EINVAL);
	fdcheck_assert(before);
}

static void test_names_and_cleanup(void **state)
{
	struct nx_cgroup_limits limits = {.memory_max = 1u << 20, .pids_max = 4};
	char dir[] = "/tmp/nx-cgroup-XXXXXX", longest[NX_CGROUP_NAME_MAX + 2];
	int before = fdcheck_count(), base, fd = -1;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	base = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(base >= 0);
	assert_int_equal(nx_cgroup_create(base, "", &limits, &fd), -EINVAL);
	assert_int_equal(nx_cgroup_create(base, "a/b", &limits, &fd), -EINVAL);
	assert_int_equal(nx_cgroup_create(base, "..", &limits, &fd), -EINVAL);
	memset(longest, 'g', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0'; /* NX_CGROUP_NAME_MAX + 1 bytes */
	assert_int_equal(nx_cgroup_create(base, longest, &limits, &fd), -EINVAL);
	longest[NX_CGROUP_NAME_MAX] = '\0';
	/* A valid name in a directory that is no cgroup: memory.max does not exist, and the
	 * directory made for it is gone again. */
	assert_int_equal(nx_cgroup_create(base, longest, &limits, &fd), -ENOENT);
	assert_int_equal(fd, -1);
	assert_int_equal(fstatat(base, longest, &st, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(nx_cgroup_remove(base, "absent"), 0);
	assert_int_equal(mkdirat(base, "empty", 0700), 0);
	assert_int_equal(nx_cgroup_remove(base, "empty"), 0);
	assert_int_equal(nx_cgroup_remove(base, "empty"), 0);
	assert_int_equal(nx_cgroup_remove(base, "../x"), -EINVAL);
	close(base);
	assert_int_equal(rmdir(dir), 0);
	fdcheck_assert(before);
}

/* A file's contents (at most size - 1 bytes) into buf. */
static void slurp(int dir, const char *name, char *buf, size_t size)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

static void put_file(int dir, const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Where no cgroup v2 is delegated the rest still runs against a stand-in: a directory with
 * the files of an existing group. create reuses it when cgroup.procs is empty and writes the
 * limits ("max" for 0); it refuses one that holds processes; and nx_spawn hands the group
 * to the child, which writes "0" into its cgroup.procs before exec. */
static void test_existing_group_stand_in(void **state)
{
	struct nx_cgroup_limits limits = {.memory_max = 256u << 20, .pids_max = 0};
	char dir[] = "/tmp/nx-cgroup-XXXXXX", text[64], out[64];
	char *argv[] = {"confine-probe", "pid", NULL};
	struct nx_sandbox box = {.mechs = 1u << NX_SANDBOX_CGROUP};
	struct nx_spawn spec = {.binary = CONFINE_PROBE, .argv = argv, .sandbox = &box};
	int before = fdcheck_count(), base, sub, group = -1, out_pipe[2], status;
	struct nx_spawned child;
	bool signaled;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	base = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(base >= 0);
	assert_int_equal(mkdirat(base, "app", 0700), 0);
	sub = openat(base, "app", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sub >= 0);
	put_file(sub, "memory.max", "");
	put_file(sub, "pids.max", "");
	put_file(sub, "cgroup.procs", "1234\n");
	assert_int_equal(nx_cgroup_create(base, "app", &limits, &group), -EBUSY);
	assert_int_equal(group, -1);
	put_file(sub, "cgroup.procs", "");
	assert_int_equal(nx_cgroup_create(base, "app", &limits, &group), 0);
	slurp(sub, "memory.max", text, sizeof(text));
	assert_string_equal(text, "268435456");
	slurp(sub, "pids.max", text, sizeof(text));
	assert_string_equal(text, "max");
	/* The child joins through the fd, whatever its number in the parent. */
	box.cgroup_fd = group;
	assert_int_equal(pipe2(out_pipe, O_CLOEXEC), 0);
	spec.fds[0] = (struct nx_spawn_fd){1, out_pipe[1]};
	spec.nfds = 1;
	assert_int_equal(nx_spawn(&spec, &child), 0);
	close(out_pipe[1]);
	n = read(out_pipe[0], out, sizeof(out) - 1);
	close(out_pipe[0]);
	assert_true(n > 0);
	assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
	assert_int_equal(status, 0);
	close(child.pidfd);
	assert_int_equal(child.sandbox.mech[NX_SANDBOX_CGROUP].status, NX_SANDBOX_APPLIED);
	slurp(sub, "cgroup.procs", text, sizeof(text));
	assert_string_equal(text, "0");
	close(group);
	close(sub);
	assert_int_equal(unlinkat(base, "app/memory.max", 0), 0);
	assert_int_equal(unlinkat(base, "app/pids.max", 0), 0);
	assert_int_equal(unlinkat(base, "app/cgroup.procs", 0), 0);
	assert_int_equal(nx_cgroup_remove(base, "app"), 0);
	close(base);
	assert_int_equal(rmdir(dir), 0);
	fdcheck_assert(before);
}

/* A cgroup asked for without a group fd: the caller's mistake, no child. */
static void test_spawn_without_group_fd(void **state)
{
	struct nx_sandbox box = {.mechs = 1u << NX_SANDBOX_CGROUP, .cgroup_fd = -1};
	struct nx_spawn spec = {.binary = CONFINE_PROBE, .sandbox = &box};
	struct nx_spawned child;

	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
}

/* ---- live ---- */

static int live_base = -1;

static void test_live_pids_max(void **state)
{
	struct nx_cgroup_limits limits = {.memory_max = 256u << 20, .pids_max = LIVE_PIDS_MAX};
	char name[32], out[64];
	char *argv[] = {"confine-probe", "fork-bomb", NULL};
	struct nx_sandbox box = {.mechs = 1u << NX_SANDBOX_CGROUP};
	struct nx_spawn spec = {.binary = CONFINE_PROBE, .argv = argv, .sandbox = &box};
	struct nx_spawned child;
	unsigned err = 0, forked = 0;
	int group, out_pipe[2], status;
	bool signaled;
	ssize_t n;

	snprintf(name, sizeof(name), "nx-test-%d", (int)getpid());
	assert_int_equal(nx_cgroup_create(live_base, name, &limits, &group), 0);
	box.cgroup_fd = group;
	assert_int_equal(pipe2(out_pipe, O_CLOEXEC), 0);
	spec.fds[0] = (struct nx_spawn_fd){1, out_pipe[1]};
	spec.nfds = 1;
	assert_int_equal(nx_spawn(&spec, &child), 0);
	close(out_pipe[1]);
	assert_int_equal(child.sandbox.mech[NX_SANDBOX_CGROUP].status, NX_SANDBOX_APPLIED);
	n = read(out_pipe[0], out, sizeof(out) - 1);
	close(out_pipe[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
	close(child.pidfd);
	assert_int_equal(sscanf(out, "fork-bomb %u %u", &err, &forked), 2);
	assert_int_equal(err, EAGAIN);
	assert_true(forked < LIVE_PIDS_MAX);
	close(group);
	assert_int_equal(nx_cgroup_remove(live_base, name), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest always[] = {
	        cmocka_unit_test(test_base_matches_machine),
	        cmocka_unit_test(test_names_and_cleanup),
	        cmocka_unit_test(test_existing_group_stand_in),
	        cmocka_unit_test(test_spawn_without_group_fd),
	};
	const struct CMUnitTest live[] = {
	        cmocka_unit_test(test_live_pids_max),
	};
	int r;

	if (argc < 2 || strcmp(argv[1], "live") != 0)
		return cmocka_run_group_tests(always, NULL, NULL);
	r = nx_cgroup_base_open(&live_base);
	if (r < 0) {
		fprintf(stderr, "no usable cgroup v2 base (%s): skipped\n", strerror(-r));
		return 77;
	}
	r = cmocka_run_group_tests(live, NULL, NULL);
	close(live_base);
	return r;
}
