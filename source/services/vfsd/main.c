/* SPDX-License-Identifier: MIT */
/*
 * vfsd: one namespace (DESIGN.md section 7, vfsd; fs.capnp). Started by nexus-init after
 * identityd; registers "vfsd" and serves Fs to every channel samgrd brokers, in the trees of
 * the connection's subject.
 *
 *   the trees     tree.c: data/ and tmp/ under $NEXUS_STATE_DIR/vfsd, tmp/ emptied here
 *   the quotas    userspace/vfs quota.h; $NEXUS_VFS_QUOTA_BYTES and $NEXUS_VFS_QUOTA_ENTRIES
 *                 (default VFS_QUOTA_BYTES_DEFAULT, VFS_QUOTA_ENTRIES_DEFAULT per subject)
 *   the handlers  fs.c (namespace calls, actAs), file.c (File: read, write, stat, truncate,
 *                 sync; VMOs over VFS_INLINE_MAX bytes)
 *   /pkg          pkg.c: bundlemgrd followed by name, its openFile, info and list
 *   the policy    nx-svc's policy client in vfsd_dispatch; config.c: the interim rule
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx-abi/file.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "vfsd.h"

/* One quota knob from the environment; absent or empty keeps the default. */
static int env_limit(const char *name, uint64_t max, uint64_t *value)
{
	const char *env = getenv(name);
	int r;

	if (!env || !*env)
		return 0;
	r = vfs_quota_parse_limit(env, max, value);
	if (r < 0)
		nx_log(NX_LOG_ERROR, "config", "%s=%s: %s (1..%llu)", name, env,
		        r == -ERANGE ? "out of range" : "malformed", (unsigned long long)max);
	return r;
}

static int quota_open(struct vfsd *d)
{
	struct vfs_usage limits = {VFS_QUOTA_BYTES_DEFAULT, VFS_QUOTA_ENTRIES_DEFAULT};
	int r = env_limit(VFSD_ENV_QUOTA_BYTES, VFS_QUOTA_BYTES_MAX, &limits.bytes);

	if (r >= 0)
		r = env_limit(VFSD_ENV_QUOTA_ENTRIES, VFS_QUOTA_ENTRIES_MAX, &limits.entries);
	if (r >= 0)
		r = vfs_quota_new(&limits, &d->quota);
	return r;
}

/* The state dir nexus-init made for vfsd (the one place its sandbox lets it write). */
static int state_open(struct vfsd *d)
{
	const char *root = getenv("NEXUS_STATE_DIR");
	char path[PATH_MAX];
	int r;

	if (!root || !*root)
		return -ENOENT;
	if ((size_t)snprintf(path, sizeof(path), "%s/vfsd", root) >= sizeof(path))
		return -ENAMETOOLONG;
	r = nx_dir_open(path, &d->state_dirfd);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "%s: %s", path, strerror(-r));
	if (r >= 0)
		r = vfsd_trees_init(d);
	return r;
}

int main(void)
{
	struct vfsd d = {.state_dirfd = -1};
	nx_rpc_cap *fs = NULL;
	int r, code = 1;

	r = nx_svc_new("vfsd", &d.svc); /* nx_log_init("vfsd") */
	if (r >= 0)
		r = quota_open(&d);
	if (r >= 0)
		r = state_open(&d);
	if (r >= 0)
		r = nx_svc_policy_start(
		        d.svc, vfsd_interim_rule, vfsd_interim_rule_len, vfsd_dispatch, &d.self);
	if (r >= 0)
		r = vfsd_pkg_start(&d);
	if (r >= 0)
		r = vfsd_fs_new(&d, &fs);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
	else
		code = nx_svc_run(d.svc, fs);
	nx_rpc_cap_unref(fs);
	vfsd_pkg_stop(&d);
	nx_svc_free(d.svc); /* drops every connection, and the Files with them */
	if (d.state_dirfd >= 0)
		nx_fd_close(d.state_dirfd);
	vfs_quota_free(d.quota);
	return code;
}
