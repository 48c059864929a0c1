/* SPDX-License-Identifier: MIT */
#include "buspair/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 1

struct buspair_store {
	sqlite3 *db;
};

/* SQLite's result as a negative errno: damage is -EBADMSG (DESIGN.md section 9 integrity). */
static int sql_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		return -EBADMSG;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

static int exec(buspair_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(rc);
}

/* Every statement is a constant; values only ever go in as bound parameters. */
static int prepare(buspair_store *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(rc);
}

/* Ends a transaction: commits when r >= 0, else rolls back and keeps r. */
static int finish(buspair_store *s, int r)
{
	if (r < 0) {
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return exec(s, "COMMIT");
}

int buspair_id_check(const char *device)
{
	if (!device || strlen(device) != BUSPAIR_ID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < BUSPAIR_ID_LEN; i++) {
		char c = device[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
	}
	return 0;
}

/* One integer from a query without parameters. */
static int query_int(buspair_store *s, const char *sql, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int r = prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else
		r = rc == SQLITE_DONE ? -EBADMSG : sql_error(rc);
	sqlite3_finalize(st);
	return r;
}

/* SQLite's page-level check, then our tables (made now if the file is new) at our version. */
static int check_schema(buspair_store *s)
{
	sqlite3_stmt *st = NULL;
	int64_t version = 0;
	int r = prepare(s, "PRAGMA quick_check", &st), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		r = sql_error(rc);
	else if (!sqlite3_column_text(st, 0) ||
	         strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		r = -EBADMSG;
	sqlite3_finalize(st);
	if (r >= 0)
		r = exec(s, "BEGIN IMMEDIATE;"
		            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY,"
		            " value INTEGER NOT NULL);"
		            "CREATE TABLE IF NOT EXISTS pins(device TEXT PRIMARY KEY,"
		            " device_pub BLOB NOT NULL, static_pub BLOB NOT NULL,"
		            " paired_ns INTEGER NOT NULL) WITHOUT ROWID;"
		            "INSERT OR IGNORE INTO meta VALUES('schema', 1);"
		            "COMMIT");
	if (r >= 0)
		r = query_int(s, "SELECT value FROM meta WHERE key = 'schema'", &version);
	if (r >= 0 && version != SCHEMA_VERSION)
		r = -EBADMSG;
	return r;
}

int buspair_store_open(const char *path, buspair_store **ret)
{
	buspair_store *s;
	int r, rc;

	if (!path || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	r = rc == SQLITE_OK ? exec(s, "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON")
	                    : sql_error(rc);
	if (r >= 0)
		r = check_schema(s);
	if (r < 0) {
		buspair_store_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

buspair_store *buspair_store_close(buspair_store *s)
{
	if (s) {
		sqlite3_close(s->db);
		free(s);
	}
	return NULL;
}

/* A row (device, device_pub, static_pub, paired_ns) into *p: -EBADMSG if it is not one we
 * could have written. */
static int row_peer(sqlite3_stmt *st, struct buspair_peer *p)
{
	const char *device = (const char *)sqlite3_column_text(st, 0);
	const void *dpub = sqlite3_column_blob(st, 1), *spub = sqlite3_column_blob(st, 2);

	if (buspair_id_check(device) < 0 || !dpub || !spub ||
	        sqlite3_column_bytes(st, 1) != BUSPAIR_KEY_LEN ||
	        sqlite3_column_bytes(st, 2) != BUSPAIR_KEY_LEN)
		return -EBADMSG;
	memcpy(p->device, device, BUSPAIR_ID_LEN + 1);
	memcpy(p->device_pub, dpub, BUSPAIR_KEY_LEN);
	memcpy(p->static_pub, spub, BUSPAIR_KEY_LEN);
	p->paired_ns = (uint64_t)sqlite3_column_int64(st, 3);
	return 0;
}

static int lookup(buspair_store *s, const char *device, struct buspair_peer *ret)
{
	sqlite3_stmt *st = NULL;
	int r = prepare(s,
	            "SELECT device, device_pub, static_pub, paired_ns FROM pins WHERE device = ?1",
	            &st),
	    rc;

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = row_peer(st, ret);
	else
		r = rc == SQLITE_DONE ? -ENOENT : sql_error(rc);
	sqlite3_finalize(st);
	return r;
}

int buspair_lookup(buspair_store *s, const char *device, struct buspair_peer *ret)
{
	struct buspair_peer p;
	int r;

	if (!s || !ret || buspair_id_check(device) < 0)
		return -EINVAL;
	r = lookup(s, device, &p);
	if (r >= 0)
		*ret = p;
	return r;
}

static bool same_keys(const struct buspair_peer *p, const uint8_t device_pub[BUSPAIR_KEY_LEN],
        const uint8_t static_pub[BUSPAIR_KEY_LEN])
{
	return memcmp(p->device_pub, device_pub, BUSPAIR_KEY_LEN) == 0 &&
	       memcmp(p->static_pub, static_pub, BUSPAIR_KEY_LEN) == 0;
}

int buspair_check(buspair_store *s, const char *device, const uint8_t device_pub[BUSPAIR_KEY_LEN],
        const uint8_t static_pub[BUSPAIR_KEY_LEN])
{
	struct buspair_peer p;
	int r;

	if (!s || !device_pub || !static_pub || buspair_id_check(device) < 0)
		return -EINVAL;
	r = lookup(s, device, &p);
	if (r < 0)
		return r;
	return same_keys(&p, device_pub, static_pub) ? 0 : -EKEYREJECTED;
}

static int insert(buspair_store *s, const struct buspair_peer *p)
{
	sqlite3_stmt *st = NULL;
	int r = prepare(s,
	            "INSERT INTO pins(device, device_pub, static_pub, paired_ns) VALUES(?1, ?2, ?3, ?4)",
	            &st),
	    rc;

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, p->device, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, p->device_pub, BUSPAIR_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p->static_pub, BUSPAIR_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)p->paired_ns);
	rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? 0 : sql_error(rc);
	sqlite3_finalize(st);
	return r;
}

int buspair_pin(buspair_store *s, const struct buspair_peer *p)
{
	struct buspair_peer old;
	int64_t n = 0;
	int r;

	if (!s || !p || buspair_id_check(p->device) < 0)
		return -EINVAL;
	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = lookup(s, p->device, &old);
	if (r >= 0)
		return finish(s, same_keys(&old, p->device_pub, p->static_pub) ? 0 : -EKEYREJECTED);
	if (r == -ENOENT)
		r = query_int(s, "SELECT count(*) FROM pins", &n);
	if (r >= 0 && n >= BUSPAIR_PINS_MAX)
		r = -EDQUOT;
	if (r >= 0)
		r = insert(s, p);
	return finish(s, r);
}

int buspair_unpin(buspair_store *s, const char *device)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (!s || buspair_id_check(device) < 0)
		return -EINVAL;
	r = prepare(s, "DELETE FROM pins WHERE device = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	r = rc == SQLITE_DONE ? 0 : sql_error(rc);
	if (r >= 0 && sqlite3_changes(s->db) == 0)
		r = -ENOENT;
	sqlite3_finalize(st);
	return r;
}

int buspair_list(buspair_store *s, struct buspair_peer *out, size_t cap, size_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int r, rc;

	if (!s || (!out && cap) || !ret_n)
		return -EINVAL;
	r = prepare(s, "SELECT device, device_pub, static_pub, paired_ns FROM pins ORDER BY device",
	        &st);
	while (r >= 0 && n < cap && (rc = sqlite3_step(st)) != SQLITE_DONE) {
		if (rc != SQLITE_ROW)
			r = sql_error(rc);
		else
			r = row_peer(st, &out[n++]);
	}
	sqlite3_finalize(st);
	if (r >= 0)
		*ret_n = n;
	return r;
}
