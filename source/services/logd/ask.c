/* SPDX-License-Identifier: MIT */
/*
 * logd asks policyd (DESIGN.md section 7): the one place logd decides authority.
 *
 * logd watches "policyd" through samgrd (Samgr.watch); whenever it comes up logd resolves it
 * (subject svc:logd, ipc.connect.policyd), watches its versions (PolicyWatcher) and from then
 * on every decision is policyd's check(subject, cap). Decisions are cached per connection
 * (connection, subject, capability; a bounded table, oldest replaced first) and the cache is
 * dropped whenever policyd announces a new version, comes or goes. A decision not cached is
 * asynchronous: the call is held, check() is sent, and when the answer is in the handler runs
 * again from the start (logd_redispatch), now finding it. Handlers decide before they change
 * anything, so running them twice is safe. Calls that arrive while policyd is being resolved
 * wait for it.
 *
 * Until policyd is reachable (not registered yet, restarting, or a check failed) the fallback
 * rule decides: everything is denied except `log.append` for `svc:` subjects, so that the
 * services' nx-log records (their facades' streams) are not lost meanwhile. If policyd dies,
 * the fallback decides until samgrd reports it up again, then logd resolves it anew.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"
#include "nexus-types.capnp.h"
#include "nx-log/log.h"
#include "policy.capnp.h"
#include "samgr.capnp.h"

#define POLICYD_NAME "policyd"

struct logd_decision {
	nx_rpc_conn *conn;
	char subject[NX_SVC_SUBJECT_MAX + 1];
	char cap[LOGD_CAP_MAX + 1];
	bool allowed;
};

struct logd_check {
	struct logd_check *next;
	struct logd_ask *a;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* Policy.check; NULL while policyd is being resolved */
	uint16_t method;   /* the Log method to run again */
	uint64_t gen;      /* a->gen when asked */
	char subject[NX_SVC_SUBJECT_MAX + 1];
	char cap[LOGD_CAP_MAX + 1];
};

struct logd_ask {
	struct logd *d;
	nx_rpc_cap *svc_watcher; /* our ServiceWatcher on "policyd" */
	nx_rpc_call *svc_watch, *resolve;
	nx_rpc_conn *pol_conn;
	nx_rpc_cap *pol;         /* Policy, policyd's bootstrap */
	nx_rpc_cap *pol_watcher; /* our PolicyWatcher */
	nx_rpc_call *pol_watch;
	uint64_t gen; /* bumped on every version change, policyd coming or going */
	char version[65];
	struct logd_check *checks;
	nx_rpc_incoming *forced_in; /* the call being run again with the fallback's answer */
	bool forced;
	unsigned ncache, cache_next;
	struct logd_decision cache[LOGD_CACHE_MAX];
};

/* ---- The cache ---- */

static bool cache_get(struct logd_ask *a, const struct logd_check *q, bool *ret_allowed)
{
	for (unsigned i = 0; i < a->ncache; i++) {
		const struct logd_decision *e = &a->cache[i];

		if (e->conn == nx_rpc_incoming_conn(q->in) && strcmp(e->subject, q->subject) == 0 &&
		        strcmp(e->cap, q->cap) == 0) {
			*ret_allowed = e->allowed;
			return true;
		}
	}
	return false;
}

static void cache_put(struct logd_ask *a, const struct logd_check *k, bool allowed)
{
	struct logd_decision *e;

	if (a->ncache < LOGD_CACHE_MAX)
		e = &a->cache[a->ncache++];
	else
		e = &a->cache[a->cache_next++ % LOGD_CACHE_MAX]; /* oldest first */
	e->conn = nx_rpc_incoming_conn(k->in);
	snprintf(e->subject, sizeof(e->subject), "%s", k->subject);
	snprintf(e->cap, sizeof(e->cap), "%s", k->cap);
	e->allowed = allowed;
}

