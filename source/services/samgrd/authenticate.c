/* SPDX-License-Identifier: MIT */
/*
 * Samgr.authenticate (DESIGN.md section 3, subjects): a samgr.sock connection presents an
 * identityd session token; samgrd asks identityd verify() over its own channel (made when
 * identityd registers, as for policyd and logd: broker.c, subject svc:samgrd) and from then
 * on the connection's subject is user:<name> for every resolve and check.
 *
 * Losing it, the choice made here: identityd announces every session that ends early
 * (revoke, logout, removeUser, setPassword) to the SessionWatcher samgrd gave it, and
 * answers the revoking call only once samgrd took it; samgrd checks expiry itself (verify
 * says how long the session has left) on each call. Either way the connection is its own
 * subject (uid:<n>) again from its next call on. If the channel to identityd breaks, every
 * connection loses user: at once (fail closed: a revocation could not be heard); tokens stay
 * valid, so clients authenticate again once identityd is back. The connection stays counted
 * against its own subject's connection limit throughout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.capnp.h"
#include "nx-abi/clock.h"
#include "nx-log/log.h"
#include "samgrd.h"

/* Only connections made through samgr.sock authenticate. */
#define UID_PREFIX  "uid:"
#define USER_PREFIX "user:"

struct samgrd_auth {
	char own_subject[NX_SVC_SUBJECT_MAX + 1]; /* uid:<n>, to go back to */
	uint64_t session;
	uint64_t expires_ns; /* monotonic */
};

/* An authenticate() waiting for identityd's verify(). */
struct pending {
	struct pending *next;
	struct samgrd_ident *ident;
	struct samgrd_client *c;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* NULL once answered */
};

struct samgrd_ident {
	struct samgrd *d;
	nx_rpc_conn *conn;
	nx_rpc_call *accept;
	struct identity *identity;                /* the channel's bootstrap */
	struct identity_session_watcher *watcher; /* served to identityd */
	struct pending *pending;
	bool watching; /* identityd took the watcher: revocations will be heard */
};

static void lose_user(struct samgrd_client *c, const char *why)
{
	nx_log(NX_LOG_INFO, "auth", "%s is %s again: %s", c->subject, c->auth->own_subject, why);
	(void)snprintf(c->subject, sizeof(c->subject), "%s", c->auth->own_subject);
	c->auth = (free(c->auth), NULL);
	/* Decisions cached for the old subject must not answer for the new one. */
	nx_policy_drop_conn(c->d->policy, c->conn);
}

void samgrd_auth_refresh(struct samgrd_client *c)
{
	if (c->auth && nx_clock_monotonic_ns() >= c->auth->expires_ns)
		lose_user(c, "session expired");
}

void samgrd_auth_drop(struct samgrd_client *c)
{
	if (c->auth)
		lose_user(c, "connection closed");
}

/* ---- authenticate() ---- */

static void pending_destroy(struct pending *p)
{
	nx_rpc_call_free(p->call); /* cancels verify() if still out */
	free(p);
}

static void pending_free(struct pending *p)
{
	struct pending **pp = &p->ident->pending;

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	pending_destroy(p);
}

static void on_caller_left(nx_rpc_incoming *in, void *userdata)
{
	(void)nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	pending_free(userdata);
}

static int become_user(struct samgrd_client *c, nx_rpc_incoming *in, identity_verify_results res)
{
	identity_session s = identity_verify_results_get_session(res);
	struct samgrd_auth *auth = c->auth;
	const char *user;
	size_t len;

	(void)identity_session_get_user(s, &user, &len); /* validated: <= 32 bytes, no NUL */
	if (!auth) {
		auth = calloc(1, sizeof(*auth));
		if (!auth)
			return -ENOMEM;
		memcpy(auth->own_subject, c->subject, sizeof(auth->own_subject));
	}
	auth->session = identity_session_get_id(s);
	auth->expires_ns = nx_clock_monotonic_ns() + identity_verify_results_get_valid_for_ns(res);
	c->auth = auth;
	(void)snprintf(c->subject, sizeof(c->subject), USER_PREFIX "%.*s", (int)len, user);
	nx_policy_drop_conn(c->d->policy, c->conn);
	nx_log(NX_LOG_INFO, "auth", "%s authenticated as %s (session %" PRIu64 ")",
	        auth->own_subject, c->subject, auth->session);
	return samgr_authenticate_return(in, c->subject);
}

static void on_verified(void *userdata, int error, const char *reason, identity_verify_results res)
{
	struct pending *p = userdata;
	int r;

	p->call = NULL; /* freed by the generated code after this callback */
	if (error == -EPERM || error == -EINVAL)
		(void)nx_rpc_incoming_fail(p->in, nx_rpc_exc_type_for_errno(error), reason);
	else if (error < 0)
		(void)nx_rpc_incoming_failf(p->in, -EAGAIN, "identityd did not verify: %s", reason);
	else if ((r = become_user(p->c, p->in, res)) < 0)
		(void)nx_rpc_incoming_failf(p->in, r, "cannot authenticate");
	pending_free(p);
}

