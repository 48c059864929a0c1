/* SPDX-License-Identifier: MIT */
/*
 * Install-time grants and policyd (policy.capnp setGrants/resetGrants/checkMany). bundlemgrd's
 * records are the source of truth: whenever policyd comes up (bundlemgrd's start, policyd's
 * restart) every grant is set again after a reset, and every install and removal sets that
 * bundle's. What a publisher may grant is itself policy: `publisher:<key id>` must hold
 * `grant.<cap>`, asked with one checkMany per install.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundlemgrd.h"
#include "nx-log/log.h"

#define APP_PREFIX       "app:"
#define PUBLISHER_PREFIX "publisher:"
#define GRANT_PREFIX     "grant."

struct push {
	void (*done)(void *userdata, int error);
	void *userdata;
	char subject[sizeof(APP_PREFIX) + BND_ID_MAX];
};

static void on_pushed(void *userdata, int error, const char *reason, policy_set_grants_results res)
{
	struct push *p = userdata;

	if (error < 0)
		nx_log(NX_LOG_WARN, "grants", "%s: policyd refused the grants: %s", p->subject,
		        reason ? reason : strerror(-error));
	if (p->done)
		p->done(p->userdata, error);
	free(p);
}

/* setGrants(app:<rec id>, rec caps). */
static int push_record(struct bundlemgrd *d, const char *id, const struct bmd_record *rec,
        void (*done)(void *userdata, int error), void *userdata)
{
	policy_set_grants_params_b params;
	nx_capnp_blist caps;
	nx_rpc_call *call = NULL;
	struct push *p;
	size_t n = rec ? rec->ncaps : 0;
	int r;

	if (!d->policy)
		return -EAGAIN;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->done = done;
	p->userdata = userdata;
	snprintf(p->subject, sizeof(p->subject), APP_PREFIX "%s", id);
	r = policy_set_grants_start(d->policy, &call, &params);
	if (r >= 0)
		r = policy_set_grants_params_set_subject(params, p->subject, strlen(p->subject));
	if (r >= 0)
		r = policy_set_grants_params_init_caps(params, (uint32_t)n, &caps);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		nx_capnp_bptr c = nx_capnp_blist_ptr(&caps, (uint32_t)i);

		r = nx_capnp_bptr_set_text(&c, rec->caps[i], strlen(rec->caps[i]));
	}
	if (r < 0) {
		nx_rpc_call_free(call);
		free(p);
		return r;
	}
	r = policy_set_grants_send(call, on_pushed, p); /* takes call */
	if (r < 0)
		free(p);
	return r;
}

int bmd_grants_push(struct bundlemgrd *d, const char *id, void (*done)(void *userdata, int error),
        void *userdata)
{
	struct bmd_record rec;
	int r = bmd_store_get(d->store, id, &rec);

	if (r < 0 && r != -ENOENT)
		return r;
	return push_record(d, id, r == -ENOENT ? NULL : &rec, done, userdata);
}

static int push_one(void *userdata, const struct bmd_record *rec)
{
	int r = push_record(userdata, rec->id, rec, NULL, NULL);

	if (r < 0)
		nx_log(NX_LOG_WARN, "grants", "app:%s: cannot set its grants: %s", rec->id,
		        strerror(-r));
	return 0; /* the others still get theirs */
}

static void on_reset(void *userdata, int error, const char *reason, policy_reset_grants_results res)
{
	struct bundlemgrd *d = userdata;

	if (error < 0) {
		nx_log(NX_LOG_WARN, "grants", "policyd refused to reset the grants: %s",
		        reason ? reason : strerror(-error));
		return;
	}
	if (d->policy)
		(void)bmd_store_each(d->store, push_one, d);
}

static void policyd_up(void *userdata, nx_rpc_cap *bootstrap)
{
	struct bundlemgrd *d = userdata;
	int r;

	nx_rpc_cap_unref(policy_cap(d->policy));
	d->policy = policy_from_cap(nx_rpc_cap_ref(bootstrap));
	/* Calls on one channel are answered in order: the reset lands before the sets. */
	r = policy_reset_grants(d->policy, on_reset, d);
	if (r < 0)
		nx_log(NX_LOG_WARN, "grants", "cannot reset the grants: %s", strerror(-r));
}

static void policyd_down(void *userdata)
{
	struct bundlemgrd *d = userdata;

	d->policy = policy_from_cap(nx_rpc_cap_unref(policy_cap(d->policy)));
}

static const struct nx_follow_ops policyd_ops = {.up = policyd_up, .down = policyd_down};

int bmd_grants_start(struct bundlemgrd *d)
{
	return nx_follow_new(
	        nx_svc_loop(d->svc), nx_svc_samgr(d->svc), "policyd", &policyd_ops, d, &d->policyd);
}

void bmd_grants_stop(struct bundlemgrd *d)
{
	d->policyd = nx_follow_free(d->policyd);
	d->policy = policy_from_cap(nx_rpc_cap_unref(policy_cap(d->policy)));
}

struct ask {
	bmd_grants_answer_fn done;
	void *userdata;
	size_t ncaps;
};

static void on_answer(void *userdata, int error, const char *reason, policy_check_many_results res)
{
	struct ask *a = userdata;
	bool allowed[BND_CAPS_MAX] = {false};
	nx_capnp_list list = {0};

	if (error >= 0) {
		(void)policy_check_many_results_get_allowed(res, &list); /* validated */
		if (list.count != a->ncaps)
			error = -EBADMSG;
		for (uint32_t i = 0; error >= 0 && i < list.count; i++)
			allowed[i] = nx_capnp_list_get_bool(&list, i);
	}
	a->done(a->userdata, error, allowed);
	free(a);
}

int bmd_grants_ask(
        struct bundlemgrd *d, const bnd_bundle *b, bmd_grants_answer_fn done, void *userdata)
{
	char subject[sizeof(PUBLISHER_PREFIX) + BND_KEY_ID_LEN];
	char cap[sizeof(GRANT_PREFIX) + BND_CAP_MAX];
	policy_check_many_params_b params;
	nx_capnp_blist queries;
	nx_rpc_call *call = NULL;
	size_t n = bnd_bundle_cap_count(b);
	struct ask *a;
	int r;

	if (!d->policy)
		return -EAGAIN;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct ask){.done = done, .userdata = userdata, .ncaps = n};
	snprintf(subject, sizeof(subject), PUBLISHER_PREFIX "%s", bnd_bundle_key_id(b));
	r = policy_check_many_start(d->policy, &call, &params);
	if (r >= 0)
		r = policy_check_many_params_init_queries(params, (uint32_t)n, &queries);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		policy_query_b q = policy_query_b_at(&queries, (uint32_t)i);

		snprintf(cap, sizeof(cap), GRANT_PREFIX "%s", bnd_bundle_cap(b, i));
		r = policy_query_set_subject(q, subject, strlen(subject));
		if (r >= 0)
			r = policy_query_set_cap(q, cap, strlen(cap));
	}
	if (r < 0) {
		nx_rpc_call_free(call);
		free(a);
		return r;
	}
	r = policy_check_many_send(call, on_answer, a); /* takes call */
	if (r < 0)
		free(a);
	return r;
}
