/* SPDX-License-Identifier: MIT */
/* bundlemgrd's store (store.h): blobs in files, records in SQLite. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/plan.h"
#include "nx-abi/dirfile.h"
#include "nx-abi/sock.h"
#include "store.h"

#define DB_FILE       "bundles.db"
#define BLOBS_DIR     "blobs"
#define STAGING_DIR   "staging"
#define STAGED_SUFFIX ".tmp"

struct bmd_store {
	int dirfd, blobs, staging;
	sqlite3 *db;
	sqlite3_stmt *counted; /* blob_counted's, asked once per file of an install */
	bnd_hash *staged;      /* written to staging/ by bmd_store_stage, not published yet */
	size_t nstaged, staged_cap;
};

static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS bundles(id TEXT PRIMARY KEY, version INTEGER NOT NULL,"
        " key_id TEXT NOT NULL, entry TEXT NOT NULL, restart INTEGER NOT NULL,"
        " memory INTEGER NOT NULL, tasks INTEGER NOT NULL, open_files INTEGER NOT NULL,"
        " nfiles INTEGER NOT NULL, bytes INTEGER NOT NULL, manifest BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS files(bundle TEXT NOT NULL, path TEXT NOT NULL,"
        " hash TEXT NOT NULL, size INTEGER NOT NULL, mode INTEGER NOT NULL,"
        " PRIMARY KEY(bundle, path));"
        "CREATE TABLE IF NOT EXISTS caps(bundle TEXT NOT NULL, cap TEXT NOT NULL,"
        " PRIMARY KEY(bundle, cap));"
        "CREATE TABLE IF NOT EXISTS blobs(hash TEXT PRIMARY KEY, size INTEGER NOT NULL,"
        " refs INTEGER NOT NULL);";

/* Aborts here when the test-only crash step names this one (store.h). */
static void crash_point(const char *step)
{
	const char *at = getenv(BMD_CRASH_ENV);

	if (at && strcmp(at, step) == 0)
		abort();
}

static int exec(bmd_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Prepares sql and binds the texts in args (NULL-terminated). */
static int prepare(bmd_store *s, const char *sql, sqlite3_stmt **ret, const char *const *args)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	for (int i = 0; args && args[i]; i++)
		if (sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC) != SQLITE_OK) {
			sqlite3_finalize(st);
			return -EIO;
		}
	*ret = st;
	return 0;
}

/* Runs a statement that returns no rows, with text args. */
static int run(bmd_store *s, const char *sql, const char *const *args)
{
	sqlite3_stmt *st;
	int r = prepare(s, sql, &st, args);

	if (r < 0)
		return r;
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	return r;
}

/* ---- Recovery ---- */

struct sweep {
	bmd_store *s;
	unsigned removed;
	int error;
};

static int remove_staged(void *userdata, const char *name)
{
	struct sweep *w = userdata;

	if (nx_file_remove(w->s->staging, name) == 0)
		w->removed++;
	return 0;
}

static bool blob_counted(bmd_store *s, const char *hex)
{
	bool found;

	if (!s->counted && sqlite3_prepare_v3(s->db, "SELECT 1 FROM blobs WHERE hash = ?", -1,
	                           SQLITE_PREPARE_PERSISTENT, &s->counted, NULL) != SQLITE_OK)
		return true; /* cannot tell: keep it */
	if (sqlite3_bind_text(s->counted, 1, hex, -1, SQLITE_STATIC) != SQLITE_OK)
		return true;
	found = sqlite3_step(s->counted) != SQLITE_DONE;
	sqlite3_reset(s->counted);
	sqlite3_clear_bindings(s->counted);
	return found;
}

static int remove_orphan(void *userdata, const char *name)
{
	struct sweep *w = userdata;

	if (!blob_counted(w->s, name) && nx_file_remove(w->s->blobs, name) == 0)
		w->removed++;
	return 0;
}

/* Removes what an interrupted change left: staged files, blobs no record counts. */
static int sweep(bmd_store *s, struct bmd_recovery *rec)
{
	struct sweep staged = {.s = s}, orphans = {.s = s};
	int r;

	r = nx_dir_each(s->staging, remove_staged, &staged);
	if (r >= 0)
		r = nx_dir_each(s->blobs, remove_orphan, &orphans);
	if (r >= 0 && (staged.removed || orphans.removed))
		r = nx_dir_sync(s->blobs);
	if (rec) {
		rec->staged = staged.removed;
		rec->orphans = orphans.removed;
	}
	s->nstaged = 0;
	return r;
}

