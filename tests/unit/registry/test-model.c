/* SPDX-License-Identifier: MIT */
/* registry: long random operation sequences checked step by step against a plain model. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"

#define N_NAMES   6
#define N_OWNERS  4
#define N_HANDLES 16

/* Sorted, so the model's name order is the index order. */
static const char *const names[N_NAMES] = {"a", "b", "b.x", "c", "c-1", "d"};

struct model {
	uint64_t owner[N_NAMES]; /* 0 = free */
	uint64_t gen[N_NAMES];
	bool active[N_HANDLES + 1];
	uint64_t w_owner[N_HANDLES + 1];
	int w_target[N_HANDLES + 1]; /* name index, -1 = every name */
	uint64_t w_seq[N_HANDLES + 1];
	uint64_t next_gen;
	uint64_t seq;
	/* Expected events of the current step. */
	struct rec_event ev[256];
	size_t n_ev;
};

static const char *subject_of(uint64_t owner)
{
	static const char *const s[N_OWNERS + 1] = {"", "svc:o1", "svc:o2", "svc:o3", "svc:o4"};
	return s[owner];
}

static void expect(struct model *m, uint64_t handle, int name, bool up)
{
	assert_true(m->n_ev < sizeof(m->ev) / sizeof(m->ev[0]));
	struct rec_event *e = &m->ev[m->n_ev++];
	memset(e, 0, sizeof(*e));
	e->watcher = handle;
	e->watcher_owner = m->w_owner[handle];
	snprintf(e->name, sizeof(e->name), "%s", names[name]);
	snprintf(e->subject, sizeof(e->subject), "%s", subject_of(m->owner[name]));
	e->generation = m->gen[name];
	e->up = up;
}

