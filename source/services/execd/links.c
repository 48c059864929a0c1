/* SPDX-License-Identifier: MIT */
/*
 * execd's links to other services: bundlemgrd (the bundles it runs) and logd (crash reports
 * quote an app's last records) followed by name (nx-svc follow.h), and the SamgrAdmin samgrd
 * gives svc:execd (Samgr.adopter), asked again whenever samgrd restarted.
 */
#include <errno.h>
#include <string.h>

#include "execd.h"
#include "nx-log/log.h"

static void bundles_up(void *userdata, nx_rpc_cap *bootstrap)
{
	struct execd *d = userdata;

	nx_rpc_cap_unref(bundle_bundles_cap(d->bundles));
	d->bundles = bundle_bundles_from_cap(nx_rpc_cap_ref(bootstrap));
}

static void bundles_down(void *userdata)
{
	struct execd *d = userdata;

	d->bundles = bundle_bundles_from_cap(nx_rpc_cap_unref(bundle_bundles_cap(d->bundles)));
}

static void logd_up(void *userdata, nx_rpc_cap *bootstrap)
{
	struct execd *d = userdata;

	nx_rpc_cap_unref(log_cap(d->log));
	d->log = log_from_cap(nx_rpc_cap_ref(bootstrap));
}

static void logd_down(void *userdata)
{
	struct execd *d = userdata;

	d->log = log_from_cap(nx_rpc_cap_unref(log_cap(d->log)));
}

static const struct nx_follow_ops bundles_ops = {.up = bundles_up, .down = bundles_down};
static const struct nx_follow_ops logd_ops = {.up = logd_up, .down = logd_down};

static void on_adopter(void *userdata, int error, const char *reason, samgr_adopter_results out)
{
	struct execd *d = userdata;
	struct samgr_admin *admin = NULL;

	d->adopter_call = NULL;
	if (error < 0 || samgr_adopter_results_get_admin(out, &admin) < 0) {
		nx_log(NX_LOG_ERROR, NULL, "samgrd gives no adopter interface: %s",
		        error < 0 ? reason : "no capability in the answer");
		return;
	}
	nx_rpc_cap_unref(samgr_admin_cap(d->admin));
	d->admin = admin;
}

struct samgr_admin *execd_admin(struct execd *d)
{
	struct samgr *samgr = nx_svc_samgr(d->svc);
	int r;

	if (samgr == d->admin_samgr)
		return d->admin; /* NULL while asked */
	/* samgrd restarted (or this is the first time): the old SamgrAdmin died with it. */
	d->admin = samgr_admin_from_cap(nx_rpc_cap_unref(samgr_admin_cap(d->admin)));
	d->adopter_call = nx_rpc_call_free(d->adopter_call);
	d->admin_samgr = samgr;
	if (!samgr)
		return NULL;
	samgr_adopter_params_b params;

	r = samgr_adopter_start(samgr, &d->adopter_call, &params);
	if (r >= 0)
		r = samgr_adopter_send(d->adopter_call, on_adopter, d); /* takes the call */
	if (r < 0) {
		d->adopter_call = NULL;
		d->admin_samgr = NULL; /* ask again next time */
		nx_log(NX_LOG_ERROR, NULL, "cannot ask samgrd for the adopter: %s", strerror(-r));
	}
	return NULL;
}

int execd_links_start(struct execd *d)
{
	int r = nx_follow_new(
	        d->loop, nx_svc_samgr(d->svc), "bundlemgrd", &bundles_ops, d, &d->bundles_follow);

	if (r >= 0)
		r = nx_follow_new(
		        d->loop, nx_svc_samgr(d->svc), "logd", &logd_ops, d, &d->logd_follow);
	if (r >= 0)
		(void)execd_admin(d);
	return r;
}

void execd_links_stop(struct execd *d)
{
	d->bundles_follow = nx_follow_free(d->bundles_follow);
	d->logd_follow = nx_follow_free(d->logd_follow);
	bundles_down(d);
	logd_down(d);
	d->adopter_call = nx_rpc_call_free(d->adopter_call);
	d->admin = samgr_admin_from_cap(nx_rpc_cap_unref(samgr_admin_cap(d->admin)));
}