int bmd_store_open(const char *dir, bmd_store **ret, struct bmd_recovery *ret_recovery)
{
	bmd_store *s = calloc(1, sizeof(*s));
	char path[4096];
	int r;

	if (!s)
		return -ENOMEM;
	s->dirfd = s->blobs = s->staging = -1;
	r = nx_dir_open_at(-1, dir, true, &s->dirfd);
	if (r >= 0)
		r = nx_dir_open_at(s->dirfd, BLOBS_DIR, true, &s->blobs);
	if (r >= 0)
		r = nx_dir_open_at(s->dirfd, STAGING_DIR, true, &s->staging);
	if (r >= 0 && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE) >= sizeof(path))
		r = -ENAMETOOLONG;
	if (r >= 0 && sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                      NULL) != SQLITE_OK)
		r = -EIO;
	if (r >= 0)
		/* WAL: a commit is one synced append to the log; FULL: synced at every commit. */
		r = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
	if (r >= 0)
		r = exec(s, schema_sql);
	if (r >= 0)
		r = sweep(s, ret_recovery);
	if (r < 0)
		return bmd_store_free(s), r;
	*ret = s;
	return 0;
}

bmd_store *bmd_store_free(bmd_store *s)
{
	if (!s)
		return NULL;
	sqlite3_finalize(s->counted);
	sqlite3_close(s->db);
	free(s->staged);
	nx_fd_close(s->staging);
	nx_fd_close(s->blobs);
	nx_fd_close(s->dirfd);
	free(s);
	return NULL;
}

/* ---- Records ---- */

#define RECORD_COLUMNS \
	"id, version, key_id, entry, restart, memory, tasks, open_files, nfiles, bytes"

static void copy_column(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int read_caps(bmd_store *s, struct bmd_record *rec)
{
	const char *args[] = {rec->id, NULL};
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT cap FROM caps WHERE bundle = ? ORDER BY rowid", &st, args);

	if (r < 0)
		return r;
	rec->ncaps = 0;
	while (rec->ncaps < BND_CAPS_MAX && sqlite3_step(st) == SQLITE_ROW)
		copy_column(rec->caps[rec->ncaps++], sizeof(rec->caps[0]), st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int read_record(bmd_store *s, sqlite3_stmt *st, struct bmd_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	copy_column(rec->id, sizeof(rec->id), st, 0);
	rec->version = (uint64_t)sqlite3_column_int64(st, 1);
	copy_column(rec->key_id, sizeof(rec->key_id), st, 2);
	copy_column(rec->entry, sizeof(rec->entry), st, 3);
	rec->restart = (unsigned)sqlite3_column_int(st, 4);
	rec->limits.memory_bytes = (uint64_t)sqlite3_column_int64(st, 5);
	rec->limits.tasks = (uint32_t)sqlite3_column_int64(st, 6);
	rec->limits.open_files = (uint32_t)sqlite3_column_int64(st, 7);
	rec->nfiles = (uint32_t)sqlite3_column_int64(st, 8);
	rec->bytes = (uint64_t)sqlite3_column_int64(st, 9);
	return read_caps(s, rec);
}

int bmd_store_get(bmd_store *s, const char *id, struct bmd_record *ret)
{
	const char *args[] = {id, NULL};
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT " RECORD_COLUMNS " FROM bundles WHERE id = ?", &st, args);

	if (r < 0)
		return r;
	r = sqlite3_step(st);
	r = r == SQLITE_ROW ? read_record(s, st, ret) : r == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_finalize(st);
	return r;
}

int bmd_store_list(bmd_store *s, const char *after, struct bmd_record *out, size_t max,
        size_t *ret_n, bool *ret_more)
{
	const char *args[] = {after, NULL};
	sqlite3_stmt *st;
	size_t n = 0;
	bool more = false;
	int r = prepare(
	        s, "SELECT " RECORD_COLUMNS " FROM bundles WHERE id > ? ORDER BY id", &st, args);

	if (r < 0)
		return r;
	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (n == max) {
			more = true;
			break;
		}
		r = read_record(s, st, &out[n++]);
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	*ret_n = n;
	*ret_more = more;
	return 0;
}

int bmd_store_each(
        bmd_store *s, int (*fn)(void *userdata, const struct bmd_record *rec), void *userdata)
{
	struct bmd_record rec;
	sqlite3_stmt *st = NULL;
	int r = prepare(s, "SELECT " RECORD_COLUMNS " FROM bundles ORDER BY id", &st, NULL);

	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		r = read_record(s, st, &rec);
		if (r >= 0)
			r = fn(userdata, &rec);
	}
	if (st)
		sqlite3_finalize(st);
	return r;
}

int bmd_store_manifest(bmd_store *s, const char *id, void **ret, size_t *ret_len)
{
	const char *args[] = {id, NULL};
	sqlite3_stmt *st;
	void *copy;
	int r = prepare(s, "SELECT manifest FROM bundles WHERE id = ?", &st, args);
	size_t len;

	if (r < 0)
		return r;
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(st);
		return r == SQLITE_DONE ? -ENOENT : -EIO;
	}
	len = (size_t)sqlite3_column_bytes(st, 0);
	copy = malloc(len ? len : 1);
	if (copy && len)
		memcpy(copy, sqlite3_column_blob(st, 0), len);
	sqlite3_finalize(st);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	*ret_len = len;
	return 0;
}

int bmd_store_open_file(bmd_store *s, const char *id, const char *path, int *ret_fd,
        size_t *ret_size, uint32_t *ret_mode)
{
	const char *args[] = {id, path, NULL};
	char hex[BND_HASH_HEX_LEN + 1];
	sqlite3_stmt *st;
	uint64_t size;
	uint32_t mode;
	size_t got = 0;
	int fd = -1, r;

	r = prepare(
	        s, "SELECT hash, size, mode FROM files WHERE bundle = ? AND path = ?", &st, args);
	if (r < 0)
		return r;
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(st);
		return r == SQLITE_DONE ? -ENOENT : -EIO;
	}
	copy_column(hex, sizeof(hex), st, 0);
	size = (uint64_t)sqlite3_column_int64(st, 1);
	mode = (uint32_t)sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	r = nx_vmo_from_file(s->blobs, hex, (size_t)size, &fd, &got);
	if (r == -ENOENT || r == -EMSGSIZE || (r >= 0 && got != size)) {
		nx_fd_close(fd);
		return -EBADMSG; /* the record counts a blob that is not what it stored */
	}
	if (r < 0)
		return r;
	*ret_fd = fd;
	*ret_size = got;
	*ret_mode = mode;
	return 0;
}

