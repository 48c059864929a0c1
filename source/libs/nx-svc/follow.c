/* SPDX-License-Identifier: MIT */
/* nx-svc follow: a channel to a named service as it comes and goes. See follow.h. */
#include "follow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "samgr.capnp.h"
#include "supervise/supervise.h"
#include "svc.h"

struct nx_follow {
	nx_loop *loop;
	struct samgr *samgr;
	char name[NX_SVC_NAME_MAX + 1];
	const struct nx_follow_ops *ops;
	void *userdata;
	struct samgr_service_watcher *watcher; /* ours, on `name` */
	/* Kept to be canceled by nx_follow_free. */
	nx_rpc_call *watch_call, *resolve_call;
	nx_rpc_conn *conn; /* the channel handed by `up` */
	nx_rpc_cap *bootstrap;
	nx_source *retry;
	struct sup_backoff backoff;
};

static void resolve(nx_follow *f);

static void retry_later(nx_follow *f)
{
	nx_source_set_deadline(f->retry, nx_clock_monotonic_ns() + sup_backoff_next(&f->backoff));
}

static void on_retry(nx_source *s, void *userdata)
{
	resolve(userdata);
}

static void channel_drop(nx_follow *f)
{
	f->bootstrap = nx_rpc_cap_unref(f->bootstrap);
	f->conn = nx_rpc_conn_free(f->conn);
}

static void on_channel_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	nx_follow *f = userdata;

	channel_drop(f);
	retry_later(f);
	f->ops->down(f->userdata);
}

