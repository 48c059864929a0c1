/* SPDX-License-Identifier: MIT */
/*
 * Entropy through rngd against getrandom() in this process, in one run:
 *
 *   bench-rng --init PATH [--rounds R]
 *
 * Boots its own system (nexus-init at PATH, a temp runtime and state dir, rngd's byte rate
 * off: NEXUS_RNGD_RATE=0), then measures bytes/s of
 *   32-byte requests     Rng.getEntropy(32) (inline) vs getrandom(buf, 32)
 *   1 MiB requests       Rng.getEntropy(1 MiB): a fresh sealed memfd per request, mapped
 *                        read-only and copied out by the client, vs getrandom(buf, 1 MiB)
 * each the median of R rounds, and prints each beside its baseline as a ratio. The 1 MiB
 * target is a ratio of at least 0.50. A second baseline, the same generator rngd serves from
 * (userspace/entropy, HMAC_DRBG) run in this process, shows what the DRBG itself costs and
 * what the service adds. RESULT lines (bench-util.h) carry the same figures.
 */
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "entropy/gen.h"
#include "nexus/nexus.h"
#include "nx-abi/vmo.h"
#include "rng.capnp.h"

#define MIB (1u << 20)

struct load {
	const char *name;
	uint32_t size;
	unsigned calls; /* per round */
};

static const struct load loads[] = {
        {"32B", 32, 4000},
        {"1MiB", MIB, 24},
};

static uint8_t sink[MIB];

enum side { SIDE_RNGD, SIDE_GETRANDOM, SIDE_DRBG };

/* The in-process DRBG baseline, seeded once from getrandom and never reseeded. */
static struct ent_gen drbg;

static int drbg_call(uint32_t n)
{
	return ent_gen_fill(&drbg, sink, n, 0);
}

static int kernel_call(uint32_t n)
{
	for (uint32_t got = 0; got < n;) {
		ssize_t k = getrandom(sink + got, n - got, 0);

		if (k < 0)
			return -errno;
		got += (uint32_t)k;
	}
	return 0;
}

/* One request through rngd; the client reads every byte (copies it out) as a user would. */
static int service_call(nexus *nx, struct rng *rng, uint32_t n)
{
	rng_get_entropy_results out;
	struct nexus_vmo *vmo = NULL;
	struct nx_vmo_map map = {0};
	nx_rpc_call *call = NULL;
	const uint8_t *bytes;
	size_t len;
	int r = rng_get_entropy_wait(rng, n, nexus_deadline(nx), &call, &out);

	if (r >= 0 && rng_get_entropy_results_has_vmo(out)) {
		r = nexus_vmo_ref_get_vmo(rng_get_entropy_results_get_vmo(out), &vmo);
		if (r >= 0)
			r = nx_vmo_map_ro(nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo)), MIB, false, &map);
		if (r >= 0 && map.size == n)
			memcpy(sink, map.addr, n);
		nx_vmo_unmap(&map);
		nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	} else if (r >= 0 && rng_get_entropy_results_get_bytes(out, &bytes, &len) >= 0) {
		memcpy(sink, bytes, len);
	}
	if (r < 0)
		fprintf(stderr, "bench-rng: getEntropy(%u): %s\n", n,
		        nexus_call_failed(nx, call, r, "getEntropy") ? nexus_last_error(nx) : "");
	nx_rpc_call_free(call);
	return r;
}

