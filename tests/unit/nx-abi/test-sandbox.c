/* SPDX-License-Identifier: MIT */
/*
 * nx-abi sandbox: each mechanism is applied in a forked child (it is irreversible) which
 * reports through its exit code. A kernel without Landlock or seccomp makes that test
 * skipped, never passed.
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
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/sandbox.h"

#define SKIP 77 /* the child found the mechanism unavailable */

/* As in sandbox.c: sanitizer builds keep ptrace for LeakSanitizer. */
#if defined(__SANITIZE_ADDRESS__)
#define KEEP_PTRACE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP_PTRACE 1
#endif
#endif

/* Runs fn in a child; its exit status (0 = every check held), or -1 if it died. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status, pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool proc_status_has(const char *line)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, line) != NULL;
}

static int errno_of(int r)
{
	return r < 0 ? errno : 0;
}

/* The service profile (nx_sandbox_prepare'd by the parent: it allocates). */
static const struct nx_sandbox seccomp_service = {
        .mechs = (1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_SECCOMP)};

static int seccomp_child(void *arg)
{
	struct nx_sandbox_report rep;
	int fd, sv[2];

	if (nx_sandbox_apply(&seccomp_service, &rep) != 0)
		return 1;
	if (rep.mech[NX_SANDBOX_SECCOMP].status == NX_SANDBOX_UNAVAILABLE)
		return SKIP;
	if (rep.mech[NX_SANDBOX_SECCOMP].status != NX_SANDBOX_APPLIED ||
	        rep.mech[NX_SANDBOX_NO_NEW_PRIVS].status != NX_SANDBOX_APPLIED ||
	        rep.mech[NX_SANDBOX_LANDLOCK].status != NX_SANDBOX_NOT_REQUESTED ||
	        rep.mech[NX_SANDBOX_CLOSE_RANGE].status != NX_SANDBOX_NOT_REQUESTED)
		return 2;
	if (errno_of(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != EPERM)
		return 3;
	if (errno_of(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != EPERM)
		return 4;
	if (errno_of(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0)) != EPERM)
		return 5;
	if (errno_of(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) != EPERM)
		return 6;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 7;
	close(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 8;
	close(sv[0]);
	close(sv[1]);
	/* Root could mount without the filter; anyone gets EPERM with it. */
	if (errno_of(mount("none", "/", "tmpfs", MS_RDONLY, NULL)) != EPERM)
		return 9;
	if (!proc_status_has("NoNewPrivs:\t1") || !proc_status_has("Seccomp:\t2"))
		return 10;
#ifndef KEEP_PTRACE
	if (errno_of((int)ptrace(PTRACE_TRACEME, 0, NULL, NULL)) != EPERM)
		return 11;
#endif
	return 0;
}

static void test_seccomp(void **state)
{
	int before = fdcheck_count(), r;

	assert_int_equal(nx_sandbox_prepare(&seccomp_service), 0);
	r = in_child(seccomp_child, NULL);
	fdcheck_assert(before);
	if (r == SKIP)
		skip(); /* reported as skipped by cmocka */
	assert_int_equal(r, 0);
}

/* A profile never nx_sandbox_prepare'd in this process: building it between fork and exec
 * could deadlock, so apply refuses before it changes anything. */
static void test_seccomp_unprepared(void **state)
{
	struct nx_sandbox p = {
	        .mechs = (1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_SECCOMP),
	        .seccomp_profile = NX_SECCOMP_APP_NET};
	struct nx_sandbox_report rep;

	assert_int_equal(nx_sandbox_apply(&p, &rep), -EINVAL);
	assert_false(proc_status_has("NoNewPrivs:\t1"));
}

struct dirs {
	char root[64], in[96], out[96];
};

static int touch(const char *dir, const char *name, int flags)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int landlock_child(void *arg)
{
	struct dirs *d = arg;
	struct nx_sandbox p = {.mechs = 1u << NX_SANDBOX_LANDLOCK,
	        .paths = {{d->in, NX_SANDBOX_READ | NX_SANDBOX_WRITE}},
	        .npaths = 1};
	struct nx_sandbox_report rep;

	if (nx_sandbox_apply(&p, &rep) != 0)
		return 1;
	if (rep.mech[NX_SANDBOX_LANDLOCK].status == NX_SANDBOX_UNAVAILABLE)
		return SKIP;
	if (rep.mech[NX_SANDBOX_LANDLOCK].status != NX_SANDBOX_APPLIED || rep.landlock_abi < 1)
		return 2;
	if (touch(d->in, "f", O_RDONLY) != 0 || touch(d->in, "new", O_WRONLY | O_CREAT) != 0)
		return 3;
	if (touch(d->out, "f", O_RDONLY) != -EACCES)
		return 4;
	if (touch(d->out, "new", O_WRONLY | O_CREAT) != -EACCES)
		return 5;
	if (touch(d->root, "", O_RDONLY | O_DIRECTORY) != -EACCES)
		return 6;
	return 0;
}

static void test_landlock(void **state)
{
	int before = fdcheck_count(), r;
	struct dirs d;

	snprintf(d.root, sizeof(d.root), "/tmp/nx-sandbox-XXXXXX");
	assert_non_null(mkdtemp(d.root));
	snprintf(d.in, sizeof(d.in), "%s/in", d.root);
	snprintf(d.out, sizeof(d.out), "%s/out", d.root);
	assert_int_equal(mkdir(d.in, 0700), 0);
	assert_int_equal(mkdir(d.out, 0700), 0);
	assert_int_equal(touch(d.in, "f", O_WRONLY | O_CREAT), 0);
	assert_int_equal(touch(d.out, "f", O_WRONLY | O_CREAT), 0);
	r = in_child(landlock_child, &d);
	assert_int_equal(touch(d.out, "new", O_RDONLY), -ENOENT); /* really refused */
	unlink(strcat(strcpy((char[160]){0}, d.in), "/f"));
	unlink(strcat(strcpy((char[160]){0}, d.in), "/new"));
	unlink(strcat(strcpy((char[160]){0}, d.out), "/f"));
	rmdir(d.in);
	rmdir(d.out);
	assert_int_equal(rmdir(d.root), 0);
	fdcheck_assert(before);
	if (r == SKIP)
		skip();
	assert_int_equal(r, 0);
}

/* A path that exists but cannot be opened fails closed; a missing one is skipped. */
static int fail_closed_child(void *arg)
{
	struct nx_sandbox p = {.mechs = 1u << NX_SANDBOX_LANDLOCK,
	        .paths = {{"/nonexistent-nx-sandbox", NX_SANDBOX_READ},
	                {"/proc/self/status/x", NX_SANDBOX_READ}},
	        .npaths = 2};
	struct nx_sandbox_report rep;
	int r = nx_sandbox_apply(&p, &rep);

	if (rep.landlock_abi == 0)
		return SKIP;
	return r == -ENOTDIR ? 0 : 1;
}

static void test_landlock_fails_closed(void **state)
{
	int r = in_child(fail_closed_child, NULL);

	if (r == SKIP)
		skip();
	assert_int_equal(r, 0);
}

static int close_range_child(void *arg)
{
	struct nx_sandbox p = {.mechs = 1u << NX_SANDBOX_CLOSE_RANGE, .keep_fds = 3};
	struct nx_sandbox_report rep;

	if (dup2(1, 9) != 9)
		return 1;
	if (nx_sandbox_apply(&p, &rep) != 0 ||
	        rep.mech[NX_SANDBOX_CLOSE_RANGE].status != NX_SANDBOX_APPLIED)
		return 2;
	if (fcntl(9, F_GETFD) != -1 || errno != EBADF)
		return 3;
	if (fcntl(1, F_GETFD) < 0)
		return 4;
	if (proc_status_has("NoNewPrivs:\t1") || proc_status_has("Seccomp:\t2"))
		return 5; /* only what was asked for */
	return 0;
}

static void test_close_range(void **state)
{
	assert_int_equal(in_child(close_range_child, NULL), 0);
}

/* A directory beneath /tmp granted to the child (bound back into its private /tmp) and a file
 * beside it (not granted: gone in the child's /tmp). */
struct priv_paths {
	char granted[64], other[80];
};

static int privileges_child(void *arg)
{
	const struct priv_paths *pp = arg;
	struct nx_sandbox p = {
	        .mechs = (1u << NX_SANDBOX_RLIMITS) | (1u << NX_SANDBOX_MOUNT_NS) |
	                 (1u << NX_SANDBOX_CAPS) | (1u << NX_SANDBOX_IDENTITY),
	        .paths = {{pp->granted, NX_SANDBOX_READ | NX_SANDBOX_WRITE}},
	        .npaths = 1,
	        .nofile = 64,
	        .nproc = 128,
	        .keep_caps = 1ull << CAP_NET_BIND_SERVICE,
	        .uid = 65534,
	        .gid = 65533,
	};
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	struct nx_sandbox_report rep;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	struct rlimit lim;
	bool root = geteuid() == 0;

	if (nx_sandbox_apply(&p, &rep) != 0)
		return 1;
	if (!root) /* nothing to drop: said, not failed */
		return rep.mech[NX_SANDBOX_IDENTITY].status == NX_SANDBOX_UNAVAILABLE ? SKIP : 2;
	for (int m = NX_SANDBOX_RLIMITS; m <= NX_SANDBOX_IDENTITY; m++)
		if (rep.mech[m].status != NX_SANDBOX_APPLIED)
			return m == NX_SANDBOX_MOUNT_NS ? SKIP
			                                : 3; /* a container without mount ns */
	if (getresuid(&ru, &eu, &su) < 0 || ru != 65534 || eu != 65534 || su != 65534)
		return 4;
	if (getresgid(&rg, &eg, &sg) < 0 || rg != 65533 || eg != 65533 || sg != 65533)
		return 5;
	if (getgroups(0, NULL) != 0)
		return 6;
	if (syscall(SYS_capget, &hdr, data) < 0 ||
	        data[0].effective != 1u << CAP_NET_BIND_SERVICE ||
	        data[0].permitted != data[0].effective ||
	        data[0].inheritable != data[0].effective || data[1].effective ||
	        data[1].permitted || data[1].inheritable)
		return 7;
	if (prctl(PR_CAPBSET_READ, CAP_NET_BIND_SERVICE, 0, 0, 0) != 1 ||
	        prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 ||
	        prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 0)
		return 8;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0) != 1 ||
	        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) != 0)
		return 9;
	if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur != 64 || lim.rlim_max != 64)
		return 10;
	if (getrlimit(RLIMIT_NPROC, &lim) < 0 || lim.rlim_cur != 128 || lim.rlim_max != 128)
		return 11;
	/* The private /tmp: the granted dir is there, its neighbour is not. */
	if (access(pp->granted, F_OK) < 0 || access(pp->other, F_OK) == 0)
		return 12;
	return 0;
}

