/* SPDX-License-Identifier: MIT */
/*
 * Session tokens come from rngd, the one entropy authority: identityd follows it through
 * samgrd (nx-svc follow.h) and, once a password checked out, asks getEntropy(32) and makes the
 * session with the answer. The token goes to the caller once; identityd keeps its hash only
 * and wipes the bytes. Without rngd there is no login (unavailable), never a weaker token.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identityd.h"
#include "nx-abi/clock.h"
#include "nx-log/log.h"

struct idd_login {
	struct idd_login *next;
	struct identityd *d;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* getEntropy, NULL once answered */
	char user[IDN_USER_MAX + 1];
	char subject[NX_SVC_SUBJECT_MAX + 1];
};

static void login_destroy(struct idd_login *l)
{
	nx_rpc_call_free(l->call); /* cancels it if still out */
	free(l);
}

static void login_free(struct idd_login *l)
{
	struct idd_login **p = &l->d->logins;

	while (*p != l)
		p = &(*p)->next;
	*p = l->next;
	login_destroy(l);
}

/* Stores the session of `token` and answers with it. */
static int answer(struct idd_login *l, const uint8_t token[IDN_TOKEN_BYTES])
{
	struct identityd *d = l->d;
	uint8_t hash[IDN_TOKEN_HASH_BYTES];
	identity_login_results_b out;
	identity_session_b sb;
	struct idn_session s;
	struct idd_ended ended;
	int r;

	idn_token_hash(token, hash);
	r = idd_store_session_add(d->store, l->user, hash, nx_clock_realtime_ns(), &s, &ended);
	if (r == -ENOENT) /* removed while the token was coming */
		return nx_rpc_incoming_failf(l->in, -EPERM, "login: wrong user name or password");
	if (r < 0)
		return nx_rpc_incoming_failf(l->in, -EIO, "cannot store the session");
	(void)idd_announce(d, NULL, &ended); /* the oldest, past the per-user cap */
	idd_audit("login", l->user, l->subject, "ok", s.id);
	r = identity_login_results_init(l->in, &out);
	if (r >= 0)
		r = identity_login_results_set_token(out, token, IDN_TOKEN_BYTES);
	if (r >= 0)
		r = identity_login_results_init_session(out, &sb);
	if (r >= 0)
		r = idd_session_encode(sb, &s);
	return nx_rpc_incoming_return_built(l->in, r);
}

static void on_entropy(void *userdata, int error, const char *reason, rng_get_entropy_results res)
{
	struct idd_login *l = userdata;
	uint8_t token[IDN_TOKEN_BYTES];
	const uint8_t *bytes = NULL;
	size_t len = 0;

	l->call = NULL; /* freed by the generated code after this callback */
	if (error >= 0)
		(void)rng_get_entropy_results_get_bytes(res, &bytes, &len);
	if (error < 0 || len != IDN_TOKEN_BYTES) {
		nx_log(NX_LOG_WARN, "session", "rngd gave no token: %s",
		        error < 0 ? reason : "wrong length");
		(void)nx_rpc_incoming_failf(l->in, -EAGAIN, "rngd gave no token");
	} else {
		memcpy(token, bytes, sizeof(token));
		(void)answer(l, token);
		sodium_memzero(token, sizeof(token));
	}
	login_free(l);
}

static void on_caller_left(nx_rpc_incoming *in, void *userdata)
{
	struct idd_login *l = userdata;

	(void)nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	login_free(l); /* cancels getEntropy: no session is made */
}

int idd_login_finish(
        struct identityd *d, nx_rpc_incoming *in, const char *user, const char *subject)
{
	rng_get_entropy_params_b params;
	struct idd_login *l;
	int r;

	if (!d->rng)
		return -EAGAIN;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->d = d;
	l->in = in;
	(void)snprintf(l->user, sizeof(l->user), "%s", user);
	(void)snprintf(l->subject, sizeof(l->subject), "%s", subject);
	r = rng_get_entropy_start(d->rng, &l->call, &params);
	if (r < 0) {
		free(l);
		return r;
	}
	rng_get_entropy_params_set_n(params, IDN_TOKEN_BYTES);
	l->next = d->logins;
	d->logins = l;
	r = rng_get_entropy_send(l->call, on_entropy, l); /* takes the call */
	if (r < 0) {
		l->call = NULL;
		login_free(l);
		return r;
	}
	nx_rpc_incoming_set_cancel_cb(in, on_caller_left, l);
	return NX_RPC_ASYNC;
}

/* rngd went or came back: logins waiting on the old channel are failed. */
static void fail_logins(struct identityd *d)
{
	struct idd_login *l = d->logins, *next;

	d->logins = NULL;
	for (; l; l = next) {
		next = l->next;
		(void)nx_rpc_incoming_failf(l->in, -EAGAIN, "rngd went away");
		login_destroy(l);
	}
}

static void rng_up(void *userdata, nx_rpc_cap *bootstrap)
{
	struct identityd *d = userdata;

	fail_logins(d);
	nx_rpc_cap_unref(rng_cap(d->rng));
	d->rng = rng_from_cap(nx_rpc_cap_ref(bootstrap));
}

static void rng_down(void *userdata)
{
	struct identityd *d = userdata;

	fail_logins(d);
	d->rng = rng_from_cap(nx_rpc_cap_unref(rng_cap(d->rng)));
}

static const struct nx_follow_ops rng_ops = {.up = rng_up, .down = rng_down};

int idd_token_start(struct identityd *d)
{
	return nx_follow_new(
	        nx_svc_loop(d->svc), nx_svc_samgr(d->svc), "rngd", &rng_ops, d, &d->rng_follow);
}

void idd_token_stop(struct identityd *d)
{
	d->rng_follow = nx_follow_free(d->rng_follow);
	fail_logins(d);
	d->rng = rng_from_cap(nx_rpc_cap_unref(rng_cap(d->rng)));
}
