/* SPDX-License-Identifier: MIT */
/*
 * vfsd's Fs objects: the bootstrap one on every connection (the connection's subject, each
 * call asked of policyd by vfsd_dispatch) and those Fs.actAs hands an operator (another
 * subject's trees, the authority being the capability itself). Every path goes through
 * vfsd_path_of (grammar, namespace) before a tree is touched; every growth is charged to the
 * subject's quota before it is made and refunded if it was not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-util/macro.h"
#include "vfs/page.h"
#include "vfsd.h"

static void call_init(struct vfsd_fs *fs, nx_rpc_incoming *in, struct vfsd_call *ret)
{
	ret->d = fs->d;
	ret->in = in;
	ret->subject = fs->subject ? fs->subject : nx_svc_subject(fs->d->svc, in);
}

static fs_type type_of(enum nx_file_type t)
{
	return t == NX_FILE_REGULAR ? FS_TYPE_FILE
	       : t == NX_FILE_DIR   ? FS_TYPE_DIRECTORY
	                            : FS_TYPE_OTHER;
}

static void info_set(fs_info_b b, const struct nx_file_stat *st)
{
	fs_info_set_type(b, type_of(st->type));
	fs_info_set_size(b, st->size);
	fs_info_set_mtime_ns(b, st->mtime_ns);
}

/* The entry `p` names: what a tree holds, or one of the roots (directories). */
static int stat_path(struct vfsd_call *c, const struct vfsd_path *p, struct nx_file_stat *ret)
{
	const char *name;
	int dir, r;

	if (p->t.root == VFS_ROOT_TOP) {
		*ret = (struct nx_file_stat){.type = NX_FILE_DIR};
		return 0;
	}
	if (!*p->t.rel) {
		r = vfsd_tree_open(c, p, &dir);
		name = "";
	} else {
		r = vfsd_parent_open(c, p, &dir, &name);
	}
	if (r < 0)
		return r;
	r = nx_stat_at(dir, name, ret);
	nx_fd_close(dir);
	return r;
}

/* ---- open -------------------------------------------------------------------------------- */

/* fs.capnp open flags as nx-abi's, without CREATE, EXCL and TRUNC, which serve_open does
 * itself to charge the quota. -EINVAL for unknown bits and combinations fs.capnp refuses. */
static int open_flags(uint32_t flags, unsigned *ret)
{
	const uint32_t known = FS_OPEN_READ | FS_OPEN_WRITE | FS_OPEN_CREATE | FS_OPEN_EXCLUSIVE |
	                       FS_OPEN_TRUNCATE;
	unsigned f = 0;

	if ((flags & ~known) || !(flags & (FS_OPEN_READ | FS_OPEN_WRITE)))
		return -EINVAL;
	if ((flags & (FS_OPEN_CREATE | FS_OPEN_TRUNCATE)) && !(flags & FS_OPEN_WRITE))
		return -EINVAL;
	if ((flags & FS_OPEN_EXCLUSIVE) && !(flags & FS_OPEN_CREATE))
		return -EINVAL;
	if (flags & FS_OPEN_READ)
		f |= NX_OPEN_READ;
	if (flags & FS_OPEN_WRITE)
		f |= NX_OPEN_WRITE;
	*ret = f;
	return 0;
}

/* Opens (creating, truncating) rel beneath tree as flags say, charging a new entry and
 * refunding truncated bytes. *ret_fd on success. */
static int open_in_tree(
        struct vfsd_call *c, int tree, const char *rel, uint32_t flags, unsigned nxf, int *ret_fd)
{
	struct nx_file_stat st;
	int r = -ENOENT, fd = -1;

