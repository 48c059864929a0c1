/* SPDX-License-Identifier: MIT */
/* Limits of identityd and userspace/identity (users, passwords, lockout, sessions), included
 * by limits.h. Times in nanoseconds. Freestanding. */
#ifndef NEXUS_LIMITS_IDENTITY_H
#define NEXUS_LIMITS_IDENTITY_H

/* User names: 1..32 bytes of [a-z_][a-z0-9_-]* (identity.capnp's identityUserMaxLen). */
#define IDN_USER_MAX 32u
/* Passwords: 1..256 bytes, no NUL (identityPasswordMaxLen). Longer is refused, never cut:
 * argon2id takes any length, the cap keeps a login inside one control message. */
#define IDN_PASSWORD_MAX 256u
/* Session tokens: 256 bits from rngd; identityd stores only their BLAKE2b-256 hash. */
#define IDN_TOKEN_BYTES 32u

/* argon2id cost (libsodium crypto_pwhash_str), libsodium's INTERACTIVE level: 2 passes over
 * 64 MiB. One login costs 0.15-0.26 s of one core here (docs/PERFORMANCE.md) and 64 MiB for
 * that moment: an online attacker gets a few guesses per second per core before lockout slows
 * them further, and a device with 256 MiB free can still afford it. password.c checks they equal libsodium's. */
#define IDN_PWHASH_OPSLIMIT 2u
#define IDN_PWHASH_MEMLIMIT (64u * 1024u * 1024u)

/* Lockout: this many failed logins per key (a user, a caller subject) cost nothing; each
 * further one makes the key wait IDN_LOCKOUT_FIRST_NS, doubling up to IDN_LOCKOUT_MAX_NS. A
 * key with no failure for IDN_LOCKOUT_FORGET_NS starts over; a success clears it. */
#define IDN_LOCKOUT_FREE_FAILURES 3u
#define IDN_LOCKOUT_FIRST_NS      1000000000ull   /* 1 s */
#define IDN_LOCKOUT_MAX_NS        300000000000ull /* 5 min */
#define IDN_LOCKOUT_FORGET_NS     900000000000ull /* 15 min */
/* Keys the lockout table tracks at once; past it the least recently failed unlocked key is
 * forgotten (or, when all are locked, the one whose lock ends first). */
#define IDN_LOCKOUT_KEYS_MAX 1024u
/* Longest key: "s/" + a subject. */
#define IDN_LOCKOUT_KEY_MAX 136u

/* A session lives 12 h from login unless revoked; $NEXUS_IDENTITY_SESSION_TTL (seconds) may
 * set 1 s .. 30 days instead. */
#define IDN_SESSION_TTL_NS     43200000000000ull
#define IDN_SESSION_TTL_MIN_NS 1000000000ull
#define IDN_SESSION_TTL_MAX_NS 2592000000000000ull
/* Live sessions per user (identitySessionsMax): a login past it ends the oldest. */
#define IDN_SESSIONS_PER_USER_MAX 32u
/* Users identityd keeps. */
#define IDN_USERS_MAX 4096u
/* Users one listUsers() answer carries (identityUsersListMax). */
#define IDN_USERS_LIST_MAX 32u

#endif