/* Takes `fd`, a channel to the service; hands its bootstrap to `up`. */
static int channel_up(nx_follow *f, int fd)
{
	nx_rpc_conn *conn = NULL, *old_conn = f->conn;
	nx_rpc_cap *bootstrap = NULL, *old_bootstrap = f->bootstrap;
	int r;

	r = nx_rpc_conn_new(f->loop, fd, NULL, &conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(conn, &bootstrap);
	if (r < 0) {
		nx_rpc_conn_free(conn);
		return r;
	}
	nx_rpc_conn_set_disconnect_cb(conn, on_channel_gone, f);
	f->conn = conn;
	f->bootstrap = bootstrap;
	sup_backoff_reset(&f->backoff);
	nx_source_set_deadline(f->retry, UINT64_MAX);
	f->ops->up(f->userdata, bootstrap);
	/* The old channel goes after the new one is handed: calls failing on it find a caller
	 * that already holds the new one. */
	nx_rpc_cap_unref(old_bootstrap);
	nx_rpc_conn_free(old_conn);
	return 0;
}

static void on_resolved(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	samgr_resolve_results out = {res->results};
	struct nexus_endpoint *end = NULL;
	nx_follow *f = userdata;
	int r = res->error;

	if (r >= 0)
		r = samgr_resolve_results_get_endpoint(out, &end);
	/* The channel is ours alone: taken out of the capability, not copied. */
	if (r >= 0)
		r = nx_rpc_cap_take_fd(nexus_endpoint_cap(end));
	nx_rpc_cap_unref(nexus_endpoint_cap(end));
	f->resolve_call = nx_rpc_call_free(call); /* res with it */
	if (r >= 0)
		r = channel_up(f, r);
	if (r < 0) {
		/* Not registered yet (not_found), or gone meanwhile: the watcher or the timer
		 * brings us back. */
		retry_later(f);
		f->ops->down(f->userdata);
	}
}

static void resolve(nx_follow *f)
{
	samgr_resolve_params_b params;
	nx_rpc_call *call = NULL;
	int r;

	if (f->resolve_call)
		return;
	r = samgr_resolve_start(f->samgr, &call, &params);
	if (r >= 0)
		r = samgr_resolve_params_set_name(params, f->name, strlen(f->name));
	if (r >= 0)
		r = nx_rpc_call_send(call, on_resolved, f);
	if (r < 0) {
		nx_rpc_call_free(call);
		retry_later(f);
		f->ops->down(f->userdata);
		return;
	}
	f->resolve_call = call;
}

static int watcher_changed(void *impl, nx_rpc_incoming *in, samgr_service_watcher_changed_params p)
{
	nx_follow *f = impl;

	/* "up": the service (re)registered. A channel to the one before breaks by itself;
	 * resolving replaces it at once. */
	if (samgr_service_watcher_changed_params_get_up(p)) {
		sup_backoff_reset(&f->backoff);
		resolve(f);
	}
	return samgr_service_watcher_changed_return(in);
}

static const struct samgr_service_watcher_server watcher_vt = {
        .changed = watcher_changed,
};

static void on_watch(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	nx_follow *f = userdata;

	/* No watch (denied?): resolving on the timer instead. */
	if (res->error < 0)
		retry_later(f);
	f->watch_call = nx_rpc_call_free(call);
}

static int watch_start(nx_follow *f)
{
	samgr_watch_params_b params;
	int r;

	r = samgr_service_watcher_server_new(&watcher_vt, f, NULL, &f->watcher);
	if (r >= 0)
		r = samgr_watch_start(f->samgr, &f->watch_call, &params);
	if (r >= 0)
		r = samgr_watch_params_set_name(params, f->name, strlen(f->name));
	if (r >= 0)
		r = samgr_watch_params_set_cb(params, f->watcher);
	if (r >= 0)
		r = nx_rpc_call_send(f->watch_call, on_watch, f);
	if (r < 0) {
		f->watch_call = nx_rpc_call_free(f->watch_call);
		if (r != -ENOMEM)
			retry_later(f);
	}
	return r == -ENOMEM ? r : 0;
}

int nx_follow_new(nx_loop *loop, struct samgr *samgr, const char *name,
        const struct nx_follow_ops *ops, void *userdata, nx_follow **ret)
{
	size_t len = name ? strlen(name) : 0;
	nx_follow *f;
	int r;

	if (!loop || !samgr || len == 0 || len > NX_SVC_NAME_MAX || !ops || !ops->up ||
	        !ops->down || !ret)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->loop = loop;
	f->samgr = samgr_from_cap(nx_rpc_cap_ref(samgr_cap(samgr)));
	memcpy(f->name, name, len);
	f->ops = ops;
	f->userdata = userdata;
	r = nx_loop_add_timer(loop, UINT64_MAX, on_retry, f, &f->retry);
	if (r >= 0)
		r = watch_start(f);
	if (r < 0) {
		nx_follow_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

int nx_follow_set_samgr(nx_follow *f, struct samgr *samgr)
{
	if (!f || !samgr)
		return -EINVAL;
	/* The watch and a resolve in flight died with the old samgrd; the channel did not. */
	f->watch_call = nx_rpc_call_free(f->watch_call);
	f->resolve_call = nx_rpc_call_free(f->resolve_call);
	f->watcher = samgr_service_watcher_from_cap(
	        nx_rpc_cap_unref(samgr_service_watcher_cap(f->watcher)));
	nx_rpc_cap_unref(samgr_cap(f->samgr));
	f->samgr = samgr_from_cap(nx_rpc_cap_ref(samgr_cap(samgr)));
	return watch_start(f);
}

bool nx_follow_resolving(const nx_follow *f)
{
	return f && f->resolve_call;
}

void nx_follow_reconnect(nx_follow *f)
{
	channel_drop(f);
	retry_later(f);
}

nx_follow *nx_follow_free(nx_follow *f)
{
	if (!f)
		return NULL;
	channel_drop(f);
	nx_rpc_call_free(f->watch_call);
	nx_rpc_call_free(f->resolve_call);
	nx_rpc_cap_unref(samgr_service_watcher_cap(f->watcher));
	nx_source_free(f->retry);
	nx_rpc_cap_unref(samgr_cap(f->samgr));
	free(f);
	return NULL;
}
