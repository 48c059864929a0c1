/* SPDX-License-Identifier: MIT */
/*
 * The journal in a caller's region (jrn_open): records, ids and the boot id survive a reopen;
 * another geometry or a damaged header is formatted; and the crash test: an append (inside a
 * chunk, starting a chunk, evicting the oldest chunk of a full ring) stopped after any prefix
 * of its stores, in address order and in reverse, always reads back: every record before it
 * intact, the new one whole or absent, ids consecutive, garbage counted as torn and gone on
 * the next reopen, and the next id past every id read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "journal/crc32c.h"

#define CAPACITY JRN_CAPACITY_MIN

static const uint8_t boot_a[JRN_BOOT_ID_BYTES] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t boot_b[JRN_BOOT_ID_BYTES] = {0xb};

/* The record with id `id` is made from the id alone, so any record read back can be
 * checked. Texts live in *buf. */
struct gen {
	char subject[32], scope[16], message[400];
	char keys[4][8], values[4][24];
	struct jrn_field fields[4];
	struct jrn_entry e;
};

static void gen_make(uint64_t id, struct gen *g)
{
	size_t n = (size_t)(id * 37 % 300);
	int len;

	snprintf(g->subject, sizeof(g->subject), "svc:s%u", (unsigned)(id % 7));
	snprintf(g->scope, sizeof(g->scope), "sc%u", (unsigned)(id % 5));
	len = snprintf(g->message, sizeof(g->message), "message %llu ", (unsigned long long)id);
	memset(g->message + len, 'x', n);
	g->message[(size_t)len + n] = '\0';
	for (unsigned i = 0; i < id % 4; i++) {
		snprintf(g->keys[i], sizeof(g->keys[i]), "k%u", i);
		snprintf(g->values[i], sizeof(g->values[i]), "v%llu-%u", (unsigned long long)id, i);
		g->fields[i] = (struct jrn_field){g->keys[i], g->values[i]};
	}
	g->e = (struct jrn_entry){.level = (enum jrn_level)(id % JRN_LEVEL_COUNT),
	        .scope = g->scope,
	        .message = g->message,
	        .fields = g->fields,
	        .n_fields = id % 4};
}

static void append_gen(struct jrn *j, uint64_t want_id)
{
	struct gen g;
	uint64_t id = 0;

	gen_make(want_id, &g);
	assert_int_equal(jrn_append(j, g.subject, &g.e, want_id * 10, want_id * 100, &id), 0);
	assert_int_equal(id, want_id);
}

static void check_gen(const struct jrn_record *r)
{
	struct gen g;

	gen_make(r->id, &g);
	assert_string_equal(r->subject, g.subject);
	assert_string_equal(r->scope, g.scope);
	assert_string_equal(r->message, g.message);
	assert_int_equal(r->level, g.e.level);
	assert_int_equal(r->realtime_ns, r->id * 10);
	assert_int_equal(r->monotonic_ns, r->id * 100);
	assert_int_equal(r->n_fields, g.e.n_fields);
	for (size_t i = 0; i < r->n_fields; i++) {
		assert_string_equal(r->fields[i].key, g.keys[i]);
		assert_string_equal(r->fields[i].value, g.values[i]);
	}
}

static struct jrn_config config(void)
{
	return (struct jrn_config){.capacity = CAPACITY, .rate_per_sec = 0, .burst = 0};
}

static void *region_new(void)
{
	void *r = calloc(1, jrn_region_size(CAPACITY));

	assert_non_null(r);
	return r;
}

static struct jrn *open_region(void *region, const uint8_t *boot, struct jrn_recovery *rec)
{
	struct jrn_config cfg = config();
	struct jrn *j = NULL;

	assert_int_equal(jrn_open(region, jrn_region_size(CAPACITY), &cfg, boot, &j, rec), 0);
	return j;
}

/* Checks every record of j against the generator, consecutive ids; returns the count. */
static uint64_t check_all(const struct jrn *j)
{
	struct jrn_stats st;
	uint64_t n = 0;

	jrn_stats(j, &st);
	for (uint64_t id = st.oldest_id; st.records && id <= st.newest_id; id++, n++) {
		struct jrn_record r;

		assert_int_equal(jrn_get(j, id, &r), 0);
		assert_int_equal(r.id, id);
		check_gen(&r);
	}
	assert_int_equal(n, st.records);
	return n;
}

