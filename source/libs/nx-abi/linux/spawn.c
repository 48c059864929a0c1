/* SPDX-License-Identifier: MIT */
/*
 * nx-abi spawn on fork + execve, pidfd_open, waitid(P_PIDFD) and pidfd_send_signal.
 *
 * Between fork and exec the child only makes async-signal-safe calls (sigprocmask, setsid,
 * fcntl, dup2, dup3, close_range, write, execve, _exit) and nx_sandbox_apply, which allocates
 * nothing and takes no lock. Everything it needs is computed before the fork.
 *
 * The fd map in the child, with `top` the first number above every target (at least 3):
 *   1. the report pipe and every source are first copied to `top` or above (close-on-exec),
 *      so no dup2 onto a target can overwrite a source still to be copied, even when a
 *      source's number is another entry's target (or the same fd goes to two targets);
 *   2. each copy is dup2'ed onto its target (dup2 clears close-on-exec there);
 *   3. the report pipe moves to exactly `top`; the numbers 3..top-1 that are no target and
 *      everything above `top` are closed. The sandbox keeps fds below top + 1.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi-internal.h"
#include "nx-abi/spawn.h"

extern char **environ;

/* What the child says up the report pipe: one record after its sandbox step (with the
 * step's result), one more if exec fails; a step before the sandbox that fails sends one
 * failure record. */
struct spawn_record {
	int error; /* 0 or the negative errno of the failed step */
	struct nx_sandbox_report sandbox;
};

/* Everything the child needs, prepared before the fork. */
struct spawn_plan {
	const struct nx_spawn *spec;
	char *const *argv;
	char *const *envp;
	int targets[NX_SPAWN_MAX_FDS]; /* the map's child fds, sorted */
	int top;                       /* the report pipe's number in the child */
	struct nx_sandbox sandbox;     /* the caller's profile with keep_fds = top + 1 */
	int fd_limit;                  /* RLIMIT_NOFILE, for a kernel without close_range */
	pid_t parent;                  /* the caller, for die_with_parent */
};

static int plan_make(const struct nx_spawn *spec, char *default_argv[2], struct spawn_plan *plan)
{
	unsigned n = spec->nfds;
	struct rlimit lim;

	memset(plan, 0, sizeof(*plan));
	plan->spec = spec;
	plan->top = 3;
	for (unsigned i = 0; i < n; i++) {
		int t = spec->fds[i].child_fd;
		unsigned j = i;

		assert_return(t >= 0 && t < INT32_MAX - 1 && spec->fds[i].parent_fd >= 0, -EINVAL);
		/* Insertion sort: a handful of entries. */
		while (j > 0 && plan->targets[j - 1] > t) {
			plan->targets[j] = plan->targets[j - 1];
			j--;
		}
		plan->targets[j] = t;
		if (t >= plan->top)
			plan->top = t + 1;
	}
	for (unsigned i = 1; i < n; i++)
		assert_return(plan->targets[i] != plan->targets[i - 1], -EINVAL);
	default_argv[0] = (char *)spec->binary;
	default_argv[1] = NULL;
	plan->argv = spec->argv ? spec->argv : default_argv;
	plan->envp = spec->envp ? spec->envp : environ;
	if (spec->sandbox)
		plan->sandbox = *spec->sandbox;
	plan->sandbox.keep_fds = plan->top + 1;
	plan->fd_limit = getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < INT32_MAX
	                         ? (int)lim.rlim_cur
	                         : INT32_MAX;
	return 0;
}

/* Closes lo..hi (inclusive). close_range came with Linux 5.9; before it, one by one up to
 * the fd limit read before the fork. */