static void test_privileges(void **state)
{
	struct priv_paths pp;
	int before = fdcheck_count(), fd, r;

	snprintf(pp.granted, sizeof(pp.granted), "/tmp/test-sandbox-XXXXXX");
	assert_non_null(mkdtemp(pp.granted));
	snprintf(pp.other, sizeof(pp.other), "%s.other", pp.granted);
	fd = open(pp.other, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	r = in_child(privileges_child, &pp);
	unlink(pp.other);
	rmdir(pp.granted);
	fdcheck_assert(before);
	if (r == SKIP)
		skip();
	assert_int_equal(r, 0);
}

/* A caller that is not root yet holds capabilities, without CAP_SETPCAP (as execd): the
 * bounding set cannot be dropped (caps reported unavailable), but the child keeps none of
 * the caller's capabilities, ambient ones included. */
static int caps_without_setpcap_child(void *arg)
{
	const uint64_t held = (1ull << CAP_KILL) | (1ull << CAP_SETUID);
	struct nx_sandbox p = {.mechs = 1u << NX_SANDBOX_CAPS};
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {
	        {.effective = held, .permitted = held, .inheritable = held}};
	struct nx_sandbox_report rep;

	if (geteuid() != 0)
		return SKIP; /* setting the scene needs root */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(65534, 65534, 65534) < 0 ||
	        syscall(SYS_capset, &hdr, data) < 0 ||
	        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0) < 0)
		return 1;
	if (nx_sandbox_apply(&p, &rep) != 0)
		return 2;
	if (rep.mech[NX_SANDBOX_CAPS].status != NX_SANDBOX_UNAVAILABLE ||
	        rep.mech[NX_SANDBOX_CAPS].error != -EPERM)
		return 3;
	if (syscall(SYS_capget, &hdr, data) < 0 || data[0].effective || data[0].permitted ||
	        data[0].inheritable || data[1].effective || data[1].permitted)
		return 4;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) != 0)
		return 5;
	return 0;
}

