/* SPDX-License-Identifier: MIT */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct idd_store {
	sqlite3 *db;
	uint64_t session_ttl_ns;
};

/* Sessions are kept after they end (revoked) until their expiry, then purged. AUTOINCREMENT:
 * an id is never handed out twice, even after the newest row went. secure_delete: removed
 * hashes are overwritten in the file, not left in free pages. */
static const char schema_sql[] = "PRAGMA foreign_keys = ON;"
                                 "PRAGMA secure_delete = ON;"
                                 "PRAGMA synchronous = FULL;"
                                 "PRAGMA temp_store = MEMORY;"
                                 "CREATE TABLE IF NOT EXISTS users ("
                                 " name TEXT PRIMARY KEY NOT NULL,"
                                 " hash TEXT NOT NULL,"
                                 " created INTEGER NOT NULL);"
                                 "CREATE TABLE IF NOT EXISTS sessions ("
                                 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                                 " user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
                                 " token_hash BLOB NOT NULL UNIQUE,"
                                 " created INTEGER NOT NULL,"
                                 " expires INTEGER NOT NULL,"
                                 " revoked INTEGER NOT NULL DEFAULT 0);"
                                 "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);";

/* Every statement is a constant string; values only ever go in as bound parameters. */
static int prep(idd_store *st, const char *sql, sqlite3_stmt **ret)
{
	return sqlite3_prepare_v2(st->db, sql, -1, ret, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) == SQLITE_OK ? 0 : -EIO;
}

static int bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	return sqlite3_bind_int64(s, i, (sqlite3_int64)v) == SQLITE_OK ? 0 : -EIO;
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

/* Runs a statement that returns no rows; finalizes it. */
static int run(sqlite3_stmt *s, int r)
{
	if (r >= 0) {
		int rc = sqlite3_step(s);

		if (rc == SQLITE_CONSTRAINT)
			r = -EEXIST;
		else if (rc != SQLITE_DONE)
			r = -EIO;
	}
	sqlite3_finalize(s);
	return r;
}

static int exec(idd_store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int begin(idd_store *st)
{
	return exec(st, "BEGIN IMMEDIATE");
}

/* Commits when r >= 0, else rolls back; returns r, or -EIO if the commit failed. */
static int end(idd_store *st, int r)
{
	if (r >= 0 && exec(st, "COMMIT") < 0)
		r = -EIO;
	if (r < 0)
		(void)exec(st, "ROLLBACK");
	return r;
}

int idd_store_open(const char *path, idd_store **ret)
{
	idd_store *st = calloc(1, sizeof(*st));
	int r = -EIO;

	if (!st)
		return -ENOMEM;
	st->session_ttl_ns = IDN_SESSION_TTL_NS;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	                SQLITE_OK &&
	        exec(st, schema_sql) == 0)
		r = 0;
	if (r < 0) {
		idd_store_close(st);
		return r;
	}
	*ret = st;
	return 0;
}

void idd_store_set_session_ttl(idd_store *st, uint64_t ttl_ns)
{
	st->session_ttl_ns = ttl_ns;
}

idd_store *idd_store_close(idd_store *st)
{
	if (st) {
		sqlite3_close(st->db);
		free(st);
	}
	return NULL;
}

