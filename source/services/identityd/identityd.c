/* SPDX-License-Identifier: MIT */
/*
 * identityd's handlers (identity.capnp). The subject comes from the connection (nx-svc), never
 * from a payload; capabilities are policyd's to grant (identity.admin for the operator,
 * identity.verify for samgrd); the rules are userspace/identity's; the records the store's.
 * Handlers that ask policyd decide before they change anything: a call held for a decision runs
 * again from the start.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "identityd.h"
#include "nx-abi/clock.h"
#include "nx-log/log.h"

#define CAP_ADMIN  "identity.admin"
#define CAP_VERIFY "identity.verify"
/* The subject prefix of a connection samgrd authenticated. */
#define USER_PREFIX "user:"

const struct pol_grant idd_interim_rule[] = {{"svc:samgrd", CAP_VERIFY}};
const size_t idd_interim_rule_len = 1;

static const char *subject_of(struct identityd *d, nx_rpc_incoming *in)
{
	const char *subject = nx_svc_subject(d->svc, in);

	return subject ? subject : "";
}

/* The user a user:<name> subject is, else NULL. */
static const char *own_user(const char *subject)
{
	size_t n = strlen(USER_PREFIX);

	return strncmp(subject, USER_PREFIX, n) == 0 ? subject + n : NULL;
}

/* 0 with *ret_ok: true if the caller's subject holds `cap`; false once `in` was answered with
 * denied. Otherwise NX_RPC_ASYNC (held for policyd) or an error, for the handler to return. */
static int check_cap(struct identityd *d, nx_rpc_incoming *in, const char *cap, bool *ret_ok)
{
	bool allowed;
	int r = nx_svc_allowed(d->svc, in, cap, &allowed);

	if (r != 0)
		return r;
	*ret_ok = allowed;
	if (!allowed)
		(void)nx_rpc_incoming_failf(in, -EPERM, "%s lacks %s", subject_of(d, in), cap);
	return 0;
}

/* A name param (length and NUL checked by the schema) into `name` if it follows the rules;
 * otherwise `in` is answered and -EINVAL returned (the handler then returns 0). */
static int read_name(nx_rpc_incoming *in, const char *text, size_t len, char name[IDN_USER_MAX + 1])
{
	if (idn_user_check(text, len) < 0) {
		(void)nx_rpc_incoming_failf(in, -EINVAL,
		        "name: not 1..%u bytes of a lower-case letter or _, then [a-z0-9_-]",
		        IDN_USER_MAX);
		return -EINVAL;
	}
	memcpy(name, text, len);
	name[len] = '\0';
	return 0;
}

/* A token param of exactly IDN_TOKEN_BYTES, into its hash; else `in` is answered, -EINVAL. */
static int read_token(
        nx_rpc_incoming *in, const uint8_t *token, size_t len, uint8_t hash[IDN_TOKEN_HASH_BYTES])
{
	if (len != IDN_TOKEN_BYTES) {
		(void)nx_rpc_incoming_failf(in, -EINVAL, "token: not %u bytes", IDN_TOKEN_BYTES);
		return -EINVAL;
	}
	idn_token_hash(token, hash);
	return 0;
}

/* The live session of a token hash at realtime now; `in` answered with denied otherwise. */
static int live_session(struct identityd *d, nx_rpc_incoming *in,
        const uint8_t hash[IDN_TOKEN_HASH_BYTES], struct idn_session *ret, uint64_t *ret_valid_for)
{
	int r = idd_store_session_find(d->store, hash, ret);

	if (r == -EIO) {
		(void)nx_rpc_incoming_failf(in, r, "cannot read the session store");
		return r;
	}
	if (r < 0 ||
	        idn_session_state(ret, nx_clock_realtime_ns(), ret_valid_for) != IDN_SESSION_LIVE) {
		(void)nx_rpc_incoming_failf(in, -EPERM, "token: expired, revoked or unknown");
		return -EPERM;
	}
	return 0;
}

