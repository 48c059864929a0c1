/* SPDX-License-Identifier: MIT */
/*
 * The journal (userspace/journal): append throughput and query latency, each beside a
 * baseline measured in the same run. Records are realistic and pre-generated (64 subjects,
 * 8 scopes, ~60-byte messages, 2 or 3 key=value fields, mostly info with 1% errors), so
 * generation is never measured.
 *
 * Append (journal of JRN_CAPACITY_DEFAULT, rate limit on at its maximum so the buckets are
 * updated but nothing is dropped; the ring fills and evicts, so this is the steady state):
 *   single       both clocks read per record, then one jrn_append: logd's path for one message
 *   batch64      clocks read once per 64 records, then 64 jrn_append in a tight loop: the
 *                facade's batch path (the API has no batch call)
 *   memcpy-ring  baseline: the same bytes the journal stores (a 40-byte header and the
 *                NUL-terminated texts) memcpy'd into a ring of the same capacity
 *   single-v1    baseline: `single` on the ring before it was crash-safe (journal-v1.c, no
 *                checksum, no region), printed with single's ratio to it (issue 12 wants
 *                the crash-safe ring at >= 0.80 of it)
 *
 * Query (a journal holding RECORDS records, nothing evicted), p50/p99 of single calls:
 *   cursor-page  since_id = a random cursor, page of 100, no filter
 *   subject      exact subject (1 record in 64), page of 100 from a random cursor
 *   level        min_level error (1%), page of 100 from a random cursor
 *   text         contains a string 10 records hold, from the oldest: scans the whole journal
 * baseline: the same records in a flat array of fixed-size structs (what a naive journal
 * would keep), the same page built as views, scanned with strcmp / a level compare / strstr.
 *
 *   bench-journal [--part append|query|all] [--append N] [--records N] [--rounds R]
 *
 * Nothing here is a test.
 */
#include <stdbool.h>

#include "bench-util.h"
#include "journal-v1.h"
#include "journal/journal.h"

#define JB_SOURCES      4096u
#define JB_SUBJECTS     64u
#define JB_BATCH        64u
#define JB_PAGE         100u
#define JB_ROUNDS       16u
#define JB_HDR_BYTES    40u
#define JB_NEEDLE       "checksum mismatch"
#define JB_NEEDLE_EVERY 100000u

struct jb_src {
	char subject[24];
	char scope[16];
	char message[80];
	char value[3][24];
	struct jrn_field fields[3];
	struct jrn_entry e;
	unsigned char blob[JB_HDR_BYTES + 256];
	size_t blob_len;
};

/* The baseline's record: fixed-size, texts inline. */
struct jb_flat {
	uint64_t id, realtime_ns, monotonic_ns;
	uint8_t level;
	char subject[24];
	char scope[16];
	char message[80];
	char fields[56];
};

struct jb_view {
	uint64_t id;
	enum jrn_level level;
	const char *subject, *scope, *message, *fields;
};

static uint64_t jb_rng = 0x2545f4914f6cdd1dull;

static uint32_t jb_rand(uint32_t n)
{
	jb_rng ^= jb_rng << 13;
	jb_rng ^= jb_rng >> 7;
	jb_rng ^= jb_rng << 17;
	return (uint32_t)(jb_rng % n);
}

static inline void jb_clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static const char *const jb_scopes[] = {
        "net",
        "store",
        "ipc",
        "sched",
        "cache",
        "auth",
        "ui",
        "sync",
};
static const char *const jb_keys[] = {"pid", "conn", "peer"};

static void jb_subject(char *dst, size_t n, uint32_t k)
{
	if (k < 32)
		(void)snprintf(dst, n, "app:app%02u", k);
	else if (k < 56)
		(void)snprintf(dst, n, "svc:svc%02u", k - 32);
	else
		(void)snprintf(dst, n, "peer:dev%u/app:sync", k - 56);
}

static enum jrn_level jb_level(void)
{
	uint32_t p = jb_rand(100);

