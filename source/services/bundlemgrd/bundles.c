/* SPDX-License-Identifier: MIT */
/*
 * bundlemgrd's Bundles interface (bundle.capnp). Each method needs one capability of the
 * caller's subject (nx-svc's word), decided in the dispatch before the handler runs; install
 * with force needs bundle.downgrade too. The checks are userspace/bundle's, the storage
 * store.c's, the grants grants.c's; this file reads the requests, orders the steps and
 * answers with section 9 codes.
 *
 * An install runs the checks of check.h on the mapped payload, then (when the bundle requests
 * capabilities) asks policyd whether its publisher may grant them, then stores it, tells the
 * watchers and sets its grants in policyd; the caller is answered once policyd took the
 * grants (or at once when policyd is down: it gets them all when it comes back).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundlemgrd.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-log/log.h"
#include "nx-util/macro.h"

/* Capabilities by method ordinal (bundle.capnp). */
static const char *const method_caps[] = {"bundle.install", "bundle.remove", "bundle.list",
        "bundle.list", "bundle.read", "bundle.watch"};

/* ---- Watchers ---- */

static void prune_watchers(struct bundlemgrd *d)
{
	unsigned j = 0;

	for (unsigned i = 0; i < d->nwatchers; i++) {
		if (nx_rpc_cap_is_broken(bundle_watcher_cap(d->watchers[i].cb)))
			nx_rpc_cap_unref(bundle_watcher_cap(d->watchers[i].cb));
		else
			d->watchers[j++] = d->watchers[i];
	}
	d->nwatchers = j;
}

/* A watcher that cannot be told loses only that event. */
static void announce(struct bundlemgrd *d, bundle_event event, const char *id, uint64_t version)
{
	prune_watchers(d);
	for (unsigned i = 0; i < d->nwatchers; i++)
		(void)bundle_watcher_changed(d->watchers[i].cb, event, id, version, NULL, NULL);
}

void bmd_watchers_free(struct bundlemgrd *d)
{
	for (unsigned i = 0; i < d->nwatchers; i++)
		nx_rpc_cap_unref(bundle_watcher_cap(d->watchers[i].cb));
	d->nwatchers = 0;
}

static int serve_watch(void *impl, nx_rpc_incoming *in, bundle_bundles_watch_params params)
{
	struct bundlemgrd *d = impl;
	nx_rpc_conn *conn = nx_rpc_incoming_conn(in);
	struct bundle_watcher *cb = NULL;
	unsigned mine = 0;
	int r;

	r = bundle_bundles_watch_params_get_cb(params, &cb);
	if (r < 0 || nx_rpc_cap_get_local(bundle_watcher_cap(cb), NULL, NULL)) {
		nx_rpc_cap_unref(bundle_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EINVAL, "cb: no BundleWatcher given");
	}
	prune_watchers(d);
	for (unsigned i = 0; i < d->nwatchers; i++)
		mine += d->watchers[i].conn == conn;
	if (mine >= BUNDLEMGRD_WATCHERS_PER_CONN_MAX || d->nwatchers >= BUNDLEMGRD_WATCHERS_MAX) {
		nx_rpc_cap_unref(bundle_watcher_cap(cb));
		return nx_rpc_incoming_failf(in, -EDQUOT, "watchers: %u held %s",
		        mine >= BUNDLEMGRD_WATCHERS_PER_CONN_MAX ? BUNDLEMGRD_WATCHERS_PER_CONN_MAX
		                                                 : BUNDLEMGRD_WATCHERS_MAX,
		        mine >= BUNDLEMGRD_WATCHERS_PER_CONN_MAX ? "through this connection"
		                                                 : "already");
	}
	d->watchers[d->nwatchers].cb = cb;
	d->watchers[d->nwatchers].conn = conn;
	d->nwatchers++;
	return nx_rpc_incoming_return(in);
}

/* ---- VMO answers ---- */