int samgrd_serve_authenticate(void *impl, nx_rpc_incoming *in, samgr_authenticate_params params)
{
	struct samgrd_client *c = impl;
	struct samgrd_ident *ident = c->d->ident;
	const char *own = c->auth ? c->auth->own_subject : c->subject;
	identity_verify_params_b vp;
	const uint8_t *token;
	struct pending *p;
	size_t len;
	int r;

	samgrd_auth_refresh(c);
	if (strncmp(own, UID_PREFIX, strlen(UID_PREFIX)) != 0)
		return nx_rpc_incoming_failf(
		        in, -EPERM, "%s: only samgr.sock connections authenticate", c->subject);
	(void)samgr_authenticate_params_get_token(params, &token, &len); /* 1..32 bytes */
	if (len != IDENTITY_TOKEN_LEN)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "token: not %u bytes", (unsigned)IDENTITY_TOKEN_LEN);
	if (!ident || !ident->watching)
		return nx_rpc_incoming_failf(in, -EAGAIN, "identityd is not running");
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	r = identity_verify_start(ident->identity, &p->call, &vp);
	if (r >= 0)
		r = identity_verify_params_set_token(vp, token, len);
	if (r < 0) {
		nx_rpc_call_free(p->call);
		free(p);
		return r;
	}
	p->ident = ident;
	p->c = c;
	p->in = in;
	p->next = ident->pending;
	ident->pending = p;
	r = identity_verify_send(p->call, on_verified, p); /* takes the call */
	if (r < 0) {
		p->call = NULL;
		pending_free(p);
		return nx_rpc_incoming_failf(in, -EAGAIN, "identityd cannot be asked");
	}
	nx_rpc_incoming_set_cancel_cb(in, on_caller_left, p);
	return NX_RPC_ASYNC;
}

/* ---- identityd's announcements ---- */

static int serve_revoked(
        void *impl, nx_rpc_incoming *in, identity_session_watcher_revoked_params params)
{
	struct samgrd *d = impl;
	nx_capnp_list ids = {0};

	(void)identity_session_watcher_revoked_params_get_sessions(params, &ids); /* validated */
	for (struct samgrd_client *c = d->clients; c; c = c->next)
		for (uint32_t i = 0; c->auth && i < ids.count; i++)
			if (nx_capnp_list_get_u64(&ids, i) == c->auth->session)
				lose_user(c, "session revoked");
	return identity_session_watcher_revoked_return(in);
}

static const struct identity_session_watcher_server watcher_vt = {.revoked = serve_revoked};

static void on_watching(
        void *userdata, int error, const char *reason, identity_watch_sessions_results res)
{
	struct samgrd_ident *ident = userdata;

	/* Without it revocations would go unheard: nobody authenticates. */
	if (error < 0)
		nx_log(NX_LOG_ERROR, "auth", "identityd refused samgrd's watcher: %s", reason);
	else
		ident->watching = true;
}

static void on_accepted(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd *d = userdata;

	if (res->error < 0)
		nx_log(NX_LOG_WARN, "auth", "identityd did not accept samgrd: %s", res->reason);
	d->ident->accept = nx_rpc_call_free(call);
}

static void on_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	nx_log(NX_LOG_WARN, "auth", "lost identityd: every connection is its own subject again");
	samgrd_identityd_down(userdata);
}

void samgrd_identityd_down(struct samgrd *d)
{
	struct samgrd_ident *ident = d->ident;
	struct pending *pending, *next;

	if (!ident)
		return;
	for (struct samgrd_client *c = d->clients; c; c = c->next)
		if (c->auth)
			lose_user(c, "identityd went away");
	pending = ident->pending;
	ident->pending = NULL;
	for (; pending; pending = next) {
		next = pending->next;
		(void)nx_rpc_incoming_failf(pending->in, -EAGAIN, "identityd went away");
		pending_destroy(pending);
	}
	ident->accept = nx_rpc_call_free(ident->accept);
	ident->identity = identity_from_cap(nx_rpc_cap_unref(identity_cap(ident->identity)));
	ident->watcher = identity_session_watcher_from_cap(
	        nx_rpc_cap_unref(identity_session_watcher_cap(ident->watcher)));
	ident->conn = nx_rpc_conn_free(ident->conn);
	d->ident = (free(ident), NULL);
}

int samgrd_identityd_up(struct samgrd *d, struct nexus_service_host *host)
{
	struct samgrd_ident *ident;
	nx_rpc_cap *boot = NULL;
	int fd, r;

	samgrd_identityd_down(d);
	ident = calloc(1, sizeof(*ident));
	if (!ident)
		return -ENOMEM;
	ident->d = d;
	d->ident = ident;
	r = samgrd_broker(host, SAMGRD_SUBJECT, on_accepted, d, &ident->accept, &fd);
	if (r >= 0)
		r = nx_rpc_conn_new(d->loop, fd, NULL, &ident->conn); /* takes fd */
	if (r >= 0) {
		nx_rpc_conn_set_disconnect_cb(ident->conn, on_gone, d);
		r = nx_rpc_conn_bootstrap(
		        ident->conn, &boot); /* a promise until identityd serves */
	}
	ident->identity = identity_from_cap(boot);
	if (r >= 0)
		r = identity_session_watcher_server_new(&watcher_vt, d, NULL, &ident->watcher);
	if (r >= 0)
		r = identity_watch_sessions(ident->identity, ident->watcher, on_watching, ident);
	if (r < 0) {
		samgrd_identityd_down(d);
		return r;
	}
	nx_log(NX_LOG_INFO, "auth", "verifying session tokens with identityd from now on");
	return 0;
}
