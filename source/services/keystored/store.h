/* SPDX-License-Identifier: MIT */
/*
 * keystored's store: the sealed keys in SQLite (keys.db) and the key-encryption key (kek),
 * both in keystored's state dir, which Landlock keeps every other process out of.
 *
 * Every change is one SQLite transaction (rollback journal, synchronous=FULL, secure_delete):
 * a kill -9 at any point leaves the old state or the new one. The KEK file is created once,
 * whole or not at all (nx_file_create_atomic), 0600. The first boot makes, in this order, the
 * tables (so keys.db is never empty once a KEK exists), the KEK, the device key; a restart
 * finishes what a crash left undone. A store that does not add up (keys.db damaged, emptied
 * or gone while a KEK exists, a KEK missing while keys exist, a KEK file damaged, a record
 * that fails authentication) is -EBADMSG with kss_why() saying what: `integrity:` on the wire.
 *
 * Secrets (the KEK, a key being used) live in sodium_malloc'ed memory (locked, guarded) and
 * are wiped after each use; no function returns private key material.
 * Call sodium_init() once before kss_open.
 */
#ifndef KEYSTORED_STORE_H
#define KEYSTORED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keystore/crash.h"
#include "keystore/record.h"
#include "keystore/ref.h"

typedef struct kss kss;

#define KSS_DB_FILE  "keys.db"
#define KSS_KEK_FILE "kek"
/* Longest kss_why() text. */
#define KSS_WHY_MAX 200

/* One of a subject's keys, as kss_list gives it. */
struct kss_key {
	char name[KS_NAME_MAX + 1];
	uint8_t public[KS_PUBLIC_LEN];
	uint64_t created_ns;
};

/* Opens (creating if need be) the store in the directory `dir`. `crash_at` (tests) aborts the
 * process when a write reaches that step. 0 with *ret; -EBADMSG when the store does not add
 * up, with ret_why (KSS_WHY_MAX + 1 bytes) saying what; -ENOMEM, -EIO, or the errno of the
 * directory. */
int kss_open(const char *dir, enum ks_step crash_at, kss **ret, char *ret_why);

/* True until the device key exists: kss_provision must run first (with rngd's bytes). Keys
 * cannot be created, nor the device key used, before. */
bool kss_needs_provision(const kss *s);

/* First boot (or finishing one a crash interrupted): makes the KEK if there is none, then the
 * device key, from `entropy` (rngd's, KS_PROVISION_ENTROPY bytes: KEK, seed, nonce; the KEK
 * part is unused when a KEK exists). 0 (also when already provisioned: nothing changes),
 * -EBADMSG, -EIO, -ENOMEM. */
int kss_provision(kss *s, const uint8_t entropy[KS_PROVISION_ENTROPY], uint64_t now_ns);

/* Stores a new key (owner, name) made from `entropy` (KS_CREATE_ENTROPY bytes); 0 with
 * ret_public. -EEXIST, -EDQUOT (owner holds KS_KEYS_PER_SUBJECT keys), -EAGAIN (not
 * provisioned), -EBADMSG, -EIO. */
int kss_create(kss *s, const char *owner, const char *name,
        const uint8_t entropy[KS_CREATE_ENTROPY], uint64_t now_ns,
        uint8_t ret_public[KS_PUBLIC_LEN]);

/* Deletes the key (owner, name): 0, -ENOENT, -EBADMSG, -EIO. */
int kss_delete(kss *s, const char *owner, const char *name);

/* The key's public key, after checking its record authenticates: 0, -ENOENT, -EAGAIN (the
 * device key before provisioning), -EBADMSG, -EIO. */
int kss_public(kss *s, const struct ks_ref *ref, uint8_t ret_public[KS_PUBLIC_LEN]);

/* Signs data (len bytes) in `domain` (ks_domain_valid) with the key: 0 with ret_sig, or the
 * errors of kss_public, -EINVAL (domain). */
int kss_sign(kss *s, const struct ks_ref *ref, const char *domain, const void *data, size_t len,
        uint8_t ret_sig[KS_SIGNATURE_LEN]);

/* Up to `max` of owner's keys, by name, into ret_keys (room for max): 0 with *ret_n,
 * -EBADMSG, -EIO. */
int kss_list(kss *s, const char *owner, struct kss_key *ret_keys, size_t max, size_t *ret_n);

/* What the last -EBADMSG was about ("" if none). */
const char *kss_why(const kss *s);

/* Closes the database and wipes the secrets. Takes NULL, returns NULL. */
kss *kss_free(kss *s);

#endif
