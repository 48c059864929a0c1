/* SPDX-License-Identifier: MIT */
/*
 * dsoftbusd remote: a paired peer opens a stream to an exported service. dsoftbusd makes a
 * samgr channel for that caller (Samgr.adopt as peer:<device>/<subject>: samgrd lets
 * svc:dsoftbusd hand out only that prefix) and resolves the service over it, so this
 * device's policy decides with the remote caller's own subject (ipc.connect.<service>), and
 * a denial comes back to the caller as its reason. The Endpoint it gets is relayed to the
 * stream. The adopted channel lives as long as the stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsoftbusd.h"
#include "nexus-types.capnp.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "samgr.capnp.h"

struct bus_remote {
	struct bus_stream *st;
	nx_rpc_call *call; /* the adopt or resolve in flight */
	nx_rpc_conn *conn; /* the adopted samgr channel */
	nx_rpc_cap *samgr;
	nx_source *reap; /* frees the stream after a refusal, outside the call's callback */
	char service[BUSMUX_SERVICE_MAX + 1];
};

static const struct nexus_endpoint_server endpoint_vt;

static void on_reap(nx_source *src, void *userdata)
{
	struct bus_remote *rm = userdata;

	bus_stream_free(rm->st); /* frees rm */
}

static void refuse(struct bus_remote *rm, const char *reason)
{
	struct bus_stream *st = rm->st;

	st->d->counters.opens_refused++;
	(void)busmux_refuse(bus_session_mux(st->ps->s), st->stream, reason);
	bus_session_kick(st->ps->s);
	nx_source_enable(rm->reap);
}

static void resolved(void *userdata, int error, const char *reason, samgr_resolve_results res)
{
	struct bus_remote *rm = userdata;
	struct bus_stream *st = rm->st;
	struct nexus_endpoint *ep = NULL;
	int fd, r;

	rm->call = NULL;
	if (error < 0) {
		refuse(rm, reason);
		return;
	}
	r = samgr_resolve_results_get_endpoint(res, &ep);
	fd = r >= 0 ? nx_rpc_cap_take_fd(nexus_endpoint_cap(ep)) : r;
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	r = fd >= 0 ? bus_relay_new(st->d->loop, fd, st->ps->s, st->stream, bus_stream_relay_gone,
	                      st, &st->relay)
	            : fd;
	if (r >= 0)
		r = busmux_accept(bus_session_mux(st->ps->s), st->stream, st);
	if (r < 0) {
		refuse(rm, "internal: cannot relay the service's channel");
		return;
	}
	bus_session_kick(st->ps->s);
}

static void adopted(void *userdata, int error, const char *reason, samgr_adopt_results res)
{
	struct bus_remote *rm = userdata;
	samgr_resolve_params_b p;
	int r;

	rm->call = NULL;
	if (error < 0) {
		nx_log(NX_LOG_ERROR, "remote", "samgrd refused the peer channel: %s", reason);
		refuse(rm, "unavailable: this device cannot admit remote callers now");
		return;
	}
	r = nx_rpc_conn_bootstrap(rm->conn, &rm->samgr);
	if (r >= 0)
		r = samgr_resolve_start(samgr_from_cap(rm->samgr), &rm->call, &p);
	if (r >= 0)
		r = samgr_resolve_params_set_name(p, rm->service, strlen(rm->service));
	if (r >= 0)
		r = samgr_resolve_send(rm->call, resolved, rm); /* takes the call, even failing */
	else
		nx_rpc_call_free(rm->call);
	if (r < 0) {
		rm->call = NULL;
		refuse(rm, "internal: cannot resolve the service");
	}
}

int bus_remote_open(struct bus_stream *st, const char *service, const char *subject)
{
	struct bus_remote *rm = calloc(1, sizeof(*rm));
	struct nexus_endpoint *ep = NULL;
	char peer[NX_SVC_SUBJECT_MAX + 1];
	samgr_adopt_params_b p;
	int fds[2] = {-1, -1}, r;

	if (!rm)
		return -ENOMEM;
	rm->st = st;
	st->remote = rm;
	snprintf(rm->service, sizeof(rm->service), "%s", service);
	snprintf(peer, sizeof(peer), "peer:%s/%s", bus_session_device(st->ps->s), subject);
	r = nx_loop_add_defer(st->d->loop, on_reap, rm, &rm->reap);
	if (r >= 0)
		r = nx_source_disable(rm->reap);
	if (r >= 0)
		r = nx_chan_pair(fds);
	if (r >= 0) {
		r = nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, fds[0], &ep);
		fds[0] = -1; /* taken */
	}
	if (r >= 0) {
		r = nx_rpc_conn_new(st->d->loop, fds[1], NULL, &rm->conn);
		fds[1] = -1; /* taken */
	}
	if (r >= 0)
		r = samgr_adopt_start(nx_svc_samgr(st->d->svc), &rm->call, &p);
	if (r >= 0)
		r = samgr_adopt_params_set_conn(p, ep);
	if (r >= 0)
		r = samgr_adopt_params_set_subject(p, peer, strlen(peer));
	if (r >= 0)
		r = samgr_adopt_send(rm->call, adopted, rm);
	else
		rm->call = nx_rpc_call_free(rm->call);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	nx_fd_close(fds[0]);
	nx_fd_close(fds[1]);
	if (r < 0) {
		rm->call = NULL;
		st->remote = NULL;
		bus_remote_free(rm);
	}
	return r;
}

void bus_remote_free(struct bus_remote *rm)
{
	if (!rm)
		return;
	nx_rpc_call_free(rm->call);
	nx_rpc_cap_unref(rm->samgr);
	nx_rpc_conn_free(rm->conn);
	nx_source_free(rm->reap);
	free(rm);
}