/* Watchers of `target` (or the wildcard ones for -1), in watch order. */
static size_t watchers_in_order(const struct model *m, int target, uint64_t *out)
{
	size_t n = 0;
	for (uint64_t h = 1; h <= N_HANDLES; h++)
		if (m->active[h] && m->w_target[h] == target)
			out[n++] = h;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && m->w_seq[out[j - 1]] > m->w_seq[out[j]]; j--) {
			uint64_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static void expect_change(struct model *m, int name, bool up)
{
	uint64_t hs[N_HANDLES];
	size_t n = watchers_in_order(m, name, hs);
	for (size_t i = 0; i < n; i++)
		expect(m, hs[i], name, up);
	n = watchers_in_order(m, -1, hs);
	for (size_t i = 0; i < n; i++)
		expect(m, hs[i], name, up);
}

static void check_events(const struct model *m, const struct rec *rc, uint64_t step)
{
	if (rc->n_ev != m->n_ev)
		fail_msg("step %llu: %zu events, model %zu", (unsigned long long)step, rc->n_ev,
		        m->n_ev);
	for (size_t i = 0; i < m->n_ev; i++) {
		const struct rec_event *a = &rc->ev[i], *b = &m->ev[i];
		if (a->watcher != b->watcher || a->watcher_owner != b->watcher_owner ||
		        strcmp(a->name, b->name) != 0 || strcmp(a->subject, b->subject) != 0 ||
		        a->generation != b->generation || a->up != b->up)
			fail_msg("step %llu event %zu: w%llu %s %s g%llu, model w%llu %s %s g%llu",
			        (unsigned long long)step, i, (unsigned long long)a->watcher,
			        a->name, a->up ? "up" : "down", (unsigned long long)a->generation,
			        (unsigned long long)b->watcher, b->name, b->up ? "up" : "down",
			        (unsigned long long)b->generation);
	}
}

static void check_state(const struct model *m, const struct reg *r, uint64_t step)
{
	size_t count = 0;
	struct reg_entry e;
	for (int i = 0; i < N_NAMES; i++) {
		int rc = reg_resolve(r, names[i], &e);
		if (!m->owner[i]) {
			if (rc != -ENOENT)
				fail_msg("step %llu: %s resolves", (unsigned long long)step,
				        names[i]);
			continue;
		}
		count++;
		assert_int_equal(rc, 0);
		assert_int_equal(e.owner, m->owner[i]);
		assert_int_equal(e.generation, m->gen[i]);
		assert_string_equal(e.subject, subject_of(m->owner[i]));
	}
	assert_int_equal(reg_count(r), count);
	/* Listing in pages of 2 gives the registered names in order. */
	struct reg_entry out[2];
	char cursor[REG_NAME_MAX + 1] = "";
	bool more = true;
	int idx = 0;
	while (more) {
		int c = reg_list(r, cursor, out, 2, &more);
		assert_true(c >= 0);
		for (int k = 0; k < c; k++) {
			while (idx < N_NAMES && !m->owner[idx])
				idx++;
			assert_true(idx < N_NAMES);
			assert_string_equal(out[k].name, names[idx]);
			idx++;
		}
		if (c > 0)
			snprintf(cursor, sizeof(cursor), "%s", out[c - 1].name);
	}
	while (idx < N_NAMES && !m->owner[idx])
		idx++;
	assert_int_equal(idx, N_NAMES);
}

static void run(uint64_t seed, unsigned steps)
{
	struct rec *rc = rec_new();
	struct reg *r = NULL;
	struct model *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->next_gen = 1;
	assert_int_equal(reg_new(&rec_callbacks, rc, &r), 0);

	for (uint64_t step = 0; step < steps; step++) {
		uint64_t x = rnd_next(&seed);
		unsigned op = (unsigned)(x % 72);
		uint64_t owner = 1 + (x >> 8) % N_OWNERS;
		int name = (int)((x >> 16) % N_NAMES);
		uint64_t handle = 1 + (x >> 24) % N_HANDLES;
		int got, want;
		rec_clear(rc);
		m->n_ev = 0;

		if (op < 25) {
			uint64_t gen = 0;
			got = reg_register(
			        r, owner, subject_of(owner), names[name], NULL, &gen, NULL);
			if (m->owner[name]) {
				want = -EEXIST;
			} else {
				want = 0;
				m->owner[name] = owner;
				m->gen[name] = m->next_gen++;
				expect_change(m, name, true);
				assert_int_equal(gen, m->gen[name]);
			}
		} else if (op < 37) {
			got = reg_unregister(r, owner, names[name]);
			if (!m->owner[name]) {
				want = -ENOENT;
			} else if (m->owner[name] != owner) {
				want = -EPERM;
			} else {
				want = 0;
				expect_change(m, name, false);
				m->owner[name] = 0;
			}
		} else if (op < 42) {
			got = reg_owner_gone(r, owner);
			want = 0;
			size_t dropped = 0;
			for (uint64_t h = 1; h <= N_HANDLES; h++)
				if (m->active[h] && m->w_owner[h] == owner) {
					m->active[h] = false;
					dropped++;
					bool seen = false;
					for (size_t k = 0; k < rc->n_watchers; k++)
						seen |= rc->watchers[k] == h;
					assert_true(seen);
				}
			assert_int_equal(rc->n_watchers, dropped);
			for (int i = 0; i < N_NAMES; i++)
				if (m->owner[i] == owner) {
					expect_change(m, i, false);
					m->owner[i] = 0;
					want++;
				}
			assert_int_equal(rc->n_hosts, want);
		} else if (op < 62) {
			int target = (x >> 40) % 3 == 0 ? -1 : name;
			got = reg_watch(r, owner, target < 0 ? NULL : names[target], handle);
			if (m->active[handle]) {
				want = -EEXIST;
			} else {
				want = 0;
				m->active[handle] = true;
				m->w_owner[handle] = owner;
				m->w_target[handle] = target;
				m->w_seq[handle] = ++m->seq;
				for (int i = 0; i < N_NAMES; i++)
					if (m->owner[i] && (target < 0 || target == i))
						expect(m, handle, i, true);
			}
		} else {
			got = reg_unwatch(r, handle);
			want = m->active[handle] ? 0 : -ENOENT;
			m->active[handle] = false;
		}
		if (got != want)
			fail_msg("seed step %llu op %u: got %d, model %d", (unsigned long long)step,
			        op, got, want);
		check_events(m, rc, step);
		if (step % 7 == 0 || got == 0)
			check_state(m, r, step);
	}
	r = reg_free(r);
	rec_free(rc);
	free(m);
}

static void test_model_seed1(void **state)
{
	(void)state;
	run(1, 20000);
}

static void test_model_seed2(void **state)
{
	(void)state;
	run(0xdeadbeef, 20000);
}

FDCHECK_GROUP("registry model tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_model_seed1),
	        cmocka_unit_test(test_model_seed2),
	};
	return cmocka_run_group_tests_name(
	        "registry-model", tests, fdcheck_group_setup, fdcheck_group_teardown);
}
