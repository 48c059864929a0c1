/* SPDX-License-Identifier: MIT */
/*
 * pol_check cost at a given rule count, beside two baselines measured in the same run:
 *
 *   strcmp   strcmp of the query's subject and capability against equal copies held
 *            elsewhere: the cost of reading both strings once, the floor of any check
 *   hash     one lookup of the query's subject in an open-addressed table of every subject
 *            pattern of the policy (FNV-1a, linear probing, strcmp on a hash hit): what a
 *            matcher keyed on the exact subject alone would pay
 *
 *   bench-policy --rules N [--rounds R] [--reps K]
 *
 * The policy is generated (10 rule shapes cycled: exact and prefix subjects, exact and prefix
 * capabilities, deny rules shadowing allows), handed to pol_load through a loader, and the
 * queries are generated beforehand from its rules: allowed ones, ones a deny rule refuses and
 * default-denied ones (known subject with an unknown capability, unknown subject). Each
 * query's outcome is taken from pol_explain, not assumed, and printed; the mix is timed as a
 * whole (pol_check one by one, and pol_check_many in batches of POL_CHECK_MANY_MAX), then
 * each outcome alone. Nothing here is a test.
 */
#include <stdbool.h>

#include "bench-util.h"
#include "policy/policy.h"

#define PB_QUERIES 4096u
#define PB_STR     80u
#define PB_ROUNDS  16u

struct pb_rule {
	bool deny;
	char subject[PB_STR];
	char cap[PB_STR];
};

struct pb_query {
	char subject[PB_STR];
	char cap[PB_STR];
};

struct pb_text {
	const char *data;
	size_t len;
};

static uint64_t pb_rng = 0x9e3779b97f4a7c15ull;

static uint32_t pb_rand(uint32_t n)
{
	/* xorshift64: fixed seed, so every run checks the same queries. */
	pb_rng ^= pb_rng << 13;
	pb_rng ^= pb_rng >> 7;
	pb_rng ^= pb_rng << 17;
	return (uint32_t)(pb_rng % n);
}

/* Keeps the compiler from dropping or hoisting the measured work. */
static inline void pb_clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* Rule i of the generated policy: ten shapes, ten rules per subject number. */
static void pb_make_rule(size_t i, struct pb_rule *r)
{
	size_t k = i / 10, m = (i * 37u) % 1000u;

	r->deny = false;
	switch (i % 10) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		(void)snprintf(r->subject, PB_STR, "app:app%zu", k);
		(void)snprintf(r->cap, PB_STR, "ipc.connect.svc%zu", m);
		break;
	case 5:
		(void)snprintf(r->subject, PB_STR, "app:app%zu", k);
		(void)snprintf(r->cap, PB_STR, "fs.read.dir%zu.*", m);
		break;
	case 6:
		(void)snprintf(r->subject, PB_STR, "peer:dev%zu/*", k);
		(void)snprintf(r->cap, PB_STR, "ipc.call.svc%zu.*", m);
		break;
	case 7:
		(void)snprintf(r->subject, PB_STR, "svc:svc%zu", k);
		(void)snprintf(r->cap, PB_STR, "ipc.connect.svc%zu", m);
		break;
	case 8:
		/* Shadows shape 0 of the same subject: deny wins. */
		r->deny = true;
		(void)snprintf(r->subject, PB_STR, "app:app%zu", k);
		(void)snprintf(r->cap, PB_STR, "ipc.connect.svc%zu", ((k * 10u) * 37u) % 1000u);
		break;
	default:
		/* Shadows part of shape 6 of the same subject: a prefix allow with an exact deny. */
		r->deny = true;
		(void)snprintf(r->subject, PB_STR, "peer:dev%zu/*", k);
		(void)snprintf(
		        r->cap, PB_STR, "ipc.call.svc%zu.admin", ((k * 10u + 6u) * 37u) % 1000u);
		break;
	}
}

/* Instantiates a pattern: "x:*" or "a.b.*" gets a concrete last segment. */
static void pb_instantiate(char *dst, const char *pat, const char *tail)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		(void)snprintf(dst, PB_STR, "%.*s%s", (int)(n - 1), pat, tail);
	else
		(void)snprintf(dst, PB_STR, "%s", pat);
}