	if (p < 1)
		return JRN_LEVEL_ERROR;
	if (p < 3)
		return JRN_LEVEL_WARN;
	if (p < 20)
		return JRN_LEVEL_DEBUG;
	if (p < 30)
		return JRN_LEVEL_NOTICE;
	return JRN_LEVEL_INFO;
}

/* Appends s to the blob with its NUL, as the journal stores it. */
static void jb_put(struct jb_src *s, const char *t)
{
	size_t n = strlen(t) + 1;

	memcpy(s->blob + s->blob_len, t, n);
	s->blob_len += n;
}

static void jb_make(struct jb_src *s, const char *message)
{
	uint32_t nf = 2 + jb_rand(2);

	jb_subject(s->subject, sizeof(s->subject), jb_rand(JB_SUBJECTS));
	(void)snprintf(s->scope, sizeof(s->scope), "%s", jb_scopes[jb_rand(8)]);
	if (message) {
		(void)snprintf(s->message, sizeof(s->message), "%s", message);
	} else {
		switch (jb_rand(3)) {
		case 0:
			(void)snprintf(s->message, sizeof(s->message),
			        "connection from 10.0.%u.%u closed after %u ms: idle timeout",
			        jb_rand(256), jb_rand(256), jb_rand(100000));
			break;
		case 1:
			(void)snprintf(s->message, sizeof(s->message),
			        "request %08x served in %u us, %u bytes, cache hit",
			        jb_rand(1u << 31), jb_rand(10000), jb_rand(65536));
			break;
		default:
			(void)snprintf(s->message, sizeof(s->message),
			        "retrying write to /data/app/cache/%04x.db (attempt %u of 5)",
			        jb_rand(65536), 1 + jb_rand(5));
			break;
		}
	}
	(void)snprintf(s->value[0], sizeof(s->value[0]), "%u", 100 + jb_rand(30000));
	(void)snprintf(s->value[1], sizeof(s->value[1]), "0x%06x", jb_rand(1u << 24));
	(void)snprintf(s->value[2], sizeof(s->value[2]), "dev%u", jb_rand(8));
	for (uint32_t i = 0; i < nf; i++)
		s->fields[i] = (struct jrn_field){jb_keys[i], s->value[i]};
	s->e = (struct jrn_entry){jb_level(), s->scope, s->message, s->fields, nf, 0};

	s->blob_len = JB_HDR_BYTES;
	memset(s->blob, 0, JB_HDR_BYTES);
	jb_put(s, s->subject);
	jb_put(s, s->scope);
	jb_put(s, s->message);
	for (uint32_t i = 0; i < nf; i++) {
		jb_put(s, s->fields[i].key);
		jb_put(s, s->fields[i].value);
	}
}

static uint64_t jb_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int jb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double jb_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), jb_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct jrn *jb_new(size_t capacity)
{
	struct jrn_config cfg = {capacity, JRN_RATE_MAX, JRN_BURST_MAX};
	struct jrn *j = NULL;

	if (jrn_new(&cfg, &j) < 0)
		return NULL;
	return j;
}