	if (!(flags & FS_OPEN_EXCLUSIVE))
		r = nx_open_beneath(tree, rel, nxf, &fd);
	if (r == -ENOENT && (flags & FS_OPEN_CREATE)) {
		r = vfsd_charge(c, 0, 1);
		if (r >= 0) {
			r = nx_open_beneath(tree, rel, nxf | NX_OPEN_CREATE | NX_OPEN_EXCL, &fd);
			if (r < 0)
				(void)vfsd_charge(c, 0, -1);
		}
	} else if (r >= 0 && (flags & FS_OPEN_TRUNCATE)) {
		r = nx_stat_at(fd, "", &st);
		if (r >= 0)
			r = nx_file_truncate(fd, 0);
		if (r >= 0)
			(void)vfsd_charge(c, -(int64_t)st.size, 0);
	}
	if (r < 0) {
		if (fd >= 0)
			nx_fd_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int serve_open(void *impl, nx_rpc_incoming *in, fs_open_params params)
{
	uint32_t flags = fs_open_params_get_flags(params);
	struct fs_file *file = NULL;
	struct vfsd_path p;
	struct vfsd_call c;
	const char *path;
	size_t len;
	unsigned nxf;
	int r, tree, fd = -1;

	call_init(impl, in, &c);
	(void)fs_open_params_get_path(params, &path, &len); /* validated already */
	if (vfsd_path_of(&c, "path", path, len, &p) < 0)
		return 0;
	if (open_flags(flags, &nxf) < 0)
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "flags: %#x is not a valid combination", (unsigned)flags);
	if (p.t.root == VFS_ROOT_TOP || !*p.t.rel)
		return vfsd_fail(&c, -EISDIR, p.norm);
	if (p.t.root == VFS_ROOT_PKG && (flags & FS_OPEN_WRITE))
		return nx_rpc_incoming_failf(in, -EPERM, "path: %s is read-only", p.norm);
	if (p.t.root == VFS_ROOT_PKG)
		return vfsd_pkg_call(&c, &p, VFSD_PKG_OPEN, NULL);
	r = vfsd_tree_open(&c, &p, &tree);
	if (r >= 0) {
		r = open_in_tree(&c, tree, p.t.rel, flags, nxf, &fd);
		nx_fd_close(tree);
	}
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	r = vfsd_file_new(c.d, c.subject, fd, flags & FS_OPEN_READ, flags & FS_OPEN_WRITE, &file);
	if (r == -EDQUOT)
		return nx_rpc_incoming_failf(
		        in, r, "%s: vfsd holds %u open files already", p.norm, VFS_OPEN_FILES_MAX);
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	r = fs_open_return(in, file); /* the results hold their own reference */
	nx_rpc_cap_unref(fs_file_cap(file));
	return r;
}

/* ---- stat, list -------------------------------------------------------------------------- */

static int serve_stat(void *impl, nx_rpc_incoming *in, fs_stat_params params)
{
	struct nx_file_stat st;
	fs_stat_results_b res;
	struct vfsd_path p;
	struct vfsd_call c;
	const char *path;
	fs_info_b info;
	size_t len;
	int r;

	call_init(impl, in, &c);
	(void)fs_stat_params_get_path(params, &path, &len);
	if (vfsd_path_of(&c, "path", path, len, &p) < 0)
		return 0;
	if (p.t.root == VFS_ROOT_PKG && p.t.bundle_len > 0)
		return vfsd_pkg_call(
		        &c, &p, *p.t.rel ? VFSD_PKG_STAT_FILE : VFSD_PKG_STAT_BUNDLE, NULL);
	if (p.t.root == VFS_ROOT_PKG) /* /pkg itself */
		p.t.root = VFS_ROOT_TOP;
	r = stat_path(&c, &p, &st);
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	r = fs_stat_results_init(in, &res);
	if (r >= 0)
		r = fs_stat_results_init_info(res, &info);
	if (r >= 0)
		info_set(info, &st);
	return nx_rpc_incoming_return_built(in, r);
}

/* The page of names[0..count) (entries of the directory dirfd, or of "/" when dirfd < 0). */
static int list_answer(nx_rpc_incoming *in, int dirfd, const char **names, size_t count, bool more)
{
	fs_list_results_b res;
	nx_capnp_blist list;
	int r;

	r = fs_list_results_init(in, &res);
	if (r >= 0)
		r = fs_list_results_init_entries(res, (uint32_t)count, &list);
	for (size_t i = 0; r >= 0 && i < count; i++) {
		fs_entry_b e = fs_entry_b_at(&list, (uint32_t)i);
		struct nx_file_stat st = {.type = NX_FILE_DIR};

		/* An entry removed since the directory was read is listed as it was seen. */
		if (dirfd >= 0 && nx_stat_at(dirfd, names[i], &st) < 0)
			st = (struct nx_file_stat){.type = NX_FILE_OTHER};
		r = fs_entry_set_name(e, names[i], strlen(names[i]));
		fs_entry_set_type(e, type_of(st.type));
		fs_entry_set_size(e, st.size);
		fs_entry_set_mtime_ns(e, st.mtime_ns);
	}
	if (r >= 0)
		fs_list_results_set_more(res, more);
	return nx_rpc_incoming_return_built(in, r);
}

static int serve_list(void *impl, nx_rpc_incoming *in, fs_list_params params)
{
	const char *path, *cursor, *names_top[ELEMENTSOF(vfs_ns_top)];
	uint32_t max = fs_list_params_get_max(params);
	char **names = NULL;
	struct vfsd_path p;
	struct vfsd_call c;
	size_t len, clen, n = 0, count;
	int r, tree, dir = -1;
	bool more;

	call_init(impl, in, &c);
	(void)fs_list_params_get_path(params, &path, &len);
	(void)fs_list_params_get_cursor(params, &cursor, &clen);
	if (vfsd_path_of(&c, "path", path, len, &p) < 0)
		return 0;
	if (p.t.root == VFS_ROOT_PKG && p.t.bundle_len == 0)
		return vfsd_pkg_call(&c, &p, VFSD_PKG_LIST, cursor);
	if (p.t.root == VFS_ROOT_PKG)
		return nx_rpc_incoming_failf(in, -EOPNOTSUPP,
		        "%s: listing inside a bundle is not served (open or stat its files)",
		        p.norm);
	if (p.t.root == VFS_ROOT_TOP) {
		memcpy(names_top, vfs_ns_top, sizeof(vfs_ns_top));
		vfs_page_select(names_top, ELEMENTSOF(vfs_ns_top), cursor, max, VFS_LIST_PAGE_BYTES,
		        &count, &more);
		return list_answer(in, -1, names_top, count, more);
	}
	r = vfsd_tree_open(&c, &p, &tree);
	if (r >= 0) {
		r = nx_open_beneath(tree, p.t.rel, NX_OPEN_DIR, &dir);
		nx_fd_close(tree);
	}
	if (r >= 0)
		r = nx_dir_names(dir, VFS_DIR_ENTRIES_MAX, &names, &n);
	if (dir >= 0 && r < 0)
		nx_fd_close(dir);
	if (r == -EMSGSIZE)
		return nx_rpc_incoming_failf(
		        in, r, "%s: more than %u entries", p.norm, VFS_DIR_ENTRIES_MAX);
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	vfs_page_select((const char **)names, n, cursor, max, VFS_LIST_PAGE_BYTES, &count, &more);
	r = list_answer(in, dir, (const char **)names, count, more);
	free(names);
	nx_fd_close(dir);
	return r;
}

/* ---- mkdir, remove, rename --------------------------------------------------------------- */

/* Checks and maps the path param of a call that changes a tree: 0, or answered and < 0. */
static int writable_path_of(
        struct vfsd_call *c, const char *field, const char *path, size_t len, struct vfsd_path *ret)
{
	int r = vfsd_path_of(c, field, path, len, ret);

