/* SPDX-License-Identifier: MIT */
/*
 * nx-abi spawn on clone3 (CLONE_PIDFD, and the CLONE_NEW* flags of the namespaces
 * mechanism), execve or execveat, waitid(P_PIDFD) and pidfd_send_signal.
 *
 * clone3 behaves as fork here (no CLONE_VM: the child runs on its copy of our memory) but
 * gives the pidfd with the child, so it names the child from birth, and makes the child pid
 * 1 of a new pid namespace. A kernel or a caller that may not create the namespaces (EPERM,
 * EINVAL, ENOSPC) gets a second clone without them, and the child reports them UNAVAILABLE.
 * Unlike fork, glibc's atfork handlers do not run, and glibc's idea of the thread id stays
 * the parent's: the child calls nothing that uses it (no raise, abort, assert or pthread
 * call; assert_return only).
 *
 * Between clone and exec the child only makes async-signal-safe calls (sigprocmask, setsid,
 * fcntl, dup2, dup3, close_range, pread, write, execve, execveat, _exit) and the sandbox,
 * which allocates nothing and takes no lock. Everything it needs is computed before the
 * clone (the seccomp program too: nx_sandbox_prepare).
 *
 * The fd map in the child, with `top` the first number above every target (at least 3):
 *   1. the report pipe, every source and the extras (the program's fd, the cgroup's
 *      directory) are first copied to `top` or above (close-on-exec), so no dup2 onto a
 *      target can overwrite a source still to be copied, even when a source's number is
 *      another entry's target (or the same fd goes to two targets);
 *   2. each copy is dup2'ed onto its target (dup2 clears close-on-exec there);
 *   3. the report pipe moves to exactly `top`, the extras right above it; the numbers
 *      3..top-1 that are no target and everything above the extras are closed. The sandbox
 *      keeps fds up to the program's fd (the cgroup's is done with by then).
 */
#include <fcntl.h>
#include <linux/sched.h> /* struct clone_args, CLONE_PIDFD */
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
	/* The extras above top, in this order: spec->exec_fd, the sandbox's cgroup_fd; their
	 * numbers in the child (-1 when absent), and the parent's fds. */
	int exec_at, cgroup_at;
	int exec_src, cgroup_src;
	int extras_end; /* the first number above the extras */
	/* The caller's profile with keep_fds past the program's fd and cgroup_fd = cgroup_at */
	struct nx_sandbox sandbox;
	int fd_limit; /* RLIMIT_NOFILE, for a kernel without close_range */
	/* The namespaces the clone made, and those it was refused (with the error). */
	unsigned cloned, refused;
	int refused_error;
	pid_t parent; /* the caller, for die_with_parent */
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
	plan->extras_end = plan->top + 1;
	plan->exec_at = plan->cgroup_at = -1;
	plan->exec_src = spec->binary ? -1 : spec->exec_fd;
	if (plan->exec_src >= 0)
		plan->exec_at = plan->extras_end++;
	plan->sandbox.keep_fds = plan->extras_end;
	plan->cgroup_src = -1;
	if (plan->sandbox.mechs & (1u << NX_SANDBOX_CGROUP)) {
		assert_return(plan->sandbox.cgroup_fd >= 0, -EINVAL);
		plan->cgroup_src = plan->sandbox.cgroup_fd;
		plan->cgroup_at = plan->sandbox.cgroup_fd = plan->extras_end++;
	}
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

/* fd copied to `min` or above, close-on-exec, into *ret_copy; -1 stays -1. */
static int child_copy_above(int fd, int min, int *ret_copy)
{
	*ret_copy = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, min);
	return fd >= 0 && *ret_copy < 0 ? nx_neg_errno() : 0;
}

/* copy (if any) to exactly `at`, close-on-exec. */
static int child_place(int copy, int at)
{
	if (copy >= 0 && copy != at && dup3(copy, at, O_CLOEXEC) < 0)
		return nx_neg_errno();
	return 0;
}

/* Steps 1-3 of the map (see the top of the file). *report follows the report pipe as it
 * moves, so a failure can still be told. Returns 0 or a negative errno. */
