/* SPDX-License-Identifier: MIT */
/*
 * The cost of each app confinement mechanism (nx-abi sandbox.h), one at a time: spawn and
 * reap of a program (default /bin/true) through nx_spawn with nothing, no_new_privs,
 * Landlock (the loader and libraries only), seccomp's app profile, each namespace alone,
 * and everything an app gets at once ("all": those, close_range, rlimits, caps and a uid of
 * its own); beside posix_spawn + waitpid of the same program, the
 * baseline, measured in the same run. Configurations take turns round by round, so drift
 * on a shared machine spreads over all of them.
 *
 *   bench-sandbox [--reps N] [--rounds R] [--program PATH]
 *
 * Namespaces but the user one need root: without it their rows say "needs root".
 * RESULT lines: bench=sandbox mode=<configuration> p50_ns p99_ns ops_s ratio.
 */
#include <spawn.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "nx-abi/spawn.h"

#define MECH(m)        (1u << NX_SANDBOX_##m)
#define BS_CONFIGS_MAX 16
#define BS_APP_UID     61236u /* the "all" row runs as a uid of its own, as execd's apps do */

extern char **environ;

struct config {
	const char *name;
	uint64_t *samples;
	size_t n;
	struct nx_sandbox box;
	bool baseline; /* posix_spawn, no nx_spawn */
	bool root;     /* needs root */
	bool boxed;    /* box applies */
};

static const struct nx_sandbox_path loader_paths[] = {
        {"/usr", NX_SANDBOX_EXEC},
        {"/lib", NX_SANDBOX_EXEC},
        {"/lib64", NX_SANDBOX_EXEC},
        {"/etc/ld.so.cache", NX_SANDBOX_READ},
};

static void with_loader_paths(struct nx_sandbox *box)
{
	for (size_t i = 0; i < sizeof(loader_paths) / sizeof(loader_paths[0]); i++)
		box->paths[box->npaths++] = loader_paths[i];
}

static size_t configs_make(struct config *c)
{
	static const struct {
		const char *name;
		unsigned flag;
	} ns[] = {
	        {"+ns:user", NX_NS_USER},
	        {"+ns:mnt", NX_NS_MOUNT},
	        {"+ns:pid", NX_NS_PID},
	        {"+ns:net", NX_NS_NET},
	        {"+ns:ipc", NX_NS_IPC},
	        {"+ns:uts", NX_NS_UTS},
	};
	size_t n = 0;

	c[n++] = (struct config){.name = "posix_spawn", .baseline = true};
	c[n++] = (struct config){.name = "nx_spawn"};
	c[n++] = (struct config){
	        .name = "+no_new_privs", .boxed = true, .box = {.mechs = MECH(NO_NEW_PRIVS)}};
	c[n] = (struct config){.name = "+landlock",
	        .boxed = true,
	        .box = {.mechs = MECH(NO_NEW_PRIVS) | MECH(LANDLOCK)}};
	with_loader_paths(&c[n++].box);
	c[n++] = (struct config){.name = "+seccomp:app",
	        .boxed = true,
	        .box = {.mechs = MECH(NO_NEW_PRIVS) | MECH(SECCOMP),
	                .seccomp_profile = NX_SECCOMP_APP}};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		c[n++] = (struct config){.name = ns[i].name,
		        .boxed = true,
		        .root = ns[i].flag != NX_NS_USER,
		        .box = {.mechs = MECH(NAMESPACES), .ns_flags = ns[i].flag}};
	c[n] = (struct config){.name = "all",
	        .boxed = true,
	        .root = true,
	        .box = {.mechs = MECH(NO_NEW_PRIVS) | MECH(LANDLOCK) | MECH(SECCOMP) |
	                         MECH(CLOSE_RANGE) | MECH(RLIMITS) | MECH(CAPS) | MECH(IDENTITY) |
	                         MECH(NAMESPACES),
	                .seccomp_profile = NX_SECCOMP_APP,
	                .ns_flags = NX_NS_ALL,
	                .nofile = 256,
	                .nproc = 64,
	                .as_bytes = 1ull << 32,
	                .uid = BS_APP_UID,
	                .gid = BS_APP_UID}};
	with_loader_paths(&c[n++].box);
	return n;
}