int bmd_store_counts(bmd_store *s, uint64_t *ret_blobs, uint64_t *ret_refs)
{
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT COUNT(*), COALESCE(SUM(refs), 0) FROM blobs", &st, NULL);

	if (r < 0)
		return r;
	r = sqlite3_step(st) == SQLITE_ROW ? 0 : -EIO;
	if (r >= 0) {
		*ret_blobs = (uint64_t)sqlite3_column_int64(st, 0);
		*ret_refs = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return r;
}

/* ---- Changes ---- */

/* The hashes of `id`'s files now (none when not installed): *ret (free()), *ret_n. */
static int old_hashes(bmd_store *s, const char *id, bnd_hash **ret, size_t *ret_n)
{
	const char *args[] = {id, NULL};
	bnd_hash *h = NULL, *bigger;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int r = prepare(s, "SELECT hash FROM files WHERE bundle = ?", &st, args);

	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);

		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			bigger = realloc(h, cap * sizeof(*h));
			if (!bigger) {
				r = -ENOMEM;
				break;
			}
			h = bigger;
		}
		r = bnd_unhex(hex, hex ? strlen(hex) : 0, h[n++], BND_HASH_LEN) < 0 ? -EIO : 0;
	}
	if (st)
		sqlite3_finalize(st);
	if (r < 0) {
		free(h);
		return r;
	}
	*ret = h;
	*ret_n = n;
	return 0;
}

static int new_hashes(const bnd_bundle *b, bnd_hash **ret)
{
	size_t n = bnd_bundle_file_count(b);
	bnd_hash *h = malloc((n ? n : 1) * sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct bnd_file f;

		bnd_bundle_file(b, i, &f);
		memcpy(h[i], f.sha256, BND_HASH_LEN);
	}
	*ret = h;
	return 0;
}

