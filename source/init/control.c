/* SPDX-License-Identifier: MIT */
/* nexus-init's control interface. See control.h. */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.capnp.h"
#include "nexus-types.capnp.h"
#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "policy.h"
#include "registry/conns.h"
#include "samgr.capnp.h"

#define INITCTL_NAME    "initctl"
#define INITCTL_SUBJECT "svc:initctl"
#define CONTROL_CAP     "svc.control"

struct client {
	struct client *next;
	struct init_ctl *c;
	nx_rpc_conn *conn;
	char subject[NX_SVC_SUBJECT_MAX + 1];
};

struct init_ctl {
	nx_loop *loop;
	const struct init_ctl_ops *ops;
	void *init;
	struct init_control *bootstrap; /* what every client's connection serves */
	struct conns *conns;
	/* While attached: our channel to samgrd, our ServiceHost, the policy client. */
	nx_rpc_conn *samgr_conn;
	struct samgr *samgr;
	struct nexus_service_host *host;
	nx_policy *policy;
	struct client *clients;
};

/* ---- Clients ---- */

/* Closes a client already out of the list. */
static void client_close(struct client *cl)
{
	struct init_ctl *c = cl->c;

	conns_release(c->conns, cl->subject);
	nx_policy_drop_conn(c->policy, cl->conn);
	nx_rpc_conn_free(cl->conn);
	free(cl);
}

static void on_client_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	struct client *cl = userdata;
	struct client **p = &cl->c->clients;

	while (*p != cl)
		p = &(*p)->next;
	*p = cl->next;
	client_close(cl);
}

static const char *subject_of(struct init_ctl *c, const nx_rpc_incoming *in)
{
	nx_rpc_conn *conn = nx_rpc_incoming_conn(in);

	for (struct client *cl = c->clients; cl; cl = cl->next)
		if (cl->conn == conn)
			return cl->subject;
	return NULL;
}

/* ---- InitControl ---- */

typedef int (*op_fn)(void *init, const char *name, char *why, size_t why_size);

/* The one shape of every method: svc.control for the caller's subject, then the op. */
static int control(struct init_ctl *c, nx_rpc_incoming *in, const char *text, size_t len, op_fn op)
{
	char name[INIT_NAME_MAX_LEN + 1], why[160] = "";
	const char *subject = subject_of(c, in);
	bool allowed;
	int r;

	if (!subject)
		return -EPERM; /* not through an accepted connection: nobody vouched for it */
	r = nx_policy_allowed(c->policy, in, subject, CONTROL_CAP, &allowed);
	if (r != 0)
		return r; /* NX_RPC_ASYNC: runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks %s", subject, CONTROL_CAP);
	memcpy(name, text, len); /* validated: 1..INIT_NAME_MAX_LEN bytes, no NUL */
	name[len] = '\0';
	r = op(c->init, name, why, sizeof(why));
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(in, r, "name: no service %s in the table", name);
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "%s", why);
	return 0;
}

static int serve_restart(void *impl, nx_rpc_incoming *in, init_control_restart_params params)
{
	struct init_ctl *c = impl;
	const char *name;
	size_t len;
	int r;

	(void)init_control_restart_params_get_name(params, &name, &len);
	r = control(c, in, name, len, c->ops->restart);
	return r == 0 ? init_control_restart_return(in) : r;
}

static int serve_stop(void *impl, nx_rpc_incoming *in, init_control_stop_params params)
{
	struct init_ctl *c = impl;
	const char *name;
	size_t len;
	int r;

	(void)init_control_stop_params_get_name(params, &name, &len);
	r = control(c, in, name, len, c->ops->stop);
	return r == 0 ? init_control_stop_return(in) : r;
}

static int serve_start(void *impl, nx_rpc_incoming *in, init_control_start_params params)
{
	struct init_ctl *c = impl;
	const char *name;
	size_t len;
	int r;

	(void)init_control_start_params_get_name(params, &name, &len);
	r = control(c, in, name, len, c->ops->start);
	return r == 0 ? init_control_start_return(in) : r;
}

static const struct init_control_server control_vt = {
        .restart = serve_restart,
        .stop = serve_stop,
        .start = serve_start,
};

/* Held calls run again through here once policyd answered. */
static int rerun(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	return init_control_dispatch(&control_vt, impl, in, iface, method);
}

/* ---- ServiceHost: samgrd hands us clients ---- */

