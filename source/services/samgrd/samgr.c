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

struct samgrd_resolve {
	struct samgrd_resolve *next;
	struct samgrd *d;
	nx_rpc_incoming *in;
	nx_rpc_call *accept;  /* ServiceHost.accept on the owner */
	nx_rpc_cap *endpoint; /* the caller's end, returned once the owner accepted */
	char name[NX_SVC_NAME_MAX + 1];
};

/* Copies a validated Text (no inner NUL, within cap) into a C string buffer. */
static void copy_text(char *dst, const char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int fail(nx_rpc_incoming *in, int err, const char *fmt, const char *arg)
{
	char msg[NX_RPC_REASON_MAX];

	snprintf(msg, sizeof(msg), fmt, arg);
	nx_rpc_incoming_fail_errno(in, err, msg);
	return 0;
}

/* ---- Registry callbacks ---- */

static uint64_t handle(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void on_notified(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	nx_rpc_call_free(call);
}

static void reg_event(void *userdata, const struct reg_event *ev)
{
	struct samgrd_watcher *w = (struct samgrd_watcher *)(uintptr_t)ev->watcher;
	ServiceWatcher_changed_Params_b params;
	nx_rpc_call *call;

	/* A watcher that cannot be told loses only that event; its connection's death removes
	 * it. */
	if (ServiceWatcher_changed_new(w->cb, &call, &params) < 0)
		return;
	ServiceWatcher_changed_Params_set_up(params, ev->up);
	if (ServiceWatcher_changed_Params_set_name(params, ev->name, strlen(ev->name)) < 0 ||
	        nx_rpc_call_send(call, on_notified, NULL) < 0)
		nx_rpc_call_free(call);
}

static void reg_host_drop(void *userdata, void *host)
{
	nx_rpc_cap_unref(host);
}

static void reg_watcher_drop(void *userdata, uint64_t watcher)
{
	struct samgrd_watcher *w = (struct samgrd_watcher *)(uintptr_t)watcher;

	nx_rpc_cap_unref(w->cb);
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
	int n;

	while (*pc != c)
		pc = &(*pc)->next;
	*pc = c->next;
	/* Owner death frees its names (watchers hear "down") and drops its watchers. */
	n = reg_owner_gone(d->reg, handle(c));
	if (n > 0)
		nx_log(NX_LOG_INFO, "registry", "%s left, %d name%s freed", c->subject, n,
		        n == 1 ? "" : "s");
	samgrd_client_checks_drop(c);
	conns_release(d->conns, c->subject);
	nx_rpc_conn_free(c->conn);
	nx_rpc_cap_unref(c->samgr);
	free(c);
}

static void on_client_gone(nx_rpc_conn *conn, int error, void *userdata)
{
	client_free(userdata);
}

/* Reads a service name param: validated by the schema (<= 64, no inner NUL), then by the
 * registry's name rules. 0, or the call was failed and the handler returns 0. */
static int read_name(nx_rpc_incoming *in, const char *text, size_t len, char *name)
{
	int r;

	copy_text(name, text, len);
	r = reg_name_check(name);
	if (r == -EPERM)
		return fail(in, -EPERM, "name: %s is reserved", name), -1;
	if (r < 0)
		return fail(in, -EINVAL, "name: not 1..64 bytes of [a-z0-9._-]%s", ""), -1;
	return 0;
}

/* ---- Samgr ---- */

static int samgr_register(void *impl, nx_rpc_incoming *in, Samgr_register_Params params)
{
	struct samgrd_client *c = impl;
	struct samgrd *d = c->d;
	char name[NX_SVC_NAME_MAX + 1], cap[NX_SVC_NAME_MAX + 32];
	const char *text, *holder = NULL;
	nx_rpc_cap *host = NULL;
	bool allowed;
	uint32_t index;
	size_t len;
	int r;

	r = Samgr_register_Params_get_name(params, &text, &len);
	if (r < 0)
		return r;
	if (read_name(in, text, len, name) < 0)
		return 0;
	snprintf(cap, sizeof(cap), "ipc.register.%s", name);
	r = samgrd_decide(c, in, Samgr_register_METHOD_ID, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return fail(in, -EPERM, "this subject does not hold %s", cap);
	r = Samgr_register_Params_get_host(params, &index);
	if (r >= 0)
		r = nx_rpc_incoming_cap(in, index, &host);
	/* Our own objects coming back cannot accept connections. */
	if (r < 0 || nx_rpc_cap_get_local(host, NULL, NULL) || nx_rpc_cap_is_broken(host)) {
		nx_rpc_cap_unref(host);
		return fail(in, -EINVAL, "host: no ServiceHost given%s", "");
	}
	/* On success the registry holds our reference to host until host_drop. */
	r = reg_register(d->reg, handle(c), c->subject, name, host, NULL, &holder);
	if (r < 0) {
		nx_rpc_cap_unref(host);
		if (r == -EEXIST)
			return fail(in, -EEXIST, "name: registered already by %s", holder);
		if (r == -ENOSPC)
			return fail(in, -EDQUOT, "too many names registered%s", "");
		return r;
	}
	nx_rpc_incoming_return(in);
	nx_log(NX_LOG_INFO, "registry", "up %s (%s)", name, c->subject);
	if (strcmp(name, "policyd") == 0 && (r = samgrd_policyd_up(d, host)) < 0)
		nx_log(NX_LOG_ERROR, "policy", "cannot reach policyd: %s", strerror(-r));
	if (strcmp(name, "logd") == 0 && (r = samgrd_logd_up(d, host)) < 0)
		nx_log(NX_LOG_WARN, "log", "cannot reach logd: %s", strerror(-r));
	return 0;
}

static void resolve_free(struct samgrd_resolve *rs)
{
	struct samgrd_resolve **p = &rs->d->resolves;

	while (*p != rs)
		p = &(*p)->next;
	*p = rs->next;
	nx_rpc_call_free(rs->accept);
	nx_rpc_cap_unref(rs->endpoint);
	free(rs);
}

static void on_resolve_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct samgrd_resolve *rs = userdata;

	/* The caller left: freeing the accept call cancels it; the owner's end closes with it. */
	nx_rpc_incoming_fail_errno(in, -ECANCELED, "canceled");
	resolve_free(rs);
}

static void on_accepted(nx_rpc_call *call, const nx_rpc_result *res, void *userdata)
{
	struct samgrd_resolve *rs = userdata;
	nx_rpc_incoming *in = rs->in;
	Samgr_resolve_Results_b out;
	char msg[NX_RPC_REASON_MAX];
	uint32_t index;
	int r;

	if (res->error < 0) {
		snprintf(msg, sizeof(msg), "%s did not accept: %s", rs->name, res->reason);
		nx_rpc_incoming_fail_errno(in, -EAGAIN, msg);
		resolve_free(rs);
		return;
	}
	r = Samgr_resolve_results_init(in, &out);
	if (r >= 0)
		r = nx_rpc_incoming_add_cap(in, rs->endpoint, &index);
	if (r >= 0)
		r = Samgr_resolve_Results_set_endpoint(out, index);
	if (r < 0)
		nx_rpc_incoming_fail_errno(in, r, "cannot build the answer");
	else
		nx_rpc_incoming_return(in);
	resolve_free(rs);
}

static int samgr_resolve(void *impl, nx_rpc_incoming *in, Samgr_resolve_Params params)
{
	struct samgrd_client *c = impl;
	struct samgrd *d = c->d;
	struct samgrd_resolve *rs;
	struct reg_entry e;
	char name[NX_SVC_NAME_MAX + 1], cap[NX_SVC_NAME_MAX + 32];
	const char *text;
	bool allowed;
	size_t len;
	int fd, r;

	r = Samgr_resolve_Params_get_name(params, &text, &len);
	if (r < 0)
		return r;
	if (read_name(in, text, len, name) < 0)
		return 0;
	snprintf(cap, sizeof(cap), "ipc.connect.%s", name);
	r = samgrd_decide(c, in, Samgr_resolve_METHOD_ID, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return fail(in, -EPERM, "this subject does not hold %s", cap);
	if (reg_resolve(d->reg, name, &e) < 0)
		return fail(in, -ENOENT, "nobody registered %s", name);

	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return -ENOMEM;
	rs->d = d;
	rs->in = in;
	snprintf(rs->name, sizeof(rs->name), "%s", name);
	rs->next = d->resolves;
	d->resolves = rs;

	/* samgrd keeps neither end: the owner's goes with accept, the caller's with the answer. */
	r = samgrd_broker(e.host, c->subject, on_accepted, rs, &rs->accept, &fd);
	if (r >= 0)
		r = samgrd_endpoint_new(fd, &rs->endpoint); /* takes fd */
	if (r < 0) {
		resolve_free(rs);
		return fail(in, -EAGAIN, "%s cannot be reached", name);
	}
	nx_rpc_incoming_set_cancel_cb(in, on_resolve_canceled, rs);
	return NX_RPC_ASYNC;
}

static int samgr_list(void *impl, nx_rpc_incoming *in, Samgr_list_Params params)
{
	struct samgrd_client *c = impl;
	struct reg_entry entries[REG_LIST_MAX];
	Samgr_list_Results_b out;
	nx_capnp_blist list;
	bool allowed;
	int r, n;

	r = samgrd_decide(c, in, Samgr_list_METHOD_ID, "samgr.list", &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return fail(in, -EPERM, "this subject does not hold %s", "samgr.list");
	/* The first page only: paging (a cursor in the schema) comes when a device has more. */
	n = reg_list(c->d->reg, NULL, entries, SAMGR_LIST_MAX_COUNT, NULL);
	if (n < 0)
		return n;
	r = Samgr_list_results_init(in, &out);
	if (r >= 0)
		r = Samgr_list_Results_init_entries(out, (uint32_t)n, &list);
	for (int i = 0; r >= 0 && i < n; i++) {
		Entry_b b = Entry_b_at(&list, (uint32_t)i);

		r = Entry_set_name(b, entries[i].name, strlen(entries[i].name));
		if (r >= 0)
			r = Entry_set_owner(b, entries[i].subject, strlen(entries[i].subject));
	}
	if (r < 0)
		return r;
	nx_rpc_incoming_return(in);
	return 0;
}

static int samgr_watch(void *impl, nx_rpc_incoming *in, Samgr_watch_Params params)
{
	struct samgrd_client *c = impl;
	struct samgrd_watcher *w;
	char name[NX_SVC_NAME_MAX + 1], cap[NX_SVC_NAME_MAX + 32];
	nx_rpc_cap *cb = NULL;
	const char *text;
	bool allowed;
	uint32_t index;
	size_t len;
	int r;

	r = Samgr_watch_Params_get_name(params, &text, &len);
	if (r < 0)
		return r;
	if (read_name(in, text, len, name) < 0)
		return 0;
	snprintf(cap, sizeof(cap), "ipc.connect.%s", name);
	r = samgrd_decide(c, in, Samgr_watch_METHOD_ID, cap, &allowed);
	if (r != 0)
		return r;
	if (!allowed)
		return fail(in, -EPERM, "this subject does not hold %s", cap);
	r = Samgr_watch_Params_get_cb(params, &index);
	if (r >= 0)
		r = nx_rpc_incoming_cap(in, index, &cb);
	if (r < 0 || nx_rpc_cap_get_local(cb, NULL, NULL))
		return nx_rpc_cap_unref(cb), fail(in, -EINVAL, "cb: no ServiceWatcher given%s", "");
	w = calloc(1, sizeof(*w));
	if (!w) {
		nx_rpc_cap_unref(cb);
		return -ENOMEM;
	}
	w->cb = cb;
	/* The registry tells the new watcher at once if the name is up: that changed() may reach
	 * the caller before this call's answer. */
	r = reg_watch(c->d->reg, handle(c), name, handle(w));
	if (r < 0) {
		nx_rpc_cap_unref(cb);
		free(w);
		if (r == -EDQUOT || r == -ENOSPC)
			return fail(in, -EDQUOT, "too many watchers%s", "");
		return r;
	}
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct Samgr_server samgr_vt = {
        .register_ = samgr_register,
        .resolve = samgr_resolve,
        .list = samgr_list,
        .watch = samgr_watch,
};

void samgrd_redispatch(struct samgrd_client *c, nx_rpc_incoming *in, uint16_t method)
{
	int r = Samgr_dispatch(&samgr_vt, c, in, Samgr_INTERFACE_ID, method);

	if (r < 0)
		nx_rpc_incoming_fail_errno(in, r, NULL);
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
	r = Samgr_server_new(&samgr_vt, c, NULL, &c->samgr);
	if (r >= 0)
		r = conns_acquire(d->conns, c->subject);
	if (r < 0) {
		nx_fd_close(fd);
		goto fail;
	}
	r = nx_rpc_conn_new(d->loop, fd, c->samgr, &c->conn); /* takes fd */
	if (r < 0) {
		conns_release(d->conns, c->subject);
		goto fail;
	}
	nx_rpc_conn_set_disconnect_cb(c->conn, on_client_gone, c);
	c->next = d->clients;
	d->clients = c;
	return 0;
fail:
	nx_rpc_cap_unref(c->samgr);
	free(c);
	return r;
}

/* ---- SamgrAdmin ---- */

static int admin_adopt(void *impl, nx_rpc_incoming *in, SamgrAdmin_adopt_Params params)
{
	struct samgrd *d = impl;
	char subject[NX_SVC_SUBJECT_MAX + 1];
	nx_rpc_cap *conn = NULL;
	const char *text;
	uint32_t index;
	size_t len;
	int fd, r;

	r = SamgrAdmin_adopt_Params_get_subject(params, &text, &len);
	if (r < 0)
		return r;
	copy_text(subject, text, len);
	/* Only subjects under the adopter's own prefix: init adopts svc:<name> (not reserved). */
	r = reg_adopt_check(d->admin_subject, subject);
	if (r == -EPERM)
		return fail(
		        in, -EPERM, "subject: %s may not be handed out by this adopter", subject);
	if (r < 0)
		return fail(in, -EINVAL, "subject: %s is not <prefix>:<name>", subject);
	r = SamgrAdmin_adopt_Params_get_conn(params, &index);
	if (r >= 0)
		r = nx_rpc_incoming_cap(in, index, &conn);
	fd = r >= 0 ? nx_rpc_cap_dup_fd(conn) : r;
	nx_rpc_cap_unref(conn);
	if (fd < 0)
		return fail(in, -EINVAL, "conn: no channel attached%s", "");
	r = samgrd_client_add(d, fd, subject, len); /* takes fd */
	if (r < 0)
		return fail(in, r, "cannot adopt %s", subject);
	nx_rpc_incoming_return(in);
	return 0;
}

static const struct SamgrAdmin_server admin_vt = {
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
	r = SamgrAdmin_server_new(&admin_vt, d, NULL, &d->admin);
	if (r < 0) {
		nx_fd_close(fd);
		return r;
	}
	r = nx_rpc_conn_new(d->loop, fd, d->admin, &d->admin_conn);
	if (r < 0)
		return r;
	nx_rpc_conn_set_disconnect_cb(d->admin_conn, on_admin_gone, d);
	return 0;
}

void samgrd_free_all(struct samgrd *d)
{
	/* Shutting down: nobody to notify. The registry hands back every host and watcher
	 * capability (host_drop, watcher_drop) before the connections they live on go. */
	d->reg = reg_free(d->reg);
	for (struct samgrd_client *c = d->clients; c; c = c->next)
		samgrd_client_checks_drop(c);
	samgrd_policyd_down(d);
	for (struct samgrd_client *c = d->clients, *next; c; c = next) {
		next = c->next;
		nx_rpc_conn_free(c->conn); /* no disconnect callback from our own free */
		nx_rpc_cap_unref(c->samgr);
		free(c);
	}
	d->clients = NULL;
	d->conns = conns_free(d->conns);
	d->admin_conn = nx_rpc_conn_free(d->admin_conn);
	d->admin = nx_rpc_cap_unref(d->admin);
}