static void pb_make_query(const struct pb_rule *rules, size_t nrules, struct pb_query *q)
{
	char tail[32];
	uint32_t kind = pb_rand(10);
	const struct pb_rule *r = &rules[pb_rand((uint32_t)nrules)];

	if (kind < 6) {
		/* From a rule: allowed, unless a deny rule shadows it. */
		(void)snprintf(tail, sizeof(tail), "app:app%u", pb_rand(50));
		pb_instantiate(q->subject, r->subject, tail);
		if (pb_rand(4) == 0)
			(void)snprintf(tail, sizeof(tail), "admin");
		else
			(void)snprintf(tail, sizeof(tail), "file%u", pb_rand(100));
		pb_instantiate(q->cap, r->cap, tail);
	} else if (kind < 8) {
		/* Known subject, capability no rule names: default deny after probing its groups. */
		(void)snprintf(tail, sizeof(tail), "app:app%u", pb_rand(50));
		pb_instantiate(q->subject, r->subject, tail);
		(void)snprintf(q->cap, PB_STR, "ipc.connect.nosvc%u", pb_rand(1000));
	} else {
		/* Subject no rule names. */
		(void)snprintf(q->subject, PB_STR, "app:ghost%u", pb_rand(100000));
		(void)snprintf(q->cap, PB_STR, "ipc.connect.svc%u", pb_rand(1000));
	}
}

static int pb_loader(void *ctx, const char *path, const void **ret_data, size_t *ret_len)
{
	const struct pb_text *t = ctx;

	if (strcmp(path, "bench.policy") != 0)
		return -ENOENT;
	*ret_data = t->data;
	*ret_len = t->len;
	return 0;
}

static uint64_t pb_fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* The hash baseline's table: subject patterns, open addressing, power-of-two size. */
struct pb_table {
	const char **slot;
	size_t mask;
};

static int pb_table_build(struct pb_table *t, const struct pb_rule *rules, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size <<= 1;
	t->slot = calloc(size, sizeof(*t->slot));
	if (!t->slot)
		return -ENOMEM;
	t->mask = size - 1;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)pb_fnv(rules[i].subject) & t->mask;
		while (t->slot[h] && strcmp(t->slot[h], rules[i].subject) != 0)
			h = (h + 1) & t->mask;
		t->slot[h] = rules[i].subject;
	}
	return 0;
}

static bool pb_table_has(const struct pb_table *t, const char *s)
{
	size_t h = (size_t)pb_fnv(s) & t->mask;

	for (; t->slot[h]; h = (h + 1) & t->mask)
		if (!strcmp(t->slot[h], s))
			return true;
	return false;
}

