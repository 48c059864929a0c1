/* SPDX-License-Identifier: MIT */
/* keystored's store (store.h): SQLite transactions around userspace/keystore's records. */
#include <errno.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "store.h"

#define SCHEMA_VERSION 1

/* Locked, guarded memory (sodium_malloc): the KEK while the store lives, a key while it is
 * used. */
struct secrets {
	uint8_t kek[KS_KEK_LEN];
	uint8_t sk[KS_SECRET_LEN];
	uint8_t kek_file[KS_KEK_FILE_LEN];
};

struct kss {
	sqlite3 *db;
	sqlite3_stmt *get; /* one key's public key and sealed record: every sign reads it */
	int dirfd;
	enum ks_step crash_at;
	bool have_kek, have_device;
	struct secrets *sec;
	char why[KSS_WHY_MAX + 1];
};

/* What the last -EBADMSG was about: kss_why(). */
#define set_why(s, ...) (void)snprintf((s)->why, sizeof((s)->why), __VA_ARGS__)

/* Tests make keystored die here (NEXUS_KEYSTORED_CRASH_AT): as abrupt as a kill -9, nothing
 * flushed or rolled back. */
static void crash_point(const kss *s, enum ks_step step)
{
	if (s->crash_at == step)
		abort();
}

/* SQLite's result as a negative errno; damage is -EBADMSG with the why. */
static int sql_error(kss *s, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		set_why(s, "%s: %s", KSS_DB_FILE, sqlite3_errmsg(s->db));
		return -EBADMSG;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

static int exec(kss *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(s, rc);
}

static int prepare(kss *s, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(s, rc);
}

/* Ends a transaction: commits when r >= 0, else rolls back and keeps r. */
static int finish(kss *s, int r)
{
	if (r < 0) {
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return exec(s, "COMMIT");
}

/* One integer from a query with up to one text parameter: 0 with *ret, or an error. */
static int query_int(kss *s, const char *sql, const char *param, int64_t *ret)
{
	sqlite3_stmt *st = NULL;
	int r = prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	if (param)
		sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else
		r = sql_error(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	sqlite3_finalize(st);
	return r;
}

/* The KEK file: absent (have_kek false), or decoded into the locked buffer. */
static int read_kek(kss *s)
{
	void *buf = NULL;
	size_t len = 0;
	int r = nx_file_read_beneath(s->dirfd, KSS_KEK_FILE, KS_KEK_FILE_LEN, &buf, &len);

	if (r == -ENOENT)
		return 0;
	if (r == -EMSGSIZE) {
		set_why(s, "%s: longer than %u bytes", KSS_KEK_FILE, KS_KEK_FILE_LEN);
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	r = ks_kek_file_decode(buf, len, s->sec->kek);
	sodium_memzero(buf, len);
	free(buf);
	if (r < 0) {
		set_why(s, "%s: damaged (length %zu, magic or checksum)", KSS_KEK_FILE, len);
		return r;
	}
	s->have_kek = true;
	return 0;
}

/* SQLite's own page-level check; its first complaint is the why. */
static int quick_check(kss *s)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *text;
	int r = prepare(s, "PRAGMA quick_check", &st), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	text = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	if (rc != SQLITE_ROW) {
		r = sql_error(s, rc);
	} else if (!text || strcmp((const char *)text, "ok") != 0) {
		set_why(s, "%s: %s", KSS_DB_FILE, text ? (const char *)text : "quick_check failed");
		r = -EBADMSG;
	}
	sqlite3_finalize(st);
	return r;
}

/* keys.db exists with our tables, or is made now: never made again once a KEK exists (a KEK
 * beside an empty keys.db means the keys were lost). */
static int check_schema(kss *s)
{
	int64_t tables = 0, version = 0, keys = 0;
	int r = quick_check(s);

	if (r >= 0)
		r = query_int(s,
		        "SELECT count(*) FROM sqlite_master WHERE name IN ('meta', 'keys')", NULL,
		        &tables);
	if (r >= 0 && tables != 2 && s->have_kek) {
		set_why(s, "%s: empty or missing while %s exists", KSS_DB_FILE, KSS_KEK_FILE);
		return -EBADMSG;
	}
	if (r >= 0 && tables != 2)
		r = exec(s,
		        "BEGIN IMMEDIATE;"
		        "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER "
		        "NOT NULL);"
		        "CREATE TABLE IF NOT EXISTS keys(owner TEXT NOT NULL, name TEXT NOT NULL,"
		        " public BLOB NOT NULL, sealed BLOB NOT NULL, created_ns INTEGER NOT NULL,"
		        " PRIMARY KEY(owner, name)) WITHOUT ROWID;"
		        "INSERT OR IGNORE INTO meta VALUES('schema', 1);"
		        "COMMIT");
	if (r >= 0)
		r = query_int(s, "SELECT value FROM meta WHERE key = 'schema'", NULL, &version);
	if (r >= 0 && version != SCHEMA_VERSION) {
		set_why(s, "%s: schema %lld, not %d", KSS_DB_FILE, (long long)version,
		        SCHEMA_VERSION);
		return -EBADMSG;
	}
	if (r >= 0)
		r = query_int(s, "SELECT count(*) FROM keys", NULL, &keys);
	if (r >= 0 && keys > 0 && !s->have_kek) {
		set_why(s, "%s: missing while %s holds %lld keys", KSS_KEK_FILE, KSS_DB_FILE,
		        (long long)keys);
		return -EBADMSG;
	}
	return r;
}

/* Reads (owner, name)'s public key and opens its record into s->sec->sk (wipe it after). */
static int load(kss *s, const char *owner, const char *name, uint8_t ret_public[KS_PUBLIC_LEN])
{
	const void *pub, *rec;
	int rc, r, plen, rlen;

	if (!s->have_kek)
		return -EAGAIN;
	sqlite3_bind_text(s->get, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->get, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->get);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? -ENOENT : sql_error(s, rc);
		sqlite3_reset(s->get);
		return r;
	}
	pub = sqlite3_column_blob(s->get, 0);
	plen = sqlite3_column_bytes(s->get, 0);
	rec = sqlite3_column_blob(s->get, 1);
	rlen = sqlite3_column_bytes(s->get, 1);
	r = ks_record_open(
	        s->sec->kek, owner, name, pub, (size_t)plen, rec, (size_t)rlen, s->sec->sk);
	if (r == -EBADMSG)
		set_why(s, "key %s of %s: sealed record fails authentication", name, owner);
	else if (r >= 0)
		memcpy(ret_public, pub, KS_PUBLIC_LEN); /* the length was checked by the open */
	sqlite3_reset(s->get);
	return r;
}

static int load_ref(kss *s, const struct ks_ref *ref, uint8_t ret_public[KS_PUBLIC_LEN])
{
	if (!ref || !ref->owner || !ref->name)
		return -EINVAL;
	if (ref->device && !s->have_device)
		return -EAGAIN;
	return load(s, ref->owner, ref->name, ret_public);
}

/* Inserts (owner, name) made from entropy, inside the caller's transaction. */
static int insert(kss *s, const char *owner, const char *name,
        const uint8_t entropy[KS_CREATE_ENTROPY], uint64_t now_ns,
        uint8_t ret_public[KS_PUBLIC_LEN])
{
	uint8_t pub[KS_PUBLIC_LEN], rec[KS_RECORD_LEN];
	sqlite3_stmt *st = NULL;
	int r = ks_record_make(s->sec->kek, owner, name, entropy, pub, rec), rc;

	if (r >= 0)
		r = prepare(s, "INSERT INTO keys VALUES(?1, ?2, ?3, ?4, ?5)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, pub, sizeof(pub), SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, rec, sizeof(rec), SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)(now_ns > INT64_MAX ? INT64_MAX : now_ns));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_error(s, rc);
	memcpy(ret_public, pub, sizeof(pub));
	return 0;
}

static int open_db(kss *s, const char *dir)
{
	char path[4096];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, KSS_DB_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	/* Made 0600 before SQLite opens it (its journals take the database's mode). */
	rc = nx_file_create_atomic(s->dirfd, KSS_DB_FILE, "", 0, 0600);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	rc = sqlite3_open_v2(path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		return s->db ? sql_error(s, rc) : -ENOMEM;
	/* Durable commits, deleted records overwritten, no temporary files outside memory. */
	return exec(s, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"
	               "PRAGMA secure_delete = ON; PRAGMA temp_store = MEMORY");
}

int kss_open(const char *dir, enum ks_step crash_at, kss **ret, char *ret_why)
{
	uint8_t pub[KS_PUBLIC_LEN];
	int64_t device = 0;
	kss *s;
	int r;

	if (!dir || !*dir || !ret || !ret_why)
		return -EINVAL;
	ret_why[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dirfd = -1;
	s->crash_at = crash_at;
	s->sec = sodium_malloc(sizeof(*s->sec));
	r = s->sec ? nx_dir_open(dir, &s->dirfd) : -ENOMEM;
	if (r >= 0)
		r = read_kek(s);
	if (r >= 0)
		r = open_db(s, dir);
	if (r >= 0)
		r = check_schema(s);
	if (r >= 0)
		r = prepare(s, "SELECT public, sealed FROM keys WHERE owner = ?1 AND name = ?2",
		        &s->get);
	if (r >= 0)
		r = query_int(
		        s, "SELECT count(*) FROM keys WHERE owner = ?1", KS_DEVICE_OWNER, &device);
	if (r >= 0 && device > 0) {
		/* The device key must open now: a damage found at boot is reported at boot. */
		r = load(s, KS_DEVICE_OWNER, KS_DEVICE_NAME, pub);
		sodium_memzero(s->sec->sk, sizeof(s->sec->sk));
		s->have_device = r >= 0;
	}
	if (r < 0) {
		snprintf(ret_why, KSS_WHY_MAX + 1, "%s", s->why);
		kss_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

bool kss_needs_provision(const kss *s)
{
	return !s || !s->have_device;
}

int kss_provision(kss *s, const uint8_t entropy[KS_PROVISION_ENTROPY], uint64_t now_ns)
{
	uint8_t pub[KS_PUBLIC_LEN];
	int r;

	if (!s || !entropy)
		return -EINVAL;
	if (s->have_device)
		return 0;
	if (!s->have_kek) {
		ks_kek_file_encode(entropy, s->sec->kek_file);
		r = nx_file_create_atomic(
		        s->dirfd, KSS_KEK_FILE, s->sec->kek_file, sizeof(s->sec->kek_file), 0600);
		sodium_memzero(s->sec->kek_file, sizeof(s->sec->kek_file));
		if (r == -EEXIST) {
			/* Another keystored on this state dir was first: its KEK it is. */
			r = read_kek(s);
		} else if (r >= 0) {
			memcpy(s->sec->kek, entropy, KS_KEK_LEN);
			s->have_kek = true;
		}
		if (r < 0 || !s->have_kek)
			return r < 0 ? r : -EIO;
		crash_point(s, KS_STEP_PROVISION_KEK);
	}
	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = insert(s, KS_DEVICE_OWNER, KS_DEVICE_NAME, entropy + KS_KEK_LEN, now_ns, pub);
	if (r >= 0)
		crash_point(s, KS_STEP_PROVISION_INSERTED);
	r = finish(s, r);
	s->have_device = r >= 0;
	return r;
}

int kss_create(kss *s, const char *owner, const char *name,
        const uint8_t entropy[KS_CREATE_ENTROPY], uint64_t now_ns,
        uint8_t ret_public[KS_PUBLIC_LEN])
{
	int64_t held = 0;
	int r;

	if (!s || !owner || !name || !entropy || !ret_public)
		return -EINVAL;
	if (strcmp(owner, KS_DEVICE_OWNER) == 0)
		return -EPERM; /* the device key is made by kss_provision only */
	if (!s->have_kek)
		return -EAGAIN;
	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	crash_point(s, KS_STEP_CREATE_BEGUN);
	r = query_int(s, "SELECT count(*) FROM keys WHERE owner = ?1", owner, &held);
	if (r >= 0 && held >= KS_KEYS_PER_SUBJECT)
		r = -EDQUOT;
	if (r >= 0)
		r = insert(s, owner, name, entropy, now_ns, ret_public);
	if (r >= 0)
		crash_point(s, KS_STEP_CREATE_INSERTED);
	r = finish(s, r);
	if (r >= 0)
		crash_point(s, KS_STEP_CREATE_COMMITTED);
	return r;
}

int kss_delete(kss *s, const char *owner, const char *name)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (!s || !owner || !name)
		return -EINVAL;
	if (strcmp(owner, KS_DEVICE_OWNER) == 0)
		return -EPERM; /* the device key stays */
	r = exec(s, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	crash_point(s, KS_STEP_DELETE_BEGUN);
	r = prepare(s, "DELETE FROM keys WHERE owner = ?1 AND name = ?2", &st);
	if (r >= 0) {
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = sql_error(s, rc);
		else if (sqlite3_changes(s->db) == 0)
			r = -ENOENT;
		sqlite3_finalize(st);
	}
	if (r >= 0)
		crash_point(s, KS_STEP_DELETE_REMOVED);
	r = finish(s, r);
	if (r >= 0)
		crash_point(s, KS_STEP_DELETE_COMMITTED);
	return r;
}

int kss_public(kss *s, const struct ks_ref *ref, uint8_t ret_public[KS_PUBLIC_LEN])
{
	int r;

	if (!s || !ret_public)
		return -EINVAL;
	r = load_ref(s, ref, ret_public);
	sodium_memzero(s->sec->sk, sizeof(s->sec->sk));
	return r;
}

int kss_sign(kss *s, const struct ks_ref *ref, const char *domain, const void *data, size_t len,
        uint8_t ret_sig[KS_SIGNATURE_LEN])
{
	uint8_t pub[KS_PUBLIC_LEN];
	int r;

	if (!s || !ret_sig)
		return -EINVAL;
	if (!domain || !ks_domain_valid(domain, strlen(domain)))
		return -EINVAL;
	r = load_ref(s, ref, pub);
	if (r >= 0)
		r = ks_sign(s->sec->sk, domain, data, len, ret_sig);
	sodium_memzero(s->sec->sk, sizeof(s->sec->sk));
	return r;
}

int kss_list(kss *s, const char *owner, struct kss_key *ret_keys, size_t max, size_t *ret_n)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int r, rc = SQLITE_DONE;

	if (!s || !owner || !ret_keys || !ret_n)
		return -EINVAL;
	r = prepare(s,
	        "SELECT name, public, created_ns FROM keys WHERE owner = ?1 ORDER BY name LIMIT ?2",
	        &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int nlen = sqlite3_column_bytes(st, 0);
		const void *pub = sqlite3_column_blob(st, 1);

		if (!name || !ks_name_valid(name, (size_t)nlen) || !pub ||
		        sqlite3_column_bytes(st, 1) != KS_PUBLIC_LEN) {
			set_why(s, "%s: a key of %s is not well-formed", KSS_DB_FILE, owner);
			r = -EBADMSG;
			break;
		}
		memcpy(ret_keys[n].name, name, (size_t)nlen + 1);
		memcpy(ret_keys[n].public, pub, KS_PUBLIC_LEN);
		ret_keys[n].created_ns = (uint64_t)sqlite3_column_int64(st, 2);
		n++;
	}
	if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = sql_error(s, rc);
	sqlite3_finalize(st);
	if (r >= 0)
		*ret_n = n;
	return r;
}

const char *kss_why(const kss *s)
{
	return s ? s->why : "";
}

kss *kss_free(kss *s)
{
	if (!s)
		return NULL;
	sqlite3_finalize(s->get);
	sqlite3_close_v2(s->db);
	nx_fd_close(s->dirfd);
	sodium_free(s->sec); /* wipes */
	free(s);
	return NULL;
}