static void cache_drop(struct logd_ask *a)
{
	a->gen++;
	a->ncache = 0;
	a->cache_next = 0;
}

/* ---- Held calls ---- */

static void check_unlink(struct logd_check *k)
{
	struct logd_check **p = &k->a->checks;

	while (*p != k)
		p = &(*p)->next;
	*p = k->next;
	nx_rpc_call_free(k->call); /* before its return: canceled, its callback never runs */
	free(k);
}

static void on_check_canceled(nx_rpc_incoming *in, void *userdata)
{
	nx_rpc_incoming_fail_errno(in, -ECANCELED, "canceled");
	check_unlink(userdata);
}

/* Runs the held call again: the decision is cached now, or `forced` (>= 0: the fallback's
 * answer, not cached) is what logd_decide gives that call once. */
static void check_finish(struct logd_check *k, int forced)
{
	struct logd_ask *a = k->a;
	nx_rpc_incoming *in = k->in;
	uint16_t method = k->method;

	nx_rpc_incoming_set_cancel_cb(in, NULL, NULL);
	check_unlink(k);
	if (forced >= 0) {
		a->forced_in = in;
		a->forced = forced;
	}
	logd_redispatch(a->d, in, method);
	a->forced_in = NULL;
}

static void on_checked(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct logd_check *k = userdata;
	struct logd_ask *a = k->a;
	Policy_check_Results out;
	int r = res->error;

	if (r >= 0)
		r = Policy_check_results_checked(res, &out);
	if (r < 0) {
		nx_log(NX_LOG_WARN, "policy", "policyd did not decide %s for %s: %s", k->cap,
		        k->subject, res->reason[0] ? res->reason : strerror(-r));
		check_finish(k, logd_fallback_allowed(k->subject, k->cap));
		return;
	}
	/* An answer about an older policy is not kept: the handler then asks again. */
	if (k->gen == a->gen)
		cache_put(a, k, Policy_check_Results_get_allowed(out));
	check_finish(k, -1);
}

static int check_send(struct logd_check *k)
{
	Policy_check_Params_b params;
	int r;

	k->gen = k->a->gen;
	r = Policy_check_new(k->a->pol, &k->call, &params);
	if (r >= 0)
		r = Policy_check_Params_set_subject(params, k->subject, strlen(k->subject));
	if (r >= 0)
		r = Policy_check_Params_set_cap(params, k->cap, strlen(k->cap));
	if (r >= 0)
		r = nx_rpc_call_send(k->call, on_checked, k);
	if (r < 0)
		k->call = nx_rpc_call_free(k->call);
	return r;
}

int logd_decide(struct logd *d, nx_rpc_incoming *in, uint16_t method, const char *subject,
        const char *cap, bool *ret_allowed)
{
	struct logd_ask *a = d->ask;
	struct logd_check q = {.in = in}, *k;

	if (strlen(cap) > LOGD_CAP_MAX || strlen(subject) > NX_SVC_SUBJECT_MAX)
		return -EINVAL;
	if (a && a->forced_in == in) {
		*ret_allowed = a->forced;
		a->forced_in = NULL;
		return 0;
	}
	if (!a || (!a->pol && !a->resolve)) {
		*ret_allowed = logd_fallback_allowed(subject, cap);
		return 0;
	}
	snprintf(q.subject, sizeof(q.subject), "%s", subject);
	snprintf(q.cap, sizeof(q.cap), "%s", cap);
	if (a->pol && cache_get(a, &q, ret_allowed))
		return 0;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	*k = q;
	k->a = a;
	k->method = method;
	if (a->pol && check_send(k) < 0) {
		free(k);
		*ret_allowed = logd_fallback_allowed(subject, cap);
		return 0;
	}
	/* Without a->pol the call waits for the resolve in flight (pol_up sends it). */
	k->next = a->checks;
	a->checks = k;
	nx_rpc_incoming_set_cancel_cb(in, on_check_canceled, k);
	return NX_RPC_ASYNC;
}

