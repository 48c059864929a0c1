/* SPDX-License-Identifier: MIT */
/*
 * interop-run-pair: runs one interop server and one interop client against each other and
 * fails unless the client exits 0 and the server exits with the expected status.
 *
 *   interop-run-pair --server EXE --client EXE [--listen [--vanish-first]] [--server-status N]
 *                    [-- CLIENT-ARGS]
 *
 * Default: a socketpair, one end to each (--fd N). With --listen: the server listens on a
 * socket in a fresh temporary directory, says "ready" on a pipe, the client connects by
 * path, and the server is stopped with SIGTERM afterwards. --vanish-first runs one client
 * with `--only vanish` before the real one: it exits with calls pending both ways, and the
 * server must go on serving the next connection.
 * Any peer, C++ or C, that takes the same options can be plugged in.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdcheck.h"
#include "nx-abi/spawn.h"

#define RUN_PAIR_MAX_ARGS   32
#define RUN_PAIR_DEADLINE_S 50

/* Starts exe with args and, if keep_fd >= 0, that fd under the same number. Its pidfd, or -1
 * (said why). */
static int spawn(const char *exe, char **args, int keep_fd)
{
	struct nx_spawn spec = {.binary = exe, .argv = args};
	struct nx_spawned child;
	int r;

	if (keep_fd >= 0) {
		spec.fds[0] = (struct nx_spawn_fd){keep_fd, keep_fd};
		spec.nfds = 1;
	}
	r = nx_spawn(&spec, &child);
	if (r < 0) {
		fprintf(stderr, "run-pair: spawn %s: %s\n", exe, strerror(-r));
		return -1;
	}
	return child.pidfd;
}

/* Waits for the child and closes its pidfd: its exit code, 128 + the signal that killed it,
 * 127 if it never ran, -1 if it could not be waited for. */
static int wait_status(int pidfd, const char *who)
{
	bool signaled;
	int st, r;

	if (pidfd < 0)
		return 127;
	r = nx_process_wait(pidfd, true, &st, &signaled);
	close(pidfd);
	if (r < 0) {
		fprintf(stderr, "run-pair: wait %s: %s\n", who, strerror(-r));
		return -1;
	}
	if (!signaled)
		return st;
	fprintf(stderr, "run-pair: %s killed by signal %d\n", who, st);
	return 128 + st;
}

/* Signals the child if it runs (pidfd >= 0). */
static void stop(int pidfd, int signo)
{
	if (pidfd >= 0)
		(void)nx_process_signal(pidfd, signo);
}

static void on_alarm(int sig)
{
	(void)sig;
	/* A hung peer must fail the test, not stall the suite; the process group goes. */
	kill(0, SIGKILL);
}

int main(int argc, char **argv)
{
	const char *server = NULL, *client = NULL;
	int want_server = 0, listen_mode = 0, vanish_first = 0, i, nextra = 0;
	char *extra[RUN_PAIR_MAX_ARGS];
	char numbuf[2][16], dir[] = "/tmp/nx-interop-XXXXXX", path[64];
	char *sargs[8], *cargs[RUN_PAIR_MAX_ARGS + 8];
	int sv[2] = {-1, -1}, ready[2] = {-1, -1};
	int before = fdcheck_count(), n = 0, cs, ss, rc = 1;
	int spid, cpid; /* pidfds */

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--client") && i + 1 < argc)
			client = argv[++i];
		else if (!strcmp(argv[i], "--server-status") && i + 1 < argc)
			want_server = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--listen"))
			listen_mode = 1;
		else if (!strcmp(argv[i], "--vanish-first"))
			vanish_first = 1;
		else if (!strcmp(argv[i], "--"))
			break;
		else
			goto usage;
	}
	for (i++; i < argc; i++) {
		if (nextra == RUN_PAIR_MAX_ARGS)
			goto usage;
		extra[nextra++] = argv[i];
	}
	if (!server || !client || (vanish_first && !listen_mode))
		goto usage;

	setpgid(0, 0);
	signal(SIGALRM, on_alarm);
	alarm(RUN_PAIR_DEADLINE_S);

	if (listen_mode) {
		char line[16];
		ssize_t r;

		if (!mkdtemp(dir) || pipe2(ready, O_CLOEXEC) < 0) {
			perror("run-pair: setup");
			return 1;
		}
		snprintf(path, sizeof(path), "%s/interop.sock", dir);
		snprintf(numbuf[0], sizeof(numbuf[0]), "%d", ready[1]);
		sargs[n++] = (char *)server;
		sargs[n++] = (char *)"--listen";
		sargs[n++] = path;
		sargs[n++] = (char *)"--ready-fd";
		sargs[n++] = numbuf[0];
		sargs[n] = NULL;
		spid = spawn(server, sargs, ready[1]);
		close(ready[1]);
		r = read(ready[0], line, sizeof(line));
		close(ready[0]);
		if (r <= 0) {
			fprintf(stderr, "run-pair: server never became ready\n");
			stop(spid, SIGKILL);
			wait_status(spid, "server");
			rmdir(dir);
			return 1;
		}
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			perror("run-pair: socketpair");
			return 1;
		}
		snprintf(numbuf[0], sizeof(numbuf[0]), "%d", sv[0]);
		sargs[n++] = (char *)server;
		sargs[n++] = (char *)"--fd";
		sargs[n++] = numbuf[0];
		sargs[n] = NULL;
		spid = spawn(server, sargs, sv[0]);
		close(sv[0]);
	}

	if (vanish_first) {
		char *vargs[] = {(char *)client, (char *)"--connect", path, (char *)"--only",
		        (char *)"vanish", NULL};

		cs = wait_status(spawn(client, vargs, -1), "vanishing client");
		if (cs != 0) {
			fprintf(stderr, "run-pair: vanishing client exited %d\n", cs);
			stop(spid, SIGKILL);
			wait_status(spid, "server");
			unlink(path);
			rmdir(dir);
			return 1;
		}
	}

	n = 0;
	cargs[n++] = (char *)client;
	if (listen_mode) {
		cargs[n++] = (char *)"--connect";
		cargs[n++] = path;
	} else {
		snprintf(numbuf[1], sizeof(numbuf[1]), "%d", sv[1]);
		cargs[n++] = (char *)"--fd";
		cargs[n++] = numbuf[1];
	}
	for (i = 0; i < nextra; i++)
		cargs[n++] = extra[i];
	cargs[n] = NULL;
	cpid = spawn(client, cargs, listen_mode ? -1 : sv[1]);
	if (!listen_mode)
		close(sv[1]);

	cs = wait_status(cpid, "client");
	if (listen_mode)
		stop(spid, SIGTERM);
	ss = wait_status(spid, "server");
	alarm(0);
	if (listen_mode) {
		unlink(path);
		rmdir(dir);
	}

	if (cs != 0)
		fprintf(stderr, "run-pair: client exited %d\n", cs);
	else if (ss != want_server)
		fprintf(stderr, "run-pair: server exited %d, expected %d\n", ss, want_server);
	else
		rc = 0;
	fdcheck_assert(before);
	return rc;

usage:
	fprintf(stderr, "usage: interop-run-pair --server EXE --client EXE [--listen "
	                "[--vanish-first]] [--server-status N] [-- CLIENT-ARGS]\n");
	return 2;
}
