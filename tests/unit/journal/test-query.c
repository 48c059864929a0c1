/* SPDX-License-Identifier: MIT */
/* journal queries: every filter against a brute-force reference, cursors across eviction. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"

FDCHECK_GROUP("query tests")

static const char *const subjects[] = {
        "svc:a", "svc:ab", "app:x", "app:xy", "app:y.z", "uid:1000", "peer:d1/app:x"};
static const char *const subject_patterns[] = {"svc:a", "svc:*", "app:x", "app:x*", "app:*",
        "uid:1000", "peer:*", "nobody", "*", "svc:ab*"};
static const char *const scopes[] = {"", "net", "disk", "ui"};
static const char *const words[] = {"alpha", "beta", "gamma", "delta", "link", "down"};

#define NSUBJ      (sizeof(subjects) / sizeof(subjects[0]))
#define NPAT       (sizeof(subject_patterns) / sizeof(subject_patterns[0]))
#define NSCOPE     (sizeof(scopes) / sizeof(scopes[0]))
#define NWORD      (sizeof(words) / sizeof(words[0]))
#define MAX_SHADOW 40000

/* What the test appended, kept to answer queries by brute force. */
struct shadow {
	uint64_t id, mono;
	enum jrn_level level;
	const char *subject, *scope;
	char message[48];
};

static struct shadow shadow[MAX_SHADOW + 1]; /* by id */
static uint64_t shadow_mono;

static void append_random(struct jrn *j, uint64_t *rng)
{
	struct shadow s = {0};
	uint64_t r = rnd_next(rng);

	s.level = (enum jrn_level)(r % JRN_LEVEL_COUNT);
	s.subject = subjects[(r >> 8) % NSUBJ];
	s.scope = scopes[(r >> 16) % NSCOPE];
	snprintf(s.message, sizeof(s.message), "%s %s %u", words[(r >> 24) % NWORD],
	        words[(r >> 32) % NWORD], (unsigned)((r >> 40) % 100));
	/* Time advances by 0..3 ns (ties on purpose), and now and then is given as older. */
	uint64_t given = shadow_mono + (r >> 48) % 4;
	if ((r >> 56) % 32 == 0 && shadow_mono > 5)
		given = shadow_mono - 5;
	s.mono = given < shadow_mono ? shadow_mono : given;
	shadow_mono = s.mono;

	struct jrn_field f = {"w", words[(r >> 24) % NWORD]};
	struct jrn_entry e = {.level = s.level,
	        .scope = s.scope,
	        .message = s.message,
	        .fields = &f,
	        .n_fields = 1};
	uint64_t id;
	assert_int_equal(jrn_append(j, s.subject, &e, 0, given, &id), 0);
	assert_true(id <= MAX_SHADOW);
	s.id = id;
	shadow[id] = s;
}

static bool ref_match(const struct jrn_filter *f, const struct shadow *s)
{
	if (f->since_ns && s->mono < f->since_ns)
		return false;
	if (f->until_ns && s->mono >= f->until_ns)
		return false;
	if (s->level < f->min_level)
		return false;
	if (f->subject) {
		size_t n = strlen(f->subject);
		if (n && f->subject[n - 1] == '*') {
			if (strncmp(s->subject, f->subject, n - 1) != 0)
				return false;
		} else if (strcmp(s->subject, f->subject) != 0) {
			return false;
		}
	}
	if (f->scope && strcmp(s->scope, f->scope) != 0)
		return false;
	if (f->contains && !strstr(s->message, f->contains))
		return false;
	return true;
}

static void random_filter(struct jrn_filter *f, uint64_t *rng, const struct jrn_stats *st)
{
	uint64_t r = rnd_next(rng);
	memset(f, 0, sizeof(*f));
	if (r % 3 == 0 && st->next_id > 1) {
		/* Anywhere from long evicted to the next id. */
		f->since_id = 1 + rnd_next(rng) % st->next_id;
	}
	if ((r >> 4) % 3 == 0)
		f->since_ns = rnd_next(rng) % (shadow_mono + 10);
	if ((r >> 8) % 3 == 0)
		f->until_ns = rnd_next(rng) % (shadow_mono + 10);
	if ((r >> 12) % 2 == 0)
		f->min_level = (enum jrn_level)((r >> 16) % JRN_LEVEL_COUNT);
	if ((r >> 20) % 2 == 0)
		f->subject = subject_patterns[(r >> 24) % NPAT];
	if ((r >> 32) % 3 == 0)
		f->scope = scopes[(r >> 36) % NSCOPE];
	if ((r >> 40) % 3 == 0)
		f->contains = words[(r >> 44) % NWORD];
}

