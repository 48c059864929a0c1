/* SPDX-License-Identifier: MIT */
/*
 * samgrd asks policyd (DESIGN.md sections 6 and 7). Until policyd has registered, the interim
 * rule of allow.c decides (it is what lets init's own adoptions, policyd first, register).
 * Once policyd registered, samgrd opens its own channel to it (subject svc:samgrd, through
 * policyd's ServiceHost like any resolve) and every decision is policyd's check(subject, cap):
 * cached per connection, the caches dropped whenever policyd announces a new version
 * (PolicyWatcher) or goes away. If policyd dies, the interim rule decides again until it is
 * back.
 *
 * A decision that is not cached is asynchronous: the handler's call is held, check() is sent,
 * and when the answer is cached the handler runs again from the start (samgrd_redispatch), now
 * finding the decision. Handlers decide before they change anything, so running them twice is
 * safe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus-types.capnp.h"
#include "policy.capnp.h"
#include "nx-log/log.h"
#include "samgrd.h"

struct samgrd_check {
	struct samgrd_check *next;
	struct samgrd_client *c;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* Policy.check */
	uint16_t method;   /* the Samgr method to run again */
	uint64_t gen;      /* d->pol_gen when asked */
	char cap[SAMGRD_CAP_MAX + 1];
};

/* ---- The per-connection cache ---- */

static void cache_sync(struct samgrd_client *c)
{
	if (c->cache_gen != c->d->pol_gen) {
		c->ncache = 0;
		c->cache_next = 0;
		c->cache_gen = c->d->pol_gen;
	}
}

static bool cache_get(struct samgrd_client *c, const char *cap, bool *ret_allowed)
{
	cache_sync(c);
	for (unsigned i = 0; i < c->ncache; i++)
		if (strcmp(c->cache[i].cap, cap) == 0) {
			*ret_allowed = c->cache[i].allowed;
			return true;
		}
	return false;
}

static void cache_put(struct samgrd_client *c, const char *cap, bool allowed)
{
	struct samgrd_decision *e;

	cache_sync(c);
	if (c->ncache < SAMGRD_CACHE_MAX)
		e = &c->cache[c->ncache++];
	else
		e = &c->cache[c->cache_next++ % SAMGRD_CACHE_MAX]; /* oldest first */
	snprintf(e->cap, sizeof(e->cap), "%s", cap);
	e->allowed = allowed;
}

/* ---- Decisions ---- */

static void check_destroy(struct samgrd_check *k)
{
	nx_rpc_call_free(k->call); /* before its return: canceled, its callback never runs */
	free(k);
}

static void check_free(struct samgrd_check *k)
{
	struct samgrd_check **p = &k->c->checks;

	while (*p != k)
		p = &(*p)->next;
	*p = k->next;
	check_destroy(k);
}

static void on_check_canceled(nx_rpc_incoming *in, void *userdata)
{
	nx_rpc_incoming_fail_errno(in, -ECANCELED, "canceled");
	check_free(userdata);
}

static void on_checked(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd_check *k = userdata;
	struct samgrd_client *c = k->c;
	nx_rpc_incoming *in = k->in;
	uint16_t method = k->method;
	Policy_check_Results out;
	char msg[NX_RPC_REASON_MAX];
	int r = res->error;

	if (r >= 0)
		r = Policy_check_results_checked(res, &out);
	nx_rpc_incoming_set_cancel_cb(in, NULL, NULL);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "policyd did not decide %s: %s", k->cap,
		        res->reason[0] ? res->reason : strerror(-r));
		nx_rpc_incoming_fail_errno(in, -EAGAIN, msg);
		check_free(k);
		return;
	}
	/* An answer about an older policy is not kept: the handler then asks again. */
	if (k->gen == c->d->pol_gen)
		cache_put(c, k->cap, Policy_check_Results_get_allowed(out));
	check_free(k);
	samgrd_redispatch(c, in, method);
}

int samgrd_decide(struct samgrd_client *c, nx_rpc_incoming *in, uint16_t method, const char *cap,
        bool *ret_allowed)
{
	struct samgrd *d = c->d;
	Policy_check_Params_b params;
	struct samgrd_check *k;
	int r;

	if (!d->pol) {
		*ret_allowed = samgrd_allowed(d, c->subject, cap);
		return 0;
	}
	if (strlen(cap) > SAMGRD_CAP_MAX)
		return -EINVAL;
	if (cache_get(c, cap, ret_allowed))
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->c = c;
	k->in = in;
	k->method = method;
	k->gen = d->pol_gen;
	snprintf(k->cap, sizeof(k->cap), "%s", cap);
	r = Policy_check_new(d->pol, &k->call, &params);
	if (r >= 0)
		r = Policy_check_Params_set_subject(params, c->subject, strlen(c->subject));
	if (r >= 0)
		r = Policy_check_Params_set_cap(params, cap, strlen(cap));
	if (r >= 0)
		r = nx_rpc_call_send(k->call, on_checked, k);
	if (r < 0) {
		nx_rpc_call_free(k->call);
		free(k);
		return -EAGAIN; /* unavailable: policyd cannot be asked */
	}
	k->next = c->checks;
	c->checks = k;
	nx_rpc_incoming_set_cancel_cb(in, on_check_canceled, k);
	return NX_RPC_ASYNC;
}