int idd_session_encode(identity_session_b b, const struct idn_session *s)
{
	identity_session_set_id(b, s->id);
	identity_session_set_created_at(b, s->created_ns);
	identity_session_set_expires_at(b, s->expires_ns);
	return identity_session_set_user(b, s->user, strlen(s->user));
}

/* Answers a store failure of a user change. */
static int fail_store(nx_rpc_incoming *in, int r, const char *name)
{
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(in, r, "name: no user %s", name);
	if (r == -EEXIST)
		return nx_rpc_incoming_failf(in, r, "name: user %s exists", name);
	if (r == -EDQUOT)
		return nx_rpc_incoming_failf(in, r, "too many users (%u)", IDN_USERS_MAX);
	return nx_rpc_incoming_failf(in, -EIO, "cannot update the user store");
}

/* The argon2id hash of a password param (the schema checked length and NUL). */
static int hash_password(
        nx_rpc_incoming *in, const char *pw, size_t len, char hash[IDN_HASH_STR_SIZE])
{
	int r = idn_password_hash(pw, len, hash);

	if (r == -EMSGSIZE)
		(void)nx_rpc_incoming_failf(
		        in, r, "password: longer than %u bytes", IDN_PASSWORD_MAX);
	else if (r < 0)
		(void)nx_rpc_incoming_failf(in, r == -EINVAL ? r : -EIO, "password: %s",
		        r == -EINVAL ? "empty or contains NUL" : "cannot be hashed now");
	return r;
}

static int serve_add_user(void *impl, nx_rpc_incoming *in, identity_add_user_params params)
{
	struct identityd *d = impl;
	char name[IDN_USER_MAX + 1], hash[IDN_HASH_STR_SIZE];
	const char *text, *pw;
	size_t len, pwlen;
	bool ok;
	int r = check_cap(d, in, CAP_ADMIN, &ok);

	if (r != 0 || !ok)
		return r;
	(void)identity_add_user_params_get_name(params, &text, &len); /* validated already */
	(void)identity_add_user_params_get_password(params, &pw, &pwlen);
	if (read_name(in, text, len, name) < 0 || hash_password(in, pw, pwlen, hash) < 0)
		return 0;
	r = idd_store_user_add(d->store, name, hash, nx_clock_realtime_ns());
	idd_audit("user.add", name, subject_of(d, in), r < 0 ? "refused" : "ok", 0);
	if (r < 0)
		return fail_store(in, r, name);
	return identity_add_user_return(in);
}

static int serve_remove_user(void *impl, nx_rpc_incoming *in, identity_remove_user_params params)
{
	struct identityd *d = impl;
	char name[IDN_USER_MAX + 1];
	struct idd_ended ended;
	const char *text;
	size_t len;
	bool ok;
	int r = check_cap(d, in, CAP_ADMIN, &ok);

	if (r != 0 || !ok)
		return r;
	(void)identity_remove_user_params_get_name(params, &text, &len);
	if (read_name(in, text, len, name) < 0)
		return 0;
	r = idd_store_user_remove(d->store, name, nx_clock_realtime_ns(), &ended);
	idd_audit("user.remove", name, subject_of(d, in), r < 0 ? "refused" : "ok", 0);
	if (r < 0)
		return fail_store(in, r, name);
	return idd_announce(d, in, &ended);
}

static int serve_set_password(void *impl, nx_rpc_incoming *in, identity_set_password_params params)
{
	struct identityd *d = impl;
	char name[IDN_USER_MAX + 1], hash[IDN_HASH_STR_SIZE];
	struct idd_ended ended;
	const char *text, *pw;
	size_t len, pwlen;
	bool ok;
	int r = check_cap(d, in, CAP_ADMIN, &ok);

	if (r != 0 || !ok)
		return r;
	(void)identity_set_password_params_get_name(params, &text, &len);
	(void)identity_set_password_params_get_password(params, &pw, &pwlen);
	if (read_name(in, text, len, name) < 0 || hash_password(in, pw, pwlen, hash) < 0)
		return 0;
	r = idd_store_user_set_hash(d->store, name, hash, nx_clock_realtime_ns(), &ended);
	idd_audit("user.passwd", name, subject_of(d, in), r < 0 ? "refused" : "ok", 0);
	if (r < 0)
		return fail_store(in, r, name);
	return idd_announce(d, in, &ended);
}