static void test_crc32c(void **state)
{
	(void)state;
	/* The CRC-32C check value (RFC 3720 appendix B.4 lists the same polynomial). */
	assert_int_equal(jrn_crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(jrn_crc32c(jrn_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
	assert_int_equal(jrn_crc32c(0, "", 0), 0);
}

static void test_reopen_keeps_everything(void **state)
{
	void *region = region_new();
	struct jrn_recovery rec;
	struct jrn_stats st;
	struct jrn *j;

	(void)state;
	j = open_region(region, boot_a, &rec);
	assert_true(rec.formatted);
	assert_int_equal(rec.records, 0);
	for (uint64_t id = 1; id <= 50; id++)
		append_gen(j, id);
	jrn_free(j);

	j = open_region(region, boot_b, &rec); /* boot_b ignored: the region has one */
	assert_false(rec.formatted);
	assert_int_equal(rec.records, 50);
	assert_int_equal(rec.torn, 0);
	assert_int_equal(check_all(j), 50);
	jrn_stats(j, &st);
	assert_memory_equal(st.boot_id, boot_a, JRN_BOOT_ID_BYTES);
	assert_int_equal(st.next_id, 51);
	append_gen(j, 51); /* the id sequence goes on */
	jrn_free(j);
	free(region);
}

static void test_wrapped_ring_reopens(void **state)
{
	void *region = region_new();
	struct jrn_recovery rec;
	struct jrn_stats before, after;
	struct jrn *j;
	uint64_t id;

	(void)state;
	j = open_region(region, boot_a, NULL);
	for (id = 1; id <= 3000; id++) /* ~4x the capacity: the ring wrapped several times */
		append_gen(j, id);
	jrn_stats(j, &before);
	assert_true(before.evicted > 0);
	jrn_free(j);
	j = open_region(region, boot_a, &rec);
	jrn_stats(j, &after);
	assert_int_equal(after.oldest_id, before.oldest_id);
	assert_int_equal(after.newest_id, 3000);
	assert_int_equal(after.records, before.records);
	assert_int_equal(after.bytes_used, before.bytes_used);
	check_all(j);
	/* Queries work on the rebuilt slots: by time (monotonic = id * 100) and by cursor. */
	struct jrn_record out[4];
	struct jrn_filter f = {.since_ns = 2990 * 100};
	struct jrn_query_result res;
	assert_int_equal(jrn_query(j, &f, out, 4, &res), 0);
	assert_int_equal(res.count, 4);
	assert_int_equal(out[0].id, 2990);
	jrn_free(j);
	free(region);
}

static void test_emptied_ring_keeps_ids(void **state)
{
	void *region = region_new();
	struct jrn_stats st;
	struct jrn *j;

	(void)state;
	j = open_region(region, boot_a, NULL);
	for (uint64_t id = 1; id <= 10; id++)
		append_gen(j, id);
	while (jrn_evict_oldest(j) > 0)
		;
	jrn_free(j);
	j = open_region(region, boot_a, NULL);
	jrn_stats(j, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.next_id, 11); /* an empty ring does not start over at 1 */
	append_gen(j, 11);
	jrn_free(j);
	free(region);
}

static void test_foreign_region_formatted(void **state)
{
	struct jrn_config cfg = config();
	void *region = region_new();
	struct jrn_recovery rec;
	struct jrn *j = NULL;

	(void)state;
	j = open_region(region, boot_a, NULL);
	append_gen(j, 1);
	jrn_free(j);
	((uint8_t *)region)[20] ^= 1; /* inside the header's checked part */
	j = open_region(region, boot_b, &rec);
	assert_true(rec.formatted);
	assert_int_equal(rec.records, 0);
	jrn_free(j);
	/* The region must have exactly the size of the capacity. */
	assert_int_equal(
	        jrn_open(region, jrn_region_size(CAPACITY) - 8, &cfg, boot_a, &j, NULL), -EINVAL);
	memset(region, 0x5a, jrn_region_size(CAPACITY)); /* garbage: formatted too */
	j = open_region(region, boot_b, &rec);
	assert_true(rec.formatted);
	jrn_free(j);
	free(region);
}

/*
 * The crash test. `before` holds a journal whose next id is `next`; the append of `next` is
 * made on a copy (`after`). Every byte that differs is a store the append made; the region
 * after any prefix of those stores (address order, then reverse order) must read back.
 */
struct crash {
	uint8_t *before, *after, *work;
	size_t size;
	size_t *diff, ndiff;
	uint64_t old_oldest, new_oldest, next;
	unsigned tested, torn_seen;
};

static void crash_check_one(struct crash *c)
{
	struct jrn_recovery rec, again;
	struct jrn_stats st;
	struct jrn *j = open_region(c->work, boot_b, &rec);

	assert_false(rec.formatted);
	jrn_stats(j, &st);
	/* The records before the append, but those of a chunk being evicted for it; the new
	 * record whole or not at all. */
	assert_true(st.newest_id == c->next || st.newest_id == c->next - 1);
	assert_true(st.oldest_id >= c->old_oldest && st.oldest_id <= c->new_oldest);
	assert_int_equal(check_all(j), st.records);
	assert_true(st.next_id > st.newest_id);
	c->torn_seen += rec.torn > 0;
	jrn_free(j);
	/* Recovery cleaned up: a second reopen finds the same ring and nothing torn. */
	j = open_region(c->work, boot_b, &again);
	assert_int_equal(again.torn, 0);
	assert_int_equal(again.records, rec.records);
	append_gen(j, st.newest_id + 1 > c->next - 1 ? st.newest_id + 1 : c->next);
	jrn_free(j);
	c->tested++;
}

static bool crash_wanted(size_t k, size_t n)
{
	/* Every prefix near both ends (a record's stores), every 61st through a chunk clear. */
	return k < 1024 || n - k < 1024 || k % 61 == 0;
}

static void crash_run(struct jrn *j, uint8_t *region, size_t size)
{
	struct crash c = {.size = size};
	struct jrn_stats st;
	struct jrn *copy;

	jrn_stats(j, &st);
	c.old_oldest = st.oldest_id;
	c.next = st.next_id;
	c.before = malloc(size);
	c.after = malloc(size);
	c.work = malloc(size);
	c.diff = malloc(size * sizeof(*c.diff));
	assert_non_null(c.before);
	assert_non_null(c.after);
	assert_non_null(c.work);
	assert_non_null(c.diff);
	memcpy(c.before, region, size);
	memcpy(c.after, region, size);
	copy = open_region(c.after, boot_b, NULL);
	append_gen(copy, c.next);
	jrn_stats(copy, &st);
	c.new_oldest = st.oldest_id;
	jrn_free(copy);
	for (size_t i = 0; i < size; i++)
		if (c.before[i] != c.after[i])
			c.diff[c.ndiff++] = i;
	assert_true(c.ndiff > 0);
	for (int order = 0; order < 2; order++) {
		for (size_t k = 0; k <= c.ndiff; k++) {
			if (!crash_wanted(k, c.ndiff))
				continue;
			memcpy(c.work, c.before, size);
			for (size_t i = 0; i < k; i++) {
				size_t at = c.diff[order ? c.ndiff - 1 - i : i];

				c.work[at] = c.after[at];
			}
			crash_check_one(&c);
		}
	}
	assert_true(c.torn_seen > 0); /* some prefixes were torn records, and were counted */
	free(c.before);
	free(c.after);
	free(c.work);
	free(c.diff);
}

static void test_crash_mid_chunk(void **state)
{
	void *region = region_new();
	struct jrn *j;

	(void)state;
	j = open_region(region, boot_a, NULL);
	for (uint64_t id = 1; id <= 20; id++)
		append_gen(j, id);
	jrn_free(j);
	j = open_region(region, boot_a, NULL);
	crash_run(j, region, jrn_region_size(CAPACITY));
	jrn_free(j);
	free(region);
}

/* Whether appending the next record to the journal in `region` starts a chunk: one that was
 * all zero holds bytes after it (a free chunk), or, with `evict`, the oldest was evicted. */
static bool next_starts_chunk(const uint8_t *region, bool evict)
{
	size_t size = jrn_region_size(CAPACITY), chunk = 32u << 10; /* CAPACITY / 4 */
	uint8_t *copy = malloc(size), zero[64] = {0};
	struct jrn_stats st;
	struct jrn *j;
	bool started = false;

	assert_non_null(copy);
	memcpy(copy, region, size);
	j = open_region(copy, boot_a, NULL);
	jrn_stats(j, &st);
	append_gen(j, st.next_id);
	if (evict) {
		uint64_t evicted = st.evicted;

		jrn_stats(j, &st);
		started = st.evicted > evicted;
	} else {
		for (size_t k = 0; k < CAPACITY / chunk; k++) {
			size_t at = JRN_REGION_HDR_BYTES + k * chunk;

			started |= memcmp(region + at, zero, sizeof(zero)) == 0 &&
			           memcmp(copy + at, zero, sizeof(zero)) != 0;
		}
	}
	jrn_free(j);
	free(copy);
	return started;
}

static void fill_to_chunk_end(struct jrn *j, const uint8_t *region, bool evict)
{
	struct jrn_stats st;

	/* Cheaply into a full ring first: then at most a chunk's worth of trials. */
	for (jrn_stats(j, &st); evict && st.evicted == 0; jrn_stats(j, &st))
		append_gen(j, st.next_id);
	while (!next_starts_chunk(region, evict)) {
		jrn_stats(j, &st);
		append_gen(j, st.next_id);
	}
}

static void test_crash_new_chunk(void **state)
{
	void *region = region_new();
	struct jrn *j;

	(void)state;
	j = open_region(region, boot_a, NULL);
	fill_to_chunk_end(j, region, false);
	crash_run(j, region, jrn_region_size(CAPACITY));
	jrn_free(j);
	free(region);
}

static void test_crash_evicting(void **state)
{
	void *region = region_new();
	struct jrn *j;

	(void)state;
	j = open_region(region, boot_a, NULL);
	fill_to_chunk_end(j, region, true);
	crash_run(j, region, jrn_region_size(CAPACITY));
	jrn_free(j);
	free(region);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_crc32c),
	        cmocka_unit_test(test_reopen_keeps_everything),
	        cmocka_unit_test(test_wrapped_ring_reopens),
	        cmocka_unit_test(test_emptied_ring_keeps_ids),
	        cmocka_unit_test(test_foreign_region_formatted),
	        cmocka_unit_test(test_crash_mid_chunk),
	        cmocka_unit_test(test_crash_new_chunk),
	        cmocka_unit_test(test_crash_evicting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