static int close_between(const struct spawn_plan *p, int lo, int hi)
{
	if (lo > hi)
		return 0;
	if (close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return nx_neg_errno();
	for (int fd = lo; fd <= hi && fd < p->fd_limit; fd++)
		(void)close(fd);
	return 0;
}

/* Steps 1-3 of the map (see the top of the file). *report follows the report pipe as it
 * moves, so a failure can still be told. Returns 0 or a negative errno. */
static int child_map_fds(const struct spawn_plan *p, int *report)
{
	const struct nx_spawn *spec = p->spec;
	int copies[NX_SPAWN_MAX_FDS], lo = 3, fd, r;

	fd = fcntl(*report, F_DUPFD_CLOEXEC, p->top);
	if (fd < 0)
		return nx_neg_errno();
	*report = fd;
	for (unsigned i = 0; i < spec->nfds; i++) {
		copies[i] = fcntl(spec->fds[i].parent_fd, F_DUPFD_CLOEXEC, p->top);
		if (copies[i] < 0)
			return nx_neg_errno();
	}
	for (unsigned i = 0; i < spec->nfds; i++)
		if (dup2(copies[i], spec->fds[i].child_fd) < 0)
			return nx_neg_errno();
	if (*report != p->top) {
		if (dup3(*report, p->top, O_CLOEXEC) < 0)
			return nx_neg_errno();
		*report = p->top;
	}
	for (unsigned i = 0; i < spec->nfds; i++) {
		if (p->targets[i] < lo)
			continue; /* stdio */
		r = close_between(p, lo, p->targets[i] - 1);
		if (r < 0)
			return r;
		lo = p->targets[i] + 1;
	}
	r = close_between(p, lo, p->top - 1);
	if (r == 0)
		r = close_between(p, p->top + 1, INT32_MAX);
	return r;
}

/* Writes one record; below PIPE_BUF a write is whole, and if the parent is gone nobody is
 * left to tell. */
static void child_say(int fd, int error, const struct nx_sandbox_report *report)
{
	struct spawn_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.error = error;
	if (report)
		rec.sandbox = *report;
	(void)!write(fd, &rec, sizeof(rec));
}

static _Noreturn void child_run(const struct spawn_plan *p, int report)
{
	struct nx_sandbox_report applied;
	sigset_t none;
	int r = 0;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		r = nx_neg_errno();
	if (r == 0 && p->spec->new_session && setsid() < 0)
		r = nx_neg_errno();
	if (r == 0)
		r = child_map_fds(p, &report);
	if (r < 0) {
		child_say(report, r, NULL);
		_exit(127);
	}
	/* The sandbox goes on last, so exec is the first thing it confines. The record is
	 * written with or without one: the parent always waits for it. */
	memset(&applied, 0, sizeof(applied));
	r = nx_sandbox_apply(&p->sandbox, &applied);
	child_say(report, r, &applied);
	if (r < 0)
		_exit(127);
	/* After the sandbox: a uid change clears the parent-death signal. A parent already gone
	 * (we were reparented before the prctl) never sends it: leave at once. */
	if (p->spec->die_with_parent &&
	        (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != p->parent))
		_exit(127);
	execve(p->spec->binary, p->argv, p->envp);
	child_say(report, nx_neg_errno(), NULL);
	_exit(127);
}

/* Reads the child's records until the pipe closes. Returns 0 (it exec'd; *ret_report is its
 * sandbox record), or the first failure it reported, or -ECHILD when it died before its
 * sandbox record (killed by someone). */
static int parent_listen(int fd, struct nx_sandbox_report *ret_report)
{
	struct spawn_record rec[2];
	size_t got = 0;
	ssize_t n;

	memset(rec, 0, sizeof(rec));
	for (;;) {
		n = read(fd, (char *)rec + got, sizeof(rec) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(rec))
			break; /* the most it ever writes */
	}
	if (n < 0)
		return nx_neg_errno();
	for (size_t i = 0; i < got / sizeof(rec[0]); i++)
		if (rec[i].error < 0)
			return rec[i].error;
	if (got < sizeof(rec[0]))
		return -ECHILD;
	*ret_report = rec[0].sandbox;
	return 0;
}

int nx_spawn(const struct nx_spawn *spec, struct nx_spawned *ret)
{
	struct nx_sandbox_report report;
	struct spawn_plan plan;
	char *default_argv[2];
	int pipefd[2], pid, pidfd, r, status;
	bool signaled;

	assert_return(spec && spec->binary && ret && spec->nfds <= NX_SPAWN_MAX_FDS, -EINVAL);
	r = plan_make(spec, default_argv, &plan);
	if (r < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return nx_neg_errno();
	plan.parent = getpid();
	pid = fork();
	if (pid < 0) {
		r = nx_neg_errno();
		close(pipefd[0]);
		close(pipefd[1]);
		return r;
	}
	if (pid == 0)
		child_run(&plan, pipefd[1]);
	close(pipefd[1]);
	/* Not reaped before we wait, so the pid cannot have been reused yet; pidfds are
	 * close-on-exec. glibc 2.36 has a wrapper, older ones do not. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = nx_neg_errno();
		close(pipefd[0]);
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return r;
	}
	memset(&report, 0, sizeof(report));
	r = parent_listen(pipefd[0], &report);
	close(pipefd[0]);
	if (r < 0) {
		(void)nx_process_wait(pidfd, true, &status, &signaled);
		close(pidfd);
		return r;
	}
	ret->pidfd = pidfd;
	ret->pid = pid;
	ret->sandbox = report;
	return 0;
}

int nx_process_wait(int pidfd, bool block, int *ret_status, bool *ret_signaled)
{
	siginfo_t si;

	assert_return(pidfd >= 0 && ret_status && ret_signaled, -EINVAL);
	memset(&si, 0, sizeof(si));
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | (block ? 0 : WNOHANG)) < 0)
		if (errno != EINTR)
			return nx_neg_errno();
	if (si.si_pid == 0)
		return -EAGAIN;     /* WNOHANG: still running */
	*ret_status = si.si_status; /* CLD_EXITED: the code; CLD_KILLED, CLD_DUMPED: the signal */
	*ret_signaled = si.si_code != CLD_EXITED;
	return 0;
}

int nx_process_signal(int pidfd, int signo)
{
	assert_return(pidfd >= 0 && signo >= 0, -EINVAL);
	if (syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0) < 0)
		return nx_neg_errno();
	return 0;
}
