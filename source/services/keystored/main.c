/* SPDX-License-Identifier: MIT */
/*
 * keystored: keys that never leave (DESIGN.md section 7). Opens its store in its state dir
 * ($NEXUS_STATE_DIR/keystored), follows rngd for entropy (the device key at first boot, each
 * new key) and serves Keystore (keystore.capnp) to whoever samgrd brokers to it. A damaged
 * store does not stop it: it serves `integrity:` for every key and verify() for everyone.
 * NEXUS_KEYSTORED_CRASH_AT=<step> (tests) makes it abort at that step of a write.
 */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystored.h"
#include "nx-log/log.h"

/* While policyd cannot be asked, a service may sign in the domain of its own name only;
 * creating and deleting keys waits for policyd. */
static const struct pol_grant interim[] = {{"svc:*", "crypto.sign." POL_GRANT_NAME}};

/* The store, or NULL with `why` saying what damage keeps it closed. */
static int open_store(kss **ret, char *why)
{
	const char *state = getenv("NEXUS_STATE_DIR");
	enum ks_step crash_at = KS_STEP_NONE;
	char dir[PATH_MAX];
	int r;

	if (!state || !*state)
		state = "./.nexus/state";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/keystored", state) >= sizeof(dir))
		return -ENAMETOOLONG;
	if (ks_step_parse(getenv("NEXUS_KEYSTORED_CRASH_AT"), &crash_at) < 0)
		nx_log(NX_LOG_WARN, NULL, "NEXUS_KEYSTORED_CRASH_AT: no such step, ignored");
	else if (crash_at != KS_STEP_NONE)
		nx_log(NX_LOG_WARN, NULL, "will abort at step %s (test)", ks_step_name(crash_at));
	r = kss_open(dir, crash_at, ret, why);
	if (r == -EBADMSG) {
		nx_log(NX_LOG_ERROR, "keys", "integrity: %s: serving integrity errors", why);
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		nx_log(NX_LOG_ERROR, NULL, "cannot open the store in %s: %s", dir, strerror(-r));
	return r;
}

int main(void)
{
	struct keystore *bootstrap = NULL;
	char why[KSS_WHY_MAX + 1] = "";
	keystored *d = NULL;
	kss *store = NULL;
	nx_svc *svc = NULL;
	int r, code = 1;

	r = nx_svc_new("keystored", &svc); /* nx_log_init("keystored") first */
	if (r < 0) {
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s (run me from nexus-init)",
		        strerror(-r));
		return 1;
	}
	r = sodium_init() < 0 ? -EIO : 0;
	if (r >= 0)
		r = open_store(&store, why);
	if (r >= 0)
		r = keystored_new(svc, store, why, &d, &bootstrap); /* takes store */
	if (r >= 0)
		r = nx_svc_policy_start(svc, interim, 1, keystored_dispatch, d);
	if (r >= 0)
		code = nx_svc_run(svc, keystore_cap(bootstrap));
	else
		nx_log(NX_LOG_ERROR, NULL, "cannot start: %s", strerror(-r));
	/* Before the loop goes with nx_svc_free: the rngd follower is one of its sources. */
	keystored_free(d);
	nx_svc_free(svc);
	nx_rpc_cap_unref(keystore_cap(bootstrap));
	return code;
}
