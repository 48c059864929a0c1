/* SPDX-License-Identifier: MIT */
/*
 * identityd: local users and sessions (DESIGN.md section 7; identity.capnp). Started by
 * nexus-init after logd and rngd; registers "identityd" and serves Identity to every channel
 * samgrd brokers.
 *
 *   the rules     userspace/identity: names, argon2id (limits-identity.h), lockout, sessions
 *   the records   store.c: SQLite at $NEXUS_STATE_DIR/identityd/identity.db, transactions
 *   the handlers  identityd.c (subject from the connection, policy per method, section 9)
 *   tokens        token.c: 256 bits from rngd, followed through samgrd
 *   revocations   watcher.c: samgrd's SessionWatcher hears of every session ended early
 *   the audit     audit.c: every login and change as a journal record, never a secret
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identityd.h"
#include "nx-log/log.h"

static int store_open(struct identityd *d)
{
	const char *dir = getenv("NEXUS_STATE_DIR");
	char path[PATH_MAX];
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/identityd/" IDD_DB_FILE,
	            dir && *dir ? dir : "./.nexus/state") >= sizeof(path))
		return -ENAMETOOLONG;
	r = idd_store_open(path, &d->store);
	if (r < 0)
		nx_log(NX_LOG_ERROR, "store", "cannot open %s: %s", path, strerror(-r));
	return r;
}

/* $NEXUS_IDENTITY_SESSION_TTL: the session lifetime in seconds; absent or empty keeps 12 h. */
static int session_ttl(struct identityd *d)
{
	const char *env = getenv(IDD_ENV_SESSION_TTL);
	uint64_t ttl;
	int r;

	if (!env || !*env)
		return 0;
	r = idn_session_ttl_parse(env, &ttl);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "config", "%s=%s: %s (seconds, %llu..%llu)",
		        IDD_ENV_SESSION_TTL, env, r == -ERANGE ? "out of range" : "malformed",
		        IDN_SESSION_TTL_MIN_NS / 1000000000u, IDN_SESSION_TTL_MAX_NS / 1000000000u);
		return r;
	}
	idd_store_set_session_ttl(d->store, ttl);
	return 0;
}

int main(void)
{
	struct identityd d = {0};
	struct identity *identity = NULL;
	int r, code = 1;

	r = nx_svc_new("identityd", &d.svc); /* nx_log_init("identityd") */
	if (r >= 0)
		r = sodium_init() < 0 ? -EIO : 0;
	if (r >= 0)
		r = store_open(&d);
	if (r >= 0)
		r = session_ttl(&d);
	if (r >= 0)
		r = idn_lockout_new(&d.lockout);
	if (r >= 0) /* any password: an unknown user fails whatever its verification says */
		r = idn_password_hash("\x7f", 1, d.dummy_hash);
	if (r >= 0)
		r = idd_token_start(&d);
	if (r >= 0)
		r = nx_svc_policy_start(
		        d.svc, idd_interim_rule, idd_interim_rule_len, idd_dispatch, &d);
	if (r >= 0)
		r = idd_identity_new(&d, &identity);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
	else
		code = nx_svc_run(d.svc, identity_cap(identity));
	nx_rpc_cap_unref(identity_cap(identity));
	idd_token_stop(&d);
	idd_watcher_stop(&d);
	nx_svc_free(d.svc);
	idn_lockout_free(d.lockout);
	idd_store_close(d.store);
	return code;
}