static int staged_name(const uint8_t *hash, char *ret, size_t cap)
{
	char hex[BND_HASH_HEX_LEN + 1];

	bnd_hex(hash, BND_HASH_LEN, hex);
	return (size_t)snprintf(ret, cap, "%s" STAGED_SUFFIX, hex) < cap ? 0 : -ENAMETOOLONG;
}

/* The file of b whose contents hash to `hash` (the plan's hashes all come from b). */
static void file_by_hash(const bnd_bundle *b, const uint8_t *hash, struct bnd_file *ret)
{
	*ret = (struct bnd_file){0};
	for (size_t i = 0; i < bnd_bundle_file_count(b); i++) {
		bnd_bundle_file(b, i, ret);
		if (memcmp(ret->sha256, hash, BND_HASH_LEN) == 0)
			return;
	}
}

static bool is_staged(const bmd_store *s, const uint8_t *hash)
{
	for (size_t i = 0; i < s->nstaged; i++)
		if (memcmp(s->staged[i], hash, BND_HASH_LEN) == 0)
			return true;
	return false;
}

/* Writes f's contents to staging/ (starting their writeback) unless a blob or a staged file
 * holds them already. */
static int stage(bmd_store *s, const struct bnd_file *f)
{
	char name[BND_HASH_HEX_LEN + sizeof(STAGED_SUFFIX)], hex[BND_HASH_HEX_LEN + 1];
	bnd_hash *bigger;
	int r;

	bnd_hex(f->sha256, BND_HASH_LEN, hex);
	if (is_staged(s, f->sha256) || blob_counted(s, hex))
		return 0;
	if (s->nstaged == s->staged_cap) {
		s->staged_cap = s->staged_cap ? 2 * s->staged_cap : 64;
		bigger = realloc(s->staged, s->staged_cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		s->staged = bigger;
	}
	r = staged_name(f->sha256, name, sizeof(name));
	if (r >= 0)
		r = nx_file_write(s->staging, name, f->data, f->size, NX_FILE_WRITEBACK);
	if (r >= 0)
		memcpy(s->staged[s->nstaged++], f->sha256, BND_HASH_LEN);
	return r;
}

int bmd_store_stage(bmd_store *s, const struct bnd_file *f)
{
	/* One read transaction over the whole check (bmd_store_stage_end ends it), not a lock
	 * taken and dropped around each lookup. */
	if (sqlite3_get_autocommit(s->db) && exec(s, "BEGIN") < 0)
		return -EIO;
	return stage(s, f);
}

void bmd_store_stage_end(bmd_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, "COMMIT");
}

void bmd_store_discard(bmd_store *s)
{
	char name[BND_HASH_HEX_LEN + sizeof(STAGED_SUFFIX)];

	for (size_t i = 0; i < s->nstaged; i++)
		if (staged_name(s->staged[i], name, sizeof(name)) >= 0)
			(void)nx_file_remove(s->staging, name);
	s->nstaged = 0;
}

/* Forgets the staged hashes the plan published (others may belong to another install). */
static void unstage(bmd_store *s, const struct bnd_plan *p)
{
	size_t j = 0;

	for (size_t i = 0; i < s->nstaged; i++) {
		bool published = false;

		for (size_t k = 0; k < p->nadd && !published; k++)
			published = memcmp(s->staged[i], p->add[k], BND_HASH_LEN) == 0;
		if (!published)
			memmove(s->staged[j++], s->staged[i], BND_HASH_LEN);
	}
	s->nstaged = j;
}

/* Writes the contents of the plan's new hashes that no bundle stored yet into staging/,
 * makes them durable and renames them into blobs/. */
static int stage_and_publish(bmd_store *s, const bnd_bundle *b, const struct bnd_plan *p)
{
	char name[BND_HASH_HEX_LEN + sizeof(STAGED_SUFFIX)], hex[BND_HASH_HEX_LEN + 1];
	bool *write = calloc(p->nadd ? p->nadd : 1, sizeof(bool));
	size_t nwrite = 0;
	int r = write ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < p->nadd; i++) {
		struct bnd_file f;

		bnd_hex(p->add[i], BND_HASH_LEN, hex);
		if (!is_staged(s, p->add[i]) && blob_counted(s, hex))
			continue;
		write[i] = true;
		nwrite++;
		file_by_hash(b, p->add[i], &f);
		r = stage(s, &f); /* staged already while the install was checked, mostly */
	}
	if (r >= 0 && nwrite)
		r = nx_fs_sync(s->staging);
	if (r >= 0)
		crash_point("install-staged");
	for (size_t i = 0; r >= 0 && i < p->nadd; i++) {
		if (!write[i])
			continue;
		bnd_hex(p->add[i], BND_HASH_LEN, hex);
		r = staged_name(p->add[i], name, sizeof(name));
		if (r >= 0)
			r = nx_file_rename(s->staging, name, s->blobs, hex);
	}
	if (r >= 0 && nwrite)
		r = nx_dir_sync(s->blobs);
	if (r >= 0)
		unstage(s, p);
	free(write);
	return r; /* on failure the caller sweeps staging/ */
}