/* Pages through the whole result with a random page size and checks it against the reference. */
static void check_filter(struct jrn *j, const struct jrn_filter *f0, uint64_t *rng)
{
	static struct jrn_record out[64];
	struct jrn_stats st;
	struct jrn_filter f = *f0;
	struct jrn_query_result res;
	size_t max = 1 + rnd_next(rng) % 64;

	jrn_stats(j, &st);
	uint64_t lo = st.records ? st.oldest_id : st.next_id;
	uint64_t want_missed = f.since_id && f.since_id < lo ? lo - f.since_id : 0;
	uint64_t from = f.since_id > lo ? f.since_id : lo;
	uint64_t want = from; /* next expected match is searched from here */
	bool first = true;

	for (;;) {
		assert_int_equal(jrn_query(j, &f, out, max, &res), 0);
		if (first)
			assert_int_equal(res.missed, want_missed);
		first = false;
		for (size_t i = 0; i < res.count; i++) {
			while (want < st.next_id && !ref_match(&f, &shadow[want]))
				want++;
			assert_true(want < st.next_id);
			assert_int_equal(out[i].id, want);
			assert_int_equal(out[i].monotonic_ns, shadow[want].mono);
			assert_int_equal(out[i].level, shadow[want].level);
			assert_string_equal(out[i].subject, shadow[want].subject);
			assert_string_equal(out[i].scope, shadow[want].scope);
			assert_string_equal(out[i].message, shadow[want].message);
			want++;
		}
		if (!res.more)
			break;
		assert_int_equal(res.count, max);
		assert_true(res.next_cursor > f.since_id);
		f.since_id = res.next_cursor;
	}
	/* No match left behind. */
	while (want < st.next_id && !ref_match(&f, &shadow[want]))
		want++;
	assert_int_equal(want, st.next_id);
	assert_true(res.next_cursor <= st.next_id);
}

static void test_filters_match_reference(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	uint64_t rng = 12345;
	struct jrn_stats st;

	shadow_mono = 0;
	for (int round = 0; round < 60; round++) {
		/* Appends in bursts; the small journal evicts many times over. */
		uint64_t n = rnd_next(&rng) % 600;
		for (uint64_t i = 0; i < n; i++)
			append_random(j, &rng);
		jrn_stats(j, &st);
		for (int q = 0; q < 25; q++) {
			struct jrn_filter f;
			random_filter(&f, &rng, &st);
			check_filter(j, &f, &rng);
		}
		if (round % 20 == 19)
			jrn_evict_oldest(j);
	}
	jrn_stats(j, &st);
	assert_true(st.evicted > 0);
	jrn_free(j);
}

static void test_cursor_across_eviction(void **state)
{
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	struct jrn_record out[16];
	struct jrn_query_result res;
	struct jrn_filter f = {0};
	struct jrn_stats st;
	uint64_t rng = 7;

	shadow_mono = 0;
	for (int i = 0; i < 100; i++)
		append_random(j, &rng);
	assert_int_equal(jrn_query(j, &f, out, 16, &res), 0);
	assert_int_equal(res.count, 16);
	assert_true(res.more);
	assert_int_equal(res.next_cursor, 17);
	assert_int_equal(res.missed, 0);

	/* Appends that do not reach the cursor: the next page continues without gap or repeat. */
	for (int i = 0; i < 50; i++)
		append_random(j, &rng);
	f.since_id = res.next_cursor;
	assert_int_equal(jrn_query(j, &f, out, 16, &res), 0);
	assert_int_equal(out[0].id, 17);
	assert_int_equal(res.next_cursor, 33);
	assert_int_equal(res.missed, 0);

	/* Appends until the cursor's record is evicted: the next page starts at the oldest and
	 * reports exactly how many the reader missed. */
	do {
		append_random(j, &rng);
		jrn_stats(j, &st);
	} while (st.oldest_id <= 40);
	f.since_id = res.next_cursor;
	assert_int_equal(jrn_query(j, &f, out, 16, &res), 0);
	assert_int_equal(res.missed, st.oldest_id - 33);
	assert_int_equal(out[0].id, st.oldest_id);
	assert_int_equal(res.next_cursor, st.oldest_id + 16);

	/* Following: at the end, the cursor is next_id, no more, then only new records come. */
	f.since_id = st.next_id;
	assert_int_equal(jrn_query(j, &f, out, 16, &res), 0);
	assert_int_equal(res.count, 0);
	assert_false(res.more);
	assert_int_equal(res.next_cursor, st.next_id);
	append_random(j, &rng);
	assert_int_equal(jrn_query(j, &f, out, 16, &res), 0);
	assert_int_equal(res.count, 1);
	assert_int_equal(out[0].id, st.next_id);
	assert_int_equal(res.next_cursor, st.next_id + 1);

	/* A cursor from the future (another journal) is refused. */
	f.since_id = st.next_id + 2;
	assert_int_equal(jrn_query(j, &f, out, 16, &res), -ERANGE);

	/* Everything evicted: a cursor reports all it missed. */
	while (jrn_evict_oldest(j) > 0)
		;
	jrn_stats(j, &st);
	f.since_id = 1;
	assert_int_equal(jrn_query(j, &f, out, 16, &res), 0);
	assert_int_equal(res.count, 0);
	assert_int_equal(res.missed, st.next_id - 1);
	assert_int_equal(res.next_cursor, st.next_id);
	jrn_free(j);
}

