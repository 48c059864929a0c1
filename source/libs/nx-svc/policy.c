/* SPDX-License-Identifier: MIT */
/* nx-svc policy client: held calls, re-runs, policyd's versions, the interim rule. See
 * policy.h. */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "follow.h"
#include "nx-log/log.h"
#include "policy.capnp.h"

#define POLICYD_NAME "policyd"

/* A call held while policyd decides (or while it is being resolved). */
struct held {
	struct held *next;
	nx_policy *pc;
	nx_rpc_incoming *in;
	/* Policy.check in flight (NULL while policyd is being resolved), kept to be canceled
	 * with the held call. */
	nx_rpc_call *call;
	uint64_t generation; /* the cache's when asked */
	bool sweep;          /* marked by held_sweep_mark: still to be handled by a sweep */
	char subject[POL_CACHE_SUBJECT_MAX + 1];
	char cap[POL_CACHE_CAP_MAX + 1];
};

struct nx_policy {
	nx_loop *loop;
	const struct pol_grant *interim;
	size_t n_interim;
	nx_policy_rerun_fn rerun;
	void *impl;
	struct pol_cache *cache;
	struct policy *policy;          /* policyd's, NULL: the interim rule decides */
	struct policy_watcher *watcher; /* ours, given to policyd */
	nx_follow *follow;              /* nx_policy_follow */
	struct held *held;
	unsigned nheld;
	/* The call being run again with an answer that is not policyd's cached one. */
	nx_rpc_incoming *forced_in;
	bool forced_allowed;
	char forced_cap[POL_CACHE_CAP_MAX + 1];
};

/* ---- Held calls ---- */

/* Frees k, not linked any more; its call stays unanswered. */
static void held_destroy(struct held *k)
{
	if (k->in) /* NULL: answered by on_held_canceled, already freed */
		nx_rpc_incoming_set_cancel_cb(k->in, NULL, NULL);
	nx_rpc_call_free(k->call); /* before its return: canceled, its callback never runs */
	free(k);
}

static void held_free(nx_policy *pc, struct held *k)
{
	struct held **p = &pc->held;

	while (*p != k)
		p = &(*p)->next;
	*p = k->next;
	pc->nheld--;
	held_destroy(k);
}

static void on_held_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct held *k = userdata;

	k->in = NULL; /* failing it frees it */
	nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	held_free(k->pc, k);
}

/* Runs the held call again: the decision is cached now (forced < 0), or `forced` (0/1: the
 * interim rule's answer, not cached) is what nx_policy_allowed gives that call for that cap. */
static void held_finish(struct held *k, int forced)
{
	nx_policy *pc = k->pc;
	nx_rpc_incoming *in = k->in;
	uint64_t iface;
	uint16_t method;
	int r;

	if (forced >= 0) {
		pc->forced_in = in;
		pc->forced_allowed = forced;
		memcpy(pc->forced_cap, k->cap, sizeof(pc->forced_cap));
	}
	held_free(pc, k);
	nx_rpc_incoming_method(in, &iface, &method);
	r = pc->rerun(pc->impl, in, iface, method);
	pc->forced_in = NULL;
	if (r < 0)
		nx_rpc_incoming_failf(in, r, "the held call could not be run again once decided");
}

static void held_finish_interim(struct held *k)
{
	held_finish(k, pol_interim_allowed(k->pc->interim, k->pc->n_interim, k->subject, k->cap));
}

static void on_checked(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct held *k = userdata;
	policy_check_results out = {res->results};
	nx_policy *pc = k->pc;
	int r = res->error;

	if (r < 0) {
		nx_log(NX_LOG_WARN, "policy", "policyd did not decide %s for %s: %s (interim rule)",
		        k->cap, k->subject, res->reason[0] ? res->reason : strerror(-r));
		held_finish_interim(k);
		return;
	}
	/* An answer about an older policy is not kept (-ESTALE): the handler asks again. */
	(void)pol_cache_insert(pc->cache, k->generation, (uintptr_t)nx_rpc_incoming_conn(k->in),
	        k->subject, k->cap, policy_check_results_get_allowed(out));
	held_finish(k, -1);
}

