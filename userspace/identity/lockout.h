/* SPDX-License-Identifier: MIT */
/*
 * Lockout with back-off after failed logins, per key: identityd counts each failure against
 * the user tried ("u/<name>", known or not, so guessing names costs the same) and against the
 * caller's subject ("s/<subject>", so trying many names from one connection does not escape).
 * IDN_LOCKOUT_FREE_FAILURES failures cost nothing; each further one locks the key for
 * IDN_LOCKOUT_FIRST_NS doubling up to IDN_LOCKOUT_MAX_NS, from that failure on. A success
 * clears the key; one quiet for IDN_LOCKOUT_FORGET_NS starts over. Time comes from the caller
 * (monotonic ns). Kept in memory: a restart of identityd forgets it.
 */
#ifndef IDENTITY_LOCKOUT_H
#define IDENTITY_LOCKOUT_H

#include <stdint.h>

#include "nexus/limits.h"

typedef struct idn_lockout idn_lockout;

/* An empty table of IDN_LOCKOUT_KEYS_MAX keys. 0 or -ENOMEM. */
int idn_lockout_new(idn_lockout **ret);
/* Takes NULL, returns NULL. */
idn_lockout *idn_lockout_free(idn_lockout *l);

/* 0 if `key` may try now; -EAGAIN if it is locked, with *ret_wait_ns the time left.
 * -EINVAL for a key empty or longer than IDN_LOCKOUT_KEY_MAX. */
int idn_lockout_check(
        const idn_lockout *l, const char *key, uint64_t now_ns, uint64_t *ret_wait_ns);

/* Counts one failure of `key` at now_ns. When the table is full another key is forgotten
 * (lockout.c says which). -EINVAL as for check. */
int idn_lockout_fail(idn_lockout *l, const char *key, uint64_t now_ns);

/* A success: `key` starts over. */
void idn_lockout_clear(idn_lockout *l, const char *key);

#endif
