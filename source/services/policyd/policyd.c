/* SPDX-License-Identifier: MIT */
/*
 * policyd's Policy interface (tools/nexus-idl/schemas/policy.capnp). Decisions are
 * userspace/policy's; this file reads the requests, answers them, decides its own
 * `policy.reload` for the caller's subject (nx-svc's word, never the payload's) with the policy
 * in force, and tells watchers about new versions.
 *
 * Audit: every decision check/checkMany answer and every refused reload goes to audit.c
 * (denies always, allows on request), which logs it through nx-log, hence to logd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "grants.h"
#include "nx-log/log.h"
#include "policy.capnp.h"
#include "policyd.h"

struct policyd {
	nx_svc *svc;
	pold_store *store;
	pold_audit *audit;
	pold_grants *grants; /* install-time grants (grants.c) */
	struct {
		struct policy_watcher *cb; /* imported through `conn` */
		nx_rpc_conn *conn; /* compared only, never used: a broken cb is pruned first */
	} watchers[POLICY_WATCHERS_MAX];
	unsigned nwatchers;
};

/* A subject or capability as the policy language takes it: printable ASCII without spaces
 * (the schema already bounds it to 1..POL_TOKEN_MAX bytes). Copies a validated Text into dst
 * (POL_TOKEN_MAX + 1). */
static bool read_token(char *dst, const char *src, size_t len)
{
	if (len == 0 || len > POL_TOKEN_MAX)
		return false; /* the schema let it through: it and this file disagree */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)src[i] < 0x21 || (unsigned char)src[i] > 0x7e)
			return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/* Reads (subject, cap) of check/explain. NULL, or the name of the field that is not a token
 * (the handler answers). */
static const char *read_query(
        const char *s, size_t slen, const char *c, size_t clen, char *subject, char *cap)
{
	if (!read_token(subject, s, slen))
		return "subject";
	if (!read_token(cap, c, clen))
		return "cap";
	return NULL;
}

static int serve_check(void *impl, nx_rpc_incoming *in, policy_check_params params)
{
	policyd *d = impl;
	char subject[POL_TOKEN_MAX + 1], cap[POL_TOKEN_MAX + 1];
	const char *s, *c, *bad;
	size_t slen, clen;
	bool allowed;

	/* The dispatcher validated both texts against the schema. */
	(void)policy_check_params_get_subject(params, &s, &slen);
	(void)policy_check_params_get_cap(params, &c, &clen);
	bad = read_query(s, slen, c, clen, subject, cap);
	if (bad)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "%s: not printable ASCII without spaces", bad);
	allowed = pol_check(pold_store_policy(d->store), subject, cap) == POL_ALLOW;
	pold_audit_decision(d->audit, pold_store_policy(d->store), nx_svc_subject(d->svc, in),
	        subject, cap, allowed);
	return policy_check_return(in, allowed);
}

/* Reads queries[i] (validated by the dispatcher) into subject and cap: NULL, or the name of
 * the field that is not a token. */
static const char *read_query_at(const nx_capnp_list *list, uint32_t i, char *subject, char *cap)
{
	policy_query q = policy_query_at(list, i);
	const char *s, *c;
	size_t slen, clen;

	(void)policy_query_get_subject(q, &s, &slen);
	(void)policy_query_get_cap(q, &c, &clen);
	return read_query(s, slen, c, clen, subject, cap);
}