static int bind_run(sqlite3_stmt *st)
{
	int r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static int put_bundle(bmd_store *s, const bnd_bundle *b)
{
	struct bnd_limits l = bnd_bundle_limits(b);
	const void *manifest;
	size_t mlen;
	sqlite3_stmt *st;
	int r = prepare(s,
	        "INSERT OR REPLACE INTO bundles(" RECORD_COLUMNS
	        ", manifest) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	        &st, NULL);

	if (r < 0)
		return r;
	manifest = bnd_bundle_manifest(b, &mlen);
	sqlite3_bind_text(st, 1, bnd_bundle_id(b), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)bnd_bundle_version(b));
	sqlite3_bind_text(st, 3, bnd_bundle_key_id(b), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, bnd_bundle_entry(b), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, (int)bnd_bundle_restart(b));
	sqlite3_bind_int64(st, 6, (sqlite3_int64)l.memory_bytes);
	sqlite3_bind_int64(st, 7, l.tasks);
	sqlite3_bind_int64(st, 8, l.open_files);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)bnd_bundle_file_count(b));
	sqlite3_bind_int64(st, 10, (sqlite3_int64)bnd_bundle_bytes(b));
	sqlite3_bind_blob(st, 11, manifest, (int)mlen, SQLITE_STATIC);
	r = bind_run(st);
	sqlite3_finalize(st);
	return r;
}

static int put_files(bmd_store *s, const bnd_bundle *b)
{
	char hex[BND_HASH_HEX_LEN + 1];
	sqlite3_stmt *st = NULL;
	int r = prepare(s,
	        "INSERT INTO files(bundle, path, hash, size, mode) VALUES(?, ?, ?, ?, ?)", &st,
	        NULL);

	for (size_t i = 0; r >= 0 && i < bnd_bundle_file_count(b); i++) {
		struct bnd_file f;

		bnd_bundle_file(b, i, &f);
		bnd_hex(f.sha256, BND_HASH_LEN, hex);
		sqlite3_bind_text(st, 1, bnd_bundle_id(b), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f.path, (int)f.path_len, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)f.size);
		sqlite3_bind_int64(st, 5, f.mode);
		r = bind_run(st);
	}
	if (st)
		sqlite3_finalize(st);
	for (size_t i = 0; r >= 0 && i < bnd_bundle_cap_count(b); i++) {
		const char *args[] = {bnd_bundle_id(b), bnd_bundle_cap(b, i), NULL};

		r = run(s, "INSERT INTO caps(bundle, cap) VALUES(?, ?)", args);
	}
	return r;
}

/* The plan's reference counts; hashes whose count fell to 0 go into *ret_gone (free()). */
static int apply_refs(bmd_store *s, const bnd_bundle *b, const struct bnd_plan *p,
        bnd_hash **ret_gone, size_t *ret_ngone)
{
	char hex[BND_HASH_HEX_LEN + 1];
	bnd_hash *gone = malloc((p->ndrop ? p->ndrop : 1) * sizeof(*gone));
	size_t ngone = 0;
	int r = gone ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < p->nadd; i++) {
		struct bnd_file f;
		char size[24];
		const char *args[] = {hex, size, NULL};

		file_by_hash(b, p->add[i], &f);
		bnd_hex(p->add[i], BND_HASH_LEN, hex);
		snprintf(size, sizeof(size), "%llu", (unsigned long long)f.size);
		r = run(s,
		        "INSERT INTO blobs(hash, size, refs) VALUES(?, CAST(? AS INTEGER), 1)"
		        " ON CONFLICT(hash) DO UPDATE SET refs = refs + 1",
		        args);
	}
	for (size_t i = 0; r >= 0 && i < p->ndrop; i++) {
		const char *args[] = {hex, NULL};

		bnd_hex(p->drop[i], BND_HASH_LEN, hex);
		r = run(s, "UPDATE blobs SET refs = refs - 1 WHERE hash = ?", args);
		if (r >= 0)
			r = run(s, "DELETE FROM blobs WHERE hash = ? AND refs <= 0", args);
		if (r >= 0 && sqlite3_changes(s->db) > 0)
			memcpy(gone[ngone++], p->drop[i], BND_HASH_LEN);
	}
	if (r < 0) {
		free(gone);
		return r;
	}
	*ret_gone = gone;
	*ret_ngone = ngone;
	return 0;
}

