/* SPDX-License-Identifier: MIT */
/*
 * bundlemgrd's store, beneath its state dir:
 *
 *   blobs/<sha256 hex>     file contents, stored once whatever bundles share them
 *   staging/<hex>.tmp      contents being installed, before they are blobs
 *   bundles.db             SQLite: bundles (id, version, publisher, entry, restart, limits,
 *                          canonical manifest), files (bundle, path -> hash, size, mode), caps
 *                          (bundle, cap), blobs (hash -> size, refs: bundles using it)
 *
 * Install, upgrade and remove are atomic: new contents are written to staging and synced,
 * renamed into blobs/ and synced, then the records change in one SQLite transaction (with the
 * reference counts of userspace/bundle's plan), then blobs no bundle uses any more are
 * removed. A crash at any point leaves the old records or the new ones; what it leaves besides
 * (staged files, blobs no record counts) is removed by bmd_store_open at the next start.
 *
 * NEXUS_BUNDLEMGRD_CRASH_AT=<step> (tests only) aborts the process at that step:
 * install-staged, install-published, install-committed, install-done, remove-committed,
 * remove-done.
 */
#ifndef BUNDLEMGRD_STORE_H
#define BUNDLEMGRD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle/check.h"

#define BMD_CRASH_ENV "NEXUS_BUNDLEMGRD_CRASH_AT"

typedef struct bmd_store bmd_store;

/* An installed bundle's record. */
struct bmd_record {
	char id[BND_ID_MAX + 1];
	uint64_t version;
	char key_id[BND_KEY_ID_LEN + 1];
	char entry[BND_PATH_MAX + 1];
	unsigned restart;
	struct bnd_limits limits;
	uint32_t nfiles;
	uint64_t bytes;
	char caps[BND_CAPS_MAX][BND_CAP_MAX + 1];
	size_t ncaps;
};

/* What recovery at open removed. */
struct bmd_recovery {
	unsigned staged;  /* files left in staging/ */
	unsigned orphans; /* blobs no record counts */
};

/* Opens (creating what is missing) the store beneath `dir` (borrowed) and recovers from an
 * interrupted change. 0 with *ret, or a negative errno (-EIO for SQLite's failures). */
int bmd_store_open(const char *dir, bmd_store **ret, struct bmd_recovery *ret_recovery);
bmd_store *bmd_store_free(bmd_store *s);

/* The record of `id`: 0, -ENOENT, -EIO. */
int bmd_store_get(bmd_store *s, const char *id, struct bmd_record *ret);

/* Installs or upgrades to the checked bundle `b` (its payload still mapped). 0 with
 * *ret_previous (0 when it was new), -EDQUOT (BUNDLEMGRD_BUNDLES_MAX installed already), or
 * -ENOSPC/-EIO/... (nothing changed). */
int bmd_store_install(bmd_store *s, const bnd_bundle *b, uint64_t *ret_previous);

/* Writes f's contents to staging/ ahead of bmd_store_install (which stages what is not
 * staged yet), starting their writeback: called for each file as the install's checks pass
 * it, while its bytes are in the CPU's caches, so the disk works while the next files are
 * hashed. Contents a blob holds already are skipped. Nothing is visible. */
int bmd_store_stage(bmd_store *s, const struct bnd_file *f);
/* After the last bmd_store_stage of a check: ends the read transaction they share. */
void bmd_store_stage_end(bmd_store *s);

/* Removes what bmd_store_stage wrote (the install failed a later check). */
void bmd_store_discard(bmd_store *s);

/* Removes `id`: 0 with *ret_version, -ENOENT, -EIO. */
int bmd_store_remove(bmd_store *s, const char *id, uint64_t *ret_version);

/* Up to max records with ids after `after` ("" for the first), in id order, into out;
 * *ret_n of them, *ret_more when another follows. */
int bmd_store_list(bmd_store *s, const char *after, struct bmd_record *out, size_t max,
        size_t *ret_n, bool *ret_more);

/* Calls fn for every record in id order; stops at fn's first negative return. */
int bmd_store_each(
        bmd_store *s, int (*fn)(void *userdata, const struct bmd_record *rec), void *userdata);

/* The canonical manifest of `id`: *ret (free()) of *ret_len bytes. -ENOENT, -EIO. */
int bmd_store_manifest(bmd_store *s, const char *id, void **ret, size_t *ret_len);

/* `path` of `id` as a sealed VMO: *ret_fd (the caller's), *ret_size, *ret_mode. -ENOENT (no
 * such bundle or file), -EBADMSG (the blob is missing or not its recorded size), -EIO. */
int bmd_store_open_file(bmd_store *s, const char *id, const char *path, int *ret_fd,
        size_t *ret_size, uint32_t *ret_mode);

/* Blobs stored and references counted, over the whole store (for the log and tests). */
int bmd_store_counts(bmd_store *s, uint64_t *ret_blobs, uint64_t *ret_refs);

#endif
