/* SPDX-License-Identifier: MIT */
/*
 * nx-abi spawn: start a program with exactly the fds it is granted, optionally confined
 * (sandbox.h), and hold it by a process handle (a pidfd on Linux) rather than a pid, so a
 * signal or a wait can never reach a recycled pid. Used by nexus-init for services (and by
 * execd for apps).
 *
 * In the child, in this order: no signal blocked (the caller's loop blocks the ones it
 * handles), a new session if asked, the fd map, every other fd from 3 up closed, the sandbox,
 * exec. fds 0..2 stay the caller's unless the map names them.
 *
 * Errors before exec reach the caller as a negative errno, not as a child that dies: the
 * child holds the write end of a close-on-exec pipe. It writes its sandbox report there (when
 * a sandbox is asked for) and, if a step fails, the step's errno, then _exits. A successful
 * exec closes the pipe, so the parent reads until end of file: a failure record means the
 * child is reaped and the error returned; no failure record means the program runs. The
 * caller blocks only until the exec (or the failure).
 */
#ifndef NX_ABI_SPAWN_H
#define NX_ABI_SPAWN_H

#include <stdbool.h>

#include "nexus/limits.h" /* NX_SPAWN_MAX_FDS */
#include "nx-abi/sandbox.h"

#ifdef __cplusplus
extern "C" {
#endif

struct nx_spawn_fd {
	int child_fd;  /* the number the fd gets in the child, >= 0, each at most once */
	int parent_fd; /* borrowed: still the caller's, open, after the call */
};

struct nx_spawn {
	/* The program's path (no PATH search); NULL: exec_fd is the program. */
	const char *binary;
	/* Without binary: the program as an open fd (borrowed), e.g. a sealed memfd, run with
	 * execveat(fd, "", AT_EMPTY_PATH). A script ("#!") gets it open in the child for its
	 * interpreter to read (/dev/fd/N); a binary does not. argv is then required. Landlock
	 * lets a memfd through, for exec as for the script's re-open: it lives on the kernel's
	 * internal tmpfs (SB_NOUSER), which Landlock exempts as reachable only through an fd. */
	int exec_fd;
	char *const *argv; /* NULL: { binary, NULL } */
	char *const *envp; /* NULL: the caller's environment */
	struct nx_spawn_fd fds[NX_SPAWN_MAX_FDS];
	unsigned nfds;
	bool new_session; /* setsid: no controlling terminal, its own process group */
	/* NULL: no confinement (fds are closed all the same). Its keep_fds is ignored: the fd
	 * map decides which fds the child keeps. */
	const struct nx_sandbox *sandbox;
	/* The child gets SIGKILL when the caller's thread exits (PR_SET_PDEATHSIG, set after the
	 * sandbox so a uid change cannot clear it): a supervisor that dies leaves no orphan. */
	bool die_with_parent;
};

/* A running child. The caller owns pidfd; pid is for display (logs, status files). */
struct nx_spawned {
	int pidfd;
	int pid;
	struct nx_sandbox_report sandbox; /* what the child applied; zeroes without a sandbox */
};

/* Starts spec->binary (or spec->exec_fd). It calls nx_sandbox_prepare and, for the
 * namespaces mechanism, creates the child with its mount, pid, net, ipc and uts namespaces
 * (sandbox.h). On success (0) *ret holds the child, which has exec'd. On failure *ret
 * is untouched, no child is left behind, and the error is: -EINVAL a bad spec; the errno of
 * the step that failed in the child (exec: -ENOENT, -EACCES, ...; the sandbox: as
 * nx_sandbox_apply); -ECHILD the child died before exec without saying why; or fork's,
 * pipe's, pidfd's errno. All the caller's fds stay the caller's. */
int nx_spawn(const struct nx_spawn *spec, struct nx_spawned *ret);

/* Reaps the child behind pidfd (borrowed). block: wait for its exit; otherwise -EAGAIN while
 * it runs. On success *ret_status is its exit code, or the signal that ended it with
 * *ret_signaled true. -ECHILD: already reaped (by this or another waiter). */
int nx_process_wait(int pidfd, bool block, int *ret_status, bool *ret_signaled);

/* Sends signo to the child behind pidfd (borrowed). A child that exited but is not reaped
 * yet takes it silently (0); -ESRCH: it has been reaped. */
int nx_process_signal(int pidfd, int signo);

#ifdef __cplusplus
}
#endif

#endif