static int user_exists(idd_store *st, const char *name)
{
	sqlite3_stmt *s;
	int r = prep(st, "SELECT 1 FROM users WHERE name = ?1", &s);

	if (r >= 0)
		r = bind_text(s, 1, name);
	if (r >= 0) {
		int rc = sqlite3_step(s);

		r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(s);
	return r;
}

static int count_users(idd_store *st, uint64_t *ret)
{
	sqlite3_stmt *s;
	int r = prep(st, "SELECT count(*) FROM users", &s);

	if (r >= 0)
		r = sqlite3_step(s) == SQLITE_ROW ? 0 : -EIO;
	if (r >= 0)
		*ret = col_u64(s, 0);
	sqlite3_finalize(s);
	return r;
}

int idd_store_user_add(idd_store *st, const char *name, const char *hash, uint64_t now_ns)
{
	sqlite3_stmt *s = NULL;
	uint64_t n = 0;
	int r = begin(st);

	if (r >= 0)
		r = count_users(st, &n);
	if (r >= 0 && n >= IDN_USERS_MAX)
		r = -EDQUOT;
	if (r >= 0)
		r = prep(st, "INSERT INTO users (name, hash, created) VALUES (?1, ?2, ?3)", &s);
	if (r >= 0) {
		r = bind_text(s, 1, name);
		if (r >= 0)
			r = bind_text(s, 2, hash);
		if (r >= 0)
			r = bind_u64(s, 3, now_ns);
		r = run(s, r);
	}
	return end(st, r);
}

/* The ids of `user`'s live sessions that `sql` selects (?1 user, ?2 now, ?3 `n`) into *ended,
 * at most IDN_SESSIONS_PER_USER_MAX (the cap login keeps). */
static int live_session_ids(idd_store *st, const char *sql, const char *user, uint64_t now_ns,
        uint64_t n, struct idd_ended *ended)
{
	sqlite3_stmt *s;
	int r = prep(st, sql, &s);

	ended->n = 0;
	if (r >= 0)
		r = bind_text(s, 1, user);
	if (r >= 0)
		r = bind_u64(s, 2, now_ns);
	if (r >= 0)
		r = bind_u64(s, 3, n);
	while (r >= 0 && ended->n < IDN_SESSIONS_PER_USER_MAX) {
		int rc = sqlite3_step(s);

		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			r = -EIO;
			break;
		}
		ended->ids[ended->n++] = col_u64(s, 0);
	}
	sqlite3_finalize(s);
	return r;
}

/* The live sessions of `user` into *ended, then revokes all of them. */
static int end_user_sessions(
        idd_store *st, const char *user, uint64_t now_ns, struct idd_ended *ended)
{
	sqlite3_stmt *s;
	int r = live_session_ids(st,
	        "SELECT id FROM sessions WHERE user = ?1 AND revoked = 0 AND expires > ?2 "
	        "ORDER BY id LIMIT ?3",
	        user, now_ns, IDN_SESSIONS_PER_USER_MAX, ended);

	if (r >= 0)
		r = prep(st, "UPDATE sessions SET revoked = 1 WHERE user = ?1", &s);
	if (r >= 0)
		r = run(s, bind_text(s, 1, user));
	return r;
}

int idd_store_user_remove(
        idd_store *st, const char *name, uint64_t now_ns, struct idd_ended *ret_ended)
{
	struct idd_ended ended = {0};
	sqlite3_stmt *s;
	int r = begin(st);

	if (r >= 0)
		r = user_exists(st, name);
	if (r >= 0)
		r = end_user_sessions(st, name, now_ns, &ended);
	if (r >= 0)
		r = prep(st, "DELETE FROM users WHERE name = ?1", &s); /* sessions cascade */
	if (r >= 0)
		r = run(s, bind_text(s, 1, name));
	r = end(st, r);
	if (r >= 0)
		*ret_ended = ended;
	return r;
}

int idd_store_user_set_hash(idd_store *st, const char *name, const char *hash, uint64_t now_ns,
        struct idd_ended *ret_ended)
{
	struct idd_ended ended = {0};
	sqlite3_stmt *s;
	int r = begin(st);

	if (r >= 0)
		r = user_exists(st, name);
	if (r >= 0)
		r = end_user_sessions(st, name, now_ns, &ended);
	if (r >= 0)
		r = prep(st, "UPDATE users SET hash = ?2 WHERE name = ?1", &s);
	if (r >= 0) {
		r = bind_text(s, 1, name);
		if (r >= 0)
			r = bind_text(s, 2, hash);
		r = run(s, r);
	}
	r = end(st, r);
	if (r >= 0)
		*ret_ended = ended;
	return r;
}

