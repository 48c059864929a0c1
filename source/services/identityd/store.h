/* SPDX-License-Identifier: MIT */
/*
 * identityd's records in SQLite (one file in its state dir): users (name, argon2id hash,
 * creation time) and sessions (id never reused, user, token hash, creation, expiry, revoked).
 * Every change is one transaction, so a kill -9 leaves the old state or the new one. Names
 * and hashes are bound as parameters, never spliced into SQL. Times come from the caller
 * (realtime ns). Whether a name or password is acceptable is userspace/identity's to say;
 * the store assumes it was asked.
 */
#ifndef IDENTITYD_STORE_H
#define IDENTITYD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"

typedef struct idd_store idd_store;

struct idd_user {
	uint64_t created_ns;
	uint32_t sessions; /* live at the time of listing */
	char name[IDN_USER_MAX + 1];
};

/* Sessions that ended early in one change (removeUser, setPassword, a login past the
 * per-user cap, revoke): what samgrd must hear. */
struct idd_ended {
	uint64_t ids[IDN_SESSIONS_PER_USER_MAX];
	size_t n;
};

/* Opens (creating if absent) the database at `path`. 0, -ENOMEM, or -EIO (not a database,
 * cannot be created or read). */
int idd_store_open(const char *path, idd_store **ret);
/* Takes NULL, returns NULL. */
idd_store *idd_store_close(idd_store *st);

/* Sessions made from now on last ttl_ns (the default: IDN_SESSION_TTL_NS). */
void idd_store_set_session_ttl(idd_store *st, uint64_t ttl_ns);

/* -EEXIST (taken), -EDQUOT (IDN_USERS_MAX users), -EIO. */
int idd_store_user_add(idd_store *st, const char *name, const char *hash, uint64_t now_ns);
/* Removes `name` and its sessions; the live ones in *ret_ended. -ENOENT, -EIO. */
int idd_store_user_remove(
        idd_store *st, const char *name, uint64_t now_ns, struct idd_ended *ret_ended);
/* Replaces the hash and revokes every session (in *ret_ended). -ENOENT, -EIO. */
int idd_store_user_set_hash(idd_store *st, const char *name, const char *hash, uint64_t now_ns,
        struct idd_ended *ret_ended);
/* The hash of `name`. -ENOENT, -EIO. */
int idd_store_user_hash(idd_store *st, const char *name, char ret_hash[IDN_HASH_STR_SIZE]);
/* Users after `after` ("" from the start) by name, up to `max`, into users; returns how many
 * and sets *ret_more when others follow. -EIO. */
int idd_store_users_list(idd_store *st, const char *after, uint64_t now_ns, struct idd_user *users,
        size_t max, bool *ret_more);

/* A new session for `user` (must exist: -ENOENT) with token hash `token_hash`, created at
 * now_ns, into *ret. Past IDN_SESSIONS_PER_USER_MAX live sessions the oldest is revoked (in
 * *ret_ended). Expired rows are purged on the way. -EEXIST (the token hash is taken), -EIO. */
int idd_store_session_add(idd_store *st, const char *user,
        const uint8_t token_hash[IDN_TOKEN_HASH_BYTES], uint64_t now_ns, struct idn_session *ret,
        struct idd_ended *ret_ended);
/* The session of `token_hash` whatever its state (the caller asks idn_session_state).
 * -ENOENT, -EIO. */
int idd_store_session_find(
        idd_store *st, const uint8_t token_hash[IDN_TOKEN_HASH_BYTES], struct idn_session *ret);
/* Revokes session `id` if live; only when it is `user`'s, unless user is NULL. -ENOENT (no
 * such live session, or not user's), -EIO. */
int idd_store_session_revoke(idd_store *st, uint64_t id, const char *user, uint64_t now_ns);
/* Live sessions (of `user`, or everyone's with NULL), newest first, up to max. Returns how
 * many, or -EIO. */
int idd_store_sessions_list(
        idd_store *st, const char *user, uint64_t now_ns, struct idn_session *sessions, size_t max);

#endif
