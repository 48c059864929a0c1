/* SPDX-License-Identifier: MIT */
/*
 * execd's links to other services: bundlemgrd (the bundles it runs) and logd (crash reports
 * quote an app's last records) followed by name (nx-svc follow.h). Apps' channels are adopted
 * with Samgr.adopt on execd's own samgr channel (spawn.c).
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

int execd_links_start(struct execd *d)
{
	int r = nx_follow_new(
	        d->loop, nx_svc_samgr(d->svc), "bundlemgrd", &bundles_ops, d, &d->bundles_follow);

	if (r >= 0)
		r = nx_follow_new(
		        d->loop, nx_svc_samgr(d->svc), "logd", &logd_ops, d, &d->logd_follow);
	return r;
}

void execd_links_stop(struct execd *d)
{
	d->bundles_follow = nx_follow_free(d->bundles_follow);
	d->logd_follow = nx_follow_free(d->logd_follow);
	bundles_down(d);
	logd_down(d);
}