int idd_store_user_hash(idd_store *st, const char *name, char ret_hash[IDN_HASH_STR_SIZE])
{
	const unsigned char *text;
	sqlite3_stmt *s;
	int r = prep(st, "SELECT hash FROM users WHERE name = ?1", &s);

	if (r >= 0)
		r = bind_text(s, 1, name);
	if (r >= 0) {
		int rc = sqlite3_step(s);

		r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	if (r >= 0) {
		text = sqlite3_column_text(s, 0);
		if (!text || (size_t)sqlite3_column_bytes(s, 0) >= IDN_HASH_STR_SIZE)
			r = -EIO;
		else
			memcpy(ret_hash, text, (size_t)sqlite3_column_bytes(s, 0) + 1);
	}
	sqlite3_finalize(s);
	return r;
}

/* Copies a name column (the rules keep it short; a longer one is a corrupt store). */
static int col_name(sqlite3_stmt *s, int i, char dst[IDN_USER_MAX + 1])
{
	const unsigned char *text = sqlite3_column_text(s, i);
	int len = sqlite3_column_bytes(s, i);

	if (!text || len <= 0 || (size_t)len > IDN_USER_MAX)
		return -EIO;
	memcpy(dst, text, (size_t)len);
	dst[len] = '\0';
	return 0;
}

int idd_store_users_list(idd_store *st, const char *after, uint64_t now_ns, struct idd_user *users,
        size_t max, bool *ret_more)
{
	sqlite3_stmt *s;
	size_t n = 0;
	int r = prep(st,
	        "SELECT name, created, (SELECT count(*) FROM sessions WHERE user = users.name AND "
	        "revoked = 0 AND expires > ?2) FROM users WHERE name > ?1 ORDER BY name LIMIT ?3",
	        &s);

	*ret_more = false;
	if (r >= 0)
		r = bind_text(s, 1, after);
	if (r >= 0)
		r = bind_u64(s, 2, now_ns);
	if (r >= 0)
		r = bind_u64(s, 3, max + 1); /* one more says whether there are more */
	while (r >= 0) {
		int rc = sqlite3_step(s);

		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			r = -EIO;
			break;
		}
		if (n == max) {
			*ret_more = true;
			break;
		}
		r = col_name(s, 0, users[n].name);
		users[n].created_ns = col_u64(s, 1);
		users[n].sessions = (uint32_t)col_u64(s, 2);
		n++;
	}
	sqlite3_finalize(s);
	return r < 0 ? r : (int)n;
}

static int read_session(sqlite3_stmt *s, struct idn_session *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->id = col_u64(s, 0);
	ret->created_ns = col_u64(s, 2);
	ret->expires_ns = col_u64(s, 3);
	ret->revoked = sqlite3_column_int(s, 4) != 0;
	return col_name(s, 1, ret->user);
}

#define SESSION_COLS "id, user, created, expires, revoked"

/* Revokes the oldest live sessions of `user` until fewer than the cap remain, into ended. */
static int make_room(idd_store *st, const char *user, uint64_t now_ns, struct idd_ended *ended)
{
	sqlite3_stmt *s;
	int r = live_session_ids(st,
	        "SELECT id FROM sessions WHERE user = ?1 AND revoked = 0 AND expires > ?2 "
	        "ORDER BY id DESC LIMIT -1 OFFSET ?3",
	        user, now_ns, IDN_SESSIONS_PER_USER_MAX - 1, ended);

	for (size_t i = 0; r >= 0 && i < ended->n; i++) {
		r = prep(st, "UPDATE sessions SET revoked = 1 WHERE id = ?1", &s);
		if (r >= 0)
			r = run(s, bind_u64(s, 1, ended->ids[i]));
	}
	return r;
}

int idd_store_session_add(idd_store *st, const char *user,
        const uint8_t token_hash[IDN_TOKEN_HASH_BYTES], uint64_t now_ns, struct idn_session *ret,
        struct idd_ended *ret_ended)
{
	struct idd_ended ended = {0};
	struct idn_session session;
	sqlite3_stmt *s;
	int r = begin(st);

