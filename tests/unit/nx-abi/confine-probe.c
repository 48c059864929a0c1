/* SPDX-License-Identifier: MIT */
/*
 * The program test-confine starts inside a sandbox: tries one thing and reports, on fd 1,
 * one line "<what> <result>", result the errno of the try (0: it worked) unless said:
 *   inet            socket(AF_INET)
 *   inet6           socket(AF_INET6)
 *   unix            socket(AF_UNIX)
 *   connect PATH    socket(AF_UNIX) then connect() to the socket file PATH
 *   netlink         socket(AF_NETLINK, SOCK_RAW)
 *   packet          socket(AF_PACKET, SOCK_RAW)
 *   ptrace          PTRACE_TRACEME (in a child), PTRACE_SEIZE of a child: "ptrace E1 E2"
 *   mount           mount of a filesystem type no kernel has on "/": root without a filter
 *                   gets ENODEV, a filter EPERM
 *   keyctl          keyctl(KEYCTL_GET_KEYRING_ID) of the session keyring
 *   unshare         unshare(CLONE_NEWUTS)
 *   clone-newuts    clone(CLONE_NEWUTS) (the child exits at once)
 *   clone3          clone3 with no flags (the child exits at once)
 *   inet-hi         socket() with AF_INET and garbage above bit 31 (the kernel reads an int)
 *   personality     personality(ADDR_NO_RANDOMIZE), then the query: "personality E1 E2"
 *   x32             getpid through the x32 ABI (x86_64 only; else "x32 -")
 *   bpf             bpf(BPF_PROG_LOAD) with no program
 *   io_uring        io_uring_setup(1)
 *   pid             "pid <getpid()>"
 *   ifaces          "ifaces <names of its network interfaces, space-separated>"
 *   hostname NAME   sethostname(NAME): "hostname <errno> <gethostname after>"
 *   ids             "ids <uid> <gid> <groups count>"
 *   malloc BYTES    malloc and touch BYTES: "malloc 0" or "malloc 12" (ENOMEM)
 *   fork-bomb       forks children that wait, until fork fails: "fork-bomb <errno> <forked>";
 *                   then kills and reaps them
 *   open PATH       open(PATH, O_RDONLY)
 *   file PATH       "file <its first line>" ("file -" if it cannot be read)
 *   create DIR      creates a file in DIR (and removes it)
 * Exit code 0 unless the request itself is malformed (2).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORK_BOMB_MAX            256
#define KEYCTL_GET_KEYRING_ID    0
#define KEY_SPEC_SESSION_KEYRING (-3)

static int err(long r)
{
	return r < 0 ? errno : 0;
}

static int try_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* TRACEME in a child of its own (traced by us, it exits at once: no stop to wait for), then
 * SEIZE of another child. */
static void report_ptrace(void)
{
	int traceme = -1, seize, status;
	pid_t child = fork();

	if (child == 0)
		_exit(err(ptrace(PTRACE_TRACEME, 0, NULL, NULL)));
	if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status))
		traceme = WEXITSTATUS(status);
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	seize = child < 0 ? errno : err(ptrace(PTRACE_SEIZE, child, NULL, NULL));
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	printf("ptrace %d %d\n", traceme, seize);
}

static void report_ifaces(void)
{
	struct if_nameindex *all = if_nameindex();

	printf("ifaces");
	for (struct if_nameindex *i = all; i && i->if_name; i++)
		printf(" %s", i->if_name);
	printf("\n");
	if_freenameindex(all);
}

static void report_hostname(const char *name)
{
	int r = err(sethostname(name, strlen(name)));
	char now[256] = "";

	gethostname(now, sizeof(now) - 1);
	printf("hostname %d %s\n", r, now);
}

static void report_malloc(const char *bytes)
{
	size_t n = strtoull(bytes, NULL, 10);
	char *p = malloc(n);

	if (p)
		memset(p, 1, n); /* really used, not only reserved */
	printf("malloc %d\n", p ? 0 : ENOMEM);
	free(p);
}

static void report_fork_bomb(void)
{
	pid_t kids[FORK_BOMB_MAX];
	int n = 0, r = 0;

	while (n < FORK_BOMB_MAX) {
		pid_t pid = fork();

		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid < 0) {
			r = errno;
			break;
		}
		kids[n++] = pid;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	printf("fork-bomb %d %d\n", r, n);
}