static int serve_check_many(void *impl, nx_rpc_incoming *in, policy_check_many_params params)
{
	policyd *d = impl;
	char subject[POL_TOKEN_MAX + 1], cap[POL_TOKEN_MAX + 1];
	policy_check_many_results_b res;
	const char *asker = nx_svc_subject(d->svc, in);
	bool allowed;
	nx_capnp_blist out;
	nx_capnp_list list;
	int r;

	/* The dispatcher validated the list (at most POLICY_CHECK_MANY_MAX) and its texts. */
	(void)policy_check_many_params_get_queries(params, &list);
	/* Every query is read before any answer is built: one bad query fails the call. */
	for (uint32_t i = 0; i < list.count; i++) {
		const char *bad = read_query_at(&list, i, subject, cap);

		if (bad)
			return nx_rpc_incoming_failf(in, -EINVAL,
			        "queries[%u].%s: not printable ASCII without spaces", (unsigned)i,
			        bad);
	}
	r = policy_check_many_results_init(in, &res);
	if (r >= 0)
		r = policy_check_many_results_init_allowed(res, list.count, &out);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < list.count; i++) {
		(void)read_query_at(&list, i, subject, cap);
		allowed = pol_check(pold_store_policy(d->store), subject, cap) == POL_ALLOW;
		nx_capnp_blist_set_bool(&out, i, allowed);
		pold_audit_decision(
		        d->audit, pold_store_policy(d->store), asker, subject, cap, allowed);
	}
	return nx_rpc_incoming_return(in);
}

static int serve_explain(void *impl, nx_rpc_incoming *in, policy_explain_params params)
{
	policyd *d = impl;
	char subject[POL_TOKEN_MAX + 1], cap[POL_TOKEN_MAX + 1];
	pol_explanation e;
	const char *s, *c, *bad;
	size_t slen, clen;
	int r;

	/* The dispatcher validated both texts against the schema. */
	(void)policy_explain_params_get_subject(params, &s, &slen);
	(void)policy_explain_params_get_cap(params, &c, &clen);
	bad = read_query(s, slen, c, clen, subject, cap);
	if (bad)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "%s: not printable ASCII without spaces", bad);
	r = pol_explain(pold_store_policy(d->store), subject, cap, &e);
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "subject or cap not valid in the policy language");
	return policy_explain_return(in, e.verdict == POL_ALLOW, e.rule, e.file, e.line,
	        e.by_default); /* a NULL file stays unset */
}

static int serve_version(void *impl, nx_rpc_incoming *in, policy_version_params params)
{
	policyd *d = impl;

	return policy_version_return(in, pol_version(pold_store_policy(d->store)));
}

/* ---- Watchers ---- */

/* A watcher that cannot be told loses only that event (nobody waits for its answer); a
 * broken one (its connection ended) is dropped at the next prune. */
static void notify(struct policy_watcher *cb, const char *version)
{
	(void)policy_watcher_changed(cb, version, NULL, NULL);
}

static void prune_watchers(policyd *d)
{
	unsigned j = 0;

	for (unsigned i = 0; i < d->nwatchers; i++) {
		if (nx_rpc_cap_is_broken(policy_watcher_cap(d->watchers[i].cb)))
			nx_rpc_cap_unref(policy_watcher_cap(d->watchers[i].cb));
		else
			d->watchers[j++] = d->watchers[i];
	}
	d->nwatchers = j;
}

static int serve_watch(void *impl, nx_rpc_incoming *in, policy_watch_params params)
{
	policyd *d = impl;
	nx_rpc_conn *conn = nx_rpc_incoming_conn(in);
	struct policy_watcher *cb = NULL;
	unsigned mine = 0;
	int r;

	r = policy_watch_params_get_cb(params, &cb);
	/* Our own objects coming back are not watchers a peer holds. */
	if (r < 0 || nx_rpc_cap_get_local(policy_watcher_cap(cb), NULL, NULL)) {
		nx_rpc_cap_unref(policy_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EINVAL, "cb: no PolicyWatcher given");
	}
	/* A connection that ended broke its watchers: pruned first, so a reused conn pointer
	 * never counts someone else's. */
	prune_watchers(d);
	for (unsigned i = 0; i < d->nwatchers; i++)
		mine += d->watchers[i].conn == conn;
	if (mine >= POLICY_WATCHERS_PER_CONN_MAX) {
		nx_rpc_cap_unref(policy_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "watchers: %u held through this connection", POLICY_WATCHERS_PER_CONN_MAX);
	}
	if (d->nwatchers >= POLICY_WATCHERS_MAX) {
		nx_rpc_cap_unref(policy_watcher_cap(cb));
		return nx_rpc_incoming_failf(
		        in, -EDQUOT, "watchers: %u held already", POLICY_WATCHERS_MAX);
	}
	d->watchers[d->nwatchers].cb = cb;
	d->watchers[d->nwatchers].conn = conn;
	d->nwatchers++;
	/* The version in force at once, so no change can slip between version() and watch(). */
	notify(cb, pol_version(pold_store_policy(d->store)));
	return nx_rpc_incoming_return(in);
}

