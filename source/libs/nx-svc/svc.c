/* SPDX-License-Identifier: MIT */
/* nx-svc: bootstrap, register, ready, serve, stop. See svc.h. */
#include "svc.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "follow.h"
#include "initlink.h"
#include "log.capnp.h"
#include "logsink.h"
#include "nexus-types.capnp.h"
#include "nx-abi/clock.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "policy.h"
#include "registry/conns.h"
#include "samgr.capnp.h"

/* The journal's service name. */
#define LOGD_NAME "logd"

struct svc_client {
	struct svc_client *next;
	nx_svc *svc;
	nx_rpc_conn *conn;
	char subject[NX_SVC_SUBJECT_MAX + 1];
};

struct nx_svc {
	char name[NX_SVC_NAME_MAX + 1];
	nx_daemon *daemon;
	nx_loop *loop;                   /* the daemon's */
	nx_rpc_conn *samgr_conn;         /* fd 3 */
	struct samgr *samgr;             /* its bootstrap */
	struct nexus_service_host *host; /* ours, given to samgrd */
	nx_rpc_cap *bootstrap;           /* what accepted connections serve */
	struct svc_client *clients;
	struct conns *conns; /* the clients, against both connection limits */
	/* The way to logd for nx-log (every service but logd): logd followed through samgrd,
	 * the sink on the channel it brings. */
	nx_follow *log_follow;
	nx_logsink *logsink;
	nx_policy *policy; /* nx_svc_policy_start */
	nx_initlink *init; /* fd 5; NULL when run by hand */
};

static void client_free(struct svc_client *c)
{
	struct svc_client **p = &c->svc->clients;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	conns_release(c->svc->conns, c->subject);
	nx_policy_drop_conn(c->svc->policy, c->conn);
	nx_rpc_conn_free(c->conn);
	free(c);
}

static void on_client_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	client_free(userdata);
}

/* ---- ServiceHost: samgrd hands us clients ---- */

static int host_accept(void *impl, nx_rpc_incoming *in, nexus_service_host_accept_params params)
{
	nx_svc *svc = impl;
	struct nexus_endpoint *end = NULL;
	struct svc_client *c;
	const char *subject;
	size_t len;
	int fd, r;

	if (nx_daemon_stopping(svc->daemon))
		return nx_rpc_incoming_failf(in, -EAGAIN, "the service is stopping");
	/* The generated dispatcher already checked the subject: present, <= 128, no inner NUL. */
	(void)nexus_service_host_accept_params_get_subject(params, &subject, &len);
	/* The channel is ours alone from here: taken out of the capability, not copied. */
	r = nexus_service_host_accept_params_get_conn(params, &end);
	fd = r >= 0 ? nx_rpc_cap_take_fd(nexus_endpoint_cap(end)) : r;
	nx_rpc_cap_unref(nexus_endpoint_cap(end));
	if (fd < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "conn: no channel attached");
	c = calloc(1, sizeof(*c));
	if (!c) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	memcpy(c->subject, subject, len);
	r = conns_acquire(svc->conns, c->subject);
	if (r < 0) {
		nx_fd_close(fd);
		if (r == -EDQUOT && conns_total(svc->conns) >= NX_CONN_MAX_PER_SERVICE)
			r = nx_rpc_incoming_failf(in, r,
			        "conn: the service holds %u connections, the most it takes "
			        "(NX_CONN_MAX_PER_SERVICE)",
			        (unsigned)conns_total(svc->conns));
		else if (r == -EDQUOT)
			r = nx_rpc_incoming_failf(in, r,
			        "conn: %s holds %u connections to the service, the most one subject "
			        "may (NX_CONN_MAX_PER_SUBJECT)",
			        c->subject, (unsigned)conns_of(svc->conns, c->subject));
		free(c);
		return r;
	}
	r = nx_rpc_conn_new(svc->loop, fd, svc->bootstrap, &c->conn); /* takes fd */
	if (r < 0) {
		conns_release(svc->conns, c->subject);
		free(c);
		return r;
	}
	c->svc = svc;
	c->next = svc->clients;
	svc->clients = c;
	nx_rpc_conn_set_disconnect_cb(c->conn, on_client_gone, c);
	return nx_rpc_incoming_return(in);
}