/* One spawn and reap; its time in ns, 0 on failure (said once by the caller). */
static uint64_t once(const struct config *c, const char *program, int *ret_error)
{
	char *argv[] = {(char *)program, NULL};
	struct nx_spawn spec = {
	        .binary = program, .argv = argv, .sandbox = c->boxed ? &c->box : NULL};
	struct nx_spawned child;
	uint64_t t0 = bench_now_ns();
	int status, r;
	bool signaled;
	pid_t pid;

	if (c->baseline) {
		r = posix_spawn(&pid, program, NULL, NULL, argv, environ);
		if (r == 0 && waitpid(pid, &status, 0) != pid)
			r = errno;
		*ret_error = -r;
		return r == 0 ? bench_now_ns() - t0 : 0;
	}
	r = nx_spawn(&spec, &child);
	if (r == 0) {
		r = nx_process_wait(child.pidfd, true, &status, &signaled);
		close(child.pidfd);
	}
	*ret_error = r;
	return r == 0 ? bench_now_ns() - t0 : 0;
}

int main(int argc, char **argv)
{
	struct config c[BS_CONFIGS_MAX];
	const char *program = "/bin/true";
	size_t reps = 200, rounds = 5, nc;
	bool root = geteuid() == 0;
	uint64_t base_p50 = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--reps"))
			reps = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--program"))
			program = argv[i + 1];
		else
			goto usage;
	}
	if ((argc - 1) % 2 != 0 || reps == 0 || rounds == 0 || reps < rounds)
		goto usage;
	nc = configs_make(c);
	for (size_t i = 0; i < nc; i++) {
		c[i].samples = calloc(reps, sizeof(uint64_t));
		c[i].n = 0;
		if (!c[i].samples || nx_sandbox_prepare(&c[i].box) < 0)
			return 1;
	}
	for (size_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < nc; i++)
			for (size_t k = 0; k < reps / rounds && !(c[i].root && !root); k++) {
				int error = 0;
				uint64_t t = once(&c[i], program, &error);

				if (t == 0) {
					fprintf(stderr, "bench-sandbox: %s: %s\n", c[i].name,
					        strerror(-error));
					return 1;
				}
				c[i].samples[c[i].n++] = t;
			}
	printf("Confinement: spawn + reap of %s, each mechanism alone, beside posix_spawn + waitpid\n",
	        program);
	printf("%-14s %10s %10s %8s\n", "", "p50 us", "p99 us", "/posix");
	for (size_t i = 0; i < nc; i++) {
		uint64_t p50, p99, ops;

		if (c[i].n == 0) {
			printf("%-14s %10s\n", c[i].name, "needs root");
			free(c[i].samples);
			continue;
		}
		p50 = bench_quantile(c[i].samples, c[i].n, 0.50);
		p99 = bench_quantile(c[i].samples, c[i].n, 0.99);
		if (c[i].baseline)
			base_p50 = p50;
		ops = p50 ? 1000000000ull / p50 : 0;
		printf("%-14s %10.1f %10.1f %7.2fx\n", c[i].name, (double)p50 / 1e3,
		        (double)p99 / 1e3, base_p50 ? (double)p50 / (double)base_p50 : 0.0);
		printf("RESULT bench=sandbox mode=%s p50_ns=%llu p99_ns=%llu ops_s=%llu ratio=%.2f\n",
		        c[i].name, (unsigned long long)p50, (unsigned long long)p99,
		        (unsigned long long)ops, base_p50 ? (double)p50 / (double)base_p50 : 0.0);
		free(c[i].samples);
	}
	return 0;
usage:
	fprintf(stderr, "usage: bench-sandbox [--reps N] [--rounds R] [--program PATH]\n");
	return 2;
}