static int pb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pb_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), pb_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	size_t nrules = 0, rounds = 5, reps = 0, len = 0, cap, i, r, k;
	struct pb_rule *rules = NULL;
	struct pb_query *qs = NULL, *copy = NULL;
	pol_query *pq = NULL;
	pol_verdict *verdicts = NULL;
	pol_policy *pol = NULL;
	pol_error perr;
	struct pb_table table = {0};
	char *text = NULL;
	double t_check[PB_ROUNDS], t_many[PB_ROUNDS], t_strcmp[PB_ROUNDS], t_hash[PB_ROUNDS];
	double t_class[3][PB_ROUNDS];
	/* Query indexes by outcome (allowed, denied by a rule, denied by default). */
	static uint16_t class_idx[3][PB_QUERIES];
	size_t class_n[3] = {0}, allowed = 0, denied = 0, by_default = 0;
	uint64_t t0, load_ns;
	unsigned sink = 0;
	int ac, err = 1;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--rules") && ac + 1 < argc)
			nrules = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc)
			rounds = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--reps") && ac + 1 < argc)
			reps = strtoul(argv[++ac], NULL, 10);
		else
			goto usage;
	}
	if (nrules == 0 || nrules > POL_RULES_MAX || rounds == 0 || rounds > PB_ROUNDS)
		goto usage;
	if (reps == 0)
		reps = 150; /* 600k checks a round: ~70 ms at 110 ns */

	rules = calloc(nrules, sizeof(*rules));
	qs = calloc(PB_QUERIES, sizeof(*qs));
	copy = calloc(PB_QUERIES, sizeof(*copy));
	pq = calloc(PB_QUERIES, sizeof(*pq));
	verdicts = calloc(PB_QUERIES, sizeof(*verdicts));
	cap = nrules * (2 * PB_STR + 8);
	text = malloc(cap);
	if (!rules || !qs || !copy || !pq || !verdicts || !text) {
		(void)fprintf(stderr, "bench-policy: out of memory\n");
		goto out;
	}
	for (i = 0; i < nrules; i++) {
		pb_make_rule(i, &rules[i]);
		len += (size_t)snprintf(text + len, cap - len, "%s %s %s\n",
		        rules[i].deny ? "deny" : "allow", rules[i].subject, rules[i].cap);
	}

	struct pb_text src = {text, len};
	t0 = bench_now_ns();
	if (pol_load("bench.policy", pb_loader, &src, &pol, &perr) < 0) {
		(void)fprintf(stderr, "bench-policy: load failed: %s\n", perr.text);
		goto out;
	}
	load_ns = bench_now_ns() - t0;
	if (pol_rule_count(pol) != nrules) {
		(void)fprintf(stderr, "bench-policy: %zu rules compiled, %zu generated\n",
		        pol_rule_count(pol), nrules);
		goto out;
	}

	for (i = 0; i < PB_QUERIES; i++) {
		pol_explanation ex;

		pb_make_query(rules, nrules, &qs[i]);
		copy[i] = qs[i];
		pq[i] = (pol_query){qs[i].subject, qs[i].cap};
		if (pol_explain(pol, qs[i].subject, qs[i].cap, &ex) < 0) {
			(void)fprintf(stderr, "bench-policy: explain failed for %s %s\n",
			        qs[i].subject, qs[i].cap);
			goto out;
		}
		if (ex.verdict != pol_check(pol, qs[i].subject, qs[i].cap)) {
			(void)fprintf(stderr, "bench-policy: check and explain disagree on %s %s\n",
			        qs[i].subject, qs[i].cap);
			goto out;
		}
		size_t c = ex.verdict == POL_ALLOW ? 0 : ex.by_default ? 2 : 1;
		class_idx[c][class_n[c]++] = (uint16_t)i;
	}
	allowed = class_n[0];
	denied = class_n[1];
	by_default = class_n[2];
	if (!allowed || !denied || !by_default) {
		(void)fprintf(stderr, "bench-policy: the query mix lacks an outcome\n");
		goto out;
	}
	if (pb_table_build(&table, rules, nrules) < 0)
		goto out;

	/* Warm-up: one pass of each, so the first round does not pay the page faults. */
	for (i = 0; i < PB_QUERIES; i++)
		sink += pol_check(pol, qs[i].subject, qs[i].cap);

	for (r = 0; r < rounds; r++) {
		double ops = (double)reps * PB_QUERIES;

		t0 = bench_now_ns();
		for (k = 0; k < reps; k++)
			for (i = 0; i < PB_QUERIES; i++)
				sink += pol_check(pol, qs[i].subject, qs[i].cap);
		t_check[r] = (double)(bench_now_ns() - t0) / ops;

		t0 = bench_now_ns();
		for (k = 0; k < reps; k++) {
			for (i = 0; i < PB_QUERIES; i += POL_CHECK_MANY_MAX) {
				if (pol_check_many(pol, pq + i, POL_CHECK_MANY_MAX, verdicts + i) <
				        0)
					goto out;
			}
			pb_clobber(verdicts);
			sink += verdicts[k % PB_QUERIES];
		}
		t_many[r] = (double)(bench_now_ns() - t0) / ops;

		t0 = bench_now_ns();
		for (k = 0; k < reps; k++) {
			for (i = 0; i < PB_QUERIES; i++) {
				pb_clobber(&copy[i]);
				sink += (unsigned)(strcmp(qs[i].subject, copy[i].subject) == 0);
				sink += (unsigned)(strcmp(qs[i].cap, copy[i].cap) == 0);
			}
		}
		t_strcmp[r] = (double)(bench_now_ns() - t0) / ops;

		t0 = bench_now_ns();
		for (k = 0; k < reps; k++) {
			for (i = 0; i < PB_QUERIES; i++) {
				pb_clobber(&qs[i]);
				sink += pb_table_has(&table, qs[i].subject);
			}
		}
		t_hash[r] = (double)(bench_now_ns() - t0) / ops;

		/* Each outcome alone: as many checks as above, spread over that outcome's queries. */
		for (size_t c = 0; c < 3; c++) {
			size_t creps = (reps * PB_QUERIES) / class_n[c];
			t0 = bench_now_ns();
			for (k = 0; k < creps; k++) {
				for (i = 0; i < class_n[c]; i++) {
					const struct pb_query *q = &qs[class_idx[c][i]];
					sink += pol_check(pol, q->subject, q->cap);
				}
			}
			t_class[c][r] =
			        (double)(bench_now_ns() - t0) / (double)(creps * class_n[c]);
		}
	}

	printf("RESULT bench=policy-check mode=rules=%zu ns_op=%.1f many_ns_op=%.1f"
	       " strcmp_ns_op=%.1f hash_ns_op=%.1f allow_ns_op=%.1f deny_ns_op=%.1f"
	       " default_ns_op=%.1f load_ms=%.2f allowed=%zu denied=%zu"
	       " default_denied=%zu queries=%u sink=%u\n",
	        nrules, pb_median(t_check, rounds), pb_median(t_many, rounds),
	        pb_median(t_strcmp, rounds), pb_median(t_hash, rounds),
	        pb_median(t_class[0], rounds), pb_median(t_class[1], rounds),
	        pb_median(t_class[2], rounds), (double)load_ns / 1e6, allowed, denied, by_default,
	        PB_QUERIES, sink & 1u);
	err = 0;
out:
	pol_free(pol);
	free(table.slot);
	free(text);
	free(verdicts);
	free(pq);
	free(copy);
	free(qs);
	free(rules);
	return err;
usage:
	(void)fprintf(
	        stderr, "usage: bench-policy --rules N [--rounds R<=%u] [--reps K]\n", PB_ROUNDS);
	return 2;
}