static int jb_append_part(const struct jb_src *src, size_t n, size_t rounds)
{
	double single[JB_ROUNDS], batch[JB_ROUNDS], ring[JB_ROUNDS], v1[JB_ROUNDS];
	size_t cap = JRN_CAPACITY_DEFAULT, pos = 0, bytes = 0, i, r, k;
	unsigned char *buf = malloc(cap);
	struct jrn_config cfg = {cap, JRN_RATE_MAX, JRN_BURST_MAX};
	struct jrn *j = jb_new(cap);
	struct jrn1 *j1 = NULL;
	struct jrn_stats st;
	uint64_t t0, dropped = 0, failed = 0;
	int err = -1;

	if (!buf || !j || jrn1_new(&cfg, &j1) < 0) {
		(void)fprintf(stderr, "bench-journal: out of memory\n");
		goto out;
	}
	memset(buf, 0, cap);
	for (i = 0; i < JB_SOURCES; i++)
		bytes += src[i].blob_len;

	/* Warm-up: fill the ring once so every round runs at the eviction steady state. */
	for (i = 0; i < n; i++) {
		uint64_t now = jb_clock(CLOCK_MONOTONIC);
		if (jrn_append(j, src[i % JB_SOURCES].subject, &src[i % JB_SOURCES].e, now, now,
		            NULL) < 0 ||
		        jrn1_append(j1, src[i % JB_SOURCES].subject, &src[i % JB_SOURCES].e, now,
		                now, NULL) < 0)
			failed++;
	}

	for (r = 0; r < rounds; r++) {
		t0 = bench_now_ns();
		for (i = 0; i < n; i++) {
			const struct jb_src *s = &src[i % JB_SOURCES];
			uint64_t rt = jb_clock(CLOCK_REALTIME), mono = jb_clock(CLOCK_MONOTONIC);
			int ret = jrn_append(j, s->subject, &s->e, rt, mono, NULL);
			if (ret == -EAGAIN)
				dropped++;
			else if (ret < 0)
				failed++;
		}
		single[r] = (double)n * 1e9 / (double)(bench_now_ns() - t0);

		t0 = bench_now_ns();
		for (i = 0; i < n; i += JB_BATCH) {
			uint64_t rt = jb_clock(CLOCK_REALTIME), mono = jb_clock(CLOCK_MONOTONIC);
			for (k = i; k < i + JB_BATCH && k < n; k++) {
				const struct jb_src *s = &src[k % JB_SOURCES];
				int ret = jrn_append(j, s->subject, &s->e, rt, mono, NULL);
				if (ret == -EAGAIN)
					dropped++;
				else if (ret < 0)
					failed++;
			}
		}
		batch[r] = (double)n * 1e9 / (double)(bench_now_ns() - t0);

		t0 = bench_now_ns();
		for (i = 0; i < n; i++) {
			const struct jb_src *s = &src[i % JB_SOURCES];
			if (pos + s->blob_len > cap)
				pos = 0;
			memcpy(buf + pos, s->blob, s->blob_len);
			pos += (s->blob_len + 7) & ~(size_t)7;
		}
		jb_clobber(buf);
		ring[r] = (double)n * 1e9 / (double)(bench_now_ns() - t0);

		t0 = bench_now_ns();
		for (i = 0; i < n; i++) {
			const struct jb_src *s = &src[i % JB_SOURCES];
			uint64_t rt = jb_clock(CLOCK_REALTIME), mono = jb_clock(CLOCK_MONOTONIC);
			int ret = jrn1_append(j1, s->subject, &s->e, rt, mono, NULL);
			if (ret == -EAGAIN)
				dropped++;
			else if (ret < 0)
				failed++;
		}
		v1[r] = (double)n * 1e9 / (double)(bench_now_ns() - t0);
	}
	jrn_stats(j, &st);
	if (failed) {
		(void)fprintf(
		        stderr, "bench-journal: %llu appends failed\n", (unsigned long long)failed);
		goto out;
	}
	printf("RESULT bench=journal-append mode=single rec_s=%.0f dropped=%llu evicted=%llu"
	       " rec_bytes=%.1f\n",
	        jb_median(single, rounds), (unsigned long long)dropped,
	        (unsigned long long)st.evicted, (double)st.bytes_used / (double)st.records);
	printf("RESULT bench=journal-append mode=batch%u rec_s=%.0f\n", JB_BATCH,
	        jb_median(batch, rounds));
	printf("RESULT bench=journal-append mode=memcpy-ring rec_s=%.0f rec_bytes=%.1f\n",
	        jb_median(ring, rounds), (double)bytes / JB_SOURCES);
	printf("RESULT bench=journal-append mode=single-v1 rec_s=%.0f crash_safe_ratio=%.2f\n",
	        jb_median(v1, rounds), jb_median(single, rounds) / jb_median(v1, rounds));
	err = 0;
out:
	jrn_free(j);
	jrn1_free(j1);
	free(buf);
	return err;
}

/* ---- Query */

