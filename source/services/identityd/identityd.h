/* SPDX-License-Identifier: MIT */
/*
 * identityd: local users and sessions (DESIGN.md section 7; identity.capnp). The adapter
 * between nx-svc connections, userspace/identity (rules, argon2id, lockout, session states),
 * the SQLite store (store.c), rngd (tokens) and samgrd (revocations).
 */
#ifndef IDENTITYD_IDENTITYD_H
#define IDENTITYD_IDENTITYD_H

#include <stdint.h>

#include "follow.h"
#include "identity.capnp.h"
#include "identity/identity.h"
#include "identity/lockout.h"
#include "rng.capnp.h"
#include "store.h"
#include "svc.h"

/* The database file in identityd's state dir ($NEXUS_STATE_DIR/identityd). */
#define IDD_DB_FILE "identity.db"
/* Environment knob: the session lifetime in seconds (limits-identity.h bounds it). */
#define IDD_ENV_SESSION_TTL "NEXUS_IDENTITY_SESSION_TTL"

struct idd_login;    /* a login waiting for its token from rngd (token.c) */
struct idd_announce; /* a call waiting for samgrd to hear of ended sessions (watcher.c) */

struct identityd {
	nx_svc *svc;
	idd_store *store;
	idn_lockout *lockout;
	/* What a login of an unknown user is checked against, so that it costs what a known
	 * user's does and tells nothing by its timing. */
	char dummy_hash[IDN_HASH_STR_SIZE];
	/* rngd (token.c), followed through samgrd. */
	nx_follow *rng_follow;
	struct rng *rng;
	struct idd_login *logins;
	/* samgrd's SessionWatcher (watcher.c). */
	struct identity_session_watcher *watcher;
	struct idd_announce *announces;
};

/* identityd.c: the Identity object served on every accepted connection, borrowing d. */
int idd_identity_new(struct identityd *d, struct identity **ret);
/* Its dispatch, also what runs calls held for a policy decision again. */
int idd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);
/* Fills a Session from a record. 0 or the builder's error. */
int idd_session_encode(identity_session_b b, const struct idn_session *s);
/* The interim rule while policyd cannot be asked: samgrd may verify, nobody administers. */
extern const struct pol_grant idd_interim_rule[];
extern const size_t idd_interim_rule_len;

/* audit.c: one journal record per login attempt and per change of users or sessions, with
 * the user, the caller's subject and the outcome as fields. Never a password or a token. */
void idd_audit(const char *event, const char *user, const char *subject, const char *outcome,
        uint64_t session);

/* token.c: follows rngd. login_finish asks rngd for a token for `user`'s new session and
 * answers `in` (kept) with it once stored: NX_RPC_ASYNC, or a negative errno (not answered:
 * rngd is not reachable). Held logins are failed when rngd goes or identityd stops. */
int idd_token_start(struct identityd *d);
void idd_token_stop(struct identityd *d);
int idd_login_finish(
        struct identityd *d, nx_rpc_incoming *in, const char *user, const char *subject);

/* watcher.c: replaces samgrd's watcher (referenced). announce tells it of `ended` and answers
 * `in` (may be NULL: nobody waits) with empty results once it answered, failed or was
 * dropped: returns 0 (answered now), NX_RPC_ASYNC, or a negative errno (not answered). */
void idd_watcher_set(struct identityd *d, struct identity_session_watcher *cb);
int idd_announce(struct identityd *d, nx_rpc_incoming *in, const struct idd_ended *ended);
void idd_watcher_stop(struct identityd *d);

#endif