/* ---- Reload ---- */

static int serve_reload(void *impl, nx_rpc_incoming *in, policy_reload_params params)
{
	policyd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	const char *v;
	pol_error err;
	bool changed = false;
	int r;

	if (!subject) /* not through an accepted connection: nobody vouched for it */
		return -EPERM;
	if (pol_check(pold_store_policy(d->store), subject, "policy.reload") != POL_ALLOW) {
		pold_audit_decision(d->audit, pold_store_policy(d->store), subject, subject,
		        "policy.reload", false);
		return nx_rpc_incoming_failf(in, -EPERM, "%s does not hold policy.reload", subject);
	}
	r = pold_store_reload(d->store, &changed, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		nx_log(NX_LOG_WARN, "policy", "reload by %s failed, policy %s stays: %s", subject,
		        pol_version(pold_store_policy(d->store)), err.text);
		return nx_rpc_incoming_failf(in, -EINVAL, "%s", err.text);
	}
	v = pol_version(pold_store_policy(d->store));
	nx_log(NX_LOG_NOTICE, "policy", "reload by %s: policy %s (%zu rules)%s", subject, v,
	        pol_rule_count(pold_store_policy(d->store)), changed ? "" : ", unchanged");
	if (changed) {
		prune_watchers(d);
		for (unsigned i = 0; i < d->nwatchers; i++)
			notify(d->watchers[i].cb, v);
	}
	return policy_reload_return(in, v);
}

static const struct policy_server policy_vt = {
        .check = serve_check,
        .check_many = serve_check_many,
        .explain = serve_explain,
        .version = serve_version,
        .reload = serve_reload,
        .watch = serve_watch,
        .set_grants = pold_serve_set_grants,
        .reset_grants = pold_serve_reset_grants,
};

pold_store *policyd_store(policyd *d)
{
	return d->store;
}

pold_grants *policyd_grants(policyd *d)
{
	return d->grants;
}

const char *policyd_subject(policyd *d, const nx_rpc_incoming *in)
{
	return nx_svc_subject(d->svc, in);
}

void policyd_announce(policyd *d)
{
	prune_watchers(d);
	for (unsigned i = 0; i < d->nwatchers; i++)
		notify(d->watchers[i].cb, pol_version(pold_store_policy(d->store)));
}

int policyd_new(nx_svc *svc, pold_store *store, policyd **ret, struct policy **ret_bootstrap)
{
	policyd *d = calloc(1, sizeof(*d));
	int r;

	if (!d) {
		pold_store_free(store);
		return -ENOMEM;
	}
	d->svc = svc;
	d->store = store;
	r = pold_audit_new(nx_svc_loop(svc), &d->audit);
	if (r < 0)
		return policyd_free(d), r;
	d->grants = pold_grants_new();
	if (!d->grants)
		return policyd_free(d), -ENOMEM;
	r = policy_server_new(&policy_vt, d, NULL, ret_bootstrap);
	if (r < 0)
		return policyd_free(d), r;
	*ret = d;
	return 0;
}

policyd *policyd_free(policyd *d)
{
	if (!d)
		return NULL;
	for (unsigned i = 0; i < d->nwatchers; i++)
		nx_rpc_cap_unref(policy_watcher_cap(d->watchers[i].cb));
	pold_store_free(d->store);
	pold_audit_free(d->audit);
	pold_grants_free(d->grants);
	free(d);
	return NULL;
}
