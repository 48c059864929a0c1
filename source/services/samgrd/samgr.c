/* SPDX-License-Identifier: MIT */
/*
 * samgrd's interfaces: Samgr (one server object per connection, so every call knows its
 * connection's subject) and SamgrAdmin (the admin channel from nexus-init). The registry
 * logic (one owner per name, watchers, owner death, adoption rules) is userspace/registry;
 * this file turns its decisions into answers and its events into ServiceWatcher calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus-types.capnp.h"
#include "nexus/limits.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "registry/conns.h"
#include "registry/registry.h"
#include "samgr.capnp.h"
#include "samgrd.h"

/* The longest capability samgrd asks about, "ipc.register.<name>", with its NUL. */
#define CAP_SIZE (sizeof("ipc.register.") + NX_SVC_NAME_MAX)

struct samgrd_resolve {
	struct samgrd_resolve *next;
	struct samgrd *d;
	nx_rpc_incoming *in;
	nx_rpc_call *accept;             /* ServiceHost.accept on the owner */
	struct nexus_endpoint *endpoint; /* the caller's end, returned once the owner accepted */
	char name[NX_SVC_NAME_MAX + 1];
};

/* Copies a validated Text (no inner NUL, within cap) into a C string buffer. */
static void copy_text(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* A service name param, checked by the schema (1..64 bytes, no NUL), copied into `name` and
 * checked against the registry's rules: 0, -EPERM (reserved) or -EINVAL. */
static int read_name(const char *text, size_t len, char *name)
{
	copy_text(name, text, len);
	return reg_name_check(name);
}

/* Answers a name read_name refused. */
static int fail_name(nx_rpc_incoming *in, int err, const char *name)
{
	if (err == -EPERM)
		return nx_rpc_incoming_failf(in, err, "name: %s is reserved", name);
	return nx_rpc_incoming_failf(
	        in, -EINVAL, "name: not 1..%u bytes of [a-z0-9._-]", NX_SVC_NAME_MAX);
}

/* ---- Registry callbacks ---- */

static uint64_t handle(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Whatever the watcher answers changes nothing here. */
static void on_notified(
        void *userdata, int error, const char *reason, samgr_service_watcher_changed_results out)
{
}

static void reg_event(void *userdata, const struct reg_event *ev)
{
	struct samgrd_watcher *w = (struct samgrd_watcher *)(uintptr_t)ev->watcher;

	/* A watcher that cannot be told loses only that event; its connection's death removes
	 * it. */
	(void)samgr_service_watcher_changed(w->cb, ev->name, ev->up, on_notified, NULL);
}

static void reg_host_drop(void *userdata, void *host)
{
	nx_rpc_cap_unref(nexus_service_host_cap(host));
}

static void reg_watcher_drop(void *userdata, uint64_t watcher)
{
	struct samgrd_watcher *w = (struct samgrd_watcher *)(uintptr_t)watcher;

	nx_rpc_cap_unref(samgr_service_watcher_cap(w->cb));
	free(w);
}

static const struct reg_callbacks reg_cb = {
        .event = reg_event,
        .host_drop = reg_host_drop,
        .watcher_drop = reg_watcher_drop,
};

int samgrd_registry_new(struct samgrd *d)
{
	int r = reg_new(&reg_cb, d, &d->reg);

	return r < 0 ? r : conns_new(&d->conns);
}

/* ---- Clients ---- */

static void client_free(struct samgrd_client *c)
{
	struct samgrd *d = c->d;
	struct samgrd_client **pc = &d->clients;
	struct reg_entry e;
	int n;

	while (*pc != c)
		pc = &(*pc)->next;
	*pc = c->next;
	/* Owner death frees its names (watchers hear "down") and drops its watchers. */
	n = reg_owner_gone(d->reg, handle(c));
	if (n > 0)
		nx_log(NX_LOG_INFO, "registry", "%s left, %d name%s freed", c->subject, n,
		        n == 1 ? "" : "s");
	/* policyd's owner left: its channel is of no use even before it breaks. */
	if (n > 0 && d->pol_conn && reg_resolve(d->reg, POLICYD_NAME, &e) < 0) {
		nx_log(NX_LOG_WARN, "policy",
		        "lost policyd, interim rule until it registers again");
		samgrd_policyd_down(d);
	}
	samgrd_auth_drop(c);
	nx_policy_drop_conn(d->policy, c->conn);
	conns_release(d->conns, c->subject);
	nx_rpc_conn_free(c->conn); /* fails its held calls (the policy client's cancel) */
	nx_rpc_cap_unref(samgr_cap(c->samgr));
	free(c);
}

static void on_client_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	client_free(userdata);
}

/* ---- Samgr ---- */

static int serve_register(void *impl, nx_rpc_incoming *in, samgr_register_params params)
{
	struct samgrd_client *c = impl;
	struct samgrd *d = c->d;
	char name[NX_SVC_NAME_MAX + 1], cap[CAP_SIZE];
	struct nexus_service_host *host = NULL;
	const char *text, *holder = NULL;
	bool allowed;
	size_t len;
	int r;

	samgrd_auth_refresh(c);
	(void)samgr_register_params_get_name(params, &text, &len); /* validated already */
	r = read_name(text, len, name);
	if (r < 0)
		return fail_name(in, r, name);
	(void)snprintf(cap, sizeof(cap), "ipc.register.%s", name);
	r = nx_policy_allowed(d->policy, in, c->subject, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "this subject does not hold %s", cap);
	r = samgr_register_params_get_host(params, &host);
	/* Our own objects coming back cannot accept connections. */
	if (r < 0 || nx_rpc_cap_get_local(nexus_service_host_cap(host), NULL, NULL) ||
	        nx_rpc_cap_is_broken(nexus_service_host_cap(host))) {
		nx_rpc_cap_unref(nexus_service_host_cap(host));
		return nx_rpc_incoming_failf(in, -EINVAL, "host: no ServiceHost given");
	}
	/* On success the registry holds our reference to host until host_drop. */
	r = reg_register(d->reg, handle(c), c->subject, name, host, NULL, &holder);
	if (r < 0) {
		nx_rpc_cap_unref(nexus_service_host_cap(host));
		if (r == -EEXIST)
			return nx_rpc_incoming_failf(
			        in, r, "name: registered already by %s", holder);
		if (r == -ENOSPC)
			return nx_rpc_incoming_failf(in, -EDQUOT, "too many names registered");
		return r;
	}
	(void)samgr_register_return(in);
	nx_log(NX_LOG_INFO, "registry", "up %s (%s)", name, c->subject);
	if (strcmp(name, POLICYD_NAME) == 0 && (r = samgrd_policyd_up(d, host)) < 0)
		nx_log(NX_LOG_ERROR, "policy", "cannot reach policyd: %s", strerror(-r));
	if (strcmp(name, LOGD_NAME) == 0 && (r = samgrd_logd_up(d, host)) < 0)
		nx_log(NX_LOG_WARN, "log", "cannot reach logd: %s", strerror(-r));
	if (strcmp(name, IDENTITYD_NAME) == 0 && (r = samgrd_identityd_up(d, host)) < 0)
		nx_log(NX_LOG_WARN, "auth", "cannot reach identityd: %s", strerror(-r));
	return 0;
}

static void resolve_free(struct samgrd_resolve *rs)
{
	struct samgrd_resolve **p = &rs->d->resolves;

	while (*p != rs)
		p = &(*p)->next;
	*p = rs->next;
	nx_rpc_call_free(rs->accept);
	nx_rpc_cap_unref(nexus_endpoint_cap(rs->endpoint));
	free(rs);
}

static void on_resolve_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct samgrd_resolve *rs = userdata;

	/* The caller left: freeing the accept call cancels it; the owner's end closes with it. */
	(void)nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	resolve_free(rs);
}