static int serve_list_users(void *impl, nx_rpc_incoming *in, identity_list_users_params params)
{
	struct identityd *d = impl;
	struct idd_user users[IDN_USERS_LIST_MAX];
	char after[IDN_USER_MAX + 1];
	identity_list_users_results_b out;
	nx_capnp_blist list;
	const char *text;
	size_t len;
	bool ok, more;
	int n, r = check_cap(d, in, CAP_ADMIN, &ok);

	if (r != 0 || !ok)
		return r;
	(void)identity_list_users_params_get_after(params, &text, &len); /* <= 32 bytes */
	memcpy(after, text, len);
	after[len] = '\0';
	n = idd_store_users_list(
	        d->store, after, nx_clock_realtime_ns(), users, IDN_USERS_LIST_MAX, &more);
	if (n < 0)
		return nx_rpc_incoming_failf(in, -EIO, "cannot read the user store");
	r = identity_list_users_results_init(in, &out);
	if (r >= 0)
		r = identity_list_users_results_init_users(out, (uint32_t)n, &list);
	for (int i = 0; r >= 0 && i < n; i++) {
		identity_user_entry_b e = identity_user_entry_b_at(&list, (uint32_t)i);

		r = identity_user_entry_set_name(e, users[i].name, strlen(users[i].name));
		identity_user_entry_set_created_at(e, users[i].created_ns);
		identity_user_entry_set_sessions(e, users[i].sessions);
	}
	if (r >= 0)
		identity_list_users_results_set_more(out, more);
	return nx_rpc_incoming_return_built(in, r);
}

/* The lockout keys of a login: the user tried and the caller. */
static void lockout_keys(const char *name, const char *subject, char ukey[IDN_LOCKOUT_KEY_MAX + 1],
        char skey[IDN_LOCKOUT_KEY_MAX + 1])
{
	(void)snprintf(ukey, IDN_LOCKOUT_KEY_MAX + 1, "u/%s", name);
	(void)snprintf(skey, IDN_LOCKOUT_KEY_MAX + 1, "s/%s", subject);
}

static int serve_login(void *impl, nx_rpc_incoming *in, identity_login_params params)
{
	struct identityd *d = impl;
	char name[IDN_USER_MAX + 1], hash[IDN_HASH_STR_SIZE];
	char ukey[IDN_LOCKOUT_KEY_MAX + 1], skey[IDN_LOCKOUT_KEY_MAX + 1];
	const char *subject = subject_of(d, in), *text, *pw, *who;
	uint64_t now = nx_clock_monotonic_ns(), wait = 0, uwait = 0;
	size_t len, pwlen;
	bool known;
	int r;

	(void)identity_login_params_get_user(params, &text, &len);
	(void)identity_login_params_get_password(params, &pw, &pwlen);
	if (read_name(in, text, len, name) < 0)
		return 0;
	r = idd_store_user_hash(d->store, name, hash);
	if (r < 0 && r != -ENOENT)
		return nx_rpc_incoming_failf(in, -EIO, "cannot read the user store");
	known = r == 0;
	who = known ? name : "(unknown)";
	lockout_keys(name, subject, ukey, skey);
	if (idn_lockout_check(d->lockout, ukey, now, &uwait) == -EAGAIN ||
	        idn_lockout_check(d->lockout, skey, now, &wait) == -EAGAIN) {
		wait = uwait > wait ? uwait : wait;
		idd_audit("login", who, subject, "locked", 0);
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "login: too many failed attempts; retry in %" PRIu64 " s",
		        (wait + 999999999u) / 1000000000u);
	}
	/* An unknown user costs one argon2id verification too: timing tells nothing. */
	r = idn_password_verify(known ? hash : d->dummy_hash, pw, pwlen);
	if (r < 0 || !known) {
		(void)idn_lockout_fail(d->lockout, ukey, now);
		(void)idn_lockout_fail(d->lockout, skey, now);
		idd_audit("login", who, subject, "wrong-password", 0);
		return nx_rpc_incoming_failf(in, -EPERM, "login: wrong user name or password");
	}
	/* Only the user's count starts over: a subject that knows one password may not go on
	 * guessing others' for free. */
	idn_lockout_clear(d->lockout, ukey);
	r = idd_login_finish(d, in, name, subject);
	if (r < 0) {
		idd_audit("login", name, subject, "no-token", 0);
		return nx_rpc_incoming_failf(in, -EAGAIN, "rngd is not reachable: no token now");
	}
	return r;
}