static int check_send(struct held *k)
{
	policy_check_params_b params;
	int r;

	k->call = nx_rpc_call_free(k->call);
	k->generation = pol_cache_generation(k->pc->cache);
	r = policy_check_start(k->pc->policy, &k->call, &params);
	if (r >= 0)
		r = policy_check_params_set_subject(params, k->subject, strlen(k->subject));
	if (r >= 0)
		r = policy_check_params_set_cap(params, k->cap, strlen(k->cap));
	if (r >= 0)
		r = nx_rpc_call_send(k->call, on_checked, k);
	if (r < 0)
		k->call = nx_rpc_call_free(k->call);
	return r;
}

/* Sweeps: every call held now is handled once, even as handlers run again (and may hold
 * new calls, or see others canceled) from inside the sweep. */
static void held_sweep_mark(nx_policy *pc)
{
	for (struct held *k = pc->held; k; k = k->next)
		k->sweep = true;
}

static struct held *held_sweep_next(nx_policy *pc)
{
	/* held_free unlinks before it frees; the analyzer does not follow the unlink. */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	for (struct held *k = pc->held; k; k = k->next)
		if (k->sweep) {
			k->sweep = false;
			return k;
		}
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	return NULL;
}

/* ---- Deciding ---- */

int nx_policy_allowed(
        nx_policy *pc, nx_rpc_incoming *in, const char *subject, const char *cap, bool *ret_allowed)
{
	size_t slen, clen;
	struct held *k;

	if (!pc || !in || !subject || !cap || !ret_allowed)
		return -EINVAL;
	slen = strlen(subject);
	clen = strlen(cap);
	if (slen == 0 || slen > POL_CACHE_SUBJECT_MAX || clen == 0 || clen > POL_CACHE_CAP_MAX)
		return -EINVAL;
	if (pc->forced_in == in && strcmp(pc->forced_cap, cap) == 0) {
		pc->forced_in = NULL;
		*ret_allowed = pc->forced_allowed;
		return 0;
	}
	if (!pc->policy && !nx_follow_resolving(pc->follow)) {
		*ret_allowed = pol_interim_allowed(pc->interim, pc->n_interim, subject, cap);
		return 0;
	}
	if (pc->policy && pol_cache_lookup(pc->cache, (uintptr_t)nx_rpc_incoming_conn(in), subject,
	                          cap, ret_allowed) == 0)
		return 0;
	if (pc->nheld >= NX_POLICY_HELD_MAX)
		return -EBUSY;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->pc = pc;
	k->in = in;
	memcpy(k->subject, subject, slen);
	memcpy(k->cap, cap, clen);
	if (pc->policy && check_send(k) < 0) {
		free(k);
		*ret_allowed = pol_interim_allowed(pc->interim, pc->n_interim, subject, cap);
		return 0;
	}
	/* Without pc->policy the call waits for the resolve in flight (nx_policy_set asks). */
	k->next = pc->held;
	pc->held = k;
	pc->nheld++;
	nx_rpc_incoming_set_cancel_cb(in, on_held_canceled, k);
	return NX_RPC_ASYNC;
}

/* ---- policyd ---- */

static int watcher_changed(void *impl, nx_rpc_incoming *in, policy_watcher_changed_params p)
{
	nx_policy *pc = impl;
	const char *v;
	size_t len;
	int r;

	(void)policy_watcher_changed_params_get_version(p, &v, &len); /* validated already */
	r = pol_cache_set_version(pc->cache, v, len);
	if (r > 0)
		nx_log(NX_LOG_INFO, "policy", "policy %s in force, cached decisions dropped",
		        pol_cache_version(pc->cache));
	else if (r < 0)
		nx_log(NX_LOG_WARN, "policy",
		        "policyd announced a version of %zu bytes (over %u), "
		        "cached decisions dropped",
		        len, POL_VERSION_LEN);
	return policy_watcher_changed_return(in);
}

static const struct policy_watcher_server watcher_vt = {
        .changed = watcher_changed,
};

/* Touches no client state: the call may outlive the client (policyd answers it at once). */
static void on_watch(void *userdata, int error, const char *reason, policy_watch_results out)
{
	if (error < 0)
		nx_log(NX_LOG_WARN, "policy", "cannot watch policy versions: %s", reason);
}