	if (r >= 0)
		r = user_exists(st, user);
	if (r >= 0)
		r = prep(st, "DELETE FROM sessions WHERE expires <= ?1", &s);
	if (r >= 0)
		r = run(s, bind_u64(s, 1, now_ns));
	if (r >= 0)
		r = make_room(st, user, now_ns, &ended);
	if (r >= 0) {
		idn_session_init(&session, 0, user, now_ns, st->session_ttl_ns);
		r = prep(st,
		        "INSERT INTO sessions (user, token_hash, created, expires) "
		        "VALUES (?1, ?2, ?3, ?4)",
		        &s);
	}
	if (r >= 0) {
		r = bind_text(s, 1, user);
		if (r >= 0 && sqlite3_bind_blob(s, 2, token_hash, IDN_TOKEN_HASH_BYTES,
		                      SQLITE_STATIC) != SQLITE_OK)
			r = -EIO;
		if (r >= 0)
			r = bind_u64(s, 3, session.created_ns);
		if (r >= 0)
			r = bind_u64(s, 4, session.expires_ns);
		r = run(s, r);
	}
	if (r >= 0)
		session.id = (uint64_t)sqlite3_last_insert_rowid(st->db);
	r = end(st, r);
	if (r >= 0) {
		*ret = session;
		*ret_ended = ended;
	}
	return r;
}

int idd_store_session_find(
        idd_store *st, const uint8_t token_hash[IDN_TOKEN_HASH_BYTES], struct idn_session *ret)
{
	struct idn_session session;
	sqlite3_stmt *s;
	int r = prep(st, "SELECT " SESSION_COLS " FROM sessions WHERE token_hash = ?1", &s);

	if (r >= 0 && sqlite3_bind_blob(s, 1, token_hash, IDN_TOKEN_HASH_BYTES, SQLITE_STATIC) !=
	                      SQLITE_OK)
		r = -EIO;
	if (r >= 0) {
		int rc = sqlite3_step(s);

		r = rc == SQLITE_ROW    ? read_session(s, &session)
		    : rc == SQLITE_DONE ? -ENOENT
		                        : -EIO;
	}
	sqlite3_finalize(s);
	if (r >= 0)
		*ret = session;
	return r;
}

int idd_store_session_revoke(idd_store *st, uint64_t id, const char *user, uint64_t now_ns)
{
	sqlite3_stmt *s;
	int r = prep(st,
	        "UPDATE sessions SET revoked = 1 WHERE id = ?1 AND revoked = 0 AND expires > ?2 "
	        "AND (?3 IS NULL OR user = ?3)",
	        &s);

	if (r >= 0)
		r = bind_u64(s, 1, id);
	if (r >= 0)
		r = bind_u64(s, 2, now_ns);
	if (r >= 0 && user)
		r = bind_text(s, 3, user);
	r = run(s, r);
	if (r >= 0 && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

int idd_store_sessions_list(
        idd_store *st, const char *user, uint64_t now_ns, struct idn_session *sessions, size_t max)
{
	sqlite3_stmt *s;
	size_t n = 0;
	int r = prep(st,
	        "SELECT " SESSION_COLS " FROM sessions WHERE revoked = 0 AND expires > ?1 "
	        "AND (?2 IS NULL OR user = ?2) ORDER BY id DESC LIMIT ?3",
	        &s);

	if (r >= 0)
		r = bind_u64(s, 1, now_ns);
	if (r >= 0 && user)
		r = bind_text(s, 2, user);
	if (r >= 0)
		r = bind_u64(s, 3, max);
	while (r >= 0 && n < max) {
		int rc = sqlite3_step(s);

		if (rc == SQLITE_DONE)
			break;
		r = rc == SQLITE_ROW ? read_session(s, &sessions[n++]) : -EIO;
	}
	sqlite3_finalize(s);
	return r < 0 ? r : (int)n;
}