static void on_accepted(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd_resolve *rs = userdata;

	if (res->error < 0)
		(void)nx_rpc_incoming_failf(
		        rs->in, -EAGAIN, "%s did not accept: %s", rs->name, res->reason);
	else
		(void)samgr_resolve_return(rs->in, rs->endpoint);
	resolve_free(rs); /* frees the call, res with it */
}

static int serve_resolve(void *impl, nx_rpc_incoming *in, samgr_resolve_params params)
{
	struct samgrd_client *c = impl;
	struct samgrd *d = c->d;
	struct samgrd_resolve *rs;
	struct reg_entry e;
	char name[NX_SVC_NAME_MAX + 1], cap[CAP_SIZE];
	const char *text;
	bool allowed;
	size_t len;
	int fd, r;

	samgrd_auth_refresh(c);
	(void)samgr_resolve_params_get_name(params, &text, &len); /* validated already */
	r = read_name(text, len, name);
	if (r < 0)
		return fail_name(in, r, name);
	(void)snprintf(cap, sizeof(cap), "ipc.connect.%s", name);
	r = nx_policy_allowed(d->policy, in, c->subject, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "this subject does not hold %s", cap);
	if (reg_resolve(d->reg, name, &e) < 0)
		return nx_rpc_incoming_failf(in, -ENOENT, "nobody registered %s", name);

	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->d = d;
	rs->in = in;
	memcpy(rs->name, name, sizeof(rs->name));
	rs->next = d->resolves;
	d->resolves = rs;

	/* samgrd keeps neither end: the owner's goes with accept, the caller's with the answer. */
	r = samgrd_broker(e.host, c->subject, on_accepted, rs, &rs->accept, &fd);
	if (r >= 0) /* takes fd; calls on it are forwarded for clients that cannot take it */
		r = samgrd_proxy_endpoint_new(d, e.host, c->subject, name, fd, &rs->endpoint);
	if (r < 0) {
		resolve_free(rs);
		return nx_rpc_incoming_failf(in, -EAGAIN, "%s cannot be reached", name);
	}
	nx_rpc_incoming_set_cancel_cb(in, on_resolve_canceled, rs);
	return NX_RPC_ASYNC;
}

