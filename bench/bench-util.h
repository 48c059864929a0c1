/* SPDX-License-Identifier: MIT */
/*
 * Shared by the benchmark programs (C and C++): clock, CPU pinning, percentiles and the one
 * result-line format scripts/bench.sh parses:
 *
 *   RESULT bench=NAME mode=MODE key=value ...
 *
 * Latency benchmarks report p50_ns, p99_ns and ops_s (median over rounds); data-plane
 * benchmarks report median_ms, min_ms and gib_s (from the median). Nothing here is a test.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How the two processes of a benchmark are placed. */
enum bench_cpus {
	BENCH_CPUS_SAME,  /* both on CPU 0: no cross-CPU wakeup, but every hop is a switch */
	BENCH_CPUS_SPLIT, /* one on CPU 0, one on CPU 1: each hop is a cross-CPU wakeup */
};

static inline const char *bench_cpus_name(enum bench_cpus c)
{
	return c == BENCH_CPUS_SAME ? "same-cpu" : "split-cpu";
}

static inline int bench_parse_cpus(const char *s, enum bench_cpus *ret)
{
	if (!strcmp(s, "same"))
		*ret = BENCH_CPUS_SAME;
	else if (!strcmp(s, "split"))
		*ret = BENCH_CPUS_SPLIT;
	else
		return -EINVAL;
	return 0;
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Pins the calling process to `cpu`. */
static inline int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

/* The CPU for side `side` (0 = the measuring process, 1 = its peer). */
static inline int bench_cpu_for(enum bench_cpus c, int side)
{
	return c == BENCH_CPUS_SAME ? 0 : side;
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts `v` in place; returns the value at quantile q (0..1), nearest rank. */
static inline uint64_t bench_quantile(uint64_t *v, size_t n, double q)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	k = (size_t)(q * (double)(n - 1) + 0.5);
	return v[k < n ? k : n - 1];
}

/*
 * Prints one latency result: samples[] are round-trip times in ns (sorted here),
 * round_ops_s[] the throughput of each round (the median is reported).
 */
static inline void bench_report_latency(const char *name, const char *mode, uint64_t *samples,
        size_t n, uint64_t *round_ops_s, size_t rounds)
{
	uint64_t p50 = bench_quantile(samples, n, 0.50);
	uint64_t p99 = bench_quantile(samples, n, 0.99);
	uint64_t ops = bench_quantile(round_ops_s, rounds, 0.50);

	printf("RESULT bench=%s mode=%s p50_ns=%llu p99_ns=%llu ops_s=%llu samples=%zu\n", name,
	        mode, (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)ops, n);
	fflush(stdout);
}

/* Prints one data-plane result from per-transfer times in ns. */
static inline void bench_report_transfer(
        const char *name, const char *mode, uint64_t *times, size_t n, uint64_t bytes)
{
	uint64_t med = bench_quantile(times, n, 0.50);
	uint64_t min = times[0];
	double gib_s = med ? (double)bytes / (double)med * 1e9 / (double)(1u << 30) : 0.0;

	printf("RESULT bench=%s mode=%s median_ms=%.2f min_ms=%.2f gib_s=%.2f reps=%zu\n", name,
	        mode, (double)med / 1e6, (double)min / 1e6, gib_s, n);
	fflush(stdout);
}

#endif