struct jb_query_ctx {
	const struct jrn *j;
	const struct jb_flat *flat;
	size_t n;
	uint64_t oldest;
	struct jrn_record *out;
	struct jb_view *views;
};

static size_t jb_flat_query(const struct jb_query_ctx *c, size_t start, const char *subject,
        enum jrn_level min_level, const char *contains, size_t max)
{
	size_t count = 0;

	for (size_t i = start; i < c->n && count < max; i++) {
		const struct jb_flat *f = &c->flat[i];
		if (f->level < min_level)
			continue;
		if (subject && strcmp(f->subject, subject) != 0)
			continue;
		if (contains && !strstr(f->message, contains))
			continue;
		c->views[count++] = (struct jb_view){f->id, (enum jrn_level)f->level, f->subject,
		        f->scope, f->message, f->fields};
	}
	jb_clobber(c->views);
	return count;
}

/* One query kind: `samples` calls each of the journal and of the baseline, interleaved. */
static int jb_query_kind(const struct jb_query_ctx *c, const char *name, const char *subject,
        enum jrn_level min_level, const char *contains, bool from_oldest, size_t samples)
{
	uint64_t *tj = calloc(samples, sizeof(*tj)), *tb = calloc(samples, sizeof(*tb));
	size_t jcount = 0, bcount = 0, span = c->n > 20000 ? c->n - 20000 : 1;
	struct jrn_query_result res;
	int err = -1;

	if (!tj || !tb)
		goto out;
	for (size_t s = 0; s < samples; s++) {
		size_t start = from_oldest ? 0 : jb_rand((uint32_t)span);
		struct jrn_filter f = {
		        .since_id = c->oldest + start,
		        .min_level = min_level,
		        .subject = subject,
		        .contains = contains,
		};
		uint64_t t0 = bench_now_ns();
		if (jrn_query(c->j, &f, c->out, JB_PAGE, &res) < 0) {
			(void)fprintf(stderr, "bench-journal: query %s failed\n", name);
			goto out;
		}
		tj[s] = bench_now_ns() - t0;
		t0 = bench_now_ns();
		size_t bc = jb_flat_query(c, start, subject, min_level, contains, JB_PAGE);
		tb[s] = bench_now_ns() - t0;
		/* Both see the same records, so both must find the same number. */
		if (bc != res.count) {
			(void)fprintf(stderr,
			        "bench-journal: %s: journal found %zu, baseline %zu\n", name,
			        res.count, bc);
			goto out;
		}
		jcount += res.count;
		bcount += bc;
	}
	printf("RESULT bench=journal-query mode=%s p50_us=%.1f p99_us=%.1f base_p50_us=%.1f"
	       " base_p99_us=%.1f avg_matches=%.1f samples=%zu\n",
	        name, (double)bench_quantile(tj, samples, 0.50) / 1e3,
	        (double)bench_quantile(tj, samples, 0.99) / 1e3,
	        (double)bench_quantile(tb, samples, 0.50) / 1e3,
	        (double)bench_quantile(tb, samples, 0.99) / 1e3, (double)jcount / (double)samples,
	        samples);
	(void)bcount;
	err = 0;
out:
	free(tb);
	free(tj);
	return err;
}