static const struct nexus_service_host_server host_vt = {
        .accept = host_accept,
};

/* ---- The way to logd (nx-log's sink) ---- */

static void on_sink_lost(nx_logsink *sink, void *userdata)
{
	nx_svc *svc = userdata;

	/* A stream call failed: nx-log buffers again (bounded, drops counted) while a fresh
	 * channel is resolved after the backoff. */
	if (sink == svc->logsink)
		svc->logsink = nx_logsink_free(sink);
	nx_log(NX_LOG_DEBUG, "svc", "lost logd, buffering");
	nx_follow_reconnect(svc->log_follow);
}

static void on_logd_up(void *userdata, nx_rpc_cap *bootstrap)
{
	nx_svc *svc = userdata;
	int r;

	/* The old sink first: freeing a sink detaches whatever sink nx-log holds. */
	svc->logsink = nx_logsink_free(svc->logsink);
	r = nx_logsink_new_cap(
	        svc->loop, log_from_cap(bootstrap), on_sink_lost, svc, &svc->logsink);
	if (r < 0) {
		nx_log(NX_LOG_WARN, "svc", "cannot start the log sink: %s", strerror(-r));
		nx_follow_reconnect(svc->log_follow);
	}
}

static void on_logd_down(void *userdata)
{
	nx_svc *svc = userdata;

	/* logd went away: nx-log buffers again (bounded, drops counted) until it is back. */
	if (svc->logsink)
		nx_log(NX_LOG_DEBUG, "svc", "lost logd, buffering");
	svc->logsink = nx_logsink_free(svc->logsink);
}

static const struct nx_follow_ops log_follow_ops = {
        .up = on_logd_up,
        .down = on_logd_down,
};

static void on_registered(void *userdata, int error, const char *reason, samgr_register_results out)
{
	nx_svc *svc = userdata;
	int r;

	/* Stopped before samgrd answered: the channel's end fails the call, nothing to say. */
	if (nx_daemon_stopping(svc->daemon))
		return;
	/* samgrd died again meanwhile (or init had not seen it die yet when it handed us the
	 * channel): its disconnect callback asks init again. */
	if (error == -ECONNRESET)
		return;
	if (error < 0) {
		nx_log(NX_LOG_ERROR, "svc", "cannot register with samgrd: %s", reason);
		nx_daemon_exit(svc->daemon, 1);
		return;
	}
	nx_daemon_ready(svc->daemon); /* once: registering again after samgrd restarted is not */
	/* logd keeps its own records in its journal (a local sink, logd/selflog.c). */
	if (strcmp(svc->name, LOGD_NAME) != 0 && !svc->log_follow &&
	        (r = nx_follow_new(svc->loop, svc->samgr, LOGD_NAME, &log_follow_ops, svc,
	                 &svc->log_follow)) < 0)
		nx_log(NX_LOG_WARN, "svc", "cannot follow logd: %s", strerror(-r));
}

/* ---- Lifetime ---- */

static void on_samgr_gone(nx_rpc_conn *conn, int error, void *userdata);

/* Talks to samgrd over fd (taken): its Samgr becomes ours. */
static int samgr_attach(nx_svc *svc, int fd)
{
	nx_rpc_cap *bootstrap;
	int r;

	r = nx_rpc_conn_new(svc->loop, fd, NULL, &svc->samgr_conn); /* takes fd */
	if (r < 0)
		return r;
	nx_rpc_conn_set_disconnect_cb(svc->samgr_conn, on_samgr_gone, svc);
	r = nx_rpc_conn_bootstrap(svc->samgr_conn, &bootstrap);
	if (r >= 0)
		svc->samgr = samgr_from_cap(bootstrap);
	return r;
}

/* samgrd restarted and init handed a new channel to it (or an error): attach, register again
 * and follow logd and policyd through it. Channels to clients and services are untouched. */