static int serve_list(void *impl, nx_rpc_incoming *in, samgr_list_params params)
{
	struct samgrd_client *c = impl;
	struct reg_entry entries[REG_LIST_MAX];
	samgr_list_results_b out;
	nx_capnp_blist list;
	bool allowed;
	int r, n;

	samgrd_auth_refresh(c);
	r = nx_policy_allowed(c->d->policy, in, c->subject, "samgr.list", &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "this subject does not hold samgr.list");
	/* The first page only: paging (a cursor in the schema) comes when a device has more. */
	n = reg_list(c->d->reg, NULL, entries, SAMGR_LIST_MAX_COUNT, NULL);
	if (n < 0)
		return n;
	r = samgr_list_results_init(in, &out);
	if (r >= 0)
		r = samgr_list_results_init_entries(out, (uint32_t)n, &list);
	for (int i = 0; r >= 0 && i < n; i++) {
		samgr_entry_b b = samgr_entry_b_at(&list, (uint32_t)i);

		r = samgr_entry_set_name(b, entries[i].name, strlen(entries[i].name));
		if (r >= 0)
			r = samgr_entry_set_owner(
			        b, entries[i].subject, strlen(entries[i].subject));
	}
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_watch(void *impl, nx_rpc_incoming *in, samgr_watch_params params)
{
	struct samgrd_client *c = impl;
	struct samgr_service_watcher *cb = NULL;
	struct samgrd_watcher *w;
	char name[NX_SVC_NAME_MAX + 1], cap[CAP_SIZE];
	const char *text;
	bool allowed;
	size_t len;
	int r;

	samgrd_auth_refresh(c);
	(void)samgr_watch_params_get_name(params, &text, &len); /* validated already */
	r = read_name(text, len, name);
	if (r < 0)
		return fail_name(in, r, name);
	(void)snprintf(cap, sizeof(cap), "ipc.connect.%s", name);
	r = nx_policy_allowed(c->d->policy, in, c->subject, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "this subject does not hold %s", cap);
	r = samgr_watch_params_get_cb(params, &cb);
	if (r < 0 || nx_rpc_cap_get_local(samgr_service_watcher_cap(cb), NULL, NULL)) {
		nx_rpc_cap_unref(samgr_service_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EINVAL, "cb: no ServiceWatcher given");
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		nx_rpc_cap_unref(samgr_service_watcher_cap(cb));
		return -ENOMEM;
	}
	w->cb = cb;
	/* The registry tells the new watcher at once if the name is up: that changed() may reach
	 * the caller before this call's answer. */
	r = reg_watch(c->d->reg, handle(c), name, handle(w));
	if (r < 0) {
		nx_rpc_cap_unref(samgr_service_watcher_cap(cb));
		free(w);
		if (r == -EDQUOT || r == -ENOSPC)
			return nx_rpc_incoming_failf(in, -EDQUOT, "too many watchers");
		return r;
	}
	return samgr_watch_return(in);
}

/* Adopts `conn` (taken) as `subject` (len bytes, validated by the schema) for `adopter`: the
 * one rule behind SamgrAdmin.adopt (nexus-init) and Samgr.adopt (dsoftbusd, execd). Answers
 * `in`. */
static int adopt(struct samgrd *d, nx_rpc_incoming *in, const char *adopter,
        struct nexus_endpoint *conn, const char *text, size_t len)
{
	char subject[NX_SVC_SUBJECT_MAX + 1];
	int fd, r;

	copy_text(subject, text, len);
	/* Only subjects under the adopter's own prefix: init adopts svc:<name> (not reserved). */
	r = reg_adopt_check(adopter, subject);
	if (r < 0)
		nx_rpc_cap_unref(nexus_endpoint_cap(conn));
	if (r == -EPERM)
		return nx_rpc_incoming_failf(
		        in, r, "subject: %s may not be handed out by this adopter", subject);
	if (r < 0)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "subject: %s is not <prefix>:<name>", subject);
	/* The channel is the adopted process's alone: taken out of the capability. */
	fd = conn ? nx_rpc_cap_take_fd(nexus_endpoint_cap(conn)) : -EINVAL;
	nx_rpc_cap_unref(nexus_endpoint_cap(conn));
	if (fd < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "conn: no channel attached");
	r = samgrd_client_add(d, fd, subject, len); /* takes fd */
	if (r < 0)
		return nx_rpc_incoming_failf(in, r, "cannot adopt %s", subject);
	return 0;
}

