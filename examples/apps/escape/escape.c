/* SPDX-License-Identifier: MIT */
/*
 * escape: the hostile sample app. It tries, one after the other, each way out of its sandbox
 * that issue 9 names and a few more (README.md lists them) and prints one line per try on
 * stdout (a journal record of its subject once execd carries it there):
 *
 *   escape: <try>: denied (<errno or the service's reason>)
 *   escape: <try>: ALLOWED
 *
 * then "escape: <n> tries, <k> allowed" and exits 1 if any try was allowed, else 0.
 *
 *   escape --other ID --other-data PATH [--runtime DIR] [--self ID]
 *          [--fork-ceiling N] [--memory-ceiling MIB]
 *
 * --other is another app's bundle id and --other-data a file of its data on the host (vfsd's
 * state dir); --runtime the runtime dir holding samgr.sock (the door for local users); --self
 * this app's bundle id (default org.example.escape). The fork bomb stops at --fork-ceiling
 * processes (default 64), the allocation at --memory-ceiling MiB (default 256): far past any
 * limit the sample manifests set, and small enough not to hurt the machine when a limit fails.
 *
 * Every call it makes is a plain syscall or an RPC over the channel execd gave it: this is the
 * program that checks the sandbox, not a part of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "fs.capnp.h"
#include "samgr.capnp.h"

#define DEFAULT_SELF           "org.example.escape"
#define FORK_CEILING_DEFAULT   64u
#define FORK_CEILING_MAX       1024u
#define MEMORY_CEILING_DEFAULT 256u /* MiB */
#define MEMORY_CEILING_MAX     4096u
#define MIB                    (1024u * 1024u)
/* What a child reports back through its pipe: how far it got and why it stopped. */
struct child_result {
	unsigned reached;
	int err; /* 0: it reached the ceiling */
};

struct escape {
	nexus *nx;
	const char *self, *other, *other_data, *runtime;
	unsigned fork_ceiling, memory_ceiling_mib;
	unsigned tries, allowed;
};