static int jb_query_part(const struct jb_src *src, size_t n)
{
	struct jb_query_ctx c = {.n = n};
	struct jb_src needle;
	struct jrn_stats st;
	struct jrn *j = jb_new(384u << 20); /* ~180 bytes a record: room for 2M */
	struct jb_flat *flat = calloc(n, sizeof(*flat));
	struct jrn_record *out = calloc(JB_PAGE, sizeof(*out));
	struct jb_view *views = calloc(JB_PAGE, sizeof(*views));
	uint64_t t0 = 1700000000000000000ull;
	int err = -1;

	if (!j || !flat || !out || !views) {
		(void)fprintf(stderr, "bench-journal: out of memory\n");
		goto out;
	}
	jb_make(&needle, "checksum mismatch on block 4711 of /data/app/store.db, repairing");
	for (size_t i = 0; i < n; i++) {
		const struct jb_src *s =
		        i % JB_NEEDLE_EVERY == 777 ? &needle : &src[i % JB_SOURCES];
		uint64_t id;
		/* 1 us apart: a busy system's rate, far under the (maximum) rate limit. */
		if (jrn_append(j, s->subject, &s->e, t0 + i * 1000, i * 1000 + 1, &id) < 0) {
			(void)fprintf(stderr, "bench-journal: append %zu failed\n", i);
			goto out;
		}
		struct jb_flat *f = &flat[i];
		f->id = id;
		f->realtime_ns = t0 + i * 1000;
		f->monotonic_ns = i * 1000 + 1;
		f->level = (uint8_t)s->e.level;
		(void)snprintf(f->subject, sizeof(f->subject), "%s", s->subject);
		(void)snprintf(f->scope, sizeof(f->scope), "%s", s->scope);
		(void)snprintf(f->message, sizeof(f->message), "%s", s->message);
		(void)snprintf(f->fields, sizeof(f->fields), "%s=%s %s=%s", s->fields[0].key,
		        s->fields[0].value, s->fields[1].key, s->fields[1].value);
	}
	jrn_stats(j, &st);
	if (st.records != n || st.evicted != 0) {
		(void)fprintf(stderr, "bench-journal: %llu records kept of %zu (%llu evicted)\n",
		        (unsigned long long)st.records, n, (unsigned long long)st.evicted);
		goto out;
	}
	c = (struct jb_query_ctx){j, flat, n, st.oldest_id, out, views};

	char subject[24];
	jb_subject(subject, sizeof(subject), 7);
	if (jb_query_kind(&c, "cursor-page", NULL, JRN_LEVEL_DEBUG, NULL, false, 2000) < 0 ||
	        jb_query_kind(&c, "subject", subject, JRN_LEVEL_DEBUG, NULL, false, 400) < 0 ||
	        jb_query_kind(&c, "level", NULL, JRN_LEVEL_ERROR, NULL, false, 200) < 0 ||
	        jb_query_kind(&c, "text", NULL, JRN_LEVEL_DEBUG, JB_NEEDLE, true, 5) < 0)
		goto out;
	printf("RESULT bench=journal-query mode=info records=%zu journal_bytes=%llu flat_bytes=%zu\n",
	        n, (unsigned long long)st.bytes_used, n * sizeof(*flat));
	err = 0;
out:
	free(views);
	free(out);
	free(flat);
	jrn_free(j);
	return err;
}

int main(int argc, char **argv)
{
	size_t n_append = 500000, n_records = 1000000, rounds = 3;
	const char *part = "all";
	struct jb_src *src = calloc(JB_SOURCES, sizeof(*src));
	int ac, err = 1;

	for (ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--part") && ac + 1 < argc)
			part = argv[++ac];
		else if (!strcmp(argv[ac], "--append") && ac + 1 < argc)
			n_append = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--records") && ac + 1 < argc)
			n_records = strtoul(argv[++ac], NULL, 10);
		else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc)
			rounds = strtoul(argv[++ac], NULL, 10);
		else
			goto usage;
	}
	if (rounds == 0 || rounds > JB_ROUNDS || n_append == 0 || n_records < 1000 ||
	        n_records > 2000000 ||
	        (strcmp(part, "all") != 0 && strcmp(part, "append") != 0 &&
	                strcmp(part, "query") != 0))
		goto usage;
	if (!src) {
		(void)fprintf(stderr, "bench-journal: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < JB_SOURCES; i++)
		jb_make(&src[i], NULL);

	if (strcmp(part, "query") != 0 && jb_append_part(src, n_append, rounds) < 0)
		goto out;
	if (strcmp(part, "append") != 0 && jb_query_part(src, n_records) < 0)
		goto out;
	err = 0;
out:
	free(src);
	return err;
usage:
	free(src);
	(void)fprintf(stderr,
	        "usage: bench-journal [--part append|query|all] [--append N]"
	        " [--records N<=2000000] [--rounds R<=%u]\n",
	        JB_ROUNDS);
	return 2;
}