static int serve_adopt(void *impl, nx_rpc_incoming *in, samgr_adopt_params params)
{
	struct samgrd_client *c = impl;
	struct nexus_endpoint *conn = NULL;
	const char *text;
	size_t len;
	int r;

	(void)samgr_adopt_params_get_subject(params, &text, &len); /* validated already */
	(void)samgr_adopt_params_get_conn(params, &conn);
	r = adopt(c->d, in, c->subject, conn, text, len);
	return r != 0 ? r : samgr_adopt_return(in);
}

static const struct samgr_server samgr_vt = {
        .register_ = serve_register,
        .resolve = serve_resolve,
        .list = serve_list,
        .watch = serve_watch,
        .authenticate = samgrd_serve_authenticate,
        .adopt = serve_adopt,
};

int samgrd_rerun(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	struct samgrd *d = impl;
	nx_rpc_conn *conn = nx_rpc_incoming_conn(in);

	for (struct samgrd_client *c = d->clients; c; c = c->next)
		if (c->conn == conn)
			return samgr_dispatch(&samgr_vt, c, in, interface_id, method_id);
	return -ECONNRESET;
}

int samgrd_client_add(struct samgrd *d, int fd, const char *subject, size_t subject_len)
{
	struct samgrd_client *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		nx_fd_close(fd);
		return -ENOMEM;
	}
	c->d = d;
	copy_text(c->subject, subject, subject_len);
	r = samgr_server_new(&samgr_vt, c, NULL, &c->samgr);
	if (r >= 0)
		r = conns_acquire(d->conns, c->subject);
	if (r == -EDQUOT)
		samgrd_refuse(d, fd, c->subject); /* takes fd */
	else if (r < 0)
		nx_fd_close(fd);
	if (r < 0)
		goto fail;
	r = nx_rpc_conn_new(d->loop, fd, samgr_cap(c->samgr), &c->conn); /* takes fd */
	if (r < 0) {
		conns_release(d->conns, c->subject);
		goto fail;
	}
	nx_rpc_conn_set_disconnect_cb(c->conn, on_client_gone, c);
	c->next = d->clients;
	d->clients = c;
	return 0;
