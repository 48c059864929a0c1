/* SPDX-License-Identifier: MIT */
/*
 * nx-svc/daemon.c, the process skeleton samgrd runs on (and nx-svc's services through svc.c):
 * the granted fds 3 and 4, the readiness line once, SIGTERM as a clean stop, exit codes.
 * The test plays nexus-init: it puts a channel at fd 3 and a pipe at fd 4 of its own process.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "fdcheck.h"

/* What the test process had at fds 3 and 4 before playing init (-1: nothing). */
static int saved[2] = {-1, -1};

/* Keeps fds 3 and 4 taken between grants, so that no fd the test makes lands there by
 * chance: /dev/null wherever one is free. */
static void hold_granted_fds(void)
{
	for (int fd = NX_DAEMON_BOOTSTRAP_FD; fd <= NX_DAEMON_READY_FD; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

			assert_true(null >= 0);
			if (null != fd) {
				assert_int_equal(dup2(null, fd), fd);
				close(null);
			}
		}
}

static int group_setup(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		saved[i] = fcntl(NX_DAEMON_BOOTSTRAP_FD + i, F_DUPFD_CLOEXEC, 10);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	hold_granted_fds();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	hold_granted_fds();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++) {
		close(NX_DAEMON_BOOTSTRAP_FD + i);
		if (saved[i] >= 0) {
			dup2(saved[i], NX_DAEMON_BOOTSTRAP_FD + i);
			close(saved[i]);
		}
	}
	return 0;
}

/* Grants fd 3 (one end of a socketpair; the other in *ret_peer) and, if ret_ready is given,
 * fd 4 (a pipe's write end; the read end in *ret_ready). */
static void grant(int *ret_peer, int *ret_ready)
{
	int sv[2], p[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(dup2(sv[0], NX_DAEMON_BOOTSTRAP_FD), NX_DAEMON_BOOTSTRAP_FD);
	close(sv[0]);
	*ret_peer = sv[1];
	if (!ret_ready) {
		close(NX_DAEMON_READY_FD);
		return;
	}
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[1], NX_DAEMON_READY_FD), NX_DAEMON_READY_FD);
	close(p[1]);
	*ret_ready = p[0];
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_no_bootstrap(void **state)
{
	int before = fdcheck_count(), p[2];
	nx_daemon *d = NULL;

	/* Readiness granted but no channel: refused, and fd 4 is not left behind. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[1], NX_DAEMON_READY_FD), NX_DAEMON_READY_FD);
	close(p[1]);
	close(NX_DAEMON_BOOTSTRAP_FD);
	assert_int_equal(nx_daemon_new("testd", &d), -EBADF);
	assert_null(d);
	assert_false(fd_open(NX_DAEMON_READY_FD));
	close(p[0]);
	hold_granted_fds();
	assert_int_equal(fdcheck_leaked(before, "no bootstrap"), 0);
}

static void test_ready_once(void **state)
{
	int before = fdcheck_count(), peer, ready, fd;
	nx_daemon *d = NULL;
	char buf[16];

	grant(&peer, &ready);
	assert_int_equal(nx_daemon_new("testd", &d), 0);
	/* Both granted fds are the daemon's alone now: not inherited by what it might exec. */
	assert_true(fcntl(NX_DAEMON_BOOTSTRAP_FD, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(NX_DAEMON_READY_FD, F_GETFD) & FD_CLOEXEC);
	fd = nx_daemon_take_bootstrap(d);
	assert_int_equal(fd, NX_DAEMON_BOOTSTRAP_FD);
	assert_int_equal(nx_daemon_take_bootstrap(d), -EBADF);
	close(fd);

	nx_daemon_ready(d);
	nx_daemon_ready(d);
	/* One line, then EOF: fd 4 is closed after the first. */
	assert_false(fd_open(NX_DAEMON_READY_FD));
	assert_int_equal(read(ready, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "ready\n", 6);
	assert_int_equal(read(ready, buf, sizeof(buf)), 0);

	assert_null(nx_daemon_free(d));
	close(ready);
	close(peer);
	hold_granted_fds();
	assert_int_equal(fdcheck_leaked(before, "ready once"), 0);
}

static void test_exit_codes(void **state)
{
	int before = fdcheck_count(), peer;
	nx_daemon *d = NULL;

	/* Without fd 4 (run by hand): fine, and readiness only prints the marker. */
	grant(&peer, NULL);
	assert_int_equal(nx_daemon_new("testd", &d), 0);
	nx_daemon_ready(d);
	assert_false(nx_daemon_stopping(d));
	nx_daemon_exit(d, 1);
	assert_true(nx_daemon_stopping(d));
	assert_int_equal(nx_daemon_run(d), 1);
	/* An untaken fd 3 is closed with the daemon. */
	assert_null(nx_daemon_free(d));
	assert_false(fd_open(NX_DAEMON_BOOTSTRAP_FD));
	assert_null(nx_daemon_free(NULL));
	close(peer);
	hold_granted_fds();
	assert_int_equal(fdcheck_leaked(before, "exit codes"), 0);
}

static void test_sigterm(void **state)
{
	int before = fdcheck_count(), peer;
	nx_daemon *d = NULL;

	grant(&peer, NULL);
	assert_int_equal(nx_daemon_new("testd", &d), 0);
	/* Blocked by the daemon's signal source: a clean stop, not the default action. */
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(nx_daemon_run(d), 0);
	assert_true(nx_daemon_stopping(d));
	nx_daemon_free(d);
	close(peer);
	hold_granted_fds();
	assert_int_equal(fdcheck_leaked(before, "sigterm"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_no_bootstrap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ready_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
