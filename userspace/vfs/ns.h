/* SPDX-License-Identifier: MIT */
/*
 * vfs namespace: where a normalised namespace path (path.h) lives for one subject. Pure.
 *
 *   /                     the top: lists data, tmp, pkg (read-only, nothing else)
 *   /data/<rel>           the subject's private tree: <rel> beneath data/<subject dir>
 *   /tmp/<rel>            the subject's tmp tree (emptied at boot): beneath tmp/<subject dir>
 *   /pkg/<bundle>/<rel>   read-only, a file of the installed bundle <bundle>
 *
 * The subject never appears in the path: it comes from the connection (or an operator's
 * Fs.actAs), so one subject's paths cannot name another's tree. <subject dir> is the subject
 * encoded as one directory name (vfs_subject_dirname).
 */
#ifndef USERSPACE_VFS_NS_H
#define USERSPACE_VFS_NS_H

#include <stdbool.h>
#include <stddef.h>

#include "nexus/limits.h" /* VFS_NAME_MAX, VFS_SUBJECT_MAX */

enum vfs_root {
	VFS_ROOT_TOP,  /* "/" itself */
	VFS_ROOT_DATA, /* /data/... */
	VFS_ROOT_TMP,  /* /tmp/... */
	VFS_ROOT_PKG,  /* /pkg/... */
};

/* A path mapped for its subject: views into the normalised path given to vfs_ns_map. */
struct vfs_target {
	enum vfs_root root;
	const char *rel;    /* beneath the root's tree ("" = the tree itself; for pkg: inside the
	                    bundle); NUL-terminated (the path's tail) */
	const char *bundle; /* pkg only: the bundle id, bundle_len bytes ("" under /pkg itself) */
	size_t bundle_len;
};

/* Maps the normalised path `norm` (vfs_path_normalise's output). Returns 0 with *ret set, or
 * -ENOENT for a top-level name that is not a root ("/etc/passwd"). */
int vfs_ns_map(const char *norm, struct vfs_target *ret);

/* Whether a target may be changed (created, written, removed, renamed): the trees of /data
 * and /tmp beneath their roots; never "/", "/data" and "/tmp" themselves, nor /pkg. */
bool vfs_ns_writable(const struct vfs_target *t);

/* The names of the roots under "/" in sorted order, and the directory each tree is kept in
 * beneath vfsd's state dir ("data", "tmp"; NULL for pkg). */
extern const char *const vfs_ns_top[3];
const char *vfs_ns_tree_dir(enum vfs_root root);

/* Encodes `subject` (1..VFS_SUBJECT_MAX bytes, no NUL) as one directory name, injectively:
 * bytes of [A-Za-z0-9:_@+=,-] and '.' stay, every other byte (and a leading '.', so neither
 * "." nor ".." can result) becomes %XX. Writes it NUL-terminated to out. Returns its length,
 * or -EINVAL (empty subject), -EMSGSIZE (subject over VFS_SUBJECT_MAX, or the name over
 * VFS_NAME_MAX), -ENOBUFS (out too small: VFS_NAME_MAX + 1 suffices). */
int vfs_subject_dirname(const char *subject, char *out, size_t out_size);

#endif