void samgrd_client_checks_drop(struct samgrd_client *c)
{
	while (c->checks) {
		struct samgrd_check *k = c->checks;

		c->checks = k->next;
		nx_rpc_incoming_set_cancel_cb(k->in, NULL, NULL);
		nx_rpc_incoming_fail_errno(k->in, -ECANCELED, "canceled");
		check_destroy(k);
	}
}

/* ---- The channel to policyd ---- */

static int watcher_changed(void *impl, nx_rpc_incoming *in, PolicyWatcher_changed_Params params)
{
	struct samgrd *d = impl;
	const char *v;
	size_t len;
	int r;

	r = PolicyWatcher_changed_Params_get_version(params, &v, &len);
	if (r < 0)
		return r;
	if (len != strlen(d->pol_version) || memcmp(v, d->pol_version, len) != 0) {
		memcpy(d->pol_version, v, len);
		d->pol_version[len] = '\0';
		d->pol_gen++; /* every connection's cache is stale now */
		nx_log(NX_LOG_INFO, "policy", "policy %s in force, cached decisions dropped",
		        d->pol_version);
	}
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct PolicyWatcher_server watcher_vt = {
        .changed = watcher_changed,
};

static void on_pol_call_done(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd *d = userdata;

	if (res->error < 0)
		nx_log(NX_LOG_WARN, "policy", "policyd: %s", res->reason);
	if (call == d->pol_accept)
		d->pol_accept = NULL;
	else if (call == d->pol_watch)
		d->pol_watch = NULL;
	nx_rpc_call_free(call);
}

static void on_pol_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	struct samgrd *d = userdata;

	nx_log(NX_LOG_WARN, "policy", "lost policyd, interim rule until it registers again");
	samgrd_policyd_down(d);
}

void samgrd_policyd_down(struct samgrd *d)
{
	nx_rpc_conn *conn = d->pol_conn;

	d->pol_accept = nx_rpc_call_free(d->pol_accept);
	d->pol_watch = nx_rpc_call_free(d->pol_watch);
	d->pol = nx_rpc_cap_unref(d->pol);
	d->pol_watcher = nx_rpc_cap_unref(d->pol_watcher);
	d->pol_conn = NULL;
	d->pol_version[0] = '\0';
	d->pol_gen++;
	/* Pending checks fail (on_checked: unavailable) as the connection goes. */
	nx_rpc_conn_free(conn);
}

int samgrd_policyd_up(struct samgrd *d, nx_rpc_cap *host)
{
	Policy_watch_Params_b wp;
	uint32_t index;
	int fd, r;

	if (d->pol_conn)
		samgrd_policyd_down(d);
	r = samgrd_broker(host, SAMGRD_SUBJECT, on_pol_call_done, d, &d->pol_accept, &fd);
	if (r < 0)
		return r;
	r = nx_rpc_conn_new(d->loop, fd, NULL, &d->pol_conn); /* takes fd */
	if (r >= 0) {
		nx_rpc_conn_set_disconnect_cb(d->pol_conn, on_pol_gone, d);
		/* Calls on the bootstrap wait in the channel until policyd serves it. */
		r = nx_rpc_conn_bootstrap(d->pol_conn, &d->pol);
	}
	if (r >= 0)
		r = PolicyWatcher_server_new(&watcher_vt, d, NULL, &d->pol_watcher);
	if (r >= 0)
		r = Policy_watch_new(d->pol, &d->pol_watch, &wp);
	if (r >= 0)
		r = nx_rpc_call_add_cap(d->pol_watch, d->pol_watcher, &index);
	if (r >= 0)
		r = Policy_watch_Params_set_cb(wp, index);
	if (r >= 0)
		r = nx_rpc_call_send(d->pol_watch, on_pol_call_done, d);
	if (r < 0) {
		samgrd_policyd_down(d);
		return r;
	}
	d->pol_gen++;
	nx_log(NX_LOG_INFO, "policy", "asking policyd from now on");
	return 0;
}