/* Bytes per second of one round of `l` on `side`. */
static double round_bytes_s(nexus *nx, struct rng *rng, const struct load *l, enum side side)
{
	uint64_t t0 = bench_now_ns();

	for (unsigned i = 0; i < l->calls; i++) {
		int r = side == SIDE_RNGD        ? service_call(nx, rng, l->size)
		        : side == SIDE_GETRANDOM ? kernel_call(l->size)
		                                 : drbg_call(l->size);

		if (r < 0)
			return -1;
	}
	return (double)l->size * l->calls * 1e9 / (double)(bench_now_ns() - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Rounds interleave the sides, so the machine's drift hits all alike. */
static int measure(nexus *nx, struct rng *rng, const struct load *l, unsigned rounds)
{
	double v[3][16], m[3];

	for (unsigned i = 0; i < rounds; i++)
		for (int side = 0; side < 3; side++) {
			v[side][i] = round_bytes_s(nx, rng, l, (enum side)side);
			if (v[side][i] < 0)
				return -1;
		}
	for (int side = 0; side < 3; side++) {
		qsort(v[side], rounds, sizeof(double), cmp_double);
		m[side] = v[side][rounds / 2];
	}
	printf("RESULT bench=rng-entropy mode=%s bytes_s=%.0f getrandom_bytes_s=%.0f ratio=%.3f "
	       "drbg_bytes_s=%.0f drbg_ratio=%.3f\n",
	        l->name, m[SIDE_RNGD], m[SIDE_GETRANDOM], m[SIDE_RNGD] / m[SIDE_GETRANDOM],
	        m[SIDE_DRBG], m[SIDE_RNGD] / m[SIDE_DRBG]);
	printf("rng %-5s requests: rngd %7.1f MB/s | getrandom() in process %7.1f MB/s, ratio "
	       "%.3f%s | rngd's DRBG in process %7.1f MB/s, ratio %.3f\n",
	        l->name, m[SIDE_RNGD] / 1e6, m[SIDE_GETRANDOM] / 1e6,
	        m[SIDE_RNGD] / m[SIDE_GETRANDOM],
	        l->size == MIB
	                ? (m[SIDE_RNGD] / m[SIDE_GETRANDOM] >= 0.5 ? " (target >= 0.50: met)"
	                                                           : " (target >= 0.50: MISSED)")
	                : "",
	        m[SIDE_DRBG] / 1e6, m[SIDE_RNGD] / m[SIDE_DRBG]);
	return 0;
}

/* nexus-init in `dir`, its output to dir/init.log; the pid, or -1. */
static pid_t boot(const char *init, const char *dir)
{
	char run[512], state[512], log[512];
	pid_t pid;

	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(log, sizeof(log), "%s/init.log", dir);
	setenv("NEXUS_RUNTIME_DIR", run, 1);
	setenv("NEXUS_STATE_DIR", state, 1);
	setenv("NEXUS_RNGD_RATE", "0", 1);
	pid = fork();
	if (pid == 0) {
		if (!freopen(log, "w", stdout) || dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
			_exit(127);
		execl(init, init, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Connects and resolves rngd once the system is up (bounded: 30 s). */
static int connect_rngd(nexus **ret_nx, nx_rpc_cap **ret_cap)
{
	for (int i = 0; i < 300; i++) {
		if (nexus_connect(ret_nx) >= 0) {
			if (nexus_resolve(*ret_nx, "rngd", ret_cap) >= 0)
				return 0;
			*ret_nx = nexus_free(*ret_nx);
		}
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/bench-rng-XXXXXX", cmd[64];
	const char *init = NULL;
	unsigned rounds = 5;
	nx_rpc_cap *cap = NULL;
	nexus *nx = NULL;
	int r = 0, st;
	pid_t pid;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--init"))
			init = argv[i + 1];
		else if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	if (!init || rounds == 0 || rounds > 16 || argc % 2 == 0) {
		fprintf(stderr, "usage: bench-rng --init PATH [--rounds 1..16]\n");
		return 2;
	}
	ent_gen_init(&drbg, UINT64_MAX, UINT64_MAX);
	if (kernel_call(96) < 0 ||
	        ent_gen_instantiate(&drbg, sink, 64, sink + 64, 32, NULL, 0, 0) < 0) {
		fprintf(stderr, "bench-rng: cannot seed the in-process DRBG\n");
		return 1;
	}
	if (!mkdtemp(dir) || (pid = boot(init, dir)) < 0) {
		perror("bench-rng: boot");
		return 1;
	}
	if (connect_rngd(&nx, &cap) < 0) {
		fprintf(stderr, "bench-rng: rngd did not come up (see %s/init.log)\n", dir);
		r = -1;
	}
	for (size_t i = 0; r >= 0 && i < sizeof(loads) / sizeof(loads[0]); i++)
		r = measure(nx, rng_from_cap(cap), &loads[i], rounds);
	nx_rpc_cap_unref(cap);
	nexus_free(nx);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-rng: could not remove %s\n", dir);
	return r < 0 ? 1 : 0;
}
