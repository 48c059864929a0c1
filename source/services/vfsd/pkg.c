/* SPDX-License-Identifier: MIT */
/*
 * vfsd's /pkg: the files of installed bundles, read-only, served from bundlemgrd's store.
 * vfsd follows bundlemgrd by name (nx-svc follow.h) and, for a call under /pkg, asks it on
 * the caller's behalf (Bundles.openFile, .info, .list as svc:vfsd: policy grants vfsd
 * bundle.read and bundle.list); the call is held (NX_RPC_ASYNC) until bundlemgrd answers, and
 * bundlemgrd's refusal is passed on as it is. An opened file is a sealed memfd, served as a
 * read-only File like any other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.capnp.h"
#include "follow.h"
#include "nx-abi/sock.h"
#include "nx-abi/vmo.h"
#include "nx-log/log.h"
#include "vfsd.h"

/* One Fs call held while bundlemgrd answers. */
struct pkg_call {
	struct vfsd *d;
	nx_rpc_incoming *in;
	nx_rpc_call *call; /* ours to bundlemgrd, until its callback runs */
	enum vfsd_pkg_op op;
	char subject[VFS_SUBJECT_MAX + 1];
	char norm[VFS_PATH_MAX + 1];
};

static void bundles_up(void *userdata, nx_rpc_cap *bootstrap)
{
	struct vfsd *d = userdata;

	nx_rpc_cap_unref(bundle_bundles_cap(d->bundles));
	d->bundles = bundle_bundles_from_cap(nx_rpc_cap_ref(bootstrap));
}

static void bundles_down(void *userdata)
{
	struct vfsd *d = userdata;

	nx_rpc_cap_unref(bundle_bundles_cap(d->bundles));
	d->bundles = NULL;
}

static const struct nx_follow_ops bundles_ops = {.up = bundles_up, .down = bundles_down};

int vfsd_pkg_start(struct vfsd *d)
{
	return nx_follow_new(nx_svc_loop(d->svc), nx_svc_samgr(d->svc), "bundlemgrd", &bundles_ops,
	        d, &d->bundles_follow);
}

void vfsd_pkg_stop(struct vfsd *d)
{
	d->bundles_follow = nx_follow_free(d->bundles_follow);
	nx_rpc_cap_unref(bundle_bundles_cap(d->bundles));
	d->bundles = NULL;
}

/* The caller went away: our call to bundlemgrd is canceled with it. */
static void pkg_canceled(nx_rpc_incoming *in, void *userdata)
{
	struct pkg_call *pc = userdata;

	nx_rpc_call_free(pc->call); /* its callback never runs */
	(void)nx_rpc_incoming_fail(in, NX_RPC_EXC_FAILED, "unavailable: canceled");
	free(pc);
}

/* bundlemgrd said no: its reason goes to the caller as it is, prefixed with the path. */
static int pass_on(struct pkg_call *pc, int error, const char *reason)
{
	return nx_rpc_incoming_fail(pc->in, nx_rpc_exc_type_for_errno(error),
	        reason && *reason ? reason : "unavailable: bundlemgrd failed");
}