static void test_caps_without_setpcap(void **state)
{
	int r = in_child(caps_without_setpcap_child, NULL);

	if (r == SKIP)
		skip();
	assert_int_equal(r, 0);
}

static void test_cap_names(void **state)
{
	assert_int_equal(nx_sandbox_cap_from_name("CAP_CHOWN"), CAP_CHOWN);
	assert_int_equal(nx_sandbox_cap_from_name("net_bind_service"), CAP_NET_BIND_SERVICE);
	assert_int_equal(nx_sandbox_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(nx_sandbox_cap_from_name("CAP_NOPE"), -EINVAL);
	assert_int_equal(nx_sandbox_cap_from_name(""), -EINVAL);
	assert_int_equal(nx_sandbox_cap_from_name(NULL), -EINVAL);
	assert_string_equal(nx_sandbox_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	assert_null(nx_sandbox_cap_name(-1));
	assert_null(nx_sandbox_cap_name(64));
	assert_string_equal(nx_sandbox_mech_name(NX_SANDBOX_IDENTITY), "uid");
	assert_string_equal(nx_sandbox_mech_name(NX_SANDBOX_MOUNT_NS), "mount_ns");
}

static void test_nothing_requested_and_bad_args(void **state)
{
	struct nx_sandbox p = {.mechs = 0};
	struct nx_sandbox_report rep;

	memset(&rep, 0xff, sizeof(rep));
	assert_int_equal(nx_sandbox_apply(&p, &rep), 0);
	for (int m = 0; m < NX_SANDBOX_MECH_COUNT; m++)
		assert_int_equal(rep.mech[m].status, NX_SANDBOX_NOT_REQUESTED);
	assert_int_equal(nx_sandbox_apply(NULL, &rep), -EINVAL);
	assert_int_equal(nx_sandbox_apply(&p, NULL), -EINVAL);
	p.npaths = NX_SANDBOX_MAX_PATHS + 1;
	assert_int_equal(nx_sandbox_apply(&p, &rep), -EINVAL);
	assert_string_equal(nx_sandbox_mech_name(NX_SANDBOX_SECCOMP), "seccomp");
	assert_null(nx_sandbox_mech_name(NX_SANDBOX_MECH_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_seccomp),
	        cmocka_unit_test(test_seccomp_unprepared),
	        cmocka_unit_test(test_landlock),
	        cmocka_unit_test(test_landlock_fails_closed),
	        cmocka_unit_test(test_close_range),
	        cmocka_unit_test(test_privileges),
	        cmocka_unit_test(test_caps_without_setpcap),
	        cmocka_unit_test(test_cap_names),
	        cmocka_unit_test(test_nothing_requested_and_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