/* Removes the blobs of `gone` after their records went. A failure here leaves orphans the
 * next start sweeps: the records are already right. */
static void collect(bmd_store *s, const bnd_hash *gone, size_t n)
{
	char hex[BND_HASH_HEX_LEN + 1];

	for (size_t i = 0; i < n; i++) {
		bnd_hex(gone[i], BND_HASH_LEN, hex);
		(void)nx_file_remove(s->blobs, hex);
	}
	if (n)
		(void)nx_dir_sync(s->blobs);
}

/* Changes `id` from its old files to b's (b NULL: removes it), in one transaction. */
static int change(bmd_store *s, const char *id, const bnd_bundle *b, const char *step)
{
	const char *args[] = {id, NULL};
	bnd_hash *old = NULL, *new_ = NULL, *gone = NULL;
	size_t nold = 0, ngone = 0;
	struct bnd_plan p = {0};
	int r;

	r = old_hashes(s, id, &old, &nold);
	if (r >= 0 && b)
		r = new_hashes(b, &new_);
	if (r >= 0)
		r = bnd_plan_make(old, nold, new_, b ? bnd_bundle_file_count(b) : 0, &p);
	if (r >= 0 && b)
		r = stage_and_publish(s, b, &p);
	if (r >= 0 && b)
		crash_point("install-published");
	if (r >= 0)
		r = exec(s, "BEGIN IMMEDIATE");
	if (r >= 0) {
		r = run(s, "DELETE FROM files WHERE bundle = ?", args);
		if (r >= 0)
			r = run(s, "DELETE FROM caps WHERE bundle = ?", args);
		if (r >= 0)
			r = b ? put_bundle(s, b) : run(s, "DELETE FROM bundles WHERE id = ?", args);
		if (r >= 0 && b)
			r = put_files(s, b);
		if (r >= 0)
			r = apply_refs(s, b, &p, &gone, &ngone);
		if (r >= 0)
			r = exec(s, "COMMIT");
		if (r < 0)
			(void)exec(s, "ROLLBACK");
	}
	if (r >= 0) {
		crash_point(step);
		collect(s, gone, ngone);
		crash_point(b ? "install-done" : "remove-done");
	} else {
		(void)sweep(s, NULL); /* staged and published contents no record counts */
	}
	free(gone);
	bnd_plan_done(&p);
	free(old);
	free(new_);
	return r;
}

static int count_bundles(bmd_store *s, uint64_t *ret)
{
	sqlite3_stmt *st;
	int r = prepare(s, "SELECT COUNT(*) FROM bundles", &st, NULL);

	if (r < 0)
		return r;
	r = sqlite3_step(st) == SQLITE_ROW ? 0 : -EIO;
	if (r >= 0)
		*ret = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

int bmd_store_install(bmd_store *s, const bnd_bundle *b, uint64_t *ret_previous)
{
	struct bmd_record old;
	uint64_t n = 0;
	int r;

	r = bmd_store_get(s, bnd_bundle_id(b), &old);
	if (r == -ENOENT) {
		old.version = 0;
		r = count_bundles(s, &n);
		if (r >= 0 && n >= BUNDLEMGRD_BUNDLES_MAX)
			r = -EDQUOT;
	}
	if (r >= 0)
		r = change(s, bnd_bundle_id(b), b, "install-committed");
	if (r < 0)
		return r;
	*ret_previous = old.version;
	return 0;
}

int bmd_store_remove(bmd_store *s, const char *id, uint64_t *ret_version)
{
	struct bmd_record old;
	int r;

	r = bmd_store_get(s, id, &old);
	if (r >= 0)
		r = change(s, id, NULL, "remove-committed");
	if (r < 0)
		return r;
	*ret_version = old.version;
	return 0;
}