fail:
	nx_rpc_cap_unref(samgr_cap(c->samgr));
	free(c);
	return r;
}

/* ---- SamgrAdmin ---- */

/* SamgrAdmin.adopt: nexus-init's, on the admin channel. */
static int admin_adopt(void *impl, nx_rpc_incoming *in, samgr_admin_adopt_params params)
{
	struct samgrd *d = impl;
	struct nexus_endpoint *conn = NULL;
	const char *text;
	size_t len;
	int r;

	(void)samgr_admin_adopt_params_get_subject(params, &text, &len); /* validated already */
	(void)samgr_admin_adopt_params_get_conn(params, &conn);
	r = adopt(d, in, d->admin_subject, conn, text, len);
	return r != 0 ? r : samgr_admin_adopt_return(in);
}

static const struct samgr_admin_server admin_vt = {
        .adopt = admin_adopt,
};

static void on_admin_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	struct samgrd *d = userdata;

	/* The channel to init broke: nobody supervises us any more (STYLE.md 10). */
	nx_log(NX_LOG_ERROR, NULL, "lost the admin channel (%s), exiting", strerror(-error));
	nx_daemon_exit(d->daemon, 1);
}

int samgrd_admin_serve(struct samgrd *d, int fd)
{
	int r;

	snprintf(d->admin_subject, sizeof(d->admin_subject), "svc:init");
	r = samgr_admin_server_new(&admin_vt, d, NULL, &d->admin);
	if (r < 0) {
		nx_fd_close(fd);
		return r;
	}
	r = nx_rpc_conn_new(d->loop, fd, samgr_admin_cap(d->admin), &d->admin_conn);
	if (r < 0)
		return r;
	nx_rpc_conn_set_disconnect_cb(d->admin_conn, on_admin_gone, d);
	return 0;
}

void samgrd_free_all(struct samgrd *d)
{
	/* Shutting down: nobody to notify. The registry hands back every host and watcher
	 * capability (host_drop, watcher_drop) before the connections they live on go; held
	 * calls are failed (canceled) while their connections still live. */
	d->reg = reg_free(d->reg);
	d->policy = nx_policy_free(d->policy);
	samgrd_policyd_down(d);
	for (struct samgrd_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		nx_rpc_conn_free(c->conn); /* no disconnect callback from our own free */
		nx_rpc_cap_unref(samgr_cap(c->samgr));
		free(c);
	}
	d->clients = NULL;
	d->conns = conns_free(d->conns);
	d->admin_conn = nx_rpc_conn_free(d->admin_conn);
	d->admin = samgr_admin_from_cap(nx_rpc_cap_unref(samgr_admin_cap(d->admin)));
}
