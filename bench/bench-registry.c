/* SPDX-License-Identifier: MIT */
/*
 * The registry (userspace/registry) at NAMES registered names: register, resolve and
 * unregister, ns per call, beside one baseline measured in the same run:
 *
 *   hash   one lookup of the same name in an open-addressed table of the NAMES names (FNV-1a,
 *          linear probing, strcmp on a hit): the least any name-keyed registry pays per call
 *
 * Each round registers every name (owners 1..16, subjects svc:<name>), resolves names in a
 * pre-generated random order (hits), then unregisters every name in another random order.
 * No watchers are registered, so no event callback runs. Nothing here is a test.
 *
 *   bench-registry [--names N] [--rounds R] [--resolves K]
 */
#include <stdbool.h>

#include "bench-util.h"
#include "registry/registry.h"

#define RB_ROUNDS 64u
#define RB_OWNERS 16u

static uint64_t rb_rng = 0x853c49e6748fea9bull;

static uint32_t rb_rand(uint32_t n)
{
	rb_rng ^= rb_rng << 13;
	rb_rng ^= rb_rng >> 7;
	rb_rng ^= rb_rng << 17;
	return (uint32_t)(rb_rng % n);
}

static inline void rb_clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint64_t rb_fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static void rb_shuffle(uint32_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		uint32_t k = rb_rand((uint32_t)i), t = v[i - 1];
		v[i - 1] = v[k];
		v[k] = t;
	}
}

static int rb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double rb_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), rb_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	size_t n = 1000, rounds = 31, resolves = 100000, mask = 0, i, r;
	char(*names)[40] = NULL, (*subjects)[48] = NULL;
	uint32_t *order_res = NULL, *order_unreg = NULL;
	const char **table = NULL;
	double t_reg[RB_ROUNDS], t_res[RB_ROUNDS], t_unreg[RB_ROUNDS], t_hash[RB_ROUNDS];
	struct reg *reg = NULL;
	struct reg_entry e;
	uint64_t t0, sink = 0;
	int ac, err = 1;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--names") && ac + 1 < argc)
			n = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc)
			rounds = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--resolves") && ac + 1 < argc)
			resolves = strtoul(argv[++ac], NULL, 10);
		else
			goto usage;
	}
	if (n == 0 || n > REG_NAMES_MAX || rounds == 0 || rounds > RB_ROUNDS || resolves == 0)
		goto usage;

	names = calloc(n, sizeof(*names));
	subjects = calloc(n, sizeof(*subjects));
	order_res = calloc(resolves, sizeof(*order_res));
	order_unreg = calloc(n, sizeof(*order_unreg));
	for (mask = 16; mask < 2 * n; mask <<= 1)
		;
	table = calloc(mask, sizeof(*table));
	mask--;
	if (!names || !subjects || !order_res || !order_unreg || !table ||
	        reg_new(NULL, NULL, &reg) < 0) {
		(void)fprintf(stderr, "bench-registry: out of memory\n");
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* Names shaped like real ones: a few families, long common prefixes. */
		static const char *const fam[] = {"net.dhcp", "storage.block", "ui.compositor",
		        "media.codec", "org.example.sync"};
		(void)snprintf(names[i], sizeof(names[i]), "%s.%zu", fam[i % 5], i);
		(void)snprintf(subjects[i], sizeof(subjects[i]), "svc:%s", names[i]);
		order_unreg[i] = (uint32_t)i;
		size_t h = (size_t)rb_fnv(names[i]) & mask;
		while (table[h])
			h = (h + 1) & mask;
		table[h] = names[i];
	}
	for (i = 0; i < resolves; i++)
		order_res[i] = rb_rand((uint32_t)n);

	for (r = 0; r < rounds; r++) {
		rb_shuffle(order_unreg, n);

		t0 = bench_now_ns();
		for (i = 0; i < n; i++) {
			if (reg_register(reg, 1 + i % RB_OWNERS, subjects[i], names[i], NULL, NULL,
			            NULL) < 0) {
				(void)fprintf(
				        stderr, "bench-registry: register %s failed\n", names[i]);
				goto out;
			}
		}
		t_reg[r] = (double)(bench_now_ns() - t0) / (double)n;

		t0 = bench_now_ns();
		for (i = 0; i < resolves; i++) {
			if (reg_resolve(reg, names[order_res[i]], &e) < 0)
				goto out;
			sink += e.generation;
		}
		t_res[r] = (double)(bench_now_ns() - t0) / (double)resolves;

		t0 = bench_now_ns();
		for (i = 0; i < resolves; i++) {
			const char *s = names[order_res[i]];
			size_t h = (size_t)rb_fnv(s) & mask;
			rb_clobber(s);
			while (table[h] && strcmp(table[h], s) != 0)
				h = (h + 1) & mask;
			sink += (uint64_t)(table[h] != NULL);
		}
		t_hash[r] = (double)(bench_now_ns() - t0) / (double)resolves;

		t0 = bench_now_ns();
		for (i = 0; i < n; i++) {
			uint32_t k = order_unreg[i];
			if (reg_unregister(reg, 1 + k % RB_OWNERS, names[k]) < 0) {
				(void)fprintf(
				        stderr, "bench-registry: unregister %s failed\n", names[k]);
				goto out;
			}
		}
		t_unreg[r] = (double)(bench_now_ns() - t0) / (double)n;
		if (reg_count(reg) != 0)
			goto out;
	}
	printf("RESULT bench=registry mode=names=%zu register_ns=%.1f resolve_ns=%.1f"
	       " unregister_ns=%.1f hash_ns=%.1f sink=%llu\n",
	        n, rb_median(t_reg, rounds), rb_median(t_res, rounds), rb_median(t_unreg, rounds),
	        rb_median(t_hash, rounds), (unsigned long long)(sink & 1));
	err = 0;
out:
	reg_free(reg);
	free(table);
	free(order_unreg);
	free(order_res);
	free(subjects);
	free(names);
	return err;
usage:
	(void)fprintf(stderr,
	        "usage: bench-registry [--names N<=%u] [--rounds R<=%u] [--resolves K]\n",
	        REG_NAMES_MAX, RB_ROUNDS);
	return 2;
}
