/* SPDX-License-Identifier: MIT */
/* nx-daemon: log, loop, signals, the granted fds, readiness, exit code. See daemon.h. */
#include "daemon.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nx-abi/sock.h"
#include "nx-log/log.h"

struct nx_daemon {
	nx_loop *loop;
	nx_source *sig_term, *sig_int;
	int bootstrap_fd, ready_fd, init_fd;
	bool announced, stopping;
};

static void on_signal(nx_source *s, int signo, void *userdata)
{
	nx_daemon_exit(userdata, 0);
}

/* Takes a granted fd: -1 if init did not grant it. Init left it inheritable for exec; from
 * here on it is ours alone. */
static int take_granted_fd(int fd)
{
	if (fcntl(fd, F_GETFD) < 0)
		return -1;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int nx_daemon_new(const char *name, nx_daemon **ret)
{
	nx_daemon *d;
	int r;

	assert(name && ret);
	nx_log_init(name);
	d = calloc(1, sizeof(*d));
	if (!d) {
		nx_fd_close(take_granted_fd(NX_DAEMON_BOOTSTRAP_FD));
		nx_fd_close(take_granted_fd(NX_DAEMON_READY_FD));
		nx_fd_close(take_granted_fd(NX_DAEMON_INIT_FD));
		return -ENOMEM;
	}
	d->bootstrap_fd = take_granted_fd(NX_DAEMON_BOOTSTRAP_FD);
	d->ready_fd = take_granted_fd(NX_DAEMON_READY_FD);
	d->init_fd = take_granted_fd(NX_DAEMON_INIT_FD);
	if (d->bootstrap_fd < 0) {
		r = -EBADF;
		goto fail;
	}
	r = nx_loop_new(&d->loop);
	if (r >= 0)
		r = nx_loop_add_signal(d->loop, SIGTERM, on_signal, d, &d->sig_term);
	if (r >= 0)
		r = nx_loop_add_signal(d->loop, SIGINT, on_signal, d, &d->sig_int);
	if (r < 0)
		goto fail;
	*ret = d;
	return 0;
fail:
	nx_daemon_free(d);
	return r;
}

nx_loop *nx_daemon_loop(nx_daemon *d)
{
	return d->loop;
}

int nx_daemon_take_init(nx_daemon *d)
{
	int fd = d->init_fd;

	d->init_fd = -1;
	return fd < 0 ? -EBADF : fd;
}

int nx_daemon_take_bootstrap(nx_daemon *d)
{
	int fd = d->bootstrap_fd;

	d->bootstrap_fd = -1;
	return fd < 0 ? -EBADF : fd;
}

void nx_daemon_ready(nx_daemon *d)
{
	static const char line[] = "ready\n";

	if (d->announced)
		return;
	d->announced = true;
	/* Our marker first: init prints "init: up" when it reads the line, and the console
	 * must show them in that order. One line, then close: no framing beyond EOF. */
	nx_log_ready();
	if (d->ready_fd >= 0 && write(d->ready_fd, line, sizeof(line) - 1) < 0)
		nx_log(NX_LOG_ERROR, NULL, "readiness pipe: %s", strerror(errno));
	d->ready_fd = nx_fd_close(d->ready_fd);
}

void nx_daemon_exit(nx_daemon *d, int code)
{
	d->stopping = true;
	nx_loop_quit(d->loop, code);
}

bool nx_daemon_stopping(const nx_daemon *d)
{
	return d->stopping;
}

int nx_daemon_run(nx_daemon *d)
{
	return nx_loop_run(d->loop) == 0 ? 0 : 1;
}

nx_daemon *nx_daemon_free(nx_daemon *d)
{
	if (!d)
		return NULL;
	nx_source_free(d->sig_term);
	nx_source_free(d->sig_int);
	nx_loop_free(d->loop);
	nx_fd_close(d->bootstrap_fd);
	nx_fd_close(d->ready_fd);
	nx_fd_close(d->init_fd);
	free(d);
	return NULL;
}