/* The sealed memfd of an openFile answer, checked: a dup in *ret_fd and its size. */
static int file_vmo(bundle_bundles_open_file_results out, int *ret_fd, size_t *ret_size)
{
	struct nexus_vmo *vmo = NULL;
	unsigned seals = 0;
	int r, fd = -1;

	r = nexus_vmo_ref_get_vmo(bundle_bundles_open_file_results_get_file(out), &vmo);
	if (r >= 0)
		r = fd = nx_rpc_cap_dup_fd(nexus_vmo_cap(vmo));
	nx_rpc_cap_unref(nexus_vmo_cap(vmo));
	if (r >= 0)
		r = nx_vmo_get_seals(fd, &seals);
	if (r >= 0 && !(seals & NX_VMO_SEAL_FROZEN))
		r = -EPERM; /* bundlemgrd serves frozen files: anything else is not what it says */
	if (r >= 0)
		r = nx_vmo_size(fd, ret_size);
	if (r < 0) {
		if (fd >= 0)
			nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static void opened(
        void *userdata, int error, const char *reason, bundle_bundles_open_file_results out)
{
	struct pkg_call *pc = userdata;
	struct vfsd_call c = {.d = pc->d, .in = pc->in, .subject = pc->subject};
	struct fs_file *file = NULL;
	fs_stat_results_b res;
	fs_info_b info;
	size_t size = 0;
	int r, fd = -1;

	if (error < 0) {
		(void)pass_on(pc, error, reason);
		free(pc);
		return;
	}
	r = file_vmo(out, &fd, &size);
	if (r < 0) {
		(void)nx_rpc_incoming_failf(
		        pc->in, -EBADMSG, "%s: bundlemgrd answered with a bad vmo", pc->norm);
	} else if (pc->op == VFSD_PKG_OPEN) {
		r = vfsd_file_new(pc->d, pc->subject, fd, true, false, &file); /* takes fd */
		if (r == -EDQUOT) {
			(void)nx_rpc_incoming_failf(pc->in, r,
			        "%s: vfsd holds %u open files already", pc->norm,
			        VFS_OPEN_FILES_MAX);
		} else if (r < 0) {
			(void)vfsd_fail(&c, r, pc->norm);
		} else {
			(void)fs_open_return(pc->in, file);
			nx_rpc_cap_unref(fs_file_cap(file));
		}
	} else {
		nx_fd_close(fd);
		r = fs_stat_results_init(pc->in, &res);
		if (r >= 0)
			r = fs_stat_results_init_info(res, &info);
		if (r >= 0) {
			fs_info_set_type(info, FS_TYPE_FILE);
			fs_info_set_size(info, size);
		}
		(void)nx_rpc_incoming_return_built(pc->in, r);
	}
	free(pc);
}

static void bundle_seen(
        void *userdata, int error, const char *reason, bundle_bundles_info_results out)
{
	struct pkg_call *pc = userdata;
	fs_stat_results_b res;
	fs_info_b info;
	int r;

	if (error < 0) {
		(void)pass_on(pc, error, reason);
	} else {
		r = fs_stat_results_init(pc->in, &res);
		if (r >= 0)
			r = fs_stat_results_init_info(res, &info);
		if (r >= 0)
			fs_info_set_type(info, FS_TYPE_DIRECTORY);
		(void)nx_rpc_incoming_return_built(pc->in, r);
	}
	free(pc);
}

static void listed(void *userdata, int error, const char *reason, bundle_bundles_list_results out)
{
	struct pkg_call *pc = userdata;
	fs_list_results_b res;
	nx_capnp_list bundles = {0};
	nx_capnp_blist list;
	int r;

	if (error < 0) {
		(void)pass_on(pc, error, reason);
		free(pc);
		return;
	}
	(void)bundle_bundles_list_results_get_bundles(out, &bundles); /* validated */
	r = fs_list_results_init(pc->in, &res);
	if (r >= 0)
		r = fs_list_results_init_entries(res, bundles.count, &list);
	for (uint32_t i = 0; r >= 0 && i < bundles.count; i++) {
		bundle_summary s = bundle_summary_at(&bundles, i);
		fs_entry_b e = fs_entry_b_at(&list, i);
		const char *id;
		size_t len;

		(void)bundle_summary_get_id(s, &id, &len);
		r = fs_entry_set_name(e, id, len);
		fs_entry_set_type(e, FS_TYPE_DIRECTORY);
		fs_entry_set_size(e, bundle_summary_get_bytes(s));
	}
	if (r >= 0)
		fs_list_results_set_more(res, bundle_bundles_list_results_get_more(out));
	(void)nx_rpc_incoming_return_built(pc->in, r);
	free(pc);
}

/* Starts the call to bundlemgrd for `op` on `p` (cursor: VFSD_PKG_LIST only). */
static int pkg_send(struct pkg_call *pc, const struct vfsd_path *p, const char *cursor)
{
	struct bundle_bundles *b = pc->d->bundles;
	int r;

	switch (pc->op) {
	case VFSD_PKG_OPEN:
	case VFSD_PKG_STAT_FILE: {
		bundle_bundles_open_file_params_b params;

		r = bundle_bundles_open_file_start(b, &pc->call, &params);
		if (r >= 0)
			r = bundle_bundles_open_file_params_set_bundle(
			        params, p->t.bundle, p->t.bundle_len);
		if (r >= 0)
			r = bundle_bundles_open_file_params_set_path(
			        params, p->t.rel, strlen(p->t.rel));
		if (r >= 0)
			return bundle_bundles_open_file_send(
			        pc->call, opened, pc); /* takes the call */
		break;
	}
	case VFSD_PKG_STAT_BUNDLE: {
		bundle_bundles_info_params_b params;

		r = bundle_bundles_info_start(b, &pc->call, &params);
		if (r >= 0)
			r = bundle_bundles_info_params_set_id(params, p->t.bundle, p->t.bundle_len);
		if (r >= 0)
			return bundle_bundles_info_send(pc->call, bundle_seen, pc);
		break;
	}
	default: {
		bundle_bundles_list_params_b params;

		r = bundle_bundles_list_start(b, &pc->call, &params);
		if (r >= 0)
			r = bundle_bundles_list_params_set_after(params, cursor, strlen(cursor));
		if (r >= 0)
			return bundle_bundles_list_send(pc->call, listed, pc);
		break;
	}
	}
	nx_rpc_call_free(pc->call); /* started, not sent */
	return r;
}

int vfsd_pkg_call(
        struct vfsd_call *c, const struct vfsd_path *p, enum vfsd_pkg_op op, const char *cursor)
{
	struct pkg_call *pc;
	int r;

	if (!c->d->bundles)
		return nx_rpc_incoming_failf(
		        c->in, -EAGAIN, "%s: bundlemgrd is not reachable now", p->norm);
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	*pc = (struct pkg_call){.d = c->d, .in = c->in, .op = op};
	snprintf(pc->subject, sizeof(pc->subject), "%s", c->subject);
	snprintf(pc->norm, sizeof(pc->norm), "%s", p->norm);
	r = pkg_send(pc, p, cursor ? cursor : "");
	if (r < 0) {
		free(pc);
		return nx_rpc_incoming_failf(
		        c->in, -EAGAIN, "%s: bundlemgrd: %s", p->norm, strerror(-r));
	}
	nx_rpc_incoming_set_cancel_cb(c->in, pkg_canceled, pc);
	return NX_RPC_ASYNC;
}
