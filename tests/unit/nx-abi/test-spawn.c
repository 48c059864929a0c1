/* SPDX-License-Identifier: MIT */
/*
 * nx-abi spawn: the fd map (overlapping sources and targets, holes, stdio), nothing else
 * inherited, errors before exec returned (exec, sandbox) with no child left, the sandbox
 * report, environment and arguments, a new session, and waiting on / signalling the pidfd.
 * The spawned program is spawn-probe (SPAWN_PROBE), which reports on its stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "nx-abi/loop.h"
#include "nx-abi/spawn.h"

/* Reads a pipe until EOF into buf (NUL-terminated); closes it. */
static void read_closed(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got + 1 < size && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

/* Runs the probe with stdout on a pipe, plus `extra` fd map entries; waits for its exit and
 * returns its output in out. */
static void probe(char *const argv[], char *const envp[], const struct nx_spawn_fd *extra,
        unsigned nextra, const struct nx_sandbox *sandbox, bool session, char *out, size_t size,
        struct nx_spawned *ret)
{
	struct nx_spawn spec = {.binary = SPAWN_PROBE,
	        .argv = argv,
	        .envp = envp,
	        .new_session = session,
	        .sandbox = sandbox};
	int out_pipe[2], status;
	bool signaled;

	assert_int_equal(pipe2(out_pipe, O_CLOEXEC), 0);
	spec.fds[0] = (struct nx_spawn_fd){1, out_pipe[1]};
	for (unsigned i = 0; i < nextra; i++)
		spec.fds[1 + i] = extra[i];
	spec.nfds = 1 + nextra;
	assert_int_equal(nx_spawn(&spec, ret), 0);
	close(out_pipe[1]);
	read_closed(out_pipe[0], out, size);
	assert_int_equal(nx_process_wait(ret->pidfd, true, &status, &signaled), 0);
	assert_int_equal(status, 0);
	assert_false(signaled);
	close(ret->pidfd);
}

/* Nothing left to reap: the spawn did not leave a child behind. */
static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Two pipes whose write ends sit at fds 20 and 21 and go to the child swapped (21 ← 20,
 * 20 ← 21); fd 25 is open without close-on-exec and not mapped. The child must hold 20 and
 * 21 only, each the other's pipe. */
static void test_fd_map_swap_and_holes(void **state)
{
	int before = fdcheck_count(), a[2], b[2];
	struct nx_spawned child;
	char out[256], got[32];

	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	assert_int_equal(dup3(a[1], 20, O_CLOEXEC), 20);
	assert_int_equal(dup3(b[1], 21, O_CLOEXEC), 21);
	close(a[1]);
	close(b[1]);
	assert_int_equal(dup2(a[0], 25), 25); /* inheritable, and must still not be inherited */
	{
		char *argv[] = {"spawn-probe", "fds", NULL};
		struct nx_spawn_fd map[] = {{21, 20}, {20, 21}};

		probe(argv, NULL, map, 2, NULL, false, out, sizeof(out), &child);
	}
	assert_string_equal(out, "fds 20 21\n");
	close(20);
	close(21);
	read_closed(a[0], got, sizeof(got));
	assert_string_equal(got, "21"); /* a's write end was 20, it became the child's 21 */
	read_closed(b[0], got, sizeof(got));
	assert_string_equal(got, "20");
	close(25);
	fdcheck_assert(before);
}

/* One fd mapped twice, once onto its own number, once onto a lower one. */
static void test_fd_map_overlap(void **state)
{
	int before = fdcheck_count(), p[2];
	struct nx_spawned child;
	char out[256], got[32];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(dup3(p[1], 31, O_CLOEXEC), 31);
	close(p[1]);
	{
		char *argv[] = {"spawn-probe", "fds", NULL};
		struct nx_spawn_fd map[] = {{30, 31}, {31, 31}};

		probe(argv, NULL, map, 2, NULL, false, out, sizeof(out), &child);
	}
	assert_string_equal(out, "fds 30 31\n");
	close(31);
	read_closed(p[0], got, sizeof(got));
	assert_string_equal(got, "3031");
	fdcheck_assert(before);
}

/* The program from an fd whose number is also a target of the map: the map still wins at
 * that number, the program runs, and its fd is not left open in it (a binary, not a
 * script). */
static void test_exec_fd_overlapping_target(void **state)
{
	int before = fdcheck_count(), p[2], in, fd, status;
	char *argv[] = {"spawn-probe", "fds", NULL};
	struct nx_spawn spec = {.exec_fd = 21, .argv = argv};
	struct nx_spawned child;
	char buf[65536], out[64], got[16];
	bool signaled;
	ssize_t n;

	in = open(SPAWN_PROBE, O_RDONLY | O_CLOEXEC);
	fd = memfd_create("spawn-probe", MFD_CLOEXEC);
	assert_true(in >= 0 && fd >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(fd, buf, (size_t)n), n);
	close(in);
	assert_int_equal(dup3(fd, 21, O_CLOEXEC), 21);
	close(fd);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	{
		int out_pipe[2];

		assert_int_equal(pipe2(out_pipe, O_CLOEXEC), 0);
		spec.fds[0] = (struct nx_spawn_fd){1, out_pipe[1]};
		spec.fds[1] = (struct nx_spawn_fd){21, p[1]};
		spec.nfds = 2;
		assert_int_equal(nx_spawn(&spec, &child), 0);
		close(out_pipe[1]);
		read_closed(out_pipe[0], out, sizeof(out));
	}
	assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
	assert_int_equal(status, 0);
	close(child.pidfd);
	assert_string_equal(out, "fds 21\n");
	close(p[1]);
	read_closed(p[0], got, sizeof(got));
	assert_string_equal(got, "21"); /* fd 21 in the child was the pipe, not the program */
	close(21);
	fdcheck_assert(before);
}

static void test_env_args_session(void **state)
{
	int before = fdcheck_count();
	struct nx_spawned child;
	char out[256];
	char *env_argv[] = {"spawn-probe", "env", "NX_PROBE", NULL};
	char *envp[] = {"NX_PROBE=given", NULL};
	char *args_argv[] = {"spawn-probe", "args", "one", "two words", NULL};
	char *session_argv[] = {"spawn-probe", "session", NULL};

	probe(env_argv, envp, NULL, 0, NULL, false, out, sizeof(out), &child);
	assert_string_equal(out, "given\n");
	setenv("NX_PROBE", "inherited", 1);
	probe(env_argv, NULL, NULL, 0, NULL, false, out, sizeof(out), &child);
	assert_string_equal(out, "inherited\n");
	unsetenv("NX_PROBE");
	probe(args_argv, NULL, NULL, 0, NULL, false, out, sizeof(out), &child);
	assert_string_equal(out, "one two words\n");
	probe(session_argv, NULL, NULL, 0, NULL, false, out, sizeof(out), &child);
	assert_string_equal(out, "member\n");
	probe(session_argv, NULL, NULL, 0, NULL, true, out, sizeof(out), &child);
	assert_string_equal(out, "leader\n");
	fdcheck_assert(before);
}

static void test_exec_failure_returned(void **state)
{
	int before = fdcheck_count();
	struct nx_spawn spec = {.binary = "/nonexistent/spawn-probe"};
	struct nx_spawned child = {.pidfd = -7};

	assert_int_equal(nx_spawn(&spec, &child), -ENOENT);
	assert_int_equal(child.pidfd, -7); /* untouched */
	assert_no_children();
	spec.binary = "/dev/null"; /* exists, not executable */
	assert_int_equal(nx_spawn(&spec, &child), -EACCES);
	assert_no_children();
	fdcheck_assert(before);
}

static void test_bad_spec(void **state)
{
	int before = fdcheck_count();
	struct nx_spawn spec = {.binary = SPAWN_PROBE, .nfds = 2};
	struct nx_spawned child;

	spec.fds[0] = (struct nx_spawn_fd){3, 0};
	spec.fds[1] = (struct nx_spawn_fd){3, 1}; /* one target twice */
	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
	spec.fds[1] = (struct nx_spawn_fd){-1, 1};
	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
	spec.fds[1] = (struct nx_spawn_fd){4, -1};
	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
	spec.nfds = NX_SPAWN_MAX_FDS + 1;
	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
	spec.nfds = 0;
	spec.binary = NULL;
	assert_int_equal(nx_spawn(&spec, &child), -EINVAL);
	assert_no_children();
	fdcheck_assert(before);
}

/* The child's report comes back: no_new_privs and close_range applied, and really on. */
static void test_sandbox_report(void **state)
{
	int before = fdcheck_count();
	struct nx_sandbox box = {
	        .mechs = (1u << NX_SANDBOX_NO_NEW_PRIVS) | (1u << NX_SANDBOX_CLOSE_RANGE),
	        .keep_fds = 100, /* ignored: the map decides */
	};
	char *argv[] = {"spawn-probe", "nnp", NULL};
	struct nx_spawned child;
	char out[64];

	probe(argv, NULL, NULL, 0, &box, false, out, sizeof(out), &child);
	assert_string_equal(out, "nnp 1\n");
	assert_int_equal(child.sandbox.mech[NX_SANDBOX_NO_NEW_PRIVS].status, NX_SANDBOX_APPLIED);
	assert_int_equal(child.sandbox.mech[NX_SANDBOX_CLOSE_RANGE].status, NX_SANDBOX_APPLIED);
	assert_int_equal(child.sandbox.mech[NX_SANDBOX_SECCOMP].status, NX_SANDBOX_NOT_REQUESTED);
	probe(argv, NULL, NULL, 0, NULL, false, out, sizeof(out), &child);
	assert_string_equal(out, "nnp 0\n");
	assert_int_equal(
	        child.sandbox.mech[NX_SANDBOX_NO_NEW_PRIVS].status, NX_SANDBOX_NOT_REQUESTED);
	fdcheck_assert(before);
}

/* A sandbox that fails in the child (a Landlock path that cannot be opened) is the caller's
 * error, and the program never runs. */
static void test_sandbox_failure_returned(void **state)
{
	static char long_path[5000];
	int before = fdcheck_count();
	struct nx_sandbox box = {.mechs = 1u << NX_SANDBOX_LANDLOCK, .npaths = 1};
	struct nx_spawn spec = {.binary = SPAWN_PROBE, .sandbox = &box};
	struct nx_spawned child;
	int r;

	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	box.paths[0] = (struct nx_sandbox_path){long_path, NX_SANDBOX_READ};
	r = nx_spawn(&spec, &child);
	if (r == 0) {
		/* Landlock unavailable: the path was never opened. Say so, never pass. */
		int status;
		bool signaled;

		assert_int_equal(
		        child.sandbox.mech[NX_SANDBOX_LANDLOCK].status, NX_SANDBOX_UNAVAILABLE);
		assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
		close(child.pidfd);
		skip();
	}
	assert_int_equal(r, -ENAMETOOLONG);
	assert_no_children();
	fdcheck_assert(before);
}

static void test_wait_and_signal(void **state)
{
	int before = fdcheck_count(), status = -1;
	char *argv[] = {"spawn-probe", "sleep", NULL};
	struct nx_spawn spec = {.binary = SPAWN_PROBE, .argv = argv};
	struct nx_spawned child;
	bool signaled = false;

	assert_int_equal(nx_spawn(&spec, &child), 0);
	assert_true(child.pid > 0);
	assert_int_equal(nx_process_wait(child.pidfd, false, &status, &signaled), -EAGAIN);
	assert_int_equal(nx_process_signal(child.pidfd, SIGTERM), 0);
	assert_int_equal(nx_process_wait(child.pidfd, true, &status, &signaled), 0);
	assert_true(signaled);
	assert_int_equal(status, SIGTERM);
	assert_int_equal(nx_process_wait(child.pidfd, false, &status, &signaled), -ECHILD);
	assert_int_equal(nx_process_signal(child.pidfd, SIGTERM), -ESRCH);
	close(child.pidfd);
	assert_no_children();
	fdcheck_assert(before);
}

struct exit_rec {
	int calls, pid, status;
	bool signaled;
};

static void on_exit_cb(nx_source *s, int pid, int status, bool signaled, void *userdata)
{
	struct exit_rec *r = userdata;

	r->calls++;
	r->pid = pid;
	r->status = status;
	r->signaled = signaled;
}

/* The loop watches a spawned child through its pidfd, which stays the caller's. */
static void test_loop_add_process(void **state)
{
	int before = fdcheck_count();
	char *argv[] = {"spawn-probe", "exit", "7", NULL};
	struct nx_spawn spec = {.binary = SPAWN_PROBE, .argv = argv};
	struct exit_rec rec = {0};
	struct nx_spawned child;
	nx_source *src;
	nx_loop *l;

	assert_int_equal(nx_loop_new(&l), 0);
	assert_int_equal(nx_spawn(&spec, &child), 0);
	assert_int_equal(nx_loop_add_process(l, &child, on_exit_cb, &rec, &src), 0);
	while (rec.calls == 0)
		assert_true(nx_loop_run_once(l, UINT64_MAX) >= 0);
	assert_int_equal(rec.pid, child.pid);
	assert_int_equal(rec.status, 7);
	assert_false(rec.signaled);
	nx_source_free(src);
	assert_int_equal(fcntl(child.pidfd, F_GETFD), FD_CLOEXEC); /* borrowed: still open */
	close(child.pidfd);
	nx_loop_free(l);
	assert_no_children();
	fdcheck_assert(before);
}

/* die_with_parent: a middle process spawns the probe and is killed; the probe dies with it
 * (checked through a pidfd of our own: the probe is no child of ours). */
static void test_die_with_parent(void **state)
{
	int before = fdcheck_count(), fds[2], probe_pid = 0, middle, pidfd, status;
	struct pollfd pfd;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	middle = fork();
	assert_true(middle >= 0);
	if (middle == 0) {
		char *argv[] = {"spawn-probe", "sleep", NULL};
		struct nx_spawn spec = {
		        .binary = SPAWN_PROBE, .argv = argv, .die_with_parent = true};
		struct nx_spawned child;

		if (nx_spawn(&spec, &child) < 0)
			_exit(1);
		(void)!write(fds[1], &child.pid, sizeof(child.pid));
		pause();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &probe_pid, sizeof(probe_pid)), sizeof(probe_pid));
	close(fds[0]);
	pidfd = (int)syscall(SYS_pidfd_open, probe_pid, 0);
	assert_true(pidfd >= 0);
	pfd = (struct pollfd){.fd = pidfd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 0); /* alive while the middle lives */
	kill(middle, SIGKILL);
	assert_int_equal(waitpid(middle, &status, 0), middle);
	/* The safety net only: the kernel signals at the middle's exit. */
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	close(pidfd);
	assert_no_children();
	fdcheck_assert(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fd_map_swap_and_holes),
	        cmocka_unit_test(test_fd_map_overlap),
	        cmocka_unit_test(test_exec_fd_overlapping_target),
	        cmocka_unit_test(test_env_args_session),
	        cmocka_unit_test(test_exec_failure_returned),
	        cmocka_unit_test(test_bad_spec),
	        cmocka_unit_test(test_sandbox_report),
	        cmocka_unit_test(test_sandbox_failure_returned),
	        cmocka_unit_test(test_wait_and_signal),
	        cmocka_unit_test(test_loop_add_process),
	        cmocka_unit_test(test_die_with_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