	if (r < 0)
		return r;
	if (!vfs_ns_writable(&ret->t)) {
		(void)nx_rpc_incoming_failf(c->in, -EPERM, "%s: %s is read-only", field, ret->norm);
		return -EPERM;
	}
	return 0;
}

static int serve_mkdir(void *impl, nx_rpc_incoming *in, fs_mkdir_params params)
{
	struct vfsd_path p;
	struct vfsd_call c;
	const char *path, *name;
	size_t len;
	int r, dir;

	call_init(impl, in, &c);
	(void)fs_mkdir_params_get_path(params, &path, &len);
	if (writable_path_of(&c, "path", path, len, &p) < 0)
		return 0;
	r = vfsd_charge(&c, 0, 1);
	if (r >= 0) {
		r = vfsd_parent_open(&c, &p, &dir, &name);
		if (r >= 0) {
			r = nx_mkdir_at(dir, name);
			nx_fd_close(dir);
		}
		if (r < 0)
			(void)vfsd_charge(&c, 0, -1);
	}
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	return fs_mkdir_return(in);
}

/* What removing or replacing the entry frees: its bytes (a file) and itself. */
static void refund(struct vfsd_call *c, const struct nx_file_stat *st)
{
	(void)vfsd_charge(c, st->type == NX_FILE_REGULAR ? -(int64_t)st->size : 0, -1);
}

static int serve_remove(void *impl, nx_rpc_incoming *in, fs_remove_params params)
{
	struct nx_file_stat st;
	struct vfsd_path p;
	struct vfsd_call c;
	const char *path, *name;
	size_t len;
	int r, dir;

	call_init(impl, in, &c);
	(void)fs_remove_params_get_path(params, &path, &len);
	if (writable_path_of(&c, "path", path, len, &p) < 0)
		return 0;
	r = vfsd_parent_open(&c, &p, &dir, &name);
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	r = nx_stat_at(dir, name, &st);
	if (r >= 0)
		r = nx_remove_at(dir, name, st.type == NX_FILE_DIR);
	nx_fd_close(dir);
	if (r < 0)
		return vfsd_fail(&c, r, p.norm);
	refund(&c, &st);
	return fs_remove_return(in);
}

static int serve_rename(void *impl, nx_rpc_incoming *in, fs_rename_params params)
{
	struct vfsd_path from, to;
	struct nx_file_stat st;
	struct vfsd_call c;
	const char *fpath, *tpath, *fname, *tname;
	size_t flen, tlen;
	int r, fdir = -1, tdir = -1;
	bool replaced;

	call_init(impl, in, &c);
	(void)fs_rename_params_get_from(params, &fpath, &flen);
	(void)fs_rename_params_get_to(params, &tpath, &tlen);
	if (writable_path_of(&c, "from", fpath, flen, &from) < 0 ||
	        writable_path_of(&c, "to", tpath, tlen, &to) < 0)
		return 0;
	r = vfsd_parent_open(&c, &from, &fdir, &fname);
	if (r < 0)
		return vfsd_fail(&c, r, from.norm);
	r = vfsd_parent_open(&c, &to, &tdir, &tname);
	if (r < 0) {
		nx_fd_close(fdir);
		return vfsd_fail(&c, r, to.norm);
	}
	r = nx_stat_at(fdir, fname, &st);
	if (r < 0) {
		nx_fd_close(fdir);
		nx_fd_close(tdir);
		return vfsd_fail(&c, r, from.norm);
	}
	/* A target that is there already is replaced, and its bytes and entry freed; a path
	 * renamed to itself changes nothing. */
	replaced = strcmp(from.norm, to.norm) != 0 && nx_stat_at(tdir, tname, &st) >= 0;
	r = nx_rename_at(fdir, fname, tdir, tname, false);
	nx_fd_close(fdir);
	nx_fd_close(tdir);
	if (r == -EINVAL) /* the kernel's word for a directory moved beneath itself */
		return nx_rpc_incoming_failf(in, r,
		        "to: %s is beneath %s, which cannot move into itself", to.norm, from.norm);
	if (r < 0)
		return vfsd_fail(&c, r, to.norm);
	if (replaced)
		refund(&c, &st);
	return fs_rename_return(in);
}

/* ---- actAs ------------------------------------------------------------------------------- */

static void fs_destroy(void *impl)
{
	struct vfsd_fs *fs = impl;

	free(fs->subject);
	free(fs);
}

static const struct fs_server fs_vt;

static int serve_act_as(void *impl, nx_rpc_incoming *in, fs_act_as_params params)
{
	struct vfsd_fs *self = impl, *as;
	char dirname[VFS_NAME_MAX + 1];
	struct fs *fs = NULL;
	const char *subject;
	size_t len;
	int r;

	(void)fs_act_as_params_get_subject(params, &subject, &len); /* 1..subjectMaxLen */
	if (vfs_subject_dirname(subject, dirname, sizeof(dirname)) < 0)
		return nx_rpc_incoming_failf(in, -EINVAL,
		        "subject: %s cannot be given a tree (its directory name would pass %u bytes)",
		        subject, VFS_NAME_MAX);
	as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	as->d = self->d;
	as->subject = strdup(subject);
	if (!as->subject) {
		free(as);
		return -ENOMEM;
	}
	r = fs_server_new(&fs_vt, as, fs_destroy, &fs);
	if (r < 0) {
		fs_destroy(as);
		return r;
	}
	r = fs_act_as_return(in, fs);
	nx_rpc_cap_unref(fs_cap(fs));
	return r;
}

static const struct fs_server fs_vt = {
        .open = serve_open,
        .stat = serve_stat,
        .list = serve_list,
        .mkdir = serve_mkdir,
        .remove = serve_remove,
        .rename = serve_rename,
        .act_as = serve_act_as,
};

/* ---- the bootstrap Fs and its policy ----------------------------------------------------- */

/* The capability each Fs method needs; open's depends on its flags. */
static const char *const method_caps[] = {
        [FS_OPEN_METHOD_ID] = "fs.read",
        [FS_STAT_METHOD_ID] = "fs.read",
        [FS_LIST_METHOD_ID] = "fs.read",
        [FS_MKDIR_METHOD_ID] = "fs.write",
        [FS_REMOVE_METHOD_ID] = "fs.write",
        [FS_RENAME_METHOD_ID] = "fs.write",
        [FS_ACT_AS_METHOD_ID] = "fs.admin",
};

/* Opening for writing needs fs.write. Params that do not read are left to the generated
 * dispatcher to refuse. */
static const char *open_cap(nx_rpc_incoming *in)
{
	fs_open_params params;

	if (nx_rpc_incoming_params(in, &params.s) < 0)
		return method_caps[FS_OPEN_METHOD_ID];
	return fs_open_params_get_flags(params) & FS_OPEN_WRITE ? "fs.write" : "fs.read";
}

int vfsd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id)
{
	struct vfsd_fs *fs = impl;
	const char *subject = nx_svc_subject(fs->d->svc, in), *cap;
	bool allowed = false;
	int r;

	if (interface_id != FS_INTERFACE_ID || method_id >= ELEMENTSOF(method_caps))
		return fs_dispatch(&fs_vt, fs, in, interface_id, method_id); /* -ENOSYS */
	if (!subject) /* not through a connection samgrd vouched for */
		return nx_rpc_incoming_failf(in, -EPERM, "no subject for this connection");
	cap = method_id == FS_OPEN_METHOD_ID ? open_cap(in) : method_caps[method_id];
	r = nx_svc_allowed(fs->d->svc, in, cap, &allowed);
	if (r != 0)
		return r; /* NX_RPC_ASYNC: held; this runs again once policyd answered */
	if (!allowed)
		return nx_rpc_incoming_failf(in, -EPERM, "%s lacks %s", subject, cap);
	return fs_dispatch(&fs_vt, fs, in, interface_id, method_id);
}

static const struct nx_rpc_server_ops fs_ops = {
        .dispatch = vfsd_dispatch,
};

int vfsd_fs_new(struct vfsd *d, nx_rpc_cap **ret)
{
	d->self.d = d;
	return nx_rpc_server_new(&fs_ops, &d->self, ret);
}
