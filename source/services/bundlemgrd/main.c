/* SPDX-License-Identifier: MIT */
/*
 * bundlemgrd: the package authority (DESIGN.md section 7, bundlemgrd; bundle.capnp). Started
 * by nexus-init after vfsd; registers "bundlemgrd" and serves Bundles to every channel samgrd
 * brokers.
 *
 *   the store     store.c: blobs by SHA-256 and SQLite records beneath the state dir
 *                 ($NEXUS_STATE_DIR/bundlemgrd), recovered from an interrupted change at start
 *   trust         trust.c: publisher keys in $NEXUS_BUNDLE_TRUST_DIR, default <state dir>/trust
 *   the checks    userspace/bundle (check.h), in bundles.c's install
 *   the handlers  bundles.c (policy per method through nx-svc's client)
 *   the grants    grants.c: follows policyd; what installed bundles grant app:<id>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundlemgrd.h"
#include "nx-abi/sock.h"
#include "nx-log/log.h"
#include "nx-util/macro.h"

/* While policyd cannot be asked: services may read installed files (vfsd serves /pkg). */
static const struct pol_grant interim[] = {{"svc:*", "bundle.read"}};

static int open_store(struct bundlemgrd *d, char *dir, size_t cap)
{
	const char *state = getenv("NEXUS_STATE_DIR");
	struct bmd_recovery rec = {0};
	uint64_t blobs = 0, refs = 0;
	int r;

	if ((size_t)snprintf(
	            dir, cap, "%s/bundlemgrd", state && *state ? state : "./.nexus/state") >= cap)
		return -ENAMETOOLONG;
	r = bmd_store_open(dir, &d->store, &rec);
	if (r >= 0)
		r = bmd_store_counts(d->store, &blobs, &refs);
	if (r < 0)
		return r;
	if (rec.staged || rec.orphans)
		nx_log(NX_LOG_NOTICE, "store",
		        "recovered: %u staged files and %u unused blobs removed", rec.staged,
		        rec.orphans);
	nx_log(NX_LOG_INFO, "store", "%s: %llu blobs, %llu references", dir,
	        (unsigned long long)blobs, (unsigned long long)refs);
	return 0;
}

int main(void)
{
	struct bundlemgrd d = {.trust_dirfd = -1};
	struct bundle_bundles *bundles = NULL;
	char dir[4096];
	int r, code = 1;

	r = nx_svc_new("bundlemgrd", &d.svc); /* nx_log_init("bundlemgrd") */
	if (r >= 0)
		r = open_store(&d, dir, sizeof(dir));
	if (r >= 0)
		r = bmd_trust_open(&d, dir);
	if (r >= 0)
		r = nx_svc_policy_start(d.svc, interim, ELEMENTSOF(interim), bmd_dispatch, &d);
	if (r >= 0)
		r = bmd_grants_start(&d);
	if (r >= 0)
		r = bmd_bundles_new(&d, &bundles);
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
	else
		code = nx_svc_run(d.svc, bundle_bundles_cap(bundles));
	nx_rpc_cap_unref(bundle_bundles_cap(bundles));
	bmd_watchers_free(&d);
	bmd_grants_stop(&d);
	nx_svc_free(d.svc);
	bmd_store_free(d.store);
	nx_fd_close(d.trust_dirfd);
	return code;
}