static void report_file(const char *path)
{
	char line[256] = "-";
	FILE *f = fopen(path, "re");

	if (f && fgets(line, sizeof(line), f))
		line[strcspn(line, "\n")] = '\0';
	if (f)
		fclose(f);
	printf("file %s\n", line);
}

/* A raw clone (no libc wrapper: it must not touch our threads' state) whose child exits. */
static int try_clone(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int try_clone3(void)
{
	struct clone_args args = {.exit_signal = SIGCHLD};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int try_inet_hi(void)
{
	long fd = syscall(SYS_socket, (1ul << 32) | AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

static void report_x32(void)
{
#ifdef __x86_64__
	printf("x32 %d\n", err(syscall(0x40000000 | SYS_getpid)));
#else
	printf("x32 -\n");
#endif
}

static int try_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = err(connect(fd, (const struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	return r;
}

static int try_create(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/confine-probe.%d", dir, (int)getpid());
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	unlink(path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : NULL;

	if (strcmp(what, "inet") == 0)
		printf("inet %d\n", try_socket(AF_INET, SOCK_STREAM));
	else if (strcmp(what, "inet6") == 0)
		printf("inet6 %d\n", try_socket(AF_INET6, SOCK_STREAM));
	else if (strcmp(what, "unix") == 0)
		printf("unix %d\n", try_socket(AF_UNIX, SOCK_STREAM));
	else if (strcmp(what, "connect") == 0 && arg)
		printf("connect %d\n", try_connect(arg));
	else if (strcmp(what, "netlink") == 0)
		printf("netlink %d\n", try_socket(AF_NETLINK, SOCK_RAW));
	else if (strcmp(what, "packet") == 0)
		printf("packet %d\n", try_socket(AF_PACKET, SOCK_RAW));
	else if (strcmp(what, "ptrace") == 0)
		report_ptrace();
	else if (strcmp(what, "mount") == 0)
		printf("mount %d\n", err(mount("none", "/", "nx-no-such-fs", 0, NULL)));
	else if (strcmp(what, "keyctl") == 0)
		printf("keyctl %d\n", err(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		                              KEY_SPEC_SESSION_KEYRING, 0)));
	else if (strcmp(what, "unshare") == 0)
		printf("unshare %d\n", err(unshare(CLONE_NEWUTS)));
	else if (strcmp(what, "clone-newuts") == 0)
		printf("clone-newuts %d\n", try_clone(CLONE_NEWUTS));
	else if (strcmp(what, "clone3") == 0)
		printf("clone3 %d\n", try_clone3());
	else if (strcmp(what, "inet-hi") == 0)
		printf("inet-hi %d\n", try_inet_hi());
	else if (strcmp(what, "personality") == 0)
		printf("personality %d %d\n", err(personality(ADDR_NO_RANDOMIZE)),
		        err(personality(0xffffffff)));
	else if (strcmp(what, "x32") == 0)
		report_x32();
	else if (strcmp(what, "bpf") == 0)
		printf("bpf %d\n", err(syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0)));
	else if (strcmp(what, "io_uring") == 0)
		printf("io_uring %d\n", err(syscall(SYS_io_uring_setup, 1, NULL)));
	else if (strcmp(what, "pid") == 0)
		printf("pid %d\n", (int)getpid());
	else if (strcmp(what, "ifaces") == 0)
		report_ifaces();
	else if (strcmp(what, "hostname") == 0 && arg)
		report_hostname(arg);
	else if (strcmp(what, "ids") == 0)
		printf("ids %d %d %d\n", (int)getuid(), (int)getgid(), getgroups(0, NULL));
	else if (strcmp(what, "malloc") == 0 && arg)
		report_malloc(arg);
	else if (strcmp(what, "fork-bomb") == 0)
		report_fork_bomb();
	else if (strcmp(what, "open") == 0 && arg)
		printf("open %d\n", err(open(arg, O_RDONLY | O_CLOEXEC)));
	else if (strcmp(what, "file") == 0 && arg)
		report_file(arg);
	else if (strcmp(what, "create") == 0 && arg)
		printf("create %d\n", try_create(arg));
	else
		return 2;
	return 0;
}
