/* SPDX-License-Identifier: MIT */
/* nx-abi pager on Linux: a pipe, nx_spawn of the shell, dup3 onto fd 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "nx-abi/pager.h"
#include "nx-abi/sock.h"
#include "nx-abi/spawn.h"

int nx_pager_start(const char *cmd, int *ret_pidfd)
{
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	struct nx_spawned child;
	struct nx_spawn spec = {.binary = "/bin/sh", .argv = argv, .nfds = 3};
	int pipefd[2], r;

	if (!cmd || !*cmd || !ret_pidfd)
		return -EINVAL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	spec.fds[0] = (struct nx_spawn_fd){0, pipefd[0]};
	spec.fds[1] = (struct nx_spawn_fd){1, STDOUT_FILENO};
	spec.fds[2] = (struct nx_spawn_fd){2, STDERR_FILENO};
	r = nx_spawn(&spec, &child);
	nx_fd_close(pipefd[0]);
	if (r < 0) {
		nx_fd_close(pipefd[1]);
		return r;
	}
	if (dup3(pipefd[1], STDOUT_FILENO, 0) < 0) {
		bool signaled;
		int status;

		r = -errno;
		nx_fd_close(pipefd[1]); /* the pager reads end of file and exits */
		(void)nx_process_wait(child.pidfd, true, &status, &signaled);
		nx_fd_close(child.pidfd);
		return r;
	}
	nx_fd_close(pipefd[1]);
	*ret_pidfd = child.pidfd;
	return 0;
}

void nx_pager_end(int pidfd)
{
	bool signaled;
	int status;

	close(STDOUT_FILENO);
	(void)nx_process_wait(pidfd, true, &status, &signaled);
	nx_fd_close(pidfd);
}
