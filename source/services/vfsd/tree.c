/* SPDX-License-Identifier: MIT */
/*
 * vfsd's trees: paths checked and mapped (userspace/vfs), each subject's data and tmp trees
 * beneath the state dir opened (created the first time) through nx-abi, quota charges, and
 * the one place file system errors become section 9 reasons.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "vfsd.h"

int vfsd_trees_init(struct vfsd *d)
{
	static const char *const trees[] = {"data", "tmp"};
	int r = 0, tmp = -1;

	for (size_t i = 0; r >= 0 && i < 2; i++) {
		r = nx_mkdir_at(d->state_dirfd, trees[i]);
		if (r == -EEXIST)
			r = 0;
	}
	if (r >= 0)
		r = nx_open_beneath(d->state_dirfd, "tmp", NX_OPEN_DIR, &tmp);
	if (r >= 0)
		r = nx_tree_clear(tmp); /* /tmp is emptied at boot */
	if (tmp >= 0)
		nx_fd_close(tmp);
	return r;
}

int vfsd_path_of(
        struct vfsd_call *c, const char *field, const char *path, size_t len, struct vfsd_path *ret)
{
	char why[VFS_WHY_MAX];
	int r;

	r = vfs_path_normalise(path, len, ret->norm, sizeof(ret->norm), why, sizeof(why));
	if (r < 0) {
		(void)nx_rpc_incoming_failf(c->in, r, "%s: %s", field, why);
		return r;
	}
	r = vfs_ns_map(ret->norm, &ret->t);
	if (r < 0) {
		(void)nx_rpc_incoming_failf(c->in, r,
		        "%s: %s: not in the namespace (/data, /tmp, /pkg)", field, ret->norm);
		return r;
	}
	return 0;
}

int vfsd_tree_open(struct vfsd_call *c, const struct vfsd_path *p, int *ret_fd)
{
	char rel[sizeof("data/") + VFS_NAME_MAX + 1], name[VFS_NAME_MAX + 1];
	const char *top = vfs_ns_tree_dir(p->t.root);
	int r, topfd;

	if (!top)
		return -EINVAL;
	r = vfs_subject_dirname(c->subject, name, sizeof(name));
	if (r < 0)
		return r;
	snprintf(rel, sizeof(rel), "%s/%s", top, name);
	r = nx_open_beneath(c->d->state_dirfd, rel, NX_OPEN_DIR, ret_fd);
	if (r != -ENOENT)
		return r;
	/* The subject's first use of this tree. */
	r = nx_open_beneath(c->d->state_dirfd, top, NX_OPEN_DIR, &topfd);
	if (r < 0)
		return r;
	r = nx_mkdir_at(topfd, name);
	nx_fd_close(topfd);
	if (r < 0 && r != -EEXIST)
		return r;
	return nx_open_beneath(c->d->state_dirfd, rel, NX_OPEN_DIR, ret_fd);
}

int vfsd_parent_open(
        struct vfsd_call *c, const struct vfsd_path *p, int *ret_dirfd, const char **ret_name)
{
	char parent[VFS_PATH_MAX + 1];
	const char *name;
	size_t plen;
	int tree, r;

	vfs_path_split_last(p->t.rel, &plen, &name);
	if (!*name)
		return -EINVAL; /* the tree root has no parent in the tree */
	r = vfsd_tree_open(c, p, &tree);
	if (r < 0)
		return r;
	memcpy(parent, p->t.rel, plen);
	parent[plen] = '\0';
	r = nx_open_beneath(tree, parent, NX_OPEN_DIR, ret_dirfd);
	nx_fd_close(tree);
	if (r >= 0)
		*ret_name = name;
	return r;
}

/* Starts counting the subject from what its trees hold now. */
static int track(struct vfsd_call *c)
{
	struct vfs_usage total = {0};
	static const enum vfs_root roots[] = {VFS_ROOT_DATA, VFS_ROOT_TMP};
	int r = 0;

	for (size_t i = 0; r >= 0 && i < 2; i++) {
		struct vfsd_path p = {.t = {.root = roots[i], .rel = ""}};
		uint64_t bytes, entries;
		int tree;

		r = vfsd_tree_open(c, &p, &tree);
		if (r < 0)
			break;
		r = nx_tree_usage(tree, &bytes, &entries);
		nx_fd_close(tree);
		total.bytes += bytes;
		total.entries += entries;
	}
	if (r >= 0)
		r = vfs_quota_track(c->d->quota, c->subject, &total);
	return r;
}

int vfsd_charge(struct vfsd_call *c, int64_t bytes, int64_t entries)
{
	int r = vfs_quota_charge(c->d->quota, c->subject, bytes, entries);

	if (r == -ENOENT) {
		r = track(c);
		if (r >= 0)
			r = vfs_quota_charge(c->d->quota, c->subject, bytes, entries);
	}
	return r;
}

int vfsd_fail(struct vfsd_call *c, int err, const char *what)
{
	struct vfs_usage lim = vfs_quota_limits(c->d->quota);
	nx_rpc_incoming *in = c->in;

	switch (err) {
	case -ENOENT:
		return nx_rpc_incoming_failf(in, err, "%s: no such file or directory", what);
	case -EEXIST:
		return nx_rpc_incoming_failf(in, err, "%s: exists already", what);
	case -ELOOP:
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "%s: a symlink on the way (vfsd never follows one)", what);
	case -EXDEV:
		return nx_rpc_incoming_failf(in, -EINVAL, "%s: leads out of the tree", what);
	case -EISDIR:
		return nx_rpc_incoming_failf(in, -EINVAL, "%s: is a directory", what);
	case -ENOTDIR:
		return nx_rpc_incoming_failf(in, -EINVAL, "%s: not a directory", what);
	case -ENOTEMPTY:
		return nx_rpc_incoming_failf(in, -EINVAL, "%s: directory not empty", what);
	case -EINVAL:
		return nx_rpc_incoming_failf(
		        in, -EINVAL, "%s: not a regular file or directory here", what);
	case -EFBIG:
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "%s: %s would pass its quota of %llu bytes", what, c->subject,
		        (unsigned long long)lim.bytes);
	case -EMLINK:
		return nx_rpc_incoming_failf(in, -EDQUOT,
		        "%s: %s would pass its quota of %llu entries", what, c->subject,
		        (unsigned long long)lim.entries);
	case -ENOSPC:
		return nx_rpc_incoming_failf(in, -EDQUOT, "%s: the disk is full", what);
	case -EMSGSIZE:
		return nx_rpc_incoming_failf(in, err, "%s: too large", what);
	case -EPERM:
		return nx_rpc_incoming_failf(in, err, "%s: read-only", what);
	default:
		return nx_rpc_incoming_failf(in, -EIO, "%s: %s", what, strerror(-err));
	}
}
