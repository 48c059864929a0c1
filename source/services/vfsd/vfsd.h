/* SPDX-License-Identifier: MIT */
/*
 * vfsd: one namespace (DESIGN.md section 7; fs.capnp). The adapter between nx-svc connections,
 * userspace/vfs (path grammar, namespace, quotas, pages) and nx-abi's served-tree calls
 * (openat2 beneath each subject's tree, no symlink ever followed).
 *
 * State dir layout ($NEXUS_STATE_DIR/vfsd):  data/<subject dir>/...  tmp/<subject dir>/...
 * where <subject dir> is vfs_subject_dirname(subject). tmp/ is emptied at start.
 */
#ifndef VFSD_VFSD_H
#define VFSD_VFSD_H

#include <stdbool.h>
#include <stdint.h>

#include "fs.capnp.h"
#include "nexus/limits.h" /* VFS_* */
#include "follow.h"
#include "svc.h"
#include "vfs/ns.h"
#include "vfs/path.h"
#include "vfs/quota.h"

/* Environment knobs: per-subject quotas (decimal bytes and entries). */
#define VFSD_ENV_QUOTA_BYTES   "NEXUS_VFS_QUOTA_BYTES"
#define VFSD_ENV_QUOTA_ENTRIES "NEXUS_VFS_QUOTA_ENTRIES"

struct vfsd;
struct bundle_bundles;

/* The impl of one Fs object: the namespace of `subject`, or, for the bootstrap object served
 * on every connection (subject NULL), of the connection's subject. */
struct vfsd_fs {
	struct vfsd *d;
	char *subject; /* owned; NULL: the connection's */
};

struct vfsd {
	nx_svc *svc;
	int state_dirfd; /* the state dir, an O_PATH handle */
	struct vfs_quota *quota;
	unsigned open_files; /* File objects alive (VFS_OPEN_FILES_MAX) */
	struct vfsd_fs self; /* the bootstrap Fs */
	struct nx_follow *bundles_follow;
	struct bundle_bundles *bundles; /* bundlemgrd, while it is reachable (pkg.c) */
};

/* One call being served: who acts, in whose trees. */
struct vfsd_call {
	struct vfsd *d;
	nx_rpc_incoming *in;
	const char *subject; /* whose trees (borrowed) */
};

/* A path of a call, checked and mapped (tree.c). */
struct vfsd_path {
	char norm[VFS_PATH_MAX + 1];
	struct vfs_target t;
};

/* fs.c: the bootstrap Fs (one reference in *ret) and its dispatch, which asks policyd for the
 * method's capability first; also what runs held calls again (nx_svc_policy_start). */
int vfsd_fs_new(struct vfsd *d, nx_rpc_cap **ret);
int vfsd_dispatch(void *impl, nx_rpc_incoming *in, uint64_t interface_id, uint16_t method_id);

/* file.c: a File on `fd` (taken, also on failure) for `subject` (copied), readable and/or
 * writable. -EDQUOT past VFS_OPEN_FILES_MAX, -ENOMEM. */
int vfsd_file_new(struct vfsd *d, const char *subject, int fd, bool readable, bool writable,
        struct fs_file **ret);

/* tree.c: the trees under the state dir. */
/* Makes data/ and tmp/ and empties tmp/ (at start). */
int vfsd_trees_init(struct vfsd *d);
/* Checks the path param `path` (len bytes) of the call and maps it: 0, or the call answered
 * with the reason naming `field` and the rule, and a negative errno returned. */
int vfsd_path_of(struct vfsd_call *c, const char *field, const char *path, size_t len,
        struct vfsd_path *ret);
/* Opens the tree of the call's subject that `p` lies in (data or tmp), creating it the first
 * time: an O_PATH directory handle in *ret_fd. Negative errno. */
int vfsd_tree_open(struct vfsd_call *c, const struct vfsd_path *p, int *ret_fd);
/* Opens the directory holding `p`'s last component in its tree (*ret_dirfd) and points
 * *ret_name at that component (inside p). `p` must be beneath its tree root. */
int vfsd_parent_open(
        struct vfsd_call *c, const struct vfsd_path *p, int *ret_dirfd, const char **ret_name);
/* Charges the call's subject (counting its trees first if it is not tracked). 0, -EFBIG /
 * -EMLINK over a quota, or the walk's error. */
int vfsd_charge(struct vfsd_call *c, int64_t bytes, int64_t entries);
/* Answers the call for the failure `err` of an operation on `what` (a path) with its
 * section 9 reason; returns 0 (answered). */
int vfsd_fail(struct vfsd_call *c, int err, const char *what);

/* pkg.c: /pkg, served by bundlemgrd. start follows it by name (stop: at exit). */
int vfsd_pkg_start(struct vfsd *d);
void vfsd_pkg_stop(struct vfsd *d);
enum vfsd_pkg_op {
	VFSD_PKG_OPEN,        /* Fs.open of a file: Bundles.openFile, served as a read-only File */
	VFSD_PKG_STAT_FILE,   /* Fs.stat of a file: Bundles.openFile, its size */
	VFSD_PKG_STAT_BUNDLE, /* Fs.stat of /pkg/<bundle>: Bundles.info */
	VFSD_PKG_LIST,        /* Fs.list of /pkg: Bundles.list after `cursor` */
};
/* Asks bundlemgrd for `op` on the /pkg path `p` for the call: NX_RPC_ASYNC (answered once
 * bundlemgrd did, its refusal passed on; canceled with the call), 0 (answered: bundlemgrd is
 * not reachable now, unavailable), or -ENOMEM. */
int vfsd_pkg_call(
        struct vfsd_call *c, const struct vfsd_path *p, enum vfsd_pkg_op op, const char *cursor);

/* config.c: the interim rule, deciding while policyd cannot be asked: services may use their
 * own trees (fs.read, fs.write); nothing else. */
extern const struct pol_grant vfsd_interim_rule[];
extern const size_t vfsd_interim_rule_len;

#endif
