/* SPDX-License-Identifier: MIT */
/*
 * Boot to "init: ready": spawns nexus-init with a fresh $NEXUS_RUNTIME_DIR, reads its output
 * until the "init: ready" line, then SIGTERMs it and reaps it (that part is reported as
 * stop_ms). Baseline, interleaved with the boots: spawning and reaping /bin/true once per
 * service of the table, one after the other (the process-creation floor of a boot).
 *
 *   bench-boot --init PATH --dir DIR [--boots N] [--services K] [--mode NAME]
 *
 * DIR must exist; boot i runs in DIR/boot-i ($NEXUS_RUNTIME_DIR; $NEXUS_STATE_DIR is its
 * state/), left for the caller to remove. Pinning is the
 * caller's (taskset); --mode only names the placement in the RESULT line.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench-util.h"

#define BB_MAX_BOOTS 1000u
#define BB_READY     "init: ready\n"
#define BB_BUF       65536

static int spawn_true(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* Whether buf[0..len) holds the line "init: ready". */
static bool has_ready(const char *buf, size_t len)
{
	size_t n = strlen(BB_READY);

	for (size_t i = 0; i + n <= len; i++)
		if ((i == 0 || buf[i - 1] == '\n') && !memcmp(buf + i, BB_READY, n))
			return true;
	return false;
}

/* One boot: ns from fork to "init: ready" in *ret_boot, SIGTERM to reaped in *ret_stop. */
static int boot_once(const char *init, const char *rundir, uint64_t *ret_boot, uint64_t *ret_stop)
{
	char statedir[4096];
	static char buf[BB_BUF];
	size_t len = 0;
	uint64_t t0, t1, t2;
	int p[2], status;
	ssize_t k;
	pid_t pid;

	(void)snprintf(statedir, sizeof(statedir), "%s/state", rundir);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		if (dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0 ||
		        setenv("NEXUS_RUNTIME_DIR", rundir, 1) < 0 ||
		        setenv("NEXUS_STATE_DIR", statedir, 1) < 0)
			_exit(127);
		execl(init, init, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (!has_ready(buf, len)) {
		k = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (k <= 0 || len + (size_t)k >= sizeof(buf) - 1)
			break;
		len += (size_t)k;
	}
	t1 = bench_now_ns();
	if (!has_ready(buf, len)) {
		buf[len] = '\0';
		(void)fprintf(stderr, "bench-boot: no 'init: ready'; output:\n%s\n", buf);
		kill(pid, SIGKILL);
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -EPROTO;
	}
	kill(pid, SIGTERM);
	/* Drain, so init never blocks writing its stop markers. */
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	close(p[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	t2 = bench_now_ns();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)fprintf(stderr, "bench-boot: init did not exit 0 after SIGTERM\n");
		return -ECHILD;
	}
	*ret_boot = t1 - t0;
	*ret_stop = t2 - t1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *init = NULL, *dir = NULL, *mode = "free";
	size_t boots = 20, services = 4, i, s;
	uint64_t *boot_ns, *stop_ns, *spawn_ns, t0;
	char rundir[2048];
	int ac, r = 0;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--init") && ac + 1 < argc)
			init = argv[++ac];
		else if (!strcmp(argv[ac], "--dir") && ac + 1 < argc)
			dir = argv[++ac];
		else if (!strcmp(argv[ac], "--boots") && ac + 1 < argc)
			boots = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--services") && ac + 1 < argc)
			services = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--mode") && ac + 1 < argc)
			mode = argv[++ac];
		else
			goto usage;
	}
	if (!init || !dir || boots == 0 || boots > BB_MAX_BOOTS || services == 0)
		goto usage;
	boot_ns = calloc(boots, sizeof(*boot_ns));
	stop_ns = calloc(boots, sizeof(*stop_ns));
	spawn_ns = calloc(boots, sizeof(*spawn_ns));
	if (!boot_ns || !stop_ns || !spawn_ns) {
		r = -ENOMEM;
		goto out;
	}

	for (i = 0; i < boots && r == 0; i++) {
		(void)snprintf(rundir, sizeof(rundir), "%s/boot-%zu", dir, i);
		r = boot_once(init, rundir, &boot_ns[i], &stop_ns[i]);
		t0 = bench_now_ns();
		for (s = 0; s < services && r == 0; s++)
			r = spawn_true();
		spawn_ns[i] = bench_now_ns() - t0;
	}
	if (r < 0) {
		(void)fprintf(stderr, "bench-boot: boot %zu failed: %s\n", i - 1, strerror(-r));
	} else {
		uint64_t b50 = bench_quantile(boot_ns, boots, 0.5);
		uint64_t b90 = bench_quantile(boot_ns, boots, 0.9);
		uint64_t s50 = bench_quantile(stop_ns, boots, 0.5);
		uint64_t f50 = bench_quantile(spawn_ns, boots, 0.5);

		printf("RESULT bench=boot mode=%s median_ms=%.3f p90_ms=%.3f min_ms=%.3f "
		       "stop_ms=%.3f spawn_ms=%.3f services=%zu boots=%zu\n",
		        mode, (double)b50 / 1e6, (double)b90 / 1e6, (double)boot_ns[0] / 1e6,
		        (double)s50 / 1e6, (double)f50 / 1e6, services, boots);
	}
out:
	free(boot_ns);
	free(stop_ns);
	free(spawn_ns);
	return r < 0 ? 1 : 0;

usage:
	(void)fprintf(stderr,
	        "usage: bench-boot --init PATH --dir DIR [--boots 1..%u] "
	        "[--services K] [--mode NAME]\n",
	        BB_MAX_BOOTS);
	return 2;
}