static void policy_drop(nx_policy *pc)
{
	pc->policy = policy_from_cap(nx_rpc_cap_unref(policy_cap(pc->policy)));
	pc->watcher = policy_watcher_from_cap(nx_rpc_cap_unref(policy_watcher_cap(pc->watcher)));
	pol_cache_invalidate(pc->cache);
}

static int watch_start(nx_policy *pc)
{
	int r = policy_watcher_server_new(&watcher_vt, pc, NULL, &pc->watcher);

	return r < 0 ? r : policy_watch(pc->policy, pc->watcher, on_watch, NULL);
}

void nx_policy_clear(nx_policy *pc)
{
	struct held *k;

	if (!pc)
		return;
	policy_drop(pc);
	held_sweep_mark(pc);
	while ((k = held_sweep_next(pc)))
		held_finish_interim(k);
}

int nx_policy_set(nx_policy *pc, struct policy *policy)
{
	struct held *k;
	int r;

	if (!pc || !policy)
		return -EINVAL;
	policy_drop(pc);
	pc->policy = policy_from_cap(nx_rpc_cap_ref(policy_cap(policy)));
	r = watch_start(pc);
	if (r < 0) {
		nx_policy_clear(pc);
		return r;
	}
	held_sweep_mark(pc);
	while ((k = held_sweep_next(pc)))
		if (check_send(k) < 0)
			held_finish_interim(k);
	return 0;
}

static void on_policyd_up(void *userdata, nx_rpc_cap *bootstrap)
{
	int r = nx_policy_set(userdata, policy_from_cap(bootstrap));

	if (r < 0)
		nx_log(NX_LOG_WARN, "policy", "cannot ask policyd: %s (interim rule)",
		        strerror(-r));
	else
		nx_log(NX_LOG_INFO, "policy", "asking policyd from now on");
}

static void on_policyd_down(void *userdata)
{
	nx_policy *pc = userdata;

	if (pc->policy)
		nx_log(NX_LOG_WARN, "policy", "lost policyd, interim rule until it is up again");
	nx_policy_clear(pc);
}

static const struct nx_follow_ops follow_ops = {
        .up = on_policyd_up,
        .down = on_policyd_down,
};

int nx_policy_follow(nx_policy *pc, struct samgr *samgr)
{
	if (!pc || !samgr)
		return -EINVAL;
	if (pc->follow)
		return nx_follow_set_samgr(pc->follow, samgr);
	return nx_follow_new(pc->loop, samgr, POLICYD_NAME, &follow_ops, pc, &pc->follow);
}

/* ---- Lifetime ---- */

int nx_policy_new(nx_loop *loop, const struct pol_grant *interim, size_t n_interim,
        nx_policy_rerun_fn rerun, void *impl, nx_policy **ret)
{
	nx_policy *pc;
	int r;

	if (!loop || (!interim && n_interim) || !rerun || !ret)
		return -EINVAL;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	r = pol_cache_new(&pc->cache);
	if (r < 0) {
		free(pc);
		return r;
	}
	pc->loop = loop;
	pc->interim = interim;
	pc->n_interim = n_interim;
	pc->rerun = rerun;
	pc->impl = impl;
	*ret = pc;
	return 0;
}

void nx_policy_drop_conn(nx_policy *pc, const nx_rpc_conn *conn)
{
	if (pc)
		pol_cache_drop_conn(pc->cache, (uintptr_t)conn);
}

unsigned nx_policy_held(const nx_policy *pc)
{
	return pc ? pc->nheld : 0;
}

nx_policy *nx_policy_free(nx_policy *pc)
{
	if (!pc)
		return NULL;
	for (struct held *k = pc->held, *next; k; k = next) {
		nx_rpc_incoming *in = k->in;

		next = k->next;
		held_destroy(k);
		nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	}
	pc->held = NULL;
	pc->nheld = 0;
	pc->follow = nx_follow_free(pc->follow);
	policy_drop(pc);
	pol_cache_free(pc->cache);
	free(pc);
	return NULL;
}
