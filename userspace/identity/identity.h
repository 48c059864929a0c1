/* SPDX-License-Identifier: MIT */
/*
 * userspace/identity: the rules of local users and their sessions (DESIGN.md section 7,
 * identityd), pure: no fds, no clock but the one passed in, no logging. identityd's adapter
 * keeps the records in SQLite and asks here what is allowed.
 *
 *   names      which user names exist at all, which passwords are accepted
 *   passwords  argon2id hashes (libsodium crypto_pwhash_str) at the cost limits-identity.h
 *              names, and their verification
 *   tokens     the one-way hash a session token is stored as
 *   sessions   whether a session record is live, expired or revoked at a given time
 *
 * Lockout (lockout.h) is a module of its own.
 */
#ifndef IDENTITY_IDENTITY_H
#define IDENTITY_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus/limits.h"

/* Room for an argon2id hash string with its NUL (libsodium's crypto_pwhash_STRBYTES). */
#define IDN_HASH_STR_SIZE 128u
/* A token hash, bytes. */
#define IDN_TOKEN_HASH_BYTES 32u

/* 0 if `name` (len bytes, not necessarily NUL-terminated) is a valid user name: 1..IDN_USER_MAX
 * bytes, a lower-case letter or '_' first, then lower-case letters, digits, '_' or '-'.
 * -EINVAL (empty, a byte outside the set: quotes, ';', spaces, NUL, upper case), -EMSGSIZE
 * (too long). */
int idn_user_check(const char *name, size_t len);

/* 0 if `password` (len bytes) is acceptable: 1..IDN_PASSWORD_MAX bytes without NUL. -EINVAL
 * (empty, NUL inside), -EMSGSIZE (longer than IDN_PASSWORD_MAX: refused, never cut). */
int idn_password_check(const char *password, size_t len);

/* The argon2id hash string of `password` (checked with idn_password_check first) at
 * IDN_PWHASH_OPSLIMIT / IDN_PWHASH_MEMLIMIT, salted by libsodium, into ret_hash (NUL-terminated).
 * 0, the check's error, or -ENOMEM (argon2id could not get its memory). */
int idn_password_hash(const char *password, size_t len, char ret_hash[IDN_HASH_STR_SIZE]);

/* 0 if `password` matches `hash` (a string from idn_password_hash), -EPERM if not or if
 * `hash` is not one, the check's error for a password that could never have been set. */
int idn_password_verify(const char *hash, const char *password, size_t len);

/* The hash a session token is stored and looked up as: BLAKE2b-256 of the token. A token has
 * 256 random bits, so a fast hash is enough: nothing to guess from a stolen store. */
void idn_token_hash(const uint8_t token[IDN_TOKEN_BYTES], uint8_t ret_hash[IDN_TOKEN_HASH_BYTES]);

/* A session record as identityd stores it. Times are realtime ns. */
struct idn_session {
	uint64_t id;
	char user[IDN_USER_MAX + 1];
	uint64_t created_ns;
	uint64_t expires_ns;
	bool revoked;
};

enum idn_session_state {
	IDN_SESSION_LIVE,
	IDN_SESSION_EXPIRED,
	IDN_SESSION_REVOKED,
};

/* A session made at `now_ns` for `user` (a valid name): expires ttl_ns later. */
void idn_session_init(
        struct idn_session *s, uint64_t id, const char *user, uint64_t now_ns, uint64_t ttl_ns);

/* A session lifetime in whole seconds (decimal digits only) into ns: 0, -EINVAL (not a
 * number), -ERANGE (outside IDN_SESSION_TTL_MIN_NS..IDN_SESSION_TTL_MAX_NS). */
int idn_session_ttl_parse(const char *text, uint64_t *ret_ns);

/* What `s` is at `now_ns`; when live, *ret_valid_for_ns (may be NULL) is the time it has left.
 * Revocation wins over expiry; a session is expired from its expiry on. */
enum idn_session_state idn_session_state(
        const struct idn_session *s, uint64_t now_ns, uint64_t *ret_valid_for_ns);

#endif