static void verdict(struct escape *e, const char *try_, bool allowed, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* One line per try; `fmt` says why it was denied (ignored when allowed). */
static void verdict(struct escape *e, const char *try_, bool allowed, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	/* clang-tidy 14 wrongly reports ap as uninitialized (as in nx's common.c). */
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	e->tries++;
	e->allowed += allowed;
	if (allowed)
		printf("escape: %s: ALLOWED\n", try_);
	else
		printf("escape: %s: denied (%s)\n", try_, why);
}

/* "EACCES: Permission denied" for a positive errno. */
static const char *errno_text(int err, char *buf, size_t size)
{
	const char *name = strerrorname_np(err);

	(void)snprintf(buf, size, "%s: %s", name ? name : "?", strerror(err));
	return buf;
}

/* A try that is one syscall returning an fd (or -1 with errno). */
static void verdict_fd(struct escape *e, const char *try_, int fd)
{
	char buf[128];
	int err = errno;

	if (fd >= 0)
		close(fd);
	verdict(e, try_, fd >= 0, "%s", errno_text(err, buf, sizeof(buf)));
}

/* ---- The host: files, sockets, processes ---- */

static void try_shadow(struct escape *e)
{
	verdict_fd(e, "open /etc/shadow", open("/etc/shadow", O_RDONLY | O_CLOEXEC));
}

static void try_other_data_host(struct escape *e)
{
	verdict_fd(e, "open another app's data on the host",
	        open(e->other_data, O_RDONLY | O_CLOEXEC));
}

/* A file in the host's /tmp would be shared with every other process that can reach it. */
static void try_host_tmp(struct escape *e)
{
	char path[64];
	int fd;

	(void)snprintf(path, sizeof(path), "/tmp/escape-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		unlink(path);
	verdict_fd(e, "create a file in the host's /tmp", fd);
}

static void try_own_binary(struct escape *e)
{
	verdict_fd(
	        e, "open its own binary for writing", open("/proc/self/exe", O_WRONLY | O_CLOEXEC));
}

static void try_inet(struct escape *e)
{
	verdict_fd(e, "create an AF_INET socket", socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

/* samgr.sock is the door for local users (subject uid:<n>): an app must not come in again
 * through it under its uid. */
static void try_samgr_sock(struct escape *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[128];
	int fd, r, err;

	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/samgr.sock", e->runtime);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		verdict_fd(e, "connect to samgr.sock", fd);
		return;
	}
	r = connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
	err = errno;
	close(fd);
	verdict(e, "connect to samgr.sock", r == 0, "%s", errno_text(err, buf, sizeof(buf)));
}

static void try_ptrace_parent(struct escape *e)
{
	pid_t parent = getppid();
	char buf[128];
	long r = ptrace(PTRACE_ATTACH, parent, NULL, NULL);
	int err = errno;

	if (r == 0) {
		(void)waitpid(parent, NULL, __WALL);
		(void)ptrace(PTRACE_DETACH, parent, NULL, NULL);
	}
	verdict(e, "ptrace its parent", r == 0, "%s%s", errno_text(err, buf, sizeof(buf)),
	        parent == 0 ? "; its parent is outside its pid namespace" : "");
}

/* Signal 0 checks the right to signal without sending anything: execd runs under another
 * uid, so only a capability (CAP_KILL) would allow it. */
static void try_signal_parent(struct escape *e)
{
	char buf[128];
	int r = kill(getppid(), 0), err = errno;

	verdict(e, "signal its parent (another uid)", r == 0, "%s",
	        errno_text(err, buf, sizeof(buf)));
}

/* Runs `body` in a child that writes a child_result into a pipe; the parent reads it. A child
 * killed by a signal (the kernel's OOM killer under a memory cgroup) is reported so. */
static int in_child(struct child_result (*body)(unsigned ceiling), unsigned ceiling,
        struct child_result *ret, int *ret_signal)
{
	struct child_result res = {0};
	int fds[2], status;
	pid_t pid;

	*ret_signal = 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		res = body(ceiling);
		_exit(write(fds[1], &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], &res, sizeof(res)) != (ssize_t)sizeof(res))
		res.err = -1;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		*ret_signal = WTERMSIG(status);
	*ret = res;
	return 0;
}

/* Forks processes that wait to be killed until fork fails or `ceiling` of them live, then
 * kills them all. */
static struct child_result fork_bomb(unsigned ceiling)
{
	struct child_result res = {0};
	pid_t pids[FORK_CEILING_MAX];

	while (res.reached < ceiling) {
		pid_t pid = fork();

		if (pid < 0) {
			res.err = errno;
			break;
		}
		if (pid == 0) {
			pause();
			_exit(0);
		}
		pids[res.reached++] = pid;
	}
	for (unsigned i = 0; i < res.reached; i++)
		kill(pids[i], SIGKILL);
	for (unsigned i = 0; i < res.reached; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	return res;
}

/* Maps and touches one MiB after another (mmap, not malloc: a sanitizer's allocator aborts on
 * failure instead of returning it) until a map fails or `ceiling` MiB are in use. */
static struct child_result allocate(unsigned ceiling)
{
	struct child_result res = {0};

	while (res.reached < ceiling) {
		void *p =
		        mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			res.err = errno;
			break;
		}
		memset(p, 0xa5, MIB);
		res.reached++;
	}
	return res;
}

/* setuid(0) in a child, so a success changes nothing for the other tries. */
static struct child_result become_root(unsigned unused)
{
	struct child_result res = {0};

	if (setuid(0) == 0)
		res.reached = 1;
	else
		res.err = errno;
	return res;
}

static void try_become_root(struct escape *e)
{
	struct child_result res = {0};
	char buf[128];
	int sig = 0, r = in_child(become_root, 0, &res, &sig);

	if (r < 0)
		res.err = -r;
	verdict(e, "become root (setuid 0)", res.reached == 1, "%s",
	        errno_text(res.err, buf, sizeof(buf)));
}

static void try_in_child(struct escape *e, const char *try_, const char *unit,
        struct child_result (*body)(unsigned), unsigned ceiling)
{
	struct child_result res = {0};
	char buf[128];
	int sig = 0, r = in_child(body, ceiling, &res, &sig);

	if (r < 0)
		verdict(e, try_, false, "could not even start: %s",
		        errno_text(-r, buf, sizeof(buf)));
	else if (sig)
		verdict(e, try_, false, "killed by SIG%s", sigabbrev_np(sig));
	else if (res.err > 0)
		verdict(e, try_, false, "%s after %u %s", errno_text(res.err, buf, sizeof(buf)),
		        res.reached, unit);
	else
		verdict(e, try_, res.err == 0, "the child failed to report");
}

static void try_fork_bomb(struct escape *e)
{
	try_in_child(e, "fork-bomb past its pids limit", "processes", fork_bomb, e->fork_ceiling);
}

static void try_memory(struct escape *e)
{
	try_in_child(e, "allocate past its memory limit", "MiB", allocate, e->memory_ceiling_mib);
}

/* ---- Through samgrd: services it was not granted ---- */

static void try_resolve(struct escape *e, const char *try_, const char *service)
{
	nx_rpc_cap *cap = NULL;
	const char *why = "";
	int r = app_resolve(e->nx, service, &cap, &why);

	nx_rpc_cap_unref(cap);
	verdict(e, try_, r >= 0, "%s", why);
}

static int refuse_accept(void *impl, nx_rpc_incoming *in, nexus_service_host_accept_params params)
{
	return nx_rpc_incoming_failf(in, -EPERM, "escape serves nobody");
}

static const struct nexus_service_host_server host_vt = {.accept = refuse_accept};

static void try_register(struct escape *e)
{
	struct nexus_service_host *host = NULL;
	samgr_register_results out;
	nx_rpc_call *call = NULL;
	nx_rpc_cap *samgr = NULL;
	int r = nexus_samgr(e->nx, &samgr);

	if (r >= 0)
		r = nexus_service_host_server_new(&host_vt, NULL, NULL, &host);
	if (r >= 0)
		r = samgr_register_wait(
		        samgr_from_cap(samgr), "escape", host, nexus_deadline(e->nx), &call, &out);
	verdict(e, "register the service name 'escape'", r >= 0, "%s",
	        r < 0 ? app_reason(e->nx, call, r, "register") : "");
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(nexus_service_host_cap(host));
	nx_rpc_cap_unref(samgr);
}

/* ---- Through vfsd: another app's tree, its own package ---- */

static void try_act_as_other(struct escape *e, struct fs *fs)
{
	char subject[NEXUS_SUBJECT_MAX_LEN + 1];
	fs_act_as_results out;
	nx_rpc_call *call = NULL;
	int r;

	(void)snprintf(subject, sizeof(subject), "app:%s", e->other);
	r = fs_act_as_wait(fs, subject, nexus_deadline(e->nx), &call, &out);
	verdict(e, "open another app's data through vfsd", r >= 0, "%s",
	        r < 0 ? app_reason(e->nx, call, r, "actAs") : "");
	nx_rpc_call_free(call);
}

static void try_pkg_write(struct escape *e, struct fs *fs)
{
	char path[FS_PATH_MAX_LEN + 1];
	fs_open_results out;
	nx_rpc_call *call = NULL;
	int r;

	(void)snprintf(path, sizeof(path), "/pkg/%s/bin/escape", e->self);
	r = fs_open_wait(fs, path, FS_OPEN_WRITE, nexus_deadline(e->nx), &call, &out);
	verdict(e, "write into its /pkg", r >= 0, "%s",
	        r < 0 ? app_reason(e->nx, call, r, "open") : "");
	nx_rpc_call_free(call);
}

static void try_through_vfsd(struct escape *e)
{
	nx_rpc_cap *cap = NULL;
	const char *why = "";

	if (app_resolve(e->nx, "vfsd", &cap, &why) < 0) {
		/* No vfsd, no way through it: both tries are denied for that reason. */
		verdict(e, "open another app's data through vfsd", false, "%s", why);
		verdict(e, "write into its /pkg", false, "%s", why);
		return;
	}
	try_act_as_other(e, fs_from_cap(cap));
	try_pkg_write(e, fs_from_cap(cap));
	nx_rpc_cap_unref(cap);
}

/* ---- Arguments ---- */

static int parse_count(const char *opt, const char *text, unsigned max, unsigned *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || end == text || v < 1 || v > max) {
		fprintf(stderr, "escape: %s: expected 1..%u, not '%s'\n", opt, max, text);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct escape *e)
{
	static const struct option opts[] = {
	        {"other", required_argument, NULL, 'o'},
	        {"other-data", required_argument, NULL, 'd'},
	        {"runtime", required_argument, NULL, 'r'},
	        {"self", required_argument, NULL, 's'},
	        {"fork-ceiling", required_argument, NULL, 'f'},
	        {"memory-ceiling", required_argument, NULL, 'm'},
	        {0},
	};
	int c, r = 0;

	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			e->other = optarg;
			break;
		case 'd':
			e->other_data = optarg;
			break;
		case 'r':
			e->runtime = optarg;
			break;
		case 's':
			e->self = optarg;
			break;
		case 'f':
			r = parse_count(
			        "--fork-ceiling", optarg, FORK_CEILING_MAX, &e->fork_ceiling);
			break;
		case 'm':
			r = parse_count("--memory-ceiling", optarg, MEMORY_CEILING_MAX,
			        &e->memory_ceiling_mib);
			break;
		default:
			r = -EINVAL;
			break;
		}
	}
	if (r == 0 && (optind != argc || !e->other || !e->other_data)) {
		fprintf(stderr, "usage: escape --other ID --other-data PATH [--runtime DIR] "
		                "[--self ID] [--fork-ceiling N] [--memory-ceiling MIB]\n");
		r = -EINVAL;
	}
	return r;
}

int main(int argc, char **argv)
{
	struct escape e = {
	        .self = DEFAULT_SELF,
	        .runtime = "/run/nexus",
	        .fork_ceiling = FORK_CEILING_DEFAULT,
	        .memory_ceiling_mib = MEMORY_CEILING_DEFAULT,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &e) < 0)
		return 2;
	if (app_connect(&e.nx) < 0)
		return 1;
	try_shadow(&e);
	try_other_data_host(&e);
	try_host_tmp(&e);
	try_through_vfsd(&e);
	try_inet(&e);
	try_samgr_sock(&e);
	try_ptrace_parent(&e);
	try_signal_parent(&e);
	try_become_root(&e);
	try_resolve(&e, "resolve a service it was not granted (keystored)", "keystored");
	try_register(&e);
	try_resolve(&e, "spawn a process through execd", "execd");
	try_own_binary(&e);
	try_fork_bomb(&e);
	try_memory(&e);
	printf("escape: %u tries, %u allowed\n", e.tries, e.allowed);
	nexus_free(e.nx);
	return e.allowed ? 1 : 0;
}