static void test_filtered_cursor_skips_examined(void **state)
{
	/* With a selective filter the cursor jumps to the next match, not one past the page. */
	struct jrn *j = journal_unlimited(JRN_CAPACITY_MIN);
	struct jrn_entry e = entry(JRN_LEVEL_INFO, "s", "m");
	struct jrn_record out[2];
	struct jrn_query_result res;
	for (uint64_t i = 1; i <= 100; i++)
		assert_int_equal(
		        jrn_append(j, i % 10 == 0 ? "svc:rare" : "svc:common", &e, 0, i, NULL), 0);
	struct jrn_filter f = {.subject = "svc:rare"};
	assert_int_equal(jrn_query(j, &f, out, 2, &res), 0);
	assert_int_equal(res.count, 2);
	assert_int_equal(out[0].id, 10);
	assert_int_equal(out[1].id, 20);
	assert_true(res.more);
	assert_int_equal(res.next_cursor, 30);
	/* max 0 just answers "is there any, and where". */
	f.since_id = 31;
	assert_int_equal(jrn_query(j, &f, NULL, 0, &res), 0);
	assert_int_equal(res.count, 0);
	assert_true(res.more);
	assert_int_equal(res.next_cursor, 40);
	/* The last page: no more, and the cursor is past everything examined. */
	f.since_id = 91;
	assert_int_equal(jrn_query(j, &f, out, 2, &res), 0);
	assert_int_equal(res.count, 1);
	assert_false(res.more);
	assert_int_equal(res.next_cursor, 101);
	/* until stops the scan: the cursor is the first record at or past until. */
	f.since_id = 0;
	f.until_ns = 35;
	assert_int_equal(jrn_query(j, &f, out, 2, &res), 0);
	assert_int_equal(res.count, 2);
	assert_true(res.more);
	f.since_id = res.next_cursor;
	assert_int_equal(jrn_query(j, &f, out, 2, &res), 0);
	assert_int_equal(res.count, 1);
	assert_int_equal(out[0].id, 30);
	assert_false(res.more);
	assert_int_equal(res.next_cursor, 35);
	/* since_ns finds its first record across chunk boundaries and ties. */
	struct jrn_filter t = {.since_ns = 57};
	assert_int_equal(jrn_query(j, &t, out, 1, &res), 0);
	assert_int_equal(out[0].id, 57);
	t.since_ns = 1000;
	assert_int_equal(jrn_query(j, &t, out, 1, &res), 0);
	assert_int_equal(res.count, 0);
	assert_false(res.more);
	jrn_free(j);
}

