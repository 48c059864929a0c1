/* SPDX-License-Identifier: MIT */
/* identityd's SQLite store on a temp file: users (duplicates, SQL-hostile text bound, never
 * spliced), sessions (many logins of one user at once, the per-user cap, revocation by owner
 * and by admin, expiry with an injected clock, removeUser and setPassword ending sessions),
 * ids never reused, everything still there after reopening, a corrupt file refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdcheck.h"
#include "store.h"

#define S 1000000000ull

struct fixture {
	char dir[64];
	char path[96];
	idd_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	/* tmpfs when there is one: the user-cap test makes thousands of synced transactions. */
	strcpy(f->dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/idd-store-XXXXXX"
	                                             : "/tmp/idd-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	(void)snprintf(f->path, sizeof(f->path), "%s/identity.db", f->dir);
	if (idd_store_open(f->path, &f->st) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[128];

	idd_store_close(f->st);
	unlink(f->path);
	(void)snprintf(side, sizeof(side), "%s-journal", f->path);
	unlink(side);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void token(uint8_t hash[IDN_TOKEN_HASH_BYTES], unsigned n)
{
	uint8_t t[IDN_TOKEN_BYTES] = {0};

	memcpy(t, &n, sizeof(n));
	idn_token_hash(t, hash);
}

static void users(void **state)
{
	struct fixture *f = *state;
	/* The rules would refuse it; the store must still keep it as text, not run it. */
	static const char hostile[] = "x');DROP TABLE users;--";
	char hash[IDN_HASH_STR_SIZE];
	struct idd_user list[4];
	struct idd_ended ended;
	bool more;

	assert_int_equal(idd_store_user_add(f->st, "alice", "h-alice", 1 * S), 0);
	assert_int_equal(idd_store_user_add(f->st, "alice", "other", 2 * S), -EEXIST);
	assert_int_equal(idd_store_user_add(f->st, hostile, "h-hostile", 3 * S), 0);
	assert_int_equal(idd_store_user_add(f->st, "bob", "h-bob", 4 * S), 0);
	assert_int_equal(idd_store_user_hash(f->st, "alice", hash), 0);
	assert_string_equal(hash, "h-alice");
	assert_int_equal(idd_store_user_hash(f->st, hostile, hash), 0);
	assert_string_equal(hash, "h-hostile");
	assert_int_equal(idd_store_user_hash(f->st, "carol", hash), -ENOENT);
	assert_int_equal(idd_store_users_list(f->st, "", 5 * S, list, 2, &more), 2);
	assert_true(more);
	assert_string_equal(list[0].name, "alice");
	assert_int_equal(list[0].created_ns, 1 * S);
	assert_string_equal(list[1].name, "bob");
	assert_int_equal(idd_store_users_list(f->st, "bob", 5 * S, list, 2, &more), 1);
	assert_false(more);
	assert_string_equal(list[0].name, hostile);
	assert_int_equal(idd_store_user_remove(f->st, hostile, 5 * S, &ended), 0);
	assert_int_equal(ended.n, 0);
	assert_int_equal(idd_store_user_remove(f->st, hostile, 5 * S, &ended), -ENOENT);
	assert_int_equal(idd_store_users_list(f->st, "", 5 * S, list, 4, &more), 2);
}

/* Many logins of one user in a row (identityd serves them one at a time): distinct ids, each
 * found by its own token, each revocable alone; past the cap the oldest ends. */
static void concurrent_logins_and_cap(void **state)
{
	struct fixture *f = *state;
	struct idn_session s, first, list[IDN_SESSIONS_PER_USER_MAX + 1];
	uint8_t h[IDN_TOKEN_HASH_BYTES];
	struct idd_ended ended;
	uint64_t now = 10 * S;

	assert_int_equal(idd_store_user_add(f->st, "alice", "h", now), 0);
	for (unsigned i = 0; i < IDN_SESSIONS_PER_USER_MAX; i++) {
		token(h, i);
		assert_int_equal(idd_store_session_add(f->st, "alice", h, now + i, &s, &ended), 0);
		assert_int_equal(ended.n, 0);
		if (i == 0)
			first = s;
		else
			assert_true(s.id > first.id + i - 1);
	}
	assert_int_equal(idd_store_sessions_list(
	                         f->st, "alice", now + S, list, IDN_SESSIONS_PER_USER_MAX + 1),
	        IDN_SESSIONS_PER_USER_MAX);
	/* Newest first. */
	assert_true(list[0].id > list[1].id);
	/* The same token twice is refused. */
	token(h, 3);
	assert_int_equal(idd_store_session_add(f->st, "alice", h, now + S, &s, &ended), -EEXIST);
	/* One past the cap ends the oldest. */
	token(h, 1000);
	assert_int_equal(idd_store_session_add(f->st, "alice", h, now + S, &s, &ended), 0);
	assert_int_equal(ended.n, 1);
	assert_int_equal(ended.ids[0], first.id);
	token(h, 0);
	assert_int_equal(idd_store_session_find(f->st, h, &s), 0);
	assert_true(s.revoked);
	token(h, 1);
	assert_int_equal(idd_store_session_find(f->st, h, &s), 0);
	assert_int_equal(idn_session_state(&s, now + S, NULL), IDN_SESSION_LIVE);
	token(h, 4242);
	assert_int_equal(idd_store_session_find(f->st, h, &s), -ENOENT);
	/* A session for nobody. */
	assert_int_equal(idd_store_session_add(f->st, "nobody", h, now, &s, &ended), -ENOENT);
}

static void revoke_and_expiry(void **state)
{
	struct fixture *f = *state;
	struct idn_session a, b, found, list[4];
	uint8_t ha[IDN_TOKEN_HASH_BYTES], hb[IDN_TOKEN_HASH_BYTES], hc[IDN_TOKEN_HASH_BYTES];
	struct idd_ended ended;
	uint64_t now = 100 * S;

	assert_int_equal(idd_store_user_add(f->st, "alice", "h", now), 0);
	assert_int_equal(idd_store_user_add(f->st, "bob", "h", now), 0);
	token(ha, 1);
	token(hb, 2);
	token(hc, 3);
	assert_int_equal(idd_store_session_add(f->st, "alice", ha, now, &a, &ended), 0);
	assert_int_equal(idd_store_session_add(f->st, "bob", hb, now, &b, &ended), 0);
	/* Only the owner (or an admin: NULL) revokes. */
	assert_int_equal(idd_store_session_revoke(f->st, a.id, "bob", now), -ENOENT);
	assert_int_equal(idd_store_session_revoke(f->st, a.id, "alice", now), 0);
	assert_int_equal(idd_store_session_revoke(f->st, a.id, "alice", now), -ENOENT);
	assert_int_equal(idd_store_session_find(f->st, ha, &found), 0);
	assert_int_equal(idn_session_state(&found, now, NULL), IDN_SESSION_REVOKED);
	assert_int_equal(idd_store_sessions_list(f->st, NULL, now, list, 4), 1);
	assert_int_equal(list[0].id, b.id);
	/* Expiry: live just before, expired at, gone from listings, not revocable. */
	assert_int_equal(idd_store_session_find(f->st, hb, &found), 0);
	assert_int_equal(idn_session_state(&found, b.expires_ns - 1, NULL), IDN_SESSION_LIVE);
	assert_int_equal(idn_session_state(&found, b.expires_ns, NULL), IDN_SESSION_EXPIRED);
	assert_int_equal(idd_store_sessions_list(f->st, NULL, b.expires_ns, list, 4), 0);
	assert_int_equal(idd_store_session_revoke(f->st, b.id, NULL, b.expires_ns), -ENOENT);
	/* The next login purges expired rows: the old token is not even found. */
	assert_int_equal(idd_store_session_add(f->st, "bob", hc, b.expires_ns, &a, &ended), 0);
	assert_int_equal(idd_store_session_find(f->st, hb, &found), -ENOENT);
	assert_true(a.id > b.id);
}

static void password_change_and_removal_end_sessions(void **state)
{
	struct fixture *f = *state;
	struct idn_session s1, s2, found;
	uint8_t h1[IDN_TOKEN_HASH_BYTES], h2[IDN_TOKEN_HASH_BYTES];
	char hash[IDN_HASH_STR_SIZE];
	struct idd_ended ended;
	uint64_t now = 100 * S;

	assert_int_equal(idd_store_user_add(f->st, "alice", "old", now), 0);
	token(h1, 1);
	token(h2, 2);
	assert_int_equal(idd_store_session_add(f->st, "alice", h1, now, &s1, &ended), 0);
	assert_int_equal(idd_store_session_add(f->st, "alice", h2, now, &s2, &ended), 0);
	assert_int_equal(idd_store_user_set_hash(f->st, "alice", "new", now, &ended), 0);
	assert_int_equal(ended.n, 2);
	assert_true(ended.ids[0] == s1.id && ended.ids[1] == s2.id);
	assert_int_equal(idd_store_user_hash(f->st, "alice", hash), 0);
	assert_string_equal(hash, "new");
	assert_int_equal(idd_store_session_find(f->st, h1, &found), 0);
	assert_true(found.revoked);
	assert_int_equal(idd_store_user_set_hash(f->st, "bob", "x", now, &ended), -ENOENT);
	token(h1, 3);
	assert_int_equal(idd_store_session_add(f->st, "alice", h1, now, &s1, &ended), 0);
	assert_int_equal(idd_store_user_remove(f->st, "alice", now, &ended), 0);
	assert_int_equal(ended.n, 1);
	assert_int_equal(ended.ids[0], s1.id);
	assert_int_equal(idd_store_session_find(f->st, h1, &found), -ENOENT);
}

/* The user cap, and listing in pages of IDN_USERS_LIST_MAX. */
static void user_cap_and_pages(void **state)
{
	struct fixture *f = *state;
	struct idd_user page[IDN_USERS_LIST_MAX];
	char name[16], after[IDN_USER_MAX + 1] = "";
	unsigned seen = 0;
	bool more = true;
	int n;

	for (unsigned i = 0; i < IDN_USERS_MAX; i++) {
		(void)snprintf(name, sizeof(name), "u%05u", i);
		assert_int_equal(idd_store_user_add(f->st, name, "h", S), 0);
	}
	assert_int_equal(idd_store_user_add(f->st, "one_too_many", "h", S), -EDQUOT);
	while (more) {
		n = idd_store_users_list(f->st, after, S, page, IDN_USERS_LIST_MAX, &more);
		assert_true(n > 0 && n <= (int)IDN_USERS_LIST_MAX);
		assert_true(more || seen + (unsigned)n == IDN_USERS_MAX);
		assert_true(!more || n == (int)IDN_USERS_LIST_MAX);
		(void)snprintf(after, sizeof(after), "%s", page[n - 1].name);
		seen += (unsigned)n;
	}
	assert_int_equal(seen, IDN_USERS_MAX);
}

static void survives_reopen_and_refuses_garbage(void **state)
{
	struct fixture *f = *state;
	struct idn_session s, found;
	uint8_t h[IDN_TOKEN_HASH_BYTES];
	char hash[IDN_HASH_STR_SIZE];
	struct idd_ended ended;
	idd_store *bad = NULL;
	FILE *fp;

	assert_int_equal(idd_store_user_add(f->st, "alice", "h", S), 0);
	token(h, 9);
	assert_int_equal(idd_store_session_add(f->st, "alice", h, S, &s, &ended), 0);
	f->st = idd_store_close(f->st);
	assert_int_equal(idd_store_open(f->path, &f->st), 0);
	assert_int_equal(idd_store_user_hash(f->st, "alice", hash), 0);
	assert_int_equal(idd_store_session_find(f->st, h, &found), 0);
	assert_int_equal(found.id, s.id);
	assert_string_equal(found.user, "alice");
	f->st = idd_store_close(f->st);
	/* Not a database. */
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("garbage!", fp);
	fclose(fp);
	assert_int_equal(idd_store_open(f->path, &bad), -EIO);
	assert_null(bad);
}

FDCHECK_GROUP("identityd store tests")

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(users, setup, teardown),
	        cmocka_unit_test_setup_teardown(concurrent_logins_and_cap, setup, teardown),
	        cmocka_unit_test_setup_teardown(revoke_and_expiry, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                password_change_and_removal_end_sessions, setup, teardown),
	        cmocka_unit_test_setup_teardown(user_cap_and_pages, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                survives_reopen_and_refuses_garbage, setup, teardown),
	};

	return cmocka_run_group_tests(tests, fdcheck_group_setup, fdcheck_group_teardown);
}