/* Every held call not yet sent to policyd: sent now, or (no policyd) decided by the fallback. */
static void checks_resume(struct logd_ask *a)
{
	struct logd_check *k = a->checks, *next;

	for (; k; k = next) {
		next = k->next;
		if (k->call)
			continue;
		if (a->pol && check_send(k) == 0)
			continue;
		check_finish(k, logd_fallback_allowed(k->subject, k->cap));
	}
}

/* ---- The channel to policyd ---- */

static int pol_watcher_changed(void *impl, nx_rpc_incoming *in, PolicyWatcher_changed_Params p)
{
	struct logd_ask *a = impl;
	const char *v;
	size_t len;
	int r;

	r = PolicyWatcher_changed_Params_get_version(p, &v, &len);
	if (r < 0)
		return r;
	if (len >= sizeof(a->version))
		len = sizeof(a->version) - 1;
	if (len != strlen(a->version) || memcmp(v, a->version, len) != 0) {
		memcpy(a->version, v, len);
		a->version[len] = '\0';
		cache_drop(a);
		nx_log(NX_LOG_INFO, "policy", "policy %s in force, cached decisions dropped",
		        a->version);
	}
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct PolicyWatcher_server pol_watcher_vt = {
        .changed = pol_watcher_changed,
};

static void pol_down(struct logd_ask *a)
{
	nx_rpc_conn *conn = a->pol_conn;

	a->pol_watch = nx_rpc_call_free(a->pol_watch);
	a->pol = nx_rpc_cap_unref(a->pol);
	a->pol_watcher = nx_rpc_cap_unref(a->pol_watcher);
	a->pol_conn = NULL;
	a->version[0] = '\0';
	cache_drop(a);
	/* Checks in flight fail as the connection goes (on_checked: the fallback decides). */
	nx_rpc_conn_free(conn);
}

static void on_pol_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	struct logd_ask *a = userdata;

	nx_log(NX_LOG_WARN, "policy", "lost policyd, fallback rule until it is up again");
	pol_down(a);
}

static void on_pol_watch(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct logd_ask *a = userdata;

	if (res->error < 0)
		nx_log(NX_LOG_WARN, "policy", "cannot watch policy versions: %s", res->reason);
	a->pol_watch = nx_rpc_call_free(call);
}

/* Takes `fd` (a channel to policyd). */
static int pol_up(struct logd_ask *a, int fd)
{
	Policy_watch_Params_b wp;
	uint32_t index;
	int r;

	if (a->pol_conn)
		pol_down(a);
	r = nx_rpc_conn_new(nx_svc_loop(a->d->svc), fd, NULL, &a->pol_conn); /* takes fd */
	if (r < 0)
		return r;
	nx_rpc_conn_set_disconnect_cb(a->pol_conn, on_pol_gone, a);
	r = nx_rpc_conn_bootstrap(a->pol_conn, &a->pol);
	if (r >= 0)
		r = PolicyWatcher_server_new(&pol_watcher_vt, a, NULL, &a->pol_watcher);
	if (r >= 0)
		r = Policy_watch_new(a->pol, &a->pol_watch, &wp);
	if (r >= 0)
		r = nx_rpc_call_add_cap(a->pol_watch, a->pol_watcher, &index);
	if (r >= 0)
		r = Policy_watch_Params_set_cb(wp, index);
	if (r >= 0)
		r = nx_rpc_call_send(a->pol_watch, on_pol_watch, a);
	if (r < 0) {
		pol_down(a);
		return r;
	}
	cache_drop(a);
	nx_log(NX_LOG_INFO, "policy", "asking policyd from now on");
	return 0;
}