static int host_accept(void *impl, nx_rpc_incoming *in, nexus_service_host_accept_params params)
{
	struct init_ctl *c = impl;
	struct nexus_endpoint *end = NULL;
	struct client *cl;
	const char *subject;
	size_t len;
	int fd, r;

	(void)nexus_service_host_accept_params_get_subject(params, &subject, &len);
	r = nexus_service_host_accept_params_get_conn(params, &end);
	fd = r >= 0 ? nx_rpc_cap_take_fd(nexus_endpoint_cap(end)) : r;
	nx_rpc_cap_unref(nexus_endpoint_cap(end));
	if (fd < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "conn: no channel attached");
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	memcpy(cl->subject, subject, len); /* validated: at most NX_SVC_SUBJECT_MAX bytes */
	r = conns_acquire(c->conns, cl->subject);
	if (r < 0) {
		nx_fd_close(fd);
		free(cl);
		return nx_rpc_incoming_failf(
		        in, -EDQUOT, "conn: too many connections for this subject or service");
	}
	r = nx_rpc_conn_new(c->loop, fd, init_control_cap(c->bootstrap), &cl->conn); /* takes fd */
	if (r < 0) {
		conns_release(c->conns, cl->subject);
		free(cl);
		return r;
	}
	cl->c = c;
	cl->next = c->clients;
	c->clients = cl;
	nx_rpc_conn_set_disconnect_cb(cl->conn, on_client_gone, cl);
	return nx_rpc_incoming_return(in);
}

static const struct nexus_service_host_server host_vt = {
        .accept = host_accept,
};

/* ---- Attaching to samgrd ---- */

static void on_registered(void *userdata, int error, const char *reason, samgr_register_results out)
{
	if (error < 0)
		printf("init: cannot register %s with samgrd: %s\n", INITCTL_NAME, reason);
}

static void on_adopted(
        void *userdata, int error, const char *reason, samgr_admin_adopt_results results)
{
	if (error < 0)
		printf("init: samgrd refused to adopt %s: %s\n", INITCTL_SUBJECT, reason);
}

static void on_samgr_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	init_ctl_detach(userdata);
}

/* Our end of a fresh channel to samgrd: the other end adopted there as svc:initctl. */
static int adopt_channel(struct samgr_admin *admin, int *ret_fd)
{
	static const struct nexus_endpoint_server endpoint_vt = {0};
	struct nexus_endpoint *ep;
	int chan[2], r;

	r = nx_chan_pair(chan);
	if (r < 0)
		return r;
	r = nexus_endpoint_server_new_with_fd(&endpoint_vt, NULL, NULL, chan[0], &ep); /* takes */
	if (r < 0) {
		nx_fd_close(chan[1]);
		return r;
	}
	/* Sent before we speak on our end: samgrd serves it by the time register arrives. */
	r = samgr_admin_adopt(admin, ep, INITCTL_SUBJECT, on_adopted, NULL);
	nx_rpc_cap_unref(nexus_endpoint_cap(ep));
	if (r < 0) {
		nx_fd_close(chan[1]);
		return r;
	}
	*ret_fd = chan[1];
	return 0;
}

void init_ctl_attach(struct init_ctl *c, struct samgr_admin *admin)
{
	nx_rpc_cap *bootstrap;
	int fd = -1, r;

	init_ctl_detach(c);
	r = adopt_channel(admin, &fd);
	if (r >= 0)
		r = nx_rpc_conn_new(c->loop, fd, NULL, &c->samgr_conn); /* takes fd */
	if (r >= 0) {
		nx_rpc_conn_set_disconnect_cb(c->samgr_conn, on_samgr_gone, c);
		r = nx_rpc_conn_bootstrap(c->samgr_conn, &bootstrap);
	}
	if (r >= 0) {
		c->samgr = samgr_from_cap(bootstrap);
		r = nexus_service_host_server_new(&host_vt, c, NULL, &c->host);
	}
	if (r >= 0)
		r = nx_policy_new(c->loop, NULL, 0, rerun, c, &c->policy); /* no interim grant */
	if (r >= 0)
		r = nx_policy_follow(c->policy, c->samgr);
	if (r >= 0)
		r = samgr_register(c->samgr, INITCTL_NAME, c->host, on_registered, c);
	if (r < 0) {
		printf("init: cannot serve %s: %s\n", INITCTL_NAME, strerror(-r));
		init_ctl_detach(c);
	}
}

void init_ctl_detach(struct init_ctl *c)
{
	/* Held calls fail (canceled) while their connections still live. */
	c->policy = nx_policy_free(c->policy);
	for (struct client *cl = c->clients, *next; cl; cl = next) {
		next = cl->next;
		client_close(cl);
	}
	c->clients = NULL;
	nx_rpc_cap_unref(samgr_cap(c->samgr));
	c->samgr = NULL;
	c->samgr_conn = nx_rpc_conn_free(c->samgr_conn);
	nx_rpc_cap_unref(nexus_service_host_cap(c->host));
	c->host = NULL;
}

int init_ctl_new(nx_loop *loop, const struct init_ctl_ops *ops, void *init, struct init_ctl **ret)
{
	struct init_ctl *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->ops = ops;
	c->init = init;
	r = conns_new(&c->conns);
	if (r >= 0)
		r = init_control_server_new(&control_vt, c, NULL, &c->bootstrap);
	if (r < 0) {
		init_ctl_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct init_ctl *init_ctl_free(struct init_ctl *c)
{
	if (!c)
		return NULL;
	init_ctl_detach(c);
	nx_rpc_cap_unref(init_control_cap(c->bootstrap));
	conns_free(c->conns);
	free(c);
	return NULL;
}
