/* SPDX-License-Identifier: MIT */
/*
 * The Endpoint capability resolve returns is also a proxy (DESIGN.md section 3), for clients
 * whose Cap'n Proto library cannot take the channel's fd: a call on it, of any interface and
 * method, is forwarded to the service over a channel samgrd brokers for that caller exactly
 * as resolve does (samgrd_broker: the caller's subject, the owner resolve found, the
 * service's own per-subject connection limits), and the answer comes back (nx-rpc/forward.h:
 * capabilities both ways, pipelining, the window that stops reading a sender whose forwards
 * wait).
 *
 * The channel is made lazily, on the first call on the Endpoint: a client that takes the fd
 * talks to the service directly and never costs samgrd a second channel. Then samgrd closes
 * its own copy of the Endpoint's fd: the direct channel stays open only where the client
 * really received it, so a client without fds holds one channel to the service, not two
 * (and the service's per-subject limit counts it once). The decision is the one resolve
 * made (ipc.connect.<name> for the caller's subject); the owner is the one resolve found: if
 * it left since, calls fail `disconnected` and a new resolve reaches the new owner. The channel lives as long as the Endpoint: released by its holder, or its
 * connection gone, the Endpoint goes and the channel closes, releasing at the service
 * everything the client held through it.
 *
 * A caller that never sent samgrd an fd is taken not to take any: results carrying one (a
 * VMO, an Endpoint) are refused with "unsupported: <field>: ..." naming the field from the
 * schemas below. Interfaces with an fd-free form: Log.query with inlineOnly (paged through
 * nextCursor/more).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "echo.capnp.h"
#include "exec.capnp.h"
#include "log.capnp.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "nx-rpc/forward.h"
#include "policy.capnp.h"
#include "rng.capnp.h"
#include "samgrd.h"

struct samgrd_proxy {
	struct samgrd *d;
	nx_rpc_cap *endpoint;            /* the Endpoint serving this (borrowed: it owns us) */
	struct nexus_service_host *host; /* the owner resolve found (a reference) */
	nx_rpc_call *accept;             /* ServiceHost.accept of the proxy channel, in flight */
	nx_rpc_conn *conn;               /* samgrd's channel to the service for this caller */
	nx_rpc_cap *service;             /* its bootstrap */
	bool gone;                       /* the channel closed or was refused: calls fail */
	char why[NX_RPC_REASON_MAX + 1]; /* the owner's refusal, passed on to later calls */
	char subject[NX_SVC_SUBJECT_MAX + 1];
	char name[NX_SVC_NAME_MAX + 1];
};

/* The schemas whose results the refusal can name fields of. */
static const struct nx_capnp_iface_desc *const *const known_schemas[] = {
        echo_interfaces,
        exec_interfaces,
        log_interfaces,
        policy_interfaces,
        rng_interfaces,
        samgr_interfaces,
        nexus_interfaces,
        NULL,
};
static const struct nx_rpc_forward_opts takes_fds = {0, known_schemas};
static const struct nx_rpc_forward_opts takes_no_fds = {NX_RPC_FORWARD_NO_FDS, known_schemas};

/* Closes the channel: forwarded calls in flight fail `disconnected`. The accept call, if
 * still in flight, stays: a refusing owner closes its end before it answers, and its answer
 * is the reason later calls get. */
static void proxy_close(struct samgrd_proxy *px)
{
	px->gone = true;
	px->service = nx_rpc_cap_unref(px->service);
	px->conn = nx_rpc_conn_free(px->conn);
}

static void on_channel_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	proxy_close(userdata);
}

static void on_accepted(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd_proxy *px = userdata;

	if (res->error < 0) {
		nx_log(NX_LOG_WARN, "proxy", "%s did not accept %s's proxy channel: %s", px->name,
		        px->subject, res->reason);
		(void)snprintf(px->why, sizeof(px->why), "unavailable: %s did not accept: %s",
		        px->name, res->reason);
	}
	px->accept = nx_rpc_call_free(call); /* res with it */
	if (px->why[0])
		proxy_close(px);
}

/* Brokers the channel and asks for its bootstrap (a promise: calls on it leave at once and
 * wait in the socket until the service accepted). */
static int proxy_open(struct samgrd_proxy *px)
{
	int fd, r;

	/* The direct channel's end samgrd kept (see the top of the file); none after a take. */
	fd = nx_rpc_cap_take_fd(px->endpoint);
	if (fd >= 0)
		nx_fd_close(fd);
	r = samgrd_broker(px->host, px->subject, on_accepted, px, &px->accept, &fd);
	if (r < 0)
		return r;
	r = nx_rpc_conn_new(px->d->loop, fd, NULL, &px->conn); /* takes fd */
	if (r >= 0)
		r = nx_rpc_conn_bootstrap(px->conn, &px->service);
	if (r < 0) {
		px->accept = nx_rpc_call_free(px->accept);
		proxy_close(px);
		return r;
	}
	nx_rpc_conn_set_disconnect_cb(px->conn, on_channel_gone, px);
	return 0;
}

static int proxy_dispatch(
        void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	struct samgrd_proxy *px = impl;
	nx_rpc_conn *caller = nx_rpc_incoming_conn(in);
	int r;

	if (!px->gone && !px->service) {
		r = proxy_open(px);
		if (r < 0)
			return nx_rpc_incoming_failf(
			        in, -EAGAIN, "%s cannot be reached: %s", px->name, strerror(-r));
	}
	if (px->gone && px->why[0])
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, px->why);
	if (px->gone)
		return nx_rpc_incoming_fail(in, NX_RPC_EXC_DISCONNECTED,
		        "unavailable: the channel to this service closed; resolve it again");
	return nx_rpc_forward(in, px->service,
	        caller && nx_rpc_conn_peer_sent_fds(caller) ? &takes_fds : &takes_no_fds);
}

static void proxy_destroy(void *impl)
{
	struct samgrd_proxy *px = impl;

	px->accept = nx_rpc_call_free(px->accept);
	proxy_close(px);
	nx_rpc_cap_unref(nexus_service_host_cap(px->host));
	free(px);
}

static const struct nx_rpc_server_ops proxy_ops = {
        .dispatch = proxy_dispatch,
        .destroy = proxy_destroy,
};

int samgrd_proxy_endpoint_new(struct samgrd *d, struct nexus_service_host *host,
        const char *subject, const char *name, int fd, struct nexus_endpoint **ret)
{
	struct samgrd_proxy *px = calloc(1, sizeof(*px));
	nx_rpc_cap *cap;
	int r;

	if (!px) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	px->d = d;
	px->host = nexus_service_host_from_cap(nx_rpc_cap_ref(nexus_service_host_cap(host)));
	(void)snprintf(px->subject, sizeof(px->subject), "%s", subject);
	(void)snprintf(px->name, sizeof(px->name), "%s", name);
	r = nx_rpc_server_new_with_fd(&proxy_ops, px, fd, &cap); /* takes fd */
	if (r < 0) {
		proxy_destroy(px);
		return r;
	}
	px->endpoint = cap;
	*ret = nexus_endpoint_from_cap(cap);
	return 0;
}