static void on_samgr_back(void *userdata, int fd)
{
	nx_svc *svc = userdata;
	int r = fd;

	if (nx_daemon_stopping(svc->daemon)) {
		nx_fd_close(fd);
		return;
	}
	svc->samgr = samgr_from_cap(nx_rpc_cap_unref(samgr_cap(svc->samgr)));
	svc->samgr_conn = nx_rpc_conn_free(svc->samgr_conn);
	if (r >= 0)
		r = samgr_attach(svc, fd);
	if (r >= 0 && svc->log_follow)
		r = nx_follow_set_samgr(svc->log_follow, svc->samgr);
	if (r >= 0 && svc->policy)
		r = nx_policy_follow(svc->policy, svc->samgr);
	if (r >= 0)
		r = samgr_register(svc->samgr, svc->name, svc->host, on_registered, svc);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "svc", "cannot reach samgrd again: %s", strerror(-r));
		nx_daemon_exit(svc->daemon, 1);
		return;
	}
	nx_log(NX_LOG_INFO, "svc", "samgrd is back: registering again");
}

static void on_samgr_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	nx_svc *svc = userdata;
	int r = -ENOTCONN;

	if (nx_daemon_stopping(svc->daemon))
		return;
	/* Our registration is gone; our clients' channels are not. nexus-init keeps a channel
	 * to us (fd 5) and gives a new one to samgrd once it is back. Without init (run by
	 * hand) nobody can: exit and let whoever started us decide. */
	if (svc->init)
		r = nx_initlink_reconnect(svc->init, on_samgr_back, svc);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "svc", "lost samgrd (%s), exiting", strerror(-error));
		nx_daemon_exit(svc->daemon, 1);
		return;
	}
	nx_log(NX_LOG_WARN, "svc", "lost samgrd (%s), asking nexus-init for a new channel",
	        strerror(-error));
}

int nx_svc_new(const char *name, nx_svc **ret)
{
	nx_daemon *daemon;
	nx_svc *svc;
	size_t len;
	int r, fd;

	assert(name && ret);
	len = strlen(name);
	r = nx_daemon_new(name, &daemon); /* takes fds 3, 4 and 5 */
	if (r < 0)
		return r;
	svc = calloc(1, sizeof(*svc));
	if (!svc) {
		nx_daemon_free(daemon);
		return -ENOMEM;
	}
	svc->daemon = daemon;
	if (len == 0 || len > NX_SVC_NAME_MAX) {
		r = -EINVAL;
		goto fail;
	}
	memcpy(svc->name, name, len);
	svc->loop = nx_daemon_loop(svc->daemon);
	r = conns_new(&svc->conns);
	if (r < 0)
		goto fail;
	fd = nx_daemon_take_init(svc->daemon);
	if (fd >= 0 && (r = nx_initlink_new(svc->loop, fd, &svc->init)) < 0) /* takes fd */
		goto fail;
	r = samgr_attach(svc, nx_daemon_take_bootstrap(svc->daemon)); /* takes fd 3 */
	if (r >= 0)
		r = nexus_service_host_server_new(&host_vt, svc, NULL, &svc->host);
	if (r < 0)
		goto fail;
	*ret = svc;
	return 0;
fail:
	nx_svc_free(svc);
	return r;
}

nx_loop *nx_svc_loop(nx_svc *svc)
{
	return svc->loop;
}

int nx_svc_run(nx_svc *svc, nx_rpc_cap *bootstrap)
{
	int r;

	assert(svc && bootstrap && !svc->bootstrap);
	svc->bootstrap = nx_rpc_cap_ref(bootstrap);
	r = samgr_register(svc->samgr, svc->name, svc->host, on_registered, svc);
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "svc", "cannot register with samgrd: %s", strerror(-r));
		return 1;
	}
	return nx_daemon_run(svc->daemon);
}