static void test_query_limits(void **state)
{
	struct jrn *j = journal_unlimited(1u << 20);
	static struct jrn_record out[JRN_QUERY_MAX + 1];
	struct jrn_query_result res;
	struct jrn_entry e = entry(JRN_LEVEL_INFO, "s", "m");
	char big[JRN_MESSAGE_MAX + 2];

	for (uint64_t i = 0; i < JRN_QUERY_MAX + 10; i++)
		assert_int_equal(jrn_append(j, "svc:a", &e, 0, i, NULL), 0);
	/* max is clamped to JRN_QUERY_MAX. */
	assert_int_equal(jrn_query(j, NULL, out, JRN_QUERY_MAX + 1, &res), 0);
	assert_int_equal(res.count, JRN_QUERY_MAX);
	assert_true(res.more);
	assert_int_equal(res.next_cursor, JRN_QUERY_MAX + 1);
	assert_int_equal(jrn_query(j, NULL, out, JRN_QUERY_MAX, &res), 0);
	assert_int_equal(res.count, JRN_QUERY_MAX);

	/* Filter texts: at the limit fine, over it -EMSGSIZE. */
	struct jrn_filter f = {0};
	memset(big, 'x', sizeof(big));
	big[JRN_SUBJECT_MAX] = '\0';
	f.subject = big;
	assert_int_equal(jrn_query(j, &f, out, 1, &res), 0);
	big[JRN_SUBJECT_MAX] = 'x';
	big[JRN_SUBJECT_MAX + 1] = '\0';
	assert_int_equal(jrn_query(j, &f, out, 1, &res), -EMSGSIZE);
	f.subject = NULL;
	memset(big, 'x', sizeof(big));
	big[JRN_SCOPE_MAX + 1] = '\0';
	f.scope = big;
	assert_int_equal(jrn_query(j, &f, out, 1, &res), -EMSGSIZE);
	f.scope = NULL;
	memset(big, 'x', sizeof(big));
	big[JRN_MESSAGE_MAX + 1] = '\0';
	f.contains = big;
	assert_int_equal(jrn_query(j, &f, out, 1, &res), -EMSGSIZE);
	big[JRN_MESSAGE_MAX] = '\0';
	assert_int_equal(jrn_query(j, &f, out, 1, &res), 0);
	assert_int_equal(res.count, 0);
	f.contains = NULL;
	f.min_level = JRN_LEVEL_COUNT;
	assert_int_equal(jrn_query(j, &f, out, 1, &res), -EINVAL);
	assert_int_equal(jrn_query(j, NULL, NULL, 1, &res), -EINVAL);
	assert_int_equal(jrn_query(j, NULL, out, 1, NULL), -EINVAL);
	assert_int_equal(jrn_query(NULL, NULL, out, 1, &res), -EINVAL);
	jrn_free(j);
}

/* What `nx log -n N --until ID --grep TEXT -i` asks: the newest N matches before a cursor,
 * the needle matched ignoring ASCII case. */
static void test_newest_until_icase(void **state)
{
	static struct jrn_record out[8];
	static const char *const msgs[] = {
	        "Link UP", "disk full", "link down", "LINK flap", "cpu hot", "link ok"};
	struct jrn *j = journal_unlimited(1u << 20);
	struct jrn_query_result res;
	struct jrn_filter f = {.contains = "link", .contains_icase = true};
	uint64_t id;

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct jrn_entry e = entry(JRN_LEVEL_INFO, "net", msgs[i]);

		assert_int_equal(jrn_append(j, "svc:a", &e, 0, i + 1, &id), 0);
	}
	/* ids 1..6; "link" ignoring case: 1, 3, 4, 6. */
	assert_int_equal(jrn_query(j, &f, out, 8, &res), 0);
	assert_int_equal(res.count, 4);
	assert_int_equal(jrn_query_newest(j, &f, out, 2, &res), 0);
	assert_int_equal(res.count, 2);
	assert_int_equal(out[0].id, 4);
	assert_int_equal(out[1].id, 6);
	assert_false(res.more);
	f.until_id = 6; /* before record 6 */
	assert_int_equal(jrn_query_newest(j, &f, out, 2, &res), 0);
	assert_int_equal(res.count, 2);
	assert_int_equal(out[0].id, 3);
	assert_int_equal(out[1].id, 4);
	f.contains_icase = false; /* case matters again: 3 and 6, but 6 is past until */
	assert_int_equal(jrn_query_newest(j, &f, out, 8, &res), 0);
	assert_int_equal(res.count, 1);
	assert_int_equal(out[0].id, 3);
	jrn_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_filters_match_reference),
	        cmocka_unit_test(test_cursor_across_eviction),
	        cmocka_unit_test(test_filtered_cursor_skips_examined),
	        cmocka_unit_test(test_query_limits),
	        cmocka_unit_test(test_newest_until_icase),
	};
	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
