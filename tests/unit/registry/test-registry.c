/* SPDX-License-Identifier: MIT */
/* registry: registration, names, watchers, owner death, listing, adoption, connection limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fdcheck.h"
#include "helpers.h"

FDCHECK_GROUP("registry tests")

struct fixture {
	struct rec *rec;
	struct reg *r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->rec = rec_new();
	if (reg_new(&rec_callbacks, f->rec, &f->r) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	f->r = reg_free(f->r);
	rec_free(f->rec);
	free(f);
	return 0;
}

/* Host pointers the tests hand in: distinct, never dereferenced. */
static int hosts[8];

static void test_new_free(void **state)
{
	(void)state;
	struct reg *r = NULL;
	assert_int_equal(reg_new(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(reg_new(NULL, NULL, &r), 0);
	assert_non_null(r);
	assert_int_equal(reg_count(r), 0);
	/* No callbacks at all is fine. */
	assert_int_equal(reg_register(r, 1, "svc:a", "a", &hosts[0], NULL, NULL), 0);
	assert_int_equal(reg_watch(r, 1, NULL, 5), 0);
	assert_int_equal(reg_owner_gone(r, 1), 1);
	assert_null(reg_free(r));
	assert_null(reg_free(NULL));
}

static void test_register_resolve_unregister(void **state)
{
	struct fixture *f = *state;
	struct reg_entry e;
	uint64_t g1 = 0, g2 = 0, g3 = 0;

	assert_int_equal(reg_resolve(f->r, "logd", &e), -ENOENT);
	assert_int_equal(reg_register(f->r, 7, "svc:logd", "logd", &hosts[0], &g1, NULL), 0);
	assert_int_equal(g1, 1);
	assert_int_equal(reg_register(f->r, 8, "svc:policyd", "policyd", &hosts[1], &g2, NULL), 0);
	assert_int_equal(g2, 2);
	assert_int_equal(reg_count(f->r), 2);

	assert_int_equal(reg_resolve(f->r, "logd", &e), 0);
	assert_string_equal(e.name, "logd");
	assert_string_equal(e.subject, "svc:logd");
	assert_int_equal(e.owner, 7);
	assert_int_equal(e.generation, g1);
	assert_ptr_equal(e.host, &hosts[0]);
	/* Lookups are exact: no prefix, no case folding. */
	assert_int_equal(reg_resolve(f->r, "log", &e), -ENOENT);
	assert_int_equal(reg_resolve(f->r, "logdd", &e), -ENOENT);
	assert_int_equal(reg_resolve(f->r, "LOGD", &e), -ENOENT);
	assert_int_equal(reg_resolve(f->r, "logd", NULL), -EINVAL);
	assert_int_equal(reg_resolve(f->r, NULL, &e), -EINVAL);

	/* Only the owner unregisters. */
	assert_int_equal(reg_unregister(f->r, 8, "logd"), -EPERM);
	assert_int_equal(reg_unregister(f->r, 7, "nope"), -ENOENT);
	assert_int_equal(reg_unregister(f->r, 0, "logd"), -EINVAL);
	assert_int_equal(f->rec->n_hosts, 0);
	assert_int_equal(reg_unregister(f->r, 7, "logd"), 0);
	assert_int_equal(f->rec->n_hosts, 1);
	assert_ptr_equal(f->rec->hosts[0], &hosts[0]);
	assert_int_equal(reg_resolve(f->r, "logd", &e), -ENOENT);
	assert_int_equal(reg_unregister(f->r, 7, "logd"), -ENOENT);
	assert_int_equal(reg_count(f->r), 1);

	/* A new registration of the same name gets a new generation. */
	assert_int_equal(reg_register(f->r, 9, "svc:logd", "logd", &hosts[2], &g3, NULL), 0);
	assert_int_equal(g3, 3);
	assert_int_equal(reg_resolve(f->r, "logd", &e), 0);
	assert_int_equal(e.owner, 9);
	assert_ptr_equal(e.host, &hosts[2]);
	/* No watchers: no events. */
	assert_int_equal(f->rec->n_ev, 0);
}

static void test_duplicate(void **state)
{
	struct fixture *f = *state;
	uint64_t gen = 77;
	const char *holder = NULL;

	assert_int_equal(reg_register(f->r, 1, "svc:logd", "logd", &hosts[0], NULL, &holder), 0);
	assert_null(holder);
	assert_int_equal(
	        reg_register(f->r, 2, "app:evil", "logd", &hosts[1], &gen, &holder), -EEXIST);
	assert_non_null(holder);
	assert_string_equal(holder, "svc:logd");
	assert_int_equal(gen, 77);
	/* The same owner too: one registration per name. */
	holder = NULL;
	assert_int_equal(
	        reg_register(f->r, 1, "svc:logd", "logd", &hosts[1], &gen, &holder), -EEXIST);
	assert_string_equal(holder, "svc:logd");
	assert_int_equal(reg_register(f->r, 2, "app:evil", "logd", &hosts[1], NULL, NULL), -EEXIST);
	struct reg_entry e;
	assert_int_equal(reg_resolve(f->r, "logd", &e), 0);
	assert_ptr_equal(e.host, &hosts[0]);
	assert_int_equal(reg_count(f->r), 1);
	assert_int_equal(f->rec->n_hosts, 0);
}

static void test_name_table(void **state)
{
	struct fixture *f = *state;
	char max[REG_NAME_MAX + 1], over[REG_NAME_MAX + 2];
	memset(max, 'a', REG_NAME_MAX);
	max[REG_NAME_MAX] = 0;
	memset(over, 'b', REG_NAME_MAX + 1);
	over[REG_NAME_MAX + 1] = 0;
	static const struct {
		const char *name;
		int rc;
	} table[] = {
	        {"a", 0},
	        {"0", 0},
	        {"9lives", 0},
	        {"a.b_c-d", 0},
	        {"a.", 0},
	        {"a..b", 0},
	        {"samgrd2", 0},
	        {"initd", 0},
	        {"", -EINVAL},
	        {".a", -EINVAL},
	        {"-a", -EINVAL},
	        {"_a", -EINVAL},
	        {"A", -EINVAL},
	        {"aB", -EINVAL},
	        {"a b", -EINVAL},
	        {"a/b", -EINVAL},
	        {"a:b", -EINVAL},
	        {"a*", -EINVAL},
	        {"a\t", -EINVAL},
	        {"caf\xc3\xa9", -EINVAL},
	        {"a\xff", -EINVAL},
	        {"init", -EPERM},
	        {"samgr", -EPERM},
	        {"samgrd", -EPERM},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int rc = reg_name_check(table[i].name);
		if (rc != table[i].rc)
			fail_msg("name '%s': %d, expected %d", table[i].name, rc, table[i].rc);
		uint64_t gen = 0;
		rc = reg_register(f->r, 1, "svc:t", table[i].name, NULL, &gen, NULL);
		if (rc != table[i].rc)
			fail_msg("register '%s': %d, expected %d", table[i].name, rc, table[i].rc);
		/* Watching follows the same rules. */
		rc = reg_watch(f->r, 2, table[i].name, 100 + i);
		if (rc != table[i].rc)
			fail_msg("watch '%s': %d, expected %d", table[i].name, rc, table[i].rc);
	}
	assert_int_equal(reg_name_check(NULL), -EINVAL);
	/* The length limit, at and past it. */
	assert_int_equal(reg_name_check(max), 0);
	assert_int_equal(reg_register(f->r, 1, "svc:t", max, NULL, NULL, NULL), 0);
	assert_int_equal(reg_name_check(over), -ENAMETOOLONG);
	assert_int_equal(reg_register(f->r, 1, "svc:t", over, NULL, NULL, NULL), -ENAMETOOLONG);
	assert_int_equal(reg_register(f->r, 1, "svc:t", NULL, NULL, NULL, NULL), -EINVAL);
}

static void test_subject_and_owner(void **state)
{
	struct fixture *f = *state;
	char max[REG_SUBJECT_MAX + 1], over[REG_SUBJECT_MAX + 2];
	memset(max, 's', REG_SUBJECT_MAX);
	max[REG_SUBJECT_MAX] = 0;
	memset(over, 's', REG_SUBJECT_MAX + 1);
	over[REG_SUBJECT_MAX + 1] = 0;

	assert_int_equal(reg_register(f->r, 0, "svc:a", "a", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(reg_register(f->r, 1, NULL, "a", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(reg_register(f->r, 1, "", "a", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(reg_register(f->r, 1, over, "a", NULL, NULL, NULL), -EMSGSIZE);
	assert_int_equal(reg_register(NULL, 1, "svc:a", "a", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(reg_count(f->r), 0);
	assert_int_equal(reg_register(f->r, 1, max, "a", NULL, NULL, NULL), 0);
	struct reg_entry e;
	assert_int_equal(reg_resolve(f->r, "a", &e), 0);
	assert_string_equal(e.subject, max);
}

static void test_names_limit(void **state)
{
	struct fixture *f = *state;
	char name[32];
	for (unsigned i = 0; i < REG_NAMES_MAX; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		assert_int_equal(reg_register(f->r, 1 + i % 3, "svc:x", name, NULL, NULL, NULL), 0);
	}
	assert_int_equal(reg_count(f->r), REG_NAMES_MAX);
	assert_int_equal(reg_register(f->r, 9, "svc:x", "one-more", NULL, NULL, NULL), -ENOSPC);
	/* A duplicate is still a duplicate when full. */
	assert_int_equal(reg_register(f->r, 9, "svc:x", "s5", NULL, NULL, NULL), -EEXIST);
	assert_int_equal(reg_unregister(f->r, 1, "s0"), 0);
	assert_int_equal(reg_register(f->r, 9, "svc:x", "one-more", NULL, NULL, NULL), 0);
	assert_int_equal(reg_register(f->r, 9, "svc:x", "two-more", NULL, NULL, NULL), -ENOSPC);
}

static void test_watch(void **state)
{
	struct fixture *f = *state;
	struct rec *rc = f->rec;
	uint64_t g1, g2;

	assert_int_equal(reg_watch(f->r, 10, "logd", 1001), 0);
	assert_int_equal(reg_watch(f->r, 11, NULL, 1002), 0);
	assert_int_equal(rc->n_ev, 0); /* nothing registered yet */
	assert_int_equal(reg_watch(f->r, 10, "other", 1001), -EEXIST);
	assert_int_equal(reg_watch(f->r, 10, "logd", 0), -EINVAL);
	assert_int_equal(reg_watch(f->r, 0, "logd", 1003), -EINVAL);

	assert_int_equal(reg_register(f->r, 1, "svc:logd", "logd", NULL, &g1, NULL), 0);
	assert_int_equal(rc->n_ev, 2);
	/* The name's own watchers first, then the wildcards. */
	assert_int_equal(rc->ev[0].watcher, 1001);
	assert_int_equal(rc->ev[0].watcher_owner, 10);
	assert_string_equal(rc->ev[0].name, "logd");
	assert_string_equal(rc->ev[0].subject, "svc:logd");
	assert_true(rc->ev[0].up);
	assert_int_equal(rc->ev[0].generation, g1);
	assert_int_equal(rc->ev[1].watcher, 1002);
	assert_true(rc->ev[1].up);

	/* Another name: only the wildcard hears. */
	rec_clear(rc);
	assert_int_equal(reg_register(f->r, 2, "svc:vfsd", "vfsd", NULL, &g2, NULL), 0);
	assert_int_equal(rc->n_ev, 1);
	assert_int_equal(rc->ev[0].watcher, 1002);
	assert_string_equal(rc->ev[0].name, "vfsd");

	/* A late watcher is told at once; a wildcard one about every name, in name order. */
	rec_clear(rc);
	assert_int_equal(reg_watch(f->r, 12, "logd", 1004), 0);
	assert_int_equal(rc->n_ev, 1);
	assert_int_equal(rc->ev[0].watcher, 1004);
	assert_true(rc->ev[0].up);
	assert_int_equal(rc->ev[0].generation, g1);
	rec_clear(rc);
	assert_int_equal(reg_watch(f->r, 12, NULL, 1005), 0);
	assert_int_equal(rc->n_ev, 2);
	assert_string_equal(rc->ev[0].name, "logd");
	assert_string_equal(rc->ev[1].name, "vfsd");
	assert_int_equal(rc->ev[1].generation, g2);

	/* Down, in watch order: 1001, 1004, then wildcards 1002, 1005. */
	rec_clear(rc);
	assert_int_equal(reg_unregister(f->r, 1, "logd"), 0);
	assert_int_equal(rc->n_ev, 4);
	static const uint64_t order[] = {1001, 1004, 1002, 1005};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(rc->ev[i].watcher, order[i]);
		assert_false(rc->ev[i].up);
		assert_int_equal(rc->ev[i].generation, g1);
	}

	/* Unwatch stops events; unknown handles are -ENOENT. */
	assert_int_equal(reg_unwatch(f->r, 1001), 0);
	assert_int_equal(reg_unwatch(f->r, 1001), -ENOENT);
	assert_int_equal(reg_unwatch(f->r, 0), -EINVAL);
	assert_int_equal(reg_unwatch(f->r, 1002), 0);
	rec_clear(rc);
	assert_int_equal(reg_register(f->r, 1, "svc:logd", "logd", NULL, NULL, NULL), 0);
	assert_int_equal(rc->n_ev, 2);
	assert_int_equal(rc->ev[0].watcher, 1004);
	assert_int_equal(rc->ev[1].watcher, 1005);
	/* Unwatch is the daemon's own act: no watcher_drop. */
	assert_int_equal(rc->n_watchers, 0);
	/* The handle can be reused after unwatch. */
	assert_int_equal(reg_watch(f->r, 10, "x", 1001), 0);
}

static int count_events(const struct rec *rc, uint64_t watcher, const char *name, bool up)
{
	int n = 0;
	for (size_t i = 0; i < rc->n_ev; i++)
		n += rc->ev[i].watcher == watcher && strcmp(rc->ev[i].name, name) == 0 &&
		     rc->ev[i].up == up;
	return n;
}

static void test_owner_gone(void **state)
{
	struct fixture *f = *state;
	struct rec *rc = f->rec;
	const uint64_t A = 100, B = 200, C = 300;

	assert_int_equal(reg_register(f->r, A, "svc:a", "a1", &hosts[1], NULL, NULL), 0);
	assert_int_equal(reg_register(f->r, A, "svc:a", "a2", &hosts[2], NULL, NULL), 0);
	assert_int_equal(reg_register(f->r, A, "svc:a", "a3", &hosts[3], NULL, NULL), 0);
	assert_int_equal(reg_register(f->r, B, "svc:b", "b1", &hosts[4], NULL, NULL), 0);
	/* A's own watchers: they must hear nothing of A's death. */
	assert_int_equal(reg_watch(f->r, A, "a1", 1), 0);
	assert_int_equal(reg_watch(f->r, A, NULL, 2), 0);
	assert_int_equal(reg_watch(f->r, B, "a1", 3), 0);
	assert_int_equal(reg_watch(f->r, B, NULL, 4), 0);
	assert_int_equal(reg_watch(f->r, C, "a2", 5), 0);
	assert_int_equal(reg_watch(f->r, C, "b1", 6), 0);
	rec_clear(rc);

	assert_int_equal(reg_owner_gone(f->r, A), 3);
	/* Exactly once per (watcher, name) that was watching. */
	assert_int_equal(rc->n_ev, 5);
	assert_int_equal(count_events(rc, 3, "a1", false), 1);
	assert_int_equal(count_events(rc, 4, "a1", false), 1);
	assert_int_equal(count_events(rc, 4, "a2", false), 1);
	assert_int_equal(count_events(rc, 4, "a3", false), 1);
	assert_int_equal(count_events(rc, 5, "a2", false), 1);
	for (size_t i = 0; i < rc->n_ev; i++)
		assert_true(rc->ev[i].watcher != 1 && rc->ev[i].watcher != 2);
	assert_int_equal(rc->n_watchers, 2);
	assert_true((rc->watchers[0] == 1 && rc->watchers[1] == 2) ||
	            (rc->watchers[0] == 2 && rc->watchers[1] == 1));
	assert_int_equal(rc->n_hosts, 3);
	assert_ptr_equal(rc->hosts[0], &hosts[1]);
	assert_ptr_equal(rc->hosts[1], &hosts[2]);
	assert_ptr_equal(rc->hosts[2], &hosts[3]);

	struct reg_entry e;
	assert_int_equal(reg_resolve(f->r, "a1", &e), -ENOENT);
	assert_int_equal(reg_resolve(f->r, "a3", &e), -ENOENT);
	assert_int_equal(reg_resolve(f->r, "b1", &e), 0);
	assert_int_equal(reg_count(f->r), 1);
	/* The owner's watchers are gone. */
	assert_int_equal(reg_unwatch(f->r, 1), -ENOENT);
	assert_int_equal(reg_unwatch(f->r, 2), -ENOENT);

	/* A second time (or an unknown owner): nothing. */
	rec_clear(rc);
	assert_int_equal(reg_owner_gone(f->r, A), 0);
	assert_int_equal(reg_owner_gone(f->r, 12345), 0);
	assert_int_equal(reg_owner_gone(f->r, 0), -EINVAL);
	assert_int_equal(rc->n_ev + rc->n_hosts + rc->n_watchers, 0);

	/* The names are free for a new owner; the survivors hear it. */
	assert_int_equal(reg_register(f->r, C, "svc:c", "a1", NULL, NULL, NULL), 0);
	assert_int_equal(rc->n_ev, 2);
	assert_int_equal(count_events(rc, 3, "a1", true), 1);
	assert_int_equal(count_events(rc, 4, "a1", true), 1);

	/* Death of a watcher-only owner drops its watchers, frees nothing. */
	rec_clear(rc);
	assert_int_equal(reg_owner_gone(f->r, B), 1); /* b1 */
	assert_int_equal(rc->n_watchers, 2);
	assert_int_equal(rc->n_ev, 1);
	assert_int_equal(count_events(rc, 6, "b1", false), 1);
}

static void test_watcher_limits(void **state)
{
	struct fixture *f = *state;
	uint64_t h = 1;

	/* Per owner. */
	for (unsigned i = 0; i < REG_WATCHERS_PER_OWNER_MAX; i++)
		assert_int_equal(reg_watch(f->r, 1, i % 2 ? NULL : "x", h++), 0);
	assert_int_equal(reg_watch(f->r, 1, "x", h++), -EDQUOT);
	assert_int_equal(reg_watch(f->r, 1, NULL, h++), -EDQUOT);
	assert_int_equal(reg_unwatch(f->r, 1), 0);
	assert_int_equal(reg_watch(f->r, 1, "x", h++), 0);
	assert_int_equal(reg_watch(f->r, 1, "x", h++), -EDQUOT);

	/* In total: fill with other owners. */
	uint64_t owner = 2;
	unsigned total = REG_WATCHERS_PER_OWNER_MAX;
	while (total < REG_WATCHERS_MAX) {
		for (unsigned i = 0; i < REG_WATCHERS_PER_OWNER_MAX && total < REG_WATCHERS_MAX;
		        i++, total++)
			assert_int_equal(reg_watch(f->r, owner, "y", h++), 0);
		owner++;
	}
	assert_int_equal(reg_watch(f->r, 99999, "y", h++), -ENOSPC);
	/* Owner death frees room. */
	assert_int_equal(reg_owner_gone(f->r, 2), 0);
	assert_int_equal(f->rec->n_watchers, REG_WATCHERS_PER_OWNER_MAX);
	assert_int_equal(reg_watch(f->r, 99999, "y", h++), 0);

	/* Everybody hears a registration; nobody twice. */
	rec_clear(f->rec);
	assert_int_equal(reg_register(f->r, 5, "svc:y", "y", NULL, NULL, NULL), 0);
	assert_int_equal(f->rec->n_ev, REG_WATCHERS_MAX - 2 * REG_WATCHERS_PER_OWNER_MAX + 1 +
	                                       REG_WATCHERS_PER_OWNER_MAX / 2);
}

static void test_list_pages(void **state)
{
	struct fixture *f = *state;
	char name[32];
	uint64_t seed = 42;
	const unsigned n = 100;
	bool taken[100] = {false};

	/* Registered in a scrambled order. */
	for (unsigned k = 0; k < n;) {
		unsigned i = (unsigned)(rnd_next(&seed) % n);
		if (taken[i])
			continue;
		taken[i] = true;
		k++;
		snprintf(name, sizeof(name), "svc%03u", i);
		assert_int_equal(reg_register(f->r, 1 + i, "svc:o", name, NULL, NULL, NULL), 0);
	}

	struct reg_entry out[REG_LIST_MAX + 8];
	bool more = false;
	char cursor[REG_NAME_MAX + 1] = "";
	unsigned seen = 0, pages = 0;
	do {
		int c = reg_list(f->r, cursor, out, sizeof(out) / sizeof(out[0]), &more);
		assert_true(c >= 0);
		assert_true((unsigned)c <= REG_LIST_MAX);
		for (int i = 0; i < c; i++) {
			snprintf(name, sizeof(name), "svc%03u", seen);
			assert_string_equal(out[i].name, name);
			assert_string_equal(out[i].subject, "svc:o");
			assert_int_equal(out[i].owner, 1 + seen);
			assert_true(out[i].generation >= 1 && out[i].generation <= n);
			seen++;
		}
		if (c > 0)
			snprintf(cursor, sizeof(cursor), "%s", out[c - 1].name);
		pages++;
	} while (more);
	assert_int_equal(seen, n);
	assert_int_equal(pages, (n + REG_LIST_MAX - 1) / REG_LIST_MAX);

	/* A cursor that is not a registered name. */
	int c = reg_list(f->r, "svc050x", out, 3, &more);
	assert_int_equal(c, 3);
	assert_string_equal(out[0].name, "svc051");
	assert_true(more);
	/* NULL cursor = from the start; max 0 only answers "more". */
	assert_int_equal(reg_list(f->r, NULL, out, 1, &more), 1);
	assert_string_equal(out[0].name, "svc000");
	assert_int_equal(reg_list(f->r, NULL, NULL, 0, &more), 0);
	assert_true(more);
	assert_int_equal(reg_list(f->r, "zzz", out, 5, &more), 0);
	assert_false(more);
	assert_int_equal(reg_list(f->r, "svc098", out, 5, &more), 1);
	assert_false(more);
	assert_int_equal(reg_list(f->r, NULL, NULL, 1, &more), -EINVAL);
	assert_int_equal(reg_list(NULL, NULL, out, 1, &more), -EINVAL);
	/* Exactly REG_LIST_MAX left: no "more". */
	snprintf(cursor, sizeof(cursor), "svc%03u", n - REG_LIST_MAX - 1);
	assert_int_equal(reg_list(f->r, cursor, out, REG_LIST_MAX, &more), (int)REG_LIST_MAX);
	assert_false(more);
	/* One more than REG_LIST_MAX left, max above the limit: clamped, "more". */
	snprintf(cursor, sizeof(cursor), "svc%03u", n - REG_LIST_MAX - 2);
	assert_int_equal(reg_list(f->r, cursor, out, REG_LIST_MAX + 8, &more), (int)REG_LIST_MAX);
	assert_true(more);

	/* Removals between pages do not disturb the cursor. */
	assert_int_equal(reg_list(f->r, NULL, out, 10, &more), 10);
	snprintf(cursor, sizeof(cursor), "%s", out[9].name);
	assert_int_equal(reg_unregister(f->r, 10, "svc009"), 0);
	assert_int_equal(reg_unregister(f->r, 11, "svc010"), 0);
	assert_int_equal(reg_list(f->r, cursor, out, 1, &more), 1);
	assert_string_equal(out[0].name, "svc011");
}

static void test_adopt_table(void **state)
{
	(void)state;
	char long_rest[REG_NAME_MAX + 8];
	snprintf(long_rest, sizeof(long_rest), "svc:%0*d", (int)REG_NAME_MAX + 1, 0);
	char max_rest[REG_NAME_MAX + 8];
	snprintf(max_rest, sizeof(max_rest), "app:%0*d", (int)REG_NAME_MAX, 0);
	/* peer:<32 hex>/user:<name>, the name REG_NAME_MAX long (still within REG_SUBJECT_MAX),
	 * and one more. */
	const char *peer_prefix = "peer:0123456789abcdef0123456789abcdef/user:";
	char peer_max[REG_SUBJECT_MAX + 8], peer_long[REG_SUBJECT_MAX + 8];
	snprintf(peer_max, sizeof(peer_max), "%s%0*d", peer_prefix, (int)REG_NAME_MAX, 0);
	snprintf(peer_long, sizeof(peer_long), "%s%0*d", peer_prefix, (int)REG_NAME_MAX + 1, 0);
	assert_true(strlen(peer_max) <= REG_SUBJECT_MAX);
	const struct {
		const char *adopter;
		const char *subject;
		int rc;
	} table[] = {
	        /* nexus-init hands out svc:, execd app:. */
	        {"svc:init", "svc:logd", 0},
	        {"svc:init", "svc:execd", 0},
	        {"svc:init", "svc:a.b-c_d", 0},
	        {"svc:execd", "app:com.example.viewer", 0},
	        {"svc:execd", max_rest, 0},
	        /* Not across. */
	        {"svc:init", "app:com.example", -EPERM},
	        {"svc:execd", "svc:logd", -EPERM},
	        {"svc:init", max_rest, -EPERM},
	        /* Nobody else, however close the name. */
	        {"svc:logd", "svc:x", -EPERM},
	        {"svc:samgrd", "svc:x", -EPERM},
	        {"svc:initd", "svc:x", -EPERM},
	        {"svc:ini", "svc:x", -EPERM},
	        {"svc:init ", "svc:x", -EPERM},
	        {"SVC:init", "svc:x", -EPERM},
	        {"app:svc:init", "svc:x", -EPERM},
	        {"uid:0", "svc:x", -EPERM},
	        {"app:execd", "app:x", -EPERM},
	        {"", "svc:x", -EPERM},
	        /* Never adoptable. */
	        {"svc:init", "uid:0", -EPERM},
	        {"svc:init", "uid:1000", -EPERM},
	        {"svc:execd", "peer:0123456789abcdef0123456789abcdef/app:x", -EPERM},
	        {"svc:init", "peer:0123456789abcdef0123456789abcdef/uid:0", -EPERM},
	        /* dsoftbusd hands out peer:<device>/<subject of a local kind there>. */
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/uid:0", 0},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/svc:echod", 0},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/svc:init", 0},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/app:com.example", 0},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/user:alice", 0},
	        {"svc:dsoftbusd", peer_max, 0},
	        {"svc:dsoftbusd", "svc:x", -EPERM},
	        {"svc:dsoftbusd", "app:x", -EPERM},
	        {"svc:dsoftbus", "peer:0123456789abcdef0123456789abcdef/uid:0", -EPERM},
	        {"svc:dsoftbusd", "peer:0123456789ABCDEF0123456789abcdef/uid:0", -EINVAL},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcde/uid:0", -EINVAL},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef0/uid:0", -EINVAL},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef", -EINVAL},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/", -EINVAL},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/uid:", -EINVAL},
	        {"svc:dsoftbusd", "peer:0123456789abcdef0123456789abcdef/uid:0/x", -EINVAL},
	        {"svc:dsoftbusd", "peer:dev1/app:x", -EINVAL},
	        {"svc:dsoftbusd", "peer:", -EINVAL},
	        {"svc:dsoftbusd",
	                "peer:0123456789abcdef0123456789abcdef/peer:0123456789abcdef0123456789abcdef/uid:0",
	                -EINVAL},
	        {"svc:dsoftbusd", peer_long, -ENAMETOOLONG},
	        /* Reserved names and the adopter itself. */
	        {"svc:init", "svc:init", -EPERM},
	        {"svc:init", "svc:samgrd", -EPERM},
	        {"svc:init", "svc:samgr", -EPERM},
	        {"svc:execd", "app:init", -EPERM},
	        /* Malformed, whoever asks. */
	        {"svc:init", "svc:", -EINVAL},
	        {"svc:init", "svc:Logd", -EINVAL},
	        {"svc:init", "svc:-x", -EINVAL},
	        {"svc:init", "svc:a/b", -EINVAL},
	        {"svc:init", "svc:a:b", -EINVAL},
	        {"svc:init", "svc: x", -EINVAL},
	        {"svc:init", "logd", -EINVAL},
	        {"svc:init", "", -EINVAL},
	        {"svc:init", "SVC:logd", -EINVAL},
	        {"svc:init", "sv:logd", -EINVAL},
	        {"svc:init", "svc", -EINVAL},
	        {"svc:execd", "app:", -EINVAL},
	        {"svc:execd", "app:x y", -EINVAL},
	        {"svc:logd", "svc:", -EINVAL},
	        {"svc:init", long_rest, -ENAMETOOLONG},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int rc = reg_adopt_check(table[i].adopter, table[i].subject);
		if (rc != table[i].rc)
			fail_msg("adopt('%s', '%s') = %d, expected %d", table[i].adopter,
			        table[i].subject, rc, table[i].rc);
	}
	assert_int_equal(reg_adopt_check(NULL, "svc:x"), -EINVAL);
	assert_int_equal(reg_adopt_check("svc:init", NULL), -EINVAL);
}

static void test_reentry(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(reg_watch(f->r, 1, NULL, 1), 0);
	f->rec->reenter = f->r;
	f->rec->reenter_rc = 0;
	f->rec->reenter_resolve_rc = 1;
	assert_int_equal(reg_register(f->r, 2, "svc:a", "a", NULL, NULL, NULL), 0);
	assert_int_equal(f->rec->reenter_rc, -EBUSY);
	assert_int_equal(f->rec->reenter_resolve_rc, 0); /* the new entry is visible */
	f->rec->reenter_resolve_rc = 1;
	assert_int_equal(reg_unregister(f->r, 2, "a"), 0);
	assert_int_equal(f->rec->reenter_rc, -EBUSY);
	assert_int_equal(f->rec->reenter_resolve_rc, -ENOENT); /* already gone */
	f->rec->reenter = NULL;
	assert_int_equal(reg_count(f->r), 0);
}

static void test_free_drops(void **state)
{
	(void)state;
	struct rec *rc = rec_new();
	struct reg *r = NULL;
	assert_int_equal(reg_new(&rec_callbacks, rc, &r), 0);
	assert_int_equal(reg_register(r, 1, "svc:a", "a", &hosts[0], NULL, NULL), 0);
	assert_int_equal(reg_register(r, 2, "svc:b", "b", &hosts[1], NULL, NULL), 0);
	assert_int_equal(reg_watch(r, 3, "a", 7), 0);
	assert_int_equal(reg_watch(r, 3, NULL, 8), 0);
	rec_clear(rc);
	assert_null(reg_free(r));
	assert_int_equal(rc->n_ev, 0);
	assert_int_equal(rc->n_hosts, 2);
	assert_int_equal(rc->n_watchers, 2);
	rec_free(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_new_free),
	        cmocka_unit_test_setup_teardown(test_register_resolve_unregister, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_name_table, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subject_and_owner, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_names_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_owner_gone, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_watcher_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
	        cmocka_unit_test(test_adopt_table),
	        cmocka_unit_test_setup_teardown(test_reentry, setup, teardown),
	        cmocka_unit_test(test_free_drops),
	};
	return cmocka_run_group_tests_name(
	        "registry", tests, fdcheck_group_setup, fdcheck_group_teardown);
}