static void on_resolved(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct logd_ask *a = userdata;
	nx_rpc_cap *end = NULL;
	nx_capnp_ptr p;
	int r = res->error, fd = -1;

	if (r >= 0) {
		p = nx_capnp_struct_ptr(&res->results, 0);
		r = nx_rpc_call_result_cap_at(call, &p, &end);
	}
	if (r >= 0)
		fd = r = nx_rpc_cap_dup_fd(end);
	nx_rpc_cap_unref(end);
	if (r < 0)
		nx_log(NX_LOG_WARN, "policy", "cannot resolve policyd: %s",
		        res->reason[0] ? res->reason : strerror(-r));
	a->resolve = nx_rpc_call_free(call); /* res with it */
	if (r >= 0 && (r = pol_up(a, fd)) < 0)
		nx_log(NX_LOG_WARN, "policy", "cannot open policyd: %s", strerror(-r));
	checks_resume(a);
}

static void resolve(struct logd_ask *a)
{
	Samgr_resolve_Params_b params;
	nx_rpc_call *call = NULL;
	int r;

	if (a->resolve)
		return;
	r = Samgr_resolve_new(nx_svc_samgr(a->d->svc), &call, &params);
	if (r >= 0)
		r = Samgr_resolve_Params_set_name(params, POLICYD_NAME, strlen(POLICYD_NAME));
	if (r >= 0)
		r = nx_rpc_call_send(call, on_resolved, a);
	if (r < 0) {
		nx_rpc_call_free(call);
		nx_log(NX_LOG_WARN, "policy", "cannot resolve policyd: %s", strerror(-r));
		return;
	}
	a->resolve = call;
}

static int svc_watcher_changed(void *impl, nx_rpc_incoming *in, ServiceWatcher_changed_Params p)
{
	struct logd_ask *a = impl;

	/* "up": policyd (re)registered; a channel to the one before breaks by itself. */
	if (ServiceWatcher_changed_Params_get_up(p))
		resolve(a);
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct ServiceWatcher_server svc_watcher_vt = {
        .changed = svc_watcher_changed,
};

static void on_svc_watch(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct logd_ask *a = userdata;

	if (res->error < 0)
		nx_log(NX_LOG_WARN, "policy", "cannot watch policyd: %s (fallback rule only)",
		        res->reason);
	a->svc_watch = nx_rpc_call_free(call);
}

int logd_ask_start(struct logd *d)
{
	Samgr_watch_Params_b params;
	struct logd_ask *a;
	uint32_t index;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->d = d;
	d->ask = a;
	r = ServiceWatcher_server_new(&svc_watcher_vt, a, NULL, &a->svc_watcher);
	if (r >= 0)
		r = Samgr_watch_new(nx_svc_samgr(d->svc), &a->svc_watch, &params);
	if (r >= 0)
		r = Samgr_watch_Params_set_name(params, POLICYD_NAME, strlen(POLICYD_NAME));
	if (r >= 0)
		r = nx_rpc_call_add_cap(a->svc_watch, a->svc_watcher, &index);
	if (r >= 0)
		r = Samgr_watch_Params_set_cb(params, index);
	if (r >= 0)
		r = nx_rpc_call_send(a->svc_watch, on_svc_watch, a);
	if (r < 0)
		logd_ask_stop(d);
	return r;
}

void logd_ask_stop(struct logd *d)
{
	struct logd_ask *a = d->ask;

	if (!a)
		return;
	for (struct logd_check *k = a->checks, *next; k; k = next) {
		next = k->next;
		nx_rpc_incoming_set_cancel_cb(k->in, NULL, NULL);
		nx_rpc_incoming_fail_errno(k->in, -ECANCELED, "canceled");
		nx_rpc_call_free(k->call); /* before its return: its callback never runs */
		free(k);
	}
	a->checks = NULL;
	pol_down(a);
	nx_rpc_call_free(a->resolve);
	nx_rpc_call_free(a->svc_watch);
	nx_rpc_cap_unref(a->svc_watcher);
	free(a);
	d->ask = NULL;
}
