/* SPDX-License-Identifier: MIT */
/*
 * nx-abi confinement of an app, through nx_spawn as execd uses it: the seccomp app profiles,
 * each namespace, the user namespace's 1:1 map, RLIMIT_AS and RLIMIT_NPROC, exec from a
 * sealed memfd (a binary and a script), a Landlock ruleset that holds only the loader and
 * the libraries, and the one-line summary of a report. The confined program is
 * confine-probe (CONFINE_PROBE; CONFINE_PROBE_PLAIN is the same program without sanitizers,
 * for RLIMIT_AS: AddressSanitizer reserves terabytes of address space at start and cannot
 * run under any useful RLIMIT_AS).
 *
 * Needs root (as CI runs it): namespaces but the user one, another uid, mount's ENODEV
 * baseline. Without root the whole program says so and exits 77, which meson reports as
 * skipped. Each test first shows the probe succeeds unconfined, so a probe that always
 * fails cannot pass for a sandbox that works.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/spawn.h"

#define MECH(m)    (1u << NX_SANDBOX_##m)
#define EPERM_TEXT "1"

/* uids no other test uses: RLIMIT_NPROC counts every process of the uid. */
#define APP_UID   61234u
#define BOMB_UID  61235u
#define NPROC_CAP 8u

static void read_closed(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

/* Runs the program (binary, or exec_fd when binary is NULL) with argv under `box` (NULL:
 * none), stdout on a pipe into out; waits for it to exit 0. *ret_report: what it applied. */
static void run(const char *binary, int exec_fd, char *const argv[], const struct nx_sandbox *box,
        char *out, size_t size, struct nx_sandbox_report *ret_report)
{
	struct nx_spawn spec = {.binary = binary, .exec_fd = exec_fd, .argv = argv, .sandbox = box};
	struct nx_spawned child;
	int out_pipe[2], status;
	bool signaled;

	assert_int_equal(pipe2(out_pipe, O_CLOEXEC), 0);
	spec.fds[0] = (struct nx_spawn_fd){1, out_pipe[1]};
	spec.nfds = 1;
	assert_int_equal(nx_spawn(&spec, &child), 0);
	close(out_pipe[1]);
	read_closed(out_pipe[0], out, size);
	assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
	assert_false(signaled);
	assert_int_equal(status, 0);
	close(child.pidfd);
	if (ret_report)
		*ret_report = child.sandbox;
}

/* The probe's one line for `what` [arg] under box. */
static void probe(const struct nx_sandbox *box, const char *what, const char *arg, char *out,
        size_t size, struct nx_sandbox_report *ret_report)
{
	char *argv[] = {"confine-probe", (char *)what, (char *)arg, NULL};

	run(CONFINE_PROBE, -1, argv, box, out, size, ret_report);
}

static void assert_probe(
        const struct nx_sandbox *box, const char *what, const char *arg, const char *expected)
{
	char out[512];

	probe(box, what, arg, out, sizeof(out), NULL);
	assert_string_equal(out, expected);
}

static void assert_summary(const struct nx_sandbox_report *report, const char *expected)
{
	char line[NX_SANDBOX_SUMMARY_MAX];

	assert_true(nx_sandbox_report_format(report, line, sizeof(line)) > 0);
	assert_string_equal(line, expected);
}

static struct nx_sandbox seccomp_box(enum nx_seccomp_profile profile)
{
	return (struct nx_sandbox){
	        .mechs = MECH(NO_NEW_PRIVS) | MECH(SECCOMP), .seccomp_profile = profile};
}

/* APP: only AF_UNIX sockets; ptrace (TRACEME, SEIZE), mount, keyctl, unshare refused. */
static void test_seccomp_app(void **state)
{
	struct nx_sandbox box = seccomp_box(NX_SECCOMP_APP);
	struct nx_sandbox_report report;
	int before = fdcheck_count();
	char out[64];

	assert_probe(NULL, "inet", NULL, "inet 0\n");
	assert_probe(NULL, "mount", NULL, "mount 19\n"); /* ENODEV: root may mount */
	assert_probe(NULL, "ptrace", NULL, "ptrace 0 0\n");
	assert_probe(NULL, "unshare", NULL, "unshare 0\n");
	probe(&box, "inet", NULL, out, sizeof(out), &report);
	assert_string_equal(out, "inet " EPERM_TEXT "\n");
	assert_int_equal(report.mech[NX_SANDBOX_SECCOMP].status, NX_SANDBOX_APPLIED);
	assert_int_equal(report.seccomp_profile, NX_SECCOMP_APP);
	assert_summary(&report, "no_new_privs,seccomp:app");
	assert_probe(&box, "inet6", NULL, "inet6 " EPERM_TEXT "\n");
	assert_probe(&box, "unix", NULL, "unix 0\n");
	assert_probe(&box, "ptrace", NULL, "ptrace " EPERM_TEXT " " EPERM_TEXT "\n");
	assert_probe(&box, "mount", NULL, "mount " EPERM_TEXT "\n");
	assert_probe(&box, "keyctl", NULL, "keyctl " EPERM_TEXT "\n");
	assert_probe(&box, "unshare", NULL, "unshare " EPERM_TEXT "\n");
	fdcheck_assert(before);
}

/* The rest of APP's list, each against its unconfined result first where that differs. */
static void test_seccomp_app_more(void **state)
{
	struct nx_sandbox box = seccomp_box(NX_SECCOMP_APP);
	char out[64];

	assert_probe(NULL, "clone-newuts", NULL, "clone-newuts 0\n");
	assert_probe(&box, "clone-newuts", NULL, "clone-newuts " EPERM_TEXT "\n");
	assert_probe(NULL, "clone3", NULL, "clone3 0\n");
	assert_probe(&box, "clone3", NULL, "clone3 38\n"); /* ENOSYS: libc falls back */
	assert_probe(NULL, "inet-hi", NULL, "inet-hi 0\n");
	assert_probe(&box, "inet-hi", NULL, "inet-hi " EPERM_TEXT "\n");
	assert_probe(NULL, "personality", NULL, "personality 0 0\n");
	assert_probe(&box, "personality", NULL, "personality " EPERM_TEXT " 0\n");
	assert_probe(&box, "bpf", NULL, "bpf " EPERM_TEXT "\n");
	assert_probe(&box, "io_uring", NULL, "io_uring " EPERM_TEXT "\n");
	probe(&box, "x32", NULL, out, sizeof(out), NULL);
	assert_true(strcmp(out, "x32 " EPERM_TEXT "\n") == 0 || strcmp(out, "x32 -\n") == 0);
}

/* A listening socket file beside the test (the probe connects; nobody accepts). */
static int listener(char *path, size_t size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(path, size, "/tmp/test-confine-%d.sock", (int)getpid());
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* APP: no connect() to a socket file (the door samgr.sock is for local users); APP_NET
 * keeps connect() for its network sockets. */
static void test_seccomp_app_connect(void **state)
{
	struct nx_sandbox app = seccomp_box(NX_SECCOMP_APP), net = seccomp_box(NX_SECCOMP_APP_NET);
	int before = fdcheck_count(), fd;
	char path[64];

	fd = listener(path, sizeof(path));
	assert_probe(NULL, "connect", path, "connect 0\n");
	assert_probe(&app, "connect", path, "connect " EPERM_TEXT "\n");
	assert_probe(&net, "connect", path, "connect 0\n");
	close(fd);
	unlink(path);
	fdcheck_assert(before);
}

/* APP_NET: APP with AF_INET and AF_INET6 allowed; the rest as strict. */
static void test_seccomp_app_net(void **state)
{
	struct nx_sandbox box = seccomp_box(NX_SECCOMP_APP_NET);
	struct nx_sandbox_report report;
	char out[64];

	probe(&box, "inet", NULL, out, sizeof(out), &report);
	assert_string_equal(out, "inet 0\n");
	assert_summary(&report, "no_new_privs,seccomp:app_net");
	probe(&box, "inet6", NULL, out, sizeof(out), NULL);
	assert_string_not_equal(out, "inet6 " EPERM_TEXT "\n"); /* 0, or EAFNOSUPPORT */
	assert_probe(&box, "keyctl", NULL, "keyctl " EPERM_TEXT "\n");
	assert_probe(&box, "mount", NULL, "mount " EPERM_TEXT "\n");
}

/* The service profile still refuses AF_INET but allows what apps may not (unshare). */
static void test_seccomp_service_unchanged(void **state)
{
	struct nx_sandbox box = seccomp_box(NX_SECCOMP_SERVICE);
	struct nx_sandbox_report report;
	char out[64];

	probe(&box, "inet", NULL, out, sizeof(out), &report);
	assert_string_equal(out, "inet " EPERM_TEXT "\n");
	assert_summary(&report, "no_new_privs,seccomp");
	/* An int argument with garbage above bit 31 is still AF_INET to the kernel. */
	assert_probe(&box, "inet-hi", NULL, "inet-hi " EPERM_TEXT "\n");
	assert_probe(&box, "unshare", NULL, "unshare 0\n");
	assert_probe(&box, "mount", NULL, "mount " EPERM_TEXT "\n");
	assert_probe(&box, "netlink", NULL, "netlink " EPERM_TEXT "\n");
}

/* SERVICE_NET: IP and netlink sockets for a service that talks to the network itself;
 * raw link-layer sockets and garbage-laden families still refused, and nothing of the app
 * list added (unshare works as under SERVICE). */
static void test_seccomp_service_net(void **state)
{
	struct nx_sandbox box = seccomp_box(NX_SECCOMP_SERVICE_NET);
	struct nx_sandbox_report report;
	char out[64];

	assert_probe(NULL, "packet", NULL, "packet 0\n"); /* root may open one */
	probe(&box, "inet", NULL, out, sizeof(out), &report);
	assert_string_equal(out, "inet 0\n");
	assert_summary(&report, "no_new_privs,seccomp:service_net");
	assert_probe(&box, "netlink", NULL, "netlink 0\n");
	assert_probe(&box, "packet", NULL, "packet " EPERM_TEXT "\n");
	assert_probe(&box, "inet-hi", NULL, "inet-hi " EPERM_TEXT "\n");
	assert_probe(&box, "mount", NULL, "mount " EPERM_TEXT "\n");
	assert_probe(&box, "unshare", NULL, "unshare 0\n");
}

static const struct nx_sandbox ns_box = {
        .mechs = MECH(NAMESPACES),
        .ns_flags = NX_NS_MOUNT | NX_NS_PID | NX_NS_NET | NX_NS_IPC | NX_NS_UTS,
};

/* pid 1 of its pid namespace, only lo in its net namespace, a hostname of its own. */
static void test_namespaces(void **state)
{
	struct nx_sandbox_report report;
	char out[512], ours[256] = "", after[256] = "", name[64], expect[128], self[32] = "";
	int before = fdcheck_count();

	probe(NULL, "pid", NULL, out, sizeof(out), NULL);
	assert_string_not_equal(out, "pid 1\n");
	probe(NULL, "ifaces", NULL, out, sizeof(out), NULL);
	assert_string_not_equal(out, "ifaces lo\n"); /* this machine has more than lo */
	probe(&ns_box, "pid", NULL, out, sizeof(out), &report);
	assert_string_equal(out, "pid 1\n");
	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++)
		assert_int_equal(report.ns[i].status,
		        i == NX_SANDBOX_NS_USER ? NX_SANDBOX_NOT_REQUESTED : NX_SANDBOX_APPLIED);
	assert_int_equal(report.mech[NX_SANDBOX_NAMESPACES].status, NX_SANDBOX_APPLIED);
	assert_summary(&report, "ns:mnt+pid+net+ipc+uts");
	assert_probe(&ns_box, "ifaces", NULL, "ifaces lo\n");
	/* Its /proc is its pid namespace's; ours, which it must not have mounted over, still
	 * ours. */
	probe(&ns_box, "file", "/proc/self/stat", out, sizeof(out), NULL);
	assert_memory_equal(out, "file 1 (", 8);
	assert_true(readlink("/proc/self", self, sizeof(self) - 1) > 0);
	assert_int_equal(atoi(self), (int)getpid());
	assert_int_equal(gethostname(ours, sizeof(ours) - 1), 0);
	snprintf(name, sizeof(name), "nx-confine-%d", (int)getpid());
	snprintf(expect, sizeof(expect), "hostname 0 %s\n", name);
	probe(&ns_box, "hostname", name, out, sizeof(out), NULL);
	assert_string_equal(out, expect);
	assert_int_equal(gethostname(after, sizeof(after) - 1), 0);
	assert_string_equal(after, ours); /* invisible outside */
	fdcheck_assert(before);
}

/* The user namespace comes after the uid: the app's uid and gid map to themselves, nothing
 * else exists inside, setgroups is denied, no supplementary group is left. */
static void test_user_namespace(void **state)
{
	struct nx_sandbox box = {
	        .mechs = MECH(NAMESPACES) | MECH(IDENTITY) | MECH(CAPS),
	        .ns_flags = NX_NS_USER | NX_NS_PID,
	        .uid = APP_UID,
	        .gid = APP_UID,
	};
	struct nx_sandbox_report report;
	unsigned inside, outside, count;
	char out[256];

	probe(&box, "ids", NULL, out, sizeof(out), &report);
	assert_string_equal(out, "ids 61234 61234 0\n");
	assert_int_equal(report.ns[NX_SANDBOX_NS_USER].status, NX_SANDBOX_APPLIED);
	assert_summary(&report, "caps,uid,ns:user+pid");
	probe(&box, "file", "/proc/self/uid_map", out, sizeof(out), NULL);
	assert_int_equal(sscanf(out, "file %u %u %u", &inside, &outside, &count), 3);
	assert_int_equal(inside, APP_UID);
	assert_int_equal(outside, APP_UID);
	assert_int_equal(count, 1);
	assert_probe(&box, "file", "/proc/self/setgroups", "file deny\n");
	/* Without it, the map is the whole range of the initial namespace. */
	probe(NULL, "file", "/proc/self/uid_map", out, sizeof(out), NULL);
	assert_int_equal(sscanf(out, "file %u %u %u", &inside, &outside, &count), 3);
	assert_int_equal(count, 4294967295u);
}

/* nx_sandbox_apply alone cannot make its caller pid 1: UNAVAILABLE, -ECHILD; it unshares
 * the others itself. */
static void test_namespaces_without_spawn(void **state)
{
	struct nx_sandbox box = {.mechs = MECH(NAMESPACES), .ns_flags = NX_NS_PID | NX_NS_UTS};
	struct nx_sandbox_report report;
	int status, pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (nx_sandbox_apply(&box, &report) != 0)
			_exit(1);
		if (report.ns[NX_SANDBOX_NS_PID].status != NX_SANDBOX_UNAVAILABLE ||
		        report.ns[NX_SANDBOX_NS_PID].error != -ECHILD)
			_exit(2);
		if (report.ns[NX_SANDBOX_NS_UTS].status != NX_SANDBOX_APPLIED)
			_exit(3);
		if (report.mech[NX_SANDBOX_NAMESPACES].status != NX_SANDBOX_UNAVAILABLE ||
		        report.mech[NX_SANDBOX_NAMESPACES].error != -ECHILD)
			_exit(4);
		_exit(sethostname("nx-confine-alone", 16) == 0 ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A sealed memfd holding the file at path. */
static int memfd_of(const char *path)
{
	int in = open(path, O_RDONLY | O_CLOEXEC),
	    fd = memfd_create("app", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char buf[65536];
	ssize_t n;

	assert_true(in >= 0 && fd >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(fd, buf, (size_t)n), n);
	close(in);
	assert_int_equal(
	        fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
	        0);
	return fd;
}

static int memfd_text(const char *text)
{
	int fd = memfd_create("script", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

/* What an unprivileged caller gets: the clone with pid and net namespaces is refused
 * (EPERM), the child comes without them and says so; the user namespace it still makes on
 * its own. Runs in a child of ours that dropped root (the program comes from a memfd made
 * before, so the path of the build tree does not matter). */
static int unprivileged_child(int program)
{
	struct nx_sandbox box = {
	        .mechs = MECH(NAMESPACES), .ns_flags = NX_NS_USER | NX_NS_PID | NX_NS_NET};
	char *argv[] = {"confine-probe", "pid", NULL};
	struct nx_spawn spec = {.exec_fd = program, .argv = argv, .sandbox = &box};
	struct nx_spawned child;
	int out[2], status;
	bool signaled;
	char text[64];

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	        setresuid(65534, 65534, 65534) < 0)
		return 1;
	if (pipe2(out, O_CLOEXEC) < 0)
		return 2;
	spec.fds[0] = (struct nx_spawn_fd){1, out[1]};
	spec.nfds = 1;
	if (nx_spawn(&spec, &child) != 0)
		return 3;
	close(out[1]);
	read_closed(out[0], text, sizeof(text));
	if (nx_process_wait(child.pidfd, true, &status, &signaled) != 0 || signaled || status)
		return 4;
	if (strncmp(text, "pid ", 4) != 0 || strcmp(text, "pid 1\n") == 0)
		return 5;
	if (child.sandbox.ns[NX_SANDBOX_NS_PID].status != NX_SANDBOX_UNAVAILABLE ||
	        child.sandbox.ns[NX_SANDBOX_NS_PID].error != -EPERM ||
	        child.sandbox.ns[NX_SANDBOX_NS_NET].status != NX_SANDBOX_UNAVAILABLE ||
	        child.sandbox.ns[NX_SANDBOX_NS_NET].error != -EPERM)
		return 6;
	if (child.sandbox.ns[NX_SANDBOX_NS_USER].status != NX_SANDBOX_APPLIED ||
	        child.sandbox.mech[NX_SANDBOX_NAMESPACES].status != NX_SANDBOX_UNAVAILABLE)
		return 7;
	return 0;
}

static void test_namespaces_refused_unprivileged(void **state)
{
	int before = fdcheck_count(), program = memfd_of(CONFINE_PROBE), status, pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(unprivileged_child(program));
	close(program);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fdcheck_assert(before);
}

/* RLIMIT_AS stops a big allocation and lets a small one through. */
static void test_rlimit_as(void **state)
{
	struct nx_sandbox box = {.mechs = MECH(RLIMITS), .as_bytes = 256u << 20};
	char *big[] = {"confine-probe", "malloc", "1073741824", NULL};
	char *small[] = {"confine-probe", "malloc", "16777216", NULL};
	char out[64];

	run(CONFINE_PROBE_PLAIN, -1, big, NULL, out, sizeof(out), NULL);
	assert_string_equal(out, "malloc 0\n");
	run(CONFINE_PROBE_PLAIN, -1, big, &box, out, sizeof(out), NULL);
	assert_string_equal(out, "malloc 12\n");
	run(CONFINE_PROBE_PLAIN, -1, small, &box, out, sizeof(out), NULL);
	assert_string_equal(out, "malloc 0\n");
}

/* RLIMIT_NPROC (for a uid of its own: root is exempt) stops a fork loop with EAGAIN. */
static void test_rlimit_nproc(void **state)
{
	struct nx_sandbox box = {
	        .mechs = MECH(RLIMITS) | MECH(IDENTITY),
	        .nproc = NPROC_CAP,
	        .uid = BOMB_UID,
	        .gid = BOMB_UID,
	};
	unsigned forked = 0, err = 0;
	char out[64];

	probe(&box, "fork-bomb", NULL, out, sizeof(out), NULL);
	assert_int_equal(sscanf(out, "fork-bomb %u %u", &err, &forked), 2);
	assert_int_equal(err, EAGAIN);
	assert_true(forked < NPROC_CAP);
}

/* The Landlock ruleset of an app that has only its program (a memfd, which no rule can
 * name) and the loader and libraries (plus /proc/self, which the sanitizer runtime reads). */
static const struct nx_sandbox loader_only = {
        .mechs = MECH(NO_NEW_PRIVS) | MECH(LANDLOCK),
        .paths = {{"/usr", NX_SANDBOX_EXEC}, {"/lib", NX_SANDBOX_EXEC}, {"/lib64", NX_SANDBOX_EXEC},
                {"/etc/ld.so.cache", NX_SANDBOX_READ}, {"/proc/self", NX_SANDBOX_READ}},
        .npaths = 5,
};

static void test_exec_from_memfd(void **state)
{
	char *pid_argv[] = {"confine-probe", "pid", NULL};
	char *script_argv[] = {"hello-script", "x", NULL};
	struct nx_sandbox_report report;
	int before = fdcheck_count(), fd;
	char out[128];

	fd = memfd_of(CONFINE_PROBE);
	run(NULL, fd, pid_argv, NULL, out, sizeof(out), NULL);
	assert_memory_equal(out, "pid ", 4);
	run(NULL, fd, pid_argv, &ns_box, out, sizeof(out), NULL);
	assert_string_equal(out, "pid 1\n");
	run(NULL, fd, pid_argv, &loader_only, out, sizeof(out), &report);
	assert_memory_equal(out, "pid ", 4);
	assert_int_equal(report.mech[NX_SANDBOX_LANDLOCK].status, NX_SANDBOX_APPLIED);
	close(fd);
	fd = memfd_text("#!/bin/sh\necho script-ran \"$1\"\n");
	run(NULL, fd, script_argv, &loader_only, out, sizeof(out), NULL);
	assert_string_equal(out, "script-ran x\n");
	close(fd);
	fdcheck_assert(before);
}

/* Only the loader and the libraries: nothing writable, nothing else readable. */
static void test_landlock_loader_only(void **state)
{
	char *shadow[] = {"confine-probe", "open", "/etc/shadow", NULL};
	char *tmp[] = {"confine-probe", "create", "/tmp", NULL};
	int before = fdcheck_count(), fd;
	char out[128];

	fd = memfd_of(CONFINE_PROBE);
	run(NULL, fd, shadow, NULL, out, sizeof(out), NULL);
	assert_string_equal(out, "open 0\n"); /* root reads it unconfined */
	run(NULL, fd, tmp, NULL, out, sizeof(out), NULL);
	assert_string_equal(out, "create 0\n");
	run(NULL, fd, shadow, &loader_only, out, sizeof(out), NULL);
	assert_string_equal(out, "open 13\n"); /* EACCES */
	run(NULL, fd, tmp, &loader_only, out, sizeof(out), NULL);
	assert_string_equal(out, "create 13\n");
	close(fd);
	fdcheck_assert(before);
}

/* exec_fd without argv, or neither binary nor exec_fd: the caller's mistake. */
static void test_bad_exec_fd(void **state)
{
	struct nx_spawn spec = {.binary = NULL, .exec_fd = 0};
	struct nx_spawned child;

	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
	spec.exec_fd = -1;
	spec.argv = (char *[]){"x", NULL};
	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
}

static void test_report_format(void **state)
{
	struct nx_sandbox_report all;
	char line[NX_SANDBOX_SUMMARY_MAX], tiny[8];
	int n;

	memset(&all, 0, sizeof(all));
	assert_summary(&all, "-");
	for (int m = 0; m < NX_SANDBOX_MECH_COUNT; m++)
		all.mech[m].status = NX_SANDBOX_APPLIED;
	for (int i = 0; i < NX_SANDBOX_NS_COUNT; i++)
		all.ns[i].status = NX_SANDBOX_APPLIED;
	all.seccomp_profile = NX_SECCOMP_APP_NET;
	n = nx_sandbox_report_format(&all, line, sizeof(line));
	assert_string_equal(line, "no_new_privs,landlock,seccomp:app_net,close_range,rlimits,"
	                          "mount_ns,caps,uid,ns:user+mnt+pid+net+ipc+uts,cgroup");
	assert_int_equal(n, (int)strlen(line));
	/* Everything applied fits NX_SANDBOX_SUMMARY_MAX whatever the profile's name. */
	for (int p = 0; p < NX_SECCOMP_PROFILE_COUNT; p++) {
		all.seccomp_profile = p;
		n = nx_sandbox_report_format(&all, line, sizeof(line));
		assert_true(n > 0 && (size_t)n < NX_SANDBOX_SUMMARY_MAX);
	}
	assert_int_equal(nx_sandbox_report_format(&all, tiny, sizeof(tiny)), -ENOBUFS);
	assert_string_equal(tiny, "no_new_");
	/* A namespace made while another was refused still shows. */
	memset(&all, 0, sizeof(all));
	all.mech[NX_SANDBOX_NAMESPACES].status = NX_SANDBOX_UNAVAILABLE;
	all.ns[NX_SANDBOX_NS_PID].status = NX_SANDBOX_APPLIED;
	all.ns[NX_SANDBOX_NS_USER].status = NX_SANDBOX_UNAVAILABLE;
	assert_summary(&all, "ns:pid");
	assert_int_equal(nx_sandbox_report_format(NULL, line, sizeof(line)), -EINVAL);
}

static void test_names(void **state)
{
	enum nx_seccomp_profile p = NX_SECCOMP_SERVICE;

	assert_string_equal(nx_sandbox_mech_name(NX_SANDBOX_NAMESPACES), "ns");
	assert_string_equal(nx_sandbox_mech_name(NX_SANDBOX_CGROUP), "cgroup");
	assert_string_equal(nx_sandbox_ns_name(NX_SANDBOX_NS_MOUNT), "mnt");
	assert_null(nx_sandbox_ns_name(NX_SANDBOX_NS_COUNT));
	assert_string_equal(nx_seccomp_profile_name(NX_SECCOMP_APP_NET), "app_net");
	assert_string_equal(nx_seccomp_profile_name(NX_SECCOMP_SERVICE_NET), "service_net");
	assert_null(nx_seccomp_profile_name(NX_SECCOMP_PROFILE_COUNT));
	assert_int_equal(nx_seccomp_profile_from_name("app", &p), 0);
	assert_int_equal(p, NX_SECCOMP_APP);
	assert_int_equal(nx_seccomp_profile_from_name("APP", &p), -EINVAL);
	assert_int_equal(nx_seccomp_profile_from_name("", &p), -EINVAL);
	assert_int_equal(p, NX_SECCOMP_APP); /* untouched */
	p = NX_SECCOMP_PROFILE_COUNT;
	assert_int_equal(nx_sandbox_prepare(&(struct nx_sandbox){
	                         .mechs = MECH(SECCOMP), .seccomp_profile = p}),
	        -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_seccomp_app),
	        cmocka_unit_test(test_seccomp_app_more),
	        cmocka_unit_test(test_seccomp_app_connect),
	        cmocka_unit_test(test_seccomp_app_net),
	        cmocka_unit_test(test_seccomp_service_unchanged),
	        cmocka_unit_test(test_seccomp_service_net),
	        cmocka_unit_test(test_namespaces),
	        cmocka_unit_test(test_user_namespace),
	        cmocka_unit_test(test_namespaces_without_spawn),
	        cmocka_unit_test(test_namespaces_refused_unprivileged),
	        cmocka_unit_test(test_rlimit_as),
	        cmocka_unit_test(test_rlimit_nproc),
	        cmocka_unit_test(test_exec_from_memfd),
	        cmocka_unit_test(test_landlock_loader_only),
	        cmocka_unit_test(test_bad_exec_fd),
	        cmocka_unit_test(test_report_format),
	        cmocka_unit_test(test_names),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test-confine: needs root (namespaces, another uid); skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
