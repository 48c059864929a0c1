/* SPDX-License-Identifier: MIT */
/*
 * Restart time of a service of a running system (nexus-init started by scripts/bench.sh,
 * $NEXUS_RUNTIME_DIR): kill -9 of the service to a client being served again, that is a
 * fresh connection to samgr.sock, Samgr.resolve("logd") and Log.stats() answered, the
 * service up again under a new pid in init's status file (polled every 100 us).
 *
 *   bench-restart samgrd|logd [--rounds R]     (R <= 4: init's storm limit is 5 in 30 s)
 *
 * Beside it, from the same run: the same fresh connect + resolve + stats on the undisturbed
 * system (what the client's last step costs when nothing was down), and init's first
 * restart backoff (SUP_BACKOFF_FIRST_NS), the wait no restart is faster than. Rounds follow
 * each other within init's backoff window, so each waits twice the backoff of the one
 * before: the minimum is the first round's.
 */
#include <signal.h>

#include "bench-util.h"
#include "log.capnp.h"
#include "nexus/nexus.h"
#include "nexus/limits.h" /* SUP_BACKOFF_FIRST_NS */

#define BR_TIMEOUT_NS (20ull * 1000 * 1000 * 1000)

/* The pid and state of `name` in init's status file: 0 if not up (or unreadable). */
static int status_pid_up(const char *dir, const char *name)
{
	char path[512], line[256], svc[65], state[16];
	int pid = 0, p;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%64s %d %15s", svc, &p, state) == 3 && !strcmp(svc, name) &&
		        !strcmp(state, "up"))
			pid = p;
	fclose(f);
	return pid;
}

/* A fresh client served: connect, resolve logd, Log.stats. 0 or a negative errno. */
static int served(void)
{
	struct nx_rpc_cap *cap = NULL;
	nx_rpc_call *call = NULL;
	log_stats_results out;
	nexus *nx = NULL;
	int r;

	r = nexus_connect(&nx);
	if (r >= 0)
		r = nexus_resolve(nx, "logd", &cap);
	if (r >= 0)
		r = log_stats_wait(log_from_cap(cap), nexus_deadline(nx), &call, &out);
	nx_rpc_call_free(call);
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	return r;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("NEXUS_RUNTIME_DIR"), *name;
	uint64_t restart[4], fresh[4];
	size_t rounds = 3, mid;
	int old, pid;

	if (argc < 2 || (strcmp(argv[1], "samgrd") != 0 && strcmp(argv[1], "logd") != 0))
		goto usage;
	name = argv[1];
	if (argc == 4 && !strcmp(argv[2], "--rounds"))
		rounds = strtoul(argv[3], NULL, 10);
	else if (argc != 2)
		goto usage;
	if (!dir || rounds == 0 || rounds > 4)
		goto usage;

	for (size_t k = 0; k < rounds; k++) {
		uint64_t t0 = bench_now_ns(), deadline;

		if (served() < 0) {
			(void)fprintf(stderr, "bench-restart: the system does not serve\n");
			return 1;
		}
		fresh[k] = bench_now_ns() - t0;
		old = status_pid_up(dir, name);
		if (old <= 0) {
			(void)fprintf(stderr, "bench-restart: %s is not up\n", name);
			return 1;
		}
		t0 = bench_now_ns();
		deadline = t0 + BR_TIMEOUT_NS;
		if (kill(old, SIGKILL) < 0) {
			perror("bench-restart: kill");
			return 1;
		}
		do {
			pid = status_pid_up(dir, name);
			if (pid > 0 && pid != old && served() >= 0)
				break;
			(void)usleep(100);
		} while (bench_now_ns() < deadline);
		restart[k] = bench_now_ns() - t0;
		if (restart[k] >= BR_TIMEOUT_NS) {
			(void)fprintf(stderr, "bench-restart: %s not serving again\n", name);
			return 1;
		}
	}
	mid = rounds / 2;
	qsort(restart, rounds, sizeof(restart[0]), bench_cmp_u64);
	qsort(fresh, rounds, sizeof(fresh[0]), bench_cmp_u64);
	/* The fastest round is the one at init's first backoff: later ones in the same 30 s
	 * wait a doubled one (median). */
	printf("RESULT bench=restart service=%s rounds=%zu kill_to_served_ms_min=%.1f"
	       " kill_to_served_ms_median=%.1f fresh_client_ms=%.2f backoff_ms=%.0f"
	       " ratio_min_to_backoff=%.2f\n",
	        name, rounds, (double)restart[0] / 1e6, (double)restart[mid] / 1e6,
	        (double)fresh[mid] / 1e6, (double)SUP_BACKOFF_FIRST_NS / 1e6,
	        (double)restart[0] / (double)SUP_BACKOFF_FIRST_NS);
	return 0;
usage:
	(void)fprintf(stderr, "usage: bench-restart samgrd|logd [--rounds 1..4] "
	                      "(with $NEXUS_RUNTIME_DIR of a running system)\n");
	return 2;
}