static int serve_whoami(void *impl, nx_rpc_incoming *in, identity_whoami_params params)
{
	struct identityd *d = impl;
	const char *subject = subject_of(d, in);
	uint8_t hash[IDN_TOKEN_HASH_BYTES];
	identity_whoami_results_b out;
	identity_session_b sb;
	struct idn_session s;
	const uint8_t *token;
	size_t len;
	int r;

	(void)identity_whoami_params_get_token(params, &token, &len);
	if (len > 0 &&
	        (read_token(in, token, len, hash) < 0 || live_session(d, in, hash, &s, NULL) < 0))
		return 0;
	r = identity_whoami_results_init(in, &out);
	if (r >= 0)
		r = identity_whoami_results_set_subject(out, subject, strlen(subject));
	if (r >= 0 && len > 0) {
		r = identity_whoami_results_init_session(out, &sb);
		if (r >= 0)
			r = idd_session_encode(sb, &s);
	}
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_list_sessions(
        void *impl, nx_rpc_incoming *in, identity_list_sessions_params params)
{
	struct identityd *d = impl;
	struct idn_session sessions[IDN_SESSIONS_PER_USER_MAX];
	identity_list_sessions_results_b out;
	const char *user = own_user(subject_of(d, in));
	nx_capnp_blist list;
	bool admin;
	int n = 0, r = nx_svc_allowed(d->svc, in, CAP_ADMIN, &admin);

	if (r != 0)
		return r;
	if (admin || user)
		n = idd_store_sessions_list(d->store, admin ? NULL : user, nx_clock_realtime_ns(),
		        sessions, IDN_SESSIONS_PER_USER_MAX);
	if (n < 0)
		return nx_rpc_incoming_failf(in, -EIO, "cannot read the session store");
	r = identity_list_sessions_results_init(in, &out);
	if (r >= 0)
		r = identity_list_sessions_results_init_sessions(out, (uint32_t)n, &list);
	for (int i = 0; r >= 0 && i < n; i++)
		r = idd_session_encode(identity_session_b_at(&list, (uint32_t)i), &sessions[i]);
	return nx_rpc_incoming_return_built(in, r);
}

/* Ends session `id` (of `user`, or anyone's with NULL), audits, and tells samgrd before
 * answering. */
static int end_session(struct identityd *d, nx_rpc_incoming *in, const char *event, uint64_t id,
        const char *user, const char *audit_user)
{
	struct idd_ended ended = {.ids = {id}, .n = 1};
	int r = idd_store_session_revoke(d->store, id, user, nx_clock_realtime_ns());

	idd_audit(event, audit_user, subject_of(d, in), r < 0 ? "refused" : "ok", id);
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(
		        in, r, "id: no live session %" PRIu64 "%s", id, user ? " of yours" : "");
	if (r < 0)
		return nx_rpc_incoming_failf(in, -EIO, "cannot update the session store");
	return idd_announce(d, in, &ended);
}

static int serve_revoke(void *impl, nx_rpc_incoming *in, identity_revoke_params params)
{
	struct identityd *d = impl;
	const char *subject = subject_of(d, in), *user = own_user(subject);
	bool admin;
	int r = nx_svc_allowed(d->svc, in, CAP_ADMIN, &admin);

	if (r != 0)
		return r;
	if (!admin && !user)
		return nx_rpc_incoming_failf(in, -EPERM,
		        "%s lacks %s and is no user: (Samgr.authenticate first)", subject,
		        CAP_ADMIN);
	return end_session(d, in, "session.revoke", identity_revoke_params_get_id(params),
	        admin ? NULL : user, admin ? "*" : user);
}

static int serve_logout(void *impl, nx_rpc_incoming *in, identity_logout_params params)
{
	struct identityd *d = impl;
	uint8_t hash[IDN_TOKEN_HASH_BYTES];
	struct idn_session s;
	const uint8_t *token;
	size_t len;

	(void)identity_logout_params_get_token(params, &token, &len);
	if (read_token(in, token, len, hash) < 0 || live_session(d, in, hash, &s, NULL) < 0)
		return 0;
	return end_session(d, in, "logout", s.id, NULL, s.user);
}

static int serve_verify(void *impl, nx_rpc_incoming *in, identity_verify_params params)
{
	struct identityd *d = impl;
	uint8_t hash[IDN_TOKEN_HASH_BYTES];
	identity_verify_results_b out;
	identity_session_b sb;
	struct idn_session s;
	const uint8_t *token;
	uint64_t valid_for = 0;
	size_t len;
	bool ok;
	int r = check_cap(d, in, CAP_VERIFY, &ok);

	if (r != 0 || !ok)
		return r;
	(void)identity_verify_params_get_token(params, &token, &len);
	if (read_token(in, token, len, hash) < 0 || live_session(d, in, hash, &s, &valid_for) < 0)
		return 0;
	r = identity_verify_results_init(in, &out);
	if (r >= 0)
		r = identity_verify_results_init_session(out, &sb);
	if (r >= 0)
		r = idd_session_encode(sb, &s);
	if (r >= 0)
		identity_verify_results_set_valid_for_ns(out, valid_for);
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_watch_sessions(
        void *impl, nx_rpc_incoming *in, identity_watch_sessions_params params)
{
	struct identityd *d = impl;
	struct identity_session_watcher *cb = NULL;
	bool ok;
	int r = check_cap(d, in, CAP_VERIFY, &ok);

	if (r != 0 || !ok)
		return r;
	r = identity_watch_sessions_params_get_cb(params, &cb);
	if (r < 0 || nx_rpc_cap_get_local(identity_session_watcher_cap(cb), NULL, NULL)) {
		nx_rpc_cap_unref(identity_session_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EINVAL, "cb: no SessionWatcher given");
	}
	idd_watcher_set(d, cb);
	nx_rpc_cap_unref(identity_session_watcher_cap(cb));
	nx_log(NX_LOG_INFO, "session", "%s watches sessions", subject_of(d, in));
	return identity_watch_sessions_return(in);
}

static const struct identity_server identity_vt = {
        .add_user = serve_add_user,
        .remove_user = serve_remove_user,
        .set_password = serve_set_password,
        .list_users = serve_list_users,
        .login = serve_login,
        .whoami = serve_whoami,
        .list_sessions = serve_list_sessions,
        .revoke = serve_revoke,
        .logout = serve_logout,
        .verify = serve_verify,
        .watch_sessions = serve_watch_sessions,
};

int idd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	return identity_dispatch(&identity_vt, impl, in, interface_id, method_id);
}

int idd_identity_new(struct identityd *d, struct identity **ret)
{
	return identity_server_new(&identity_vt, d, NULL, ret);
}