/* A Vmo capability over fd (taken). */
static int vmo_cap(int fd, struct nexus_vmo **ret)
{
	static const struct nexus_vmo_server vmo_server = {0};

	return nexus_vmo_server_new_with_fd(&vmo_server, NULL, NULL, fd, ret); /* takes fd */
}

/* Sets ref to a Vmo over fd (taken) of size bytes. */
static int set_vmo(nexus_vmo_ref_b ref, int fd, size_t size)
{
	struct nexus_vmo *vmo = NULL;
	int r = vmo_cap(fd, &vmo);

	if (r >= 0)
		r = nexus_vmo_ref_set_vmo(ref, vmo); /* the results hold their own reference */
	nexus_vmo_ref_set_size(ref, size);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	return r;
}

/* A new sealed VMO holding len bytes of data: *ret_fd. */
static int vmo_of(const void *data, size_t len, int *ret_fd)
{
	int fd = -1, r;

	r = nx_vmo_create("bundle-manifest", len, &fd);
	if (r >= 0 && len)
		r = nx_vmo_write(fd, 0, data, len);
	if (r >= 0)
		r = nx_vmo_seal(fd, NX_VMO_SEAL_FROZEN);
	if (r < 0) {
		nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* ---- Reading ---- */

/* Copies a validated id param into id (BND_ID_MAX + 1): 0, or answers in and returns 1. */
static int read_id(nx_rpc_incoming *in, const char *s, size_t len, char *id)
{
	if (bnd_id_check(s, len) < 0) {
		(void)nx_rpc_incoming_failf(in, -EINVAL, "id: not a reverse-DNS bundle id");
		return 1;
	}
	memcpy(id, s, len);
	id[len] = '\0';
	return 0;
}

static int set_summary(bundle_summary_b s, const struct bmd_record *rec)
{
	int r = bundle_summary_set_id(s, rec->id, strlen(rec->id));

	if (r >= 0)
		r = bundle_summary_set_publisher(s, rec->key_id, strlen(rec->key_id));
	bundle_summary_set_version(s, rec->version);
	bundle_summary_set_files(s, rec->nfiles);
	bundle_summary_set_bytes(s, rec->bytes);
	return r;
}

static int serve_list(void *impl, nx_rpc_incoming *in, bundle_bundles_list_params params)
{
	struct bundlemgrd *d = impl;
	struct bmd_record *recs = calloc(BUNDLEMGRD_LIST_MAX, sizeof(*recs));
	char after[BND_ID_MAX + 1];
	bundle_bundles_list_results_b res;
	nx_capnp_blist list;
	const char *a = "";
	size_t alen = 0, n = 0;
	bool more = false;
	int r;

	if (!recs)
		return -ENOMEM;
	(void)bundle_bundles_list_params_get_after(params, &a, &alen); /* validated: <= max */
	memcpy(after, a, alen);
	after[alen] = '\0';
	r = bmd_store_list(d->store, after, recs, BUNDLEMGRD_LIST_MAX, &n, &more);
	if (r >= 0)
		r = bundle_bundles_list_results_init(in, &res);
	if (r >= 0)
		r = bundle_bundles_list_results_init_bundles(res, (uint32_t)n, &list);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = set_summary(bundle_summary_b_at(&list, (uint32_t)i), &recs[i]);
	free(recs);
	if (r < 0)
		return r;
	bundle_bundles_list_results_set_more(res, more);
	return nx_rpc_incoming_return(in);
}

static int set_info(bundle_info_b info, const struct bmd_record *rec)
{
	bundle_summary_b summary;
	nxb_limits_b limits;
	nx_capnp_blist caps;
	int r;

	r = bundle_info_init_summary(info, &summary);
	if (r >= 0)
		r = set_summary(summary, rec);
	if (r >= 0)
		r = bundle_info_set_entry(info, rec->entry, strlen(rec->entry));
	if (r >= 0)
		r = bundle_info_init_caps(info, (uint32_t)rec->ncaps, &caps);
	for (size_t i = 0; r >= 0 && i < rec->ncaps; i++) {
		nx_capnp_bptr p = nx_capnp_blist_ptr(&caps, (uint32_t)i);

		r = nx_capnp_bptr_set_text(&p, rec->caps[i], strlen(rec->caps[i]));
	}
	if (r >= 0)
		r = bundle_info_init_limits(info, &limits);
	if (r < 0)
		return r;
	bundle_info_set_restart(info, (nxb_restart)rec->restart);
	nxb_limits_set_memory_bytes(limits, rec->limits.memory_bytes);
	nxb_limits_set_tasks(limits, rec->limits.tasks);
	nxb_limits_set_open_files(limits, rec->limits.open_files);
	return 0;
}

static int serve_info(void *impl, nx_rpc_incoming *in, bundle_bundles_info_params params)
{
	struct bundlemgrd *d = impl;
	char id[BND_ID_MAX + 1];
	bundle_bundles_info_results_b res;
	struct bmd_record rec;
	bundle_info_b info;
	nexus_vmo_ref_b ref;
	const char *s = "";
	void *manifest = NULL;
	size_t len = 0, mlen = 0;
	int fd = -1, r;

	(void)bundle_bundles_info_params_get_id(params, &s, &len);
	if (read_id(in, s, len, id))
		return 0;
	r = bmd_store_get(d->store, id, &rec);
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(in, -ENOENT, "id: %s is not installed", id);
	if (r >= 0)
		r = bmd_store_manifest(d->store, id, &manifest, &mlen);
	if (r >= 0)
		r = vmo_of(manifest, mlen, &fd);
	free(manifest);
	if (r >= 0)
		r = bundle_bundles_info_results_init(in, &res);
	if (r >= 0)
		r = bundle_bundles_info_results_init_info(res, &info);
	if (r >= 0)
		r = set_info(info, &rec);
	if (r >= 0)
		r = bundle_bundles_info_results_init_manifest(res, &ref);
	if (r >= 0) {
		r = set_vmo(ref, fd, mlen); /* takes fd */
		fd = -1;
	}
	nx_fd_close(fd);
	return r < 0 ? r : nx_rpc_incoming_return(in);
}

static int serve_open_file(void *impl, nx_rpc_incoming *in, bundle_bundles_open_file_params params)
{
	struct bundlemgrd *d = impl;
	char id[BND_ID_MAX + 1], path[BND_PATH_MAX + 1];
	bundle_bundles_open_file_results_b res;
	nexus_vmo_ref_b ref;
	const char *s = "", *p = "";
	size_t len = 0, plen = 0, size = 0;
	uint32_t mode = 0;
	int fd = -1, r;

	(void)bundle_bundles_open_file_params_get_bundle(params, &s, &len);
	(void)bundle_bundles_open_file_params_get_path(params, &p, &plen);
	if (read_id(in, s, len, id))
		return 0;
	if (bnd_path_check(p, plen) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL, "path: not a relative normalised path");
	memcpy(path, p, plen);
	path[plen] = '\0';
	r = bmd_store_open_file(d->store, id, path, &fd, &size, &mode);
	if (r == -ENOENT)
		return nx_rpc_incoming_failf(
		        in, -ENOENT, "%s: no file %s in an installed bundle", id, path);
	if (r == -EBADMSG) {
		nx_log(NX_LOG_ERROR, "store", "%s: %s: its blob is missing or damaged", id, path);
		return nx_rpc_incoming_failf(
		        in, -EBADMSG, "%s: %s: stored contents damaged", id, path);
	}
	if (r >= 0)
		r = bundle_bundles_open_file_results_init(in, &res);
	if (r >= 0)
		r = bundle_bundles_open_file_results_init_file(res, &ref);
	if (r >= 0) {
		r = set_vmo(ref, fd, size); /* takes fd */
		fd = -1;
		bundle_bundles_open_file_results_set_mode(res, mode);
	}
	nx_fd_close(fd);
	return r < 0 ? r : nx_rpc_incoming_return(in);
}

/* ---- Changes ---- */

/* An install or removal between its steps: what the answer needs. */
struct op {
	struct bundlemgrd *d;
	nx_rpc_incoming *in; /* NULL once the caller went away */
	struct nx_vmo_map map;
	bnd_bundle *b;
	bool force, removal;
	char id[BND_ID_MAX + 1];
	uint64_t version, previous;
};

static void op_free(struct op *op)
{
	if (op->b)
		bmd_store_discard(op->d->store); /* checked, never stored: what it staged goes */
	nx_vmo_unmap(&op->map);
	bnd_bundle_free(op->b);
	free(op);
}

static void on_cancel(nx_rpc_incoming *in, void *userdata)
{
	struct op *op = userdata;

	(void)nx_rpc_incoming_failf(in, -ECANCELED, "canceled");
	op->in = NULL;
}

/* The last step: answers (when the caller is still there) and frees op. */
static void op_answer(struct op *op)
{
	if (op->in && op->removal)
		(void)bundle_bundles_remove_return(op->in, op->version);
	else if (op->in)
		(void)bundle_bundles_install_return(op->in, op->id, op->version, op->previous);
	op_free(op);
}

static void on_pushed(void *userdata, int error)
{
	op_answer(userdata); /* a refused push is logged by grants.c; the change stands */
}

/* The change is done: tell the watchers, set the grants, then answer. Returns 0 when
 * answered now, NX_RPC_ASYNC when the answer waits for policyd to take the grants. */
static int op_changed(struct op *op)
{
	bundle_event event = op->removal         ? BUNDLE_EVENT_REMOVED
	                     : op->previous == 0 ? BUNDLE_EVENT_INSTALLED
	                                         : BUNDLE_EVENT_UPGRADED;
	int r;

	nx_log(NX_LOG_NOTICE, "store", "%s %s version %llu", op->id, bundle_event_name(event),
	        (unsigned long long)op->version);
	announce(op->d, event, op->id, op->version);
	r = bmd_grants_push(op->d, op->id, on_pushed, op);
	if (r >= 0) {
		if (op->in)
			nx_rpc_incoming_set_cancel_cb(op->in, on_cancel, op);
		return NX_RPC_ASYNC;
	}
	if (r != -EAGAIN)
		nx_log(NX_LOG_WARN, "grants", "app:%s: cannot set its grants: %s", op->id,
		        strerror(-r));
	op_answer(op);
	return 0;
}

/* Fails the caller with r and the check's text, frees op. Returns 0 (answered). */
static int op_fail(struct op *op, int r, const char *text)
{
	if (op->in)
		(void)nx_rpc_incoming_failf(op->in, r, "%s", text);
	op_free(op);
	return 0;
}

/* Stores the checked bundle (the version rule again: another install may have landed).
 * Returns as op_changed. */
static int install_commit(struct op *op)
{
	struct bnd_error err = {0};
	struct bmd_record old;
	int r;

	r = bmd_store_get(op->d->store, op->id, &old);
	if (r == -ENOENT) {
		old.version = 0;
		r = 0;
	}
	if (r >= 0)
		r = bnd_check_version(op->b, old.version, op->force, &err);
	if (r == -EEXIST)
		return op_fail(op, r, err.text);
	if (r >= 0)
		r = bmd_store_install(op->d->store, op->b, &op->previous);
	if (r == -EDQUOT) {
		char text[64];

		snprintf(text, sizeof(text), "bundles: %u installed already",
		        BUNDLEMGRD_BUNDLES_MAX);
		return op_fail(op, r, text);
	}
	if (r < 0) {
		nx_log(NX_LOG_ERROR, "store", "%s: install failed: %s", op->id, strerror(-r));
		return op_fail(op, -EIO, "store: cannot store the bundle");
	}
	nx_vmo_unmap(&op->map);
	op->b = bnd_bundle_free(op->b);
	return op_changed(op);
}

static void on_grants_answer(void *userdata, int error, const bool *allowed)
{
	struct op *op = userdata;
	struct bnd_error err = {0};
	int r;

	if (!op->in) {
		op_free(op); /* the caller went away: nothing changes */
		return;
	}
	if (error < 0) {
		(void)op_fail(
		        op, -EAGAIN, "caps: policyd could not decide what the publisher may grant");
		return;
	}
	r = bnd_check_grants(op->b, allowed, &err);
	if (r < 0)
		(void)op_fail(op, r, err.text);
	else
		(void)install_commit(op); /* `in` is answered now or once the grants are set */
}

/* bnd_file_fn: each file that passed its hash goes to staging at once (store.h). */
static int stage_file(void *ctx, size_t i, const struct bnd_file *f)
{
	struct bundlemgrd *d = ctx;

	return bmd_store_stage(d->store, f);
}

/* The payload VMO, mapped read-only into op->map: 0, or answers and returns 1. */
static int map_payload(nx_rpc_incoming *in, bundle_bundles_install_params params, struct op *op)
{
	nexus_vmo_ref ref = bundle_bundles_install_params_get_payload(params);
	struct nexus_vmo *vmo = NULL;
	size_t size = 0;
	int r, fd;

	if (nexus_vmo_ref_get_vmo(ref, &vmo) < 0 || !vmo) {
		(void)nx_rpc_incoming_failf(in, -EINVAL, "payload.vmo: no Vmo given");
		return 1;
	}
	fd = nx_rpc_cap_peek_fd(nexus_vmo_cap(vmo));
	r = fd < 0 ? -EBADF : nx_vmo_size(fd, &size);
	if (r >= 0 && size > BND_PAYLOAD_MAX)
		r = -EMSGSIZE;
	if (r >= 0 && nexus_vmo_ref_get_size(ref) != size)
		r = -ERANGE;
	if (r >= 0)
		r = nx_vmo_map_ro(fd, BND_PAYLOAD_MAX, false, &op->map);
	nx_rpc_cap_unref(nexus_vmo_cap(vmo)); /* the map stays valid without the fd */
	if (r >= 0)
		return 0;
	if (r == -EMSGSIZE)
		(void)nx_rpc_incoming_failf(
		        in, -EMSGSIZE, "size: %zu bytes, more than %u", size, BND_PAYLOAD_MAX);
	else if (r == -ERANGE)
		(void)nx_rpc_incoming_failf(in, -EINVAL, "payload.size: %llu, the VMO holds %zu",
		        (unsigned long long)nexus_vmo_ref_get_size(ref), size);
	else if (r == -EPERM)
		(void)nx_rpc_incoming_failf(in, -EINVAL, "payload.vmo: not sealed");
	else
		(void)nx_rpc_incoming_failf(in, -EINVAL, "payload.vmo: not a memfd");
	return 1;
}

static int serve_install(void *impl, nx_rpc_incoming *in, bundle_bundles_install_params params)
{
	struct bundlemgrd *d = impl;
	struct bnd_error err = {0};
	struct bmd_record old;
	struct op *op;
	bool force = bundle_bundles_install_params_get_force(params), allowed = false;
	int r;

	if (force) {
		r = nx_svc_allowed(d->svc, in, "bundle.downgrade", &allowed);
		if (r != 0)
			return r; /* NX_RPC_ASYNC: this runs again once policyd answered */
		if (!allowed)
			return nx_rpc_incoming_failf(in, -EPERM,
			        "%s lacks bundle.downgrade (force)", nx_svc_subject(d->svc, in));
	}
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	*op = (struct op){.d = d, .in = in, .force = force};
	if (map_payload(in, params, op)) {
		op_free(op);
		return 0;
	}
	r = bnd_check_each(
	        op->map.addr, op->map.size, bmd_trust_lookup, stage_file, d, &op->b, &err);
	bmd_store_stage_end(d->store);
	if (r == -ENOMEM) {
		bmd_store_discard(d->store); /* what the checks staged before memory ran out */
		op_free(op);
		return r;
	}
	if (r >= 0) {
		snprintf(op->id, sizeof(op->id), "%s", bnd_bundle_id(op->b));
		op->version = bnd_bundle_version(op->b);
		r = bmd_store_get(d->store, op->id, &old);
		old.version = r == -ENOENT ? 0 : old.version;
		r = r == -ENOENT ? 0 : r;
	}
	if (r >= 0)
		r = bnd_check_version(op->b, old.version, force, &err);
	if (r < 0) {
		op->in = NULL;
		op_free(op);
		bmd_store_discard(d->store);
		if (err.step == BND_STEP_NONE) {
			nx_log(NX_LOG_ERROR, "store", "install: cannot stage or read records: %s",
			        strerror(-r));
			return nx_rpc_incoming_failf(in, -EIO, "store: cannot stage the files");
		}
		return nx_rpc_incoming_failf(in, r, "%s", err.text);
	}
	if (bnd_bundle_cap_count(op->b) == 0)
		return install_commit(op);
	r = bmd_grants_ask(d, op->b, on_grants_answer, op);
	if (r < 0) {
		op->in = NULL;
		op_free(op);
		return nx_rpc_incoming_failf(
		        in, -EAGAIN, "caps: policyd cannot be asked what the publisher may grant");
	}
	nx_rpc_incoming_set_cancel_cb(in, on_cancel, op);
	return NX_RPC_ASYNC;
}

static int serve_remove(void *impl, nx_rpc_incoming *in, bundle_bundles_remove_params params)
{
	struct bundlemgrd *d = impl;
	char id[BND_ID_MAX + 1];
	const char *s = "";
	struct op *op;
	size_t len = 0;
	int r;

	(void)bundle_bundles_remove_params_get_id(params, &s, &len);
	if (read_id(in, s, len, id))
		return 0;
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	*op = (struct op){.d = d, .in = in, .removal = true};
	snprintf(op->id, sizeof(op->id), "%s", id);
	r = bmd_store_remove(d->store, id, &op->version);
	if (r < 0) {
		op->in = NULL;
		op_free(op);
		if (r == -ENOENT)
			return nx_rpc_incoming_failf(in, -ENOENT, "id: %s is not installed", id);
		nx_log(NX_LOG_ERROR, "store", "%s: remove failed: %s", id, strerror(-r));
		return nx_rpc_incoming_failf(in, -EIO, "store: cannot remove the bundle");
	}
	return op_changed(op);
}

static const struct bundle_bundles_server bundles_vt = {
        .install = serve_install,
        .remove = serve_remove,
        .list = serve_list,
        .info = serve_info,
        .open_file = serve_open_file,
        .watch = serve_watch,
};

int bmd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t iface, uint16_t method)
{
	struct bundlemgrd *d = impl;
	const char *subject = nx_svc_subject(d->svc, in);
	bool allowed = false;
	int r;

	if (iface != BUNDLE_BUNDLES_INTERFACE_ID || method >= ELEMENTSOF(method_caps))
		return bundle_bundles_dispatch(&bundles_vt, d, in, iface, method); /* -ENOSYS */
	if (!subject) /* not through a connection samgrd vouched for */
		return nx_rpc_incoming_failf(in, -EPERM, "no subject for this connection");
	r = nx_svc_allowed(d->svc, in, method_caps[method], &allowed);
	if (r != 0)
		return r; /* NX_RPC_ASYNC: held; this runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(
		        in, -EPERM, "%s lacks %s", subject, method_caps[method]);
	return bundle_bundles_dispatch(&bundles_vt, d, in, iface, method);
}

static const struct nx_rpc_server_ops bundles_ops = {.dispatch = bmd_dispatch};

int bmd_bundles_new(struct bundlemgrd *d, struct bundle_bundles **ret)
{
	nx_rpc_cap *cap = NULL;
	int r = nx_rpc_server_new(&bundles_ops, d, &cap);

	if (r >= 0)
		*ret = bundle_bundles_from_cap(cap);
	return r;
}