const char *nx_svc_subject(nx_svc *svc, const nx_rpc_incoming *in)
{
	nx_rpc_conn *conn = nx_rpc_incoming_conn(in);

	/* A linear walk: a service holds few connections in this slice; a hash comes when one
	 * holds thousands. */
	for (struct svc_client *c = svc->clients; c; c = c->next)
		if (c->conn == conn)
			return c->subject;
	/* fd 5 was made by the process that started us, nexus-init: nobody else holds it. */
	if (svc->init && conn == nx_initlink_conn(svc->init))
		return NX_SVC_INIT_SUBJECT;
	return NULL;
}

struct samgr *nx_svc_samgr(nx_svc *svc)
{
	return svc->samgr;
}

unsigned nx_svc_clients(const nx_svc *svc)
{
	return conns_total(svc->conns);
}

nx_svc *nx_svc_free(nx_svc *svc)
{
	if (!svc)
		return NULL;
	nx_daemon_exit(svc->daemon, 0); /* nothing new from here on */
	/* Held calls are failed on their connections while these still live. */
	svc->policy = nx_policy_free(svc->policy);
	for (struct svc_client *c = svc->clients, *next; c; c = next) {
		next = c->next;
		nx_rpc_conn_free(c->conn); /* no disconnect callback from our own free */
		free(c);
	}
	svc->clients = NULL;
	conns_free(svc->conns);
	/* Detaches nx-log's sink first: records logged from here on stay on the console. */
	nx_logsink_free(svc->logsink);
	nx_follow_free(svc->log_follow);
	nx_rpc_cap_unref(samgr_cap(svc->samgr));
	/* Fails the registration if still in flight: on_registered sees the daemon stopping. */
	nx_rpc_conn_free(svc->samgr_conn);
	/* The host and bootstrap caps may be referenced by connections freed above only. */
	nx_rpc_cap_unref(nexus_service_host_cap(svc->host));
	nx_rpc_cap_unref(svc->bootstrap);
	nx_initlink_free(svc->init);
	nx_daemon_free(svc->daemon);
	free(svc);
	return NULL;
}

/* ---- Asking policyd ---- */

int nx_svc_policy_start(nx_svc *svc, const struct pol_grant *interim, size_t n_interim,
        nx_policy_rerun_fn rerun, void *impl)
{
	int r;

	if (!svc || svc->policy)
		return -EINVAL;
	r = nx_policy_new(svc->loop, interim, n_interim, rerun, impl, &svc->policy);
	if (r >= 0)
		r = nx_policy_follow(svc->policy, svc->samgr);
	if (r < 0)
		svc->policy = nx_policy_free(svc->policy);
	return r;
}

int nx_svc_allowed(nx_svc *svc, nx_rpc_incoming *in, const char *cap, bool *ret_allowed)
{
	const char *subject;

	if (!svc || !svc->policy || !in)
		return -EINVAL;
	subject = nx_svc_subject(svc, in);
	if (!subject)
		return -EPERM; /* not through an accepted connection: nobody vouched for it */
	return nx_policy_allowed(svc->policy, in, subject, cap, ret_allowed);
}

int nx_svc_allowed_as(
        nx_svc *svc, nx_rpc_incoming *in, const char *subject, const char *cap, bool *ret_allowed)
{
	if (!svc || !svc->policy || !in || !subject)
		return -EINVAL;
	return nx_policy_allowed(svc->policy, in, subject, cap, ret_allowed);
}

/* ---- nexus-init's fd store ---- */

int nx_svc_fd_fetch(nx_svc *svc, const char *name, int *ret_fd)
{
	if (!svc || !name || !ret_fd)
		return -EINVAL;
	return svc->init ? nx_initlink_fetch(svc->init, name, ret_fd) : -ENOTCONN;
}

int nx_svc_init_journal(nx_svc *svc, nx_rpc_cap *log)
{
	if (!svc || !log)
		return -EINVAL;
	return svc->init ? nx_initlink_journal(svc->init, log) : -ENOTCONN;
}

int nx_svc_fd_deposit(nx_svc *svc, const char *name, int fd)
{
	if (!svc || !name || fd < 0)
		return -EINVAL;
	return svc->init ? nx_initlink_deposit(svc->init, name, fd) : -ENOTCONN;
}