static int child_map_fds(const struct spawn_plan *p, int *report)
{
	const struct nx_spawn *spec = p->spec;
	int copies[NX_SPAWN_MAX_FDS], exec_copy = -1, cgroup_copy = -1, lo = 3, fd, r;

	/* Above every number placed below, so no placement overwrites a copy still needed. */
	r = child_copy_above(*report, p->extras_end, &fd);
	if (r < 0)
		return r;
	*report = fd;
	for (unsigned i = 0; i < spec->nfds; i++) {
		r = child_copy_above(spec->fds[i].parent_fd, p->extras_end, &copies[i]);
		if (r < 0)
			return r;
	}
	r = child_copy_above(p->exec_src, p->extras_end, &exec_copy);
	if (r == 0)
		r = child_copy_above(p->cgroup_src, p->extras_end, &cgroup_copy);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < spec->nfds; i++)
		if (dup2(copies[i], spec->fds[i].child_fd) < 0)
			return nx_neg_errno();
	r = child_place(*report, p->top);
	if (r < 0)
		return r;
	*report = p->top;
	r = child_place(exec_copy, p->exec_at);
	if (r == 0)
		r = child_place(cgroup_copy, p->cgroup_at);
	if (r < 0)
		return r;
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
		r = close_between(p, p->extras_end, INT32_MAX);
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

/* Runs the program behind the fd at p->exec_at; returns only on failure (errno set). A
 * script's interpreter opens /dev/fd/N to read it, so a "#!" file keeps the fd across the
 * exec; an ELF binary is mapped by the kernel and keeps nothing. */
static void child_exec_fd(const struct spawn_plan *p)
{
	char magic[2];

	if (pread(p->exec_at, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	        magic[0] == '#' && magic[1] == '!' && fcntl(p->exec_at, F_SETFD, 0) < 0)
		return;
	syscall(SYS_execveat, p->exec_at, "", p->argv, p->envp, AT_EMPTY_PATH);
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
	r = nx_sandbox_apply_cloned(&p->sandbox, p->cloned, p->refused, p->refused_error, &applied);
	child_say(report, r, &applied);
	if (r < 0)
		_exit(127);
	/* After the sandbox: a uid change clears the parent-death signal. A parent already gone
	 * (we were reparented before the prctl) never sends it: leave at once. In a new pid
	 * namespace getppid() is 0 whoever the parent is: there the check cannot be made. */
	if (p->spec->die_with_parent &&
	        (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	                (!(p->cloned & NX_NS_PID) && getppid() != p->parent)))
		_exit(127);
	if (p->exec_at >= 0)
		child_exec_fd(p);
	else
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

/* clone3 as fork, with the pidfd in *ret_pidfd and the extra CLONE_* `flags`: the child's
 * pid in the parent, 0 in the child, or a negative errno. */
static int clone_child(unsigned long long flags, int *ret_pidfd)
{
	struct clone_args args;
	long pid;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD | flags;
	args.pidfd = (uint64_t)(uintptr_t)ret_pidfd;
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	return pid < 0 ? nx_neg_errno() : (int)pid;
}

/* Creates the child with the namespaces the plan asks for; if the kernel or our privileges
 * refuse them, without, and notes which in the plan the child reads. */
static int plan_clone(struct spawn_plan *plan, int *ret_pidfd)
{
	unsigned long long ns = 0;
	int pid;

	if (plan->sandbox.mechs & (1u << NX_SANDBOX_NAMESPACES))
		ns = nx_ns_clone_flags(plan->sandbox.ns_flags);
	plan->cloned = plan->sandbox.ns_flags & ~NX_NS_USER;
	plan->refused = 0;
	if (ns == 0)
		plan->cloned = 0;
	pid = clone_child(ns, ret_pidfd);
	if (pid >= 0 || ns == 0 || !nx_ns_error_unavailable(pid))
		return pid;
	plan->refused = plan->cloned;
	plan->refused_error = pid;
	plan->cloned = 0;
	return clone_child(0, ret_pidfd);
}

int nx_spawn(const struct nx_spawn *spec, struct nx_spawned *ret)
{
	struct nx_sandbox_report report;
	struct spawn_plan plan;
	char *default_argv[2];
	int pipefd[2], pid, pidfd = -1, r, status;
	bool signaled;

	assert_return(spec && ret && spec->nfds <= NX_SPAWN_MAX_FDS, -EINVAL);
	assert_return(spec->binary || (spec->exec_fd >= 0 && spec->argv && spec->argv[0]), -EINVAL);
	r = plan_make(spec, default_argv, &plan);
	if (r < 0)
		return r;
	r = nx_sandbox_prepare(&plan.sandbox);
	if (r < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return nx_neg_errno();
	plan.parent = getpid();
	pid = plan_clone(&plan, &pidfd);
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return pid;
	}
	if (pid == 0)
		child_run(&plan, pipefd[1]);
	close(pipefd[1]);
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
